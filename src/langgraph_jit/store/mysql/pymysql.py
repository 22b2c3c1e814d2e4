"""`PyMySQLStore`: the MySQL store on a PyMySQL connection."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph_jit.store.base import TTLConfig
from langgraph_jit.store.mysql.base import (
    SESSION_STATEMENTS,
    BaseSyncMySQLStore,
    MySQLIndexConfig,
    parse_conn_string,
)

__all__ = ["PyMySQLStore"]


class PyMySQLStore(BaseSyncMySQLStore):
    @staticmethod
    def parse_conn_string(conn_string: str) -> dict[str, Any]:
        return parse_conn_string(conn_string, "database")

    @staticmethod
    def _cursor_class() -> Any:
        return importlib.import_module("pymysql.cursors").Cursor

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        index: MySQLIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> Iterator[PyMySQLStore]:
        """`with PyMySQLStore.from_conn_string("mysql://user:pw@host:3306/db") as store:`
        (one autocommit utf8mb4 connection, READ COMMITTED, strict mode)."""
        pymysql = importlib.import_module("pymysql")
        with pymysql.connect(
            **cls.parse_conn_string(conn_string), autocommit=True, charset="utf8mb4"
        ) as conn:
            with conn.cursor() as cur:
                for statement in SESSION_STATEMENTS:
                    cur.execute(statement)
            store = cls(conn, index=index, ttl=ttl)
            store.session_statements = SESSION_STATEMENTS
            try:
                yield store
            finally:
                store.stop_ttl_sweeper(0)
