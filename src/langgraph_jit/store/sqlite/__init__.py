"""Long-term memory in a SQLite file: `SqliteStore` (sqlite3) and `AsyncSqliteStore`
(aiosqlite), on the tables LangGraph's SQLite stores use."""

from langgraph_jit.store.sqlite.aio import AsyncSqliteStore
from langgraph_jit.store.sqlite.base import SqliteStore

__all__ = ["AsyncSqliteStore", "SqliteStore"]
