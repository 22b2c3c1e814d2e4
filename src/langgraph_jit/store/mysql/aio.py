"""`AIOMySQLStore`: the MySQL store on an aiomysql connection or pool."""

from __future__ import annotations

from langgraph_jit.store.mysql.aio_base import BaseAsyncMySQLStore

__all__ = ["AIOMySQLStore"]


class AIOMySQLStore(BaseAsyncMySQLStore):
    driver = "aiomysql"
    cursor_path = ("aiomysql", "Cursor")
