"""`AIOMySQLStore`: the MySQL store on an aiomysql connection or pool."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph_jit.store.base import TTLConfig
from langgraph_jit.store.mysql.aio_base import BaseAsyncMySQLStore
from langgraph_jit.store.mysql.base import SESSION_STATEMENTS, MySQLIndexConfig, parse_conn_string

__all__ = ["AIOMySQLStore"]


class AIOMySQLStore(BaseAsyncMySQLStore):
    @staticmethod
    def parse_conn_string(conn_string: str) -> dict[str, Any]:
        return parse_conn_string(conn_string, "db")

    @staticmethod
    def _cursor_class() -> Any:
        return importlib.import_module("aiomysql").Cursor

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        index: MySQLIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AIOMySQLStore]:
        """`async with AIOMySQLStore.from_conn_string("mysql://user:pw@host:3306/db") as store:`
        (one autocommit utf8mb4 connection, READ COMMITTED, strict mode)."""
        connect = importlib.import_module("aiomysql").connect
        async with connect(
            **cls.parse_conn_string(conn_string), autocommit=True, charset="utf8mb4"
        ) as conn:
            async with conn.cursor() as cur:
                for statement in SESSION_STATEMENTS:
                    await cur.execute(statement)
            store = cls(conn, index=index, ttl=ttl)
            store.session_statements = SESSION_STATEMENTS
            try:
                yield store
            finally:
                await store.stop_ttl_sweeper()
