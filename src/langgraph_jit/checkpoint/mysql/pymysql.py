"""`PyMySQLSaver` and `ShallowPyMySQLSaver`: the MySQL savers on PyMySQL."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.mysql import BaseSyncMySQLSaver
from langgraph_jit.checkpoint.mysql.shallow import BaseShallowSyncMySQLSaver
from langgraph_jit.store.mysql.base import SESSION_STATEMENTS, parse_conn_string

__all__ = ["PyMySQLSaver", "ShallowPyMySQLSaver"]


def _driver() -> Any:
    try:
        return importlib.import_module("pymysql")
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("PyMySQLSaver needs PyMySQL: pip install 'langgraph-jit[mysql]'") from exc


class _PyMySQL:
    @staticmethod
    def parse_conn_string(conn_string: str) -> dict[str, Any]:
        return parse_conn_string(conn_string, "database")

    @staticmethod
    def _cursor_class() -> Any:
        _driver()
        return importlib.import_module("pymysql.cursors").Cursor

    @classmethod
    @contextmanager
    def from_conn_string(
        cls, conn_string: str, *, serde: SerializerProtocol | None = None
    ) -> Iterator[Any]:
        """`with PyMySQLSaver.from_conn_string("mysql://user:pw@host:3306/db") as saver:`
        (one autocommit utf8mb4 connection, READ COMMITTED, strict mode)."""
        pymysql = _driver()
        with pymysql.connect(
            **cls.parse_conn_string(conn_string), autocommit=True, charset="utf8mb4"
        ) as conn:
            with conn.cursor() as cur:
                for statement in SESSION_STATEMENTS:
                    cur.execute(statement)
            saver: Any = cls(conn, serde=serde)  # type: ignore[call-arg]
            saver.session_statements = SESSION_STATEMENTS
            try:
                yield saver
            finally:
                saver._drain()


class PyMySQLSaver(_PyMySQL, BaseSyncMySQLSaver):
    """Checkpoint saver on a PyMySQL connection."""


class ShallowPyMySQLSaver(_PyMySQL, BaseShallowSyncMySQLSaver):
    """The latest checkpoint of each namespace only, on a PyMySQL connection."""
