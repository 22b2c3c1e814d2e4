"""`SqliteStore`: a `BaseStore` on a `sqlite3.Connection` (thread-safe through a lock)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langgraph_jit.store import _sql
from langgraph_jit.store.base import IndexConfig, TTLConfig

__all__ = ["SqliteIndexConfig", "SqliteStore"]

SqliteIndexConfig = IndexConfig


def sqlite_executor(cur: Any) -> Callable[[int, str, Any], Any]:
    def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.ALL:
            return cur.execute(sql, params).fetchall()
        if kind == _sql.MANY:
            if params:
                cur.executemany(sql, params)
            return None
        cur.execute(sql, params)
        return None

    return execute


class SqliteStore(_sql.SyncSqlStore):
    """Items in a SQLite database (tables `store`, `store_migrations`, and with an
    `index` config `store_vectors`); call `setup()` once. Semantic search ranks the
    stored vectors in process (no sqlite-vec needed). TTL: `ttl` config, `sweep_ttl`,
    `start_ttl_sweeper`."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: SqliteIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        self.conn = conn
        self.lock = threading.Lock()
        self.is_setup = False
        self._sweeper: _sql.ThreadSweeper | None = None
        self._init_core(_sql.SQLITE, index, ttl, deserializer)

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        index: SqliteIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> Iterator[SqliteStore]:
        """`with SqliteStore.from_conn_string(path) as store:` (":memory:" works too)."""
        conn = sqlite3.connect(conn_string, check_same_thread=False, isolation_level=None)
        store = cls(conn, index=index, ttl=ttl)
        try:
            yield store
        finally:
            store.stop_ttl_sweeper(0)
            conn.close()

    def _run(self, op: _sql.Batch) -> Any:
        conn = self.conn
        with self.lock:
            cur = conn.cursor()
            # Our own transaction unless the caller holds one open.
            began = not conn.in_transaction
            if began:
                cur.execute("BEGIN")
            try:
                result = _sql.run(op, sqlite_executor(cur), self.embeddings)
            except BaseException:
                if began and conn.in_transaction:
                    conn.rollback()
                raise
            finally:
                cur.close()
            if began:
                conn.commit()
            return result

    def setup(self) -> None:
        """Create the tables (LangGraph's layout and migration versions). Idempotent."""
        super().setup()
        self.is_setup = True

    def __del__(self) -> None:
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None:
            sweeper.stop_event.set()
