"""`SqliteStore`: a `BaseStore` on a `sqlite3.Connection` (thread-safe through a lock)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from langgraph_jit.store import _sql
from langgraph_jit.store.base import IndexConfig, Op, Result, TTLConfig

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


class SqliteStore(_sql.SqlStore):
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
        self._run(self._core.setup())
        self.is_setup = True

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return self._run(self._core.batch(ops))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        return await asyncio.get_running_loop().run_in_executor(None, self.batch, ops)

    def sweep_ttl(self) -> int:
        """Delete the items whose TTL has passed; returns how many."""
        return self._run(self._core.sweep(datetime.now(timezone.utc)))

    def start_ttl_sweeper(
        self, sweep_interval_minutes: int | None = None
    ) -> concurrent.futures.Future[None]:
        """Sweep every `sweep_interval_minutes` (default: the ttl config's, else 5) on a
        daemon thread; the future completes when it stops. No-op without a ttl config."""
        if not self.ttl_config:
            return _sql.done_future()
        if self._sweeper is not None:
            return self._sweeper.future
        self._sweeper = _sql.ThreadSweeper(
            self.sweep_ttl, self._sweep_minutes(sweep_interval_minutes)
        )
        return self._sweeper.future

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper thread; False if it was still running after `timeout`."""
        sweeper, self._sweeper = self._sweeper, None
        return True if sweeper is None else sweeper.stop(timeout)

    def __del__(self) -> None:
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None:
            sweeper.stop_event.set()
