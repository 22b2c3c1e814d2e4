"""Long-term memory in PostgreSQL: `PostgresStore` and `AsyncPostgresStore` (psycopg 3),
on the tables LangGraph's PostgreSQL stores use."""

from langgraph_jit.store.postgres.aio import AsyncPostgresStore
from langgraph_jit.store.postgres.base import PoolConfig, PostgresIndexConfig, PostgresStore

__all__ = ["AsyncPostgresStore", "PoolConfig", "PostgresIndexConfig", "PostgresStore"]
