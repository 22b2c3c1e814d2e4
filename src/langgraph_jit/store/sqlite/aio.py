"""`AsyncSqliteStore`: a `BaseStore` on an `aiosqlite.Connection`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from langgraph_jit.store import _sql
from langgraph_jit.store.base import Op, Result, TTLConfig
from langgraph_jit.store.sqlite.base import SqliteIndexConfig

__all__ = ["AsyncSqliteStore"]


def aiosqlite_executor(conn: Any) -> Callable[[int, str, Any], Any]:
    async def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.ALL:
            cur = await conn.execute(sql, params)
            try:
                return await cur.fetchall()
            finally:
                await cur.close()
        if kind == _sql.MANY:
            if params:
                await conn.executemany(sql, params)
            return None
        await conn.execute(sql, params)
        return None

    return execute


class AsyncSqliteStore(_sql.AsyncSqlStore):
    """`SqliteStore` for asyncio, on aiosqlite; same tables. Its sync methods may be
    called from other threads than the event loop's."""

    def __init__(
        self,
        conn: Any,
        *,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: SqliteIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.is_setup = False
        self._sweeper: _sql.TaskSweeper | None = None
        self._init_core(_sql.SQLITE, index, ttl, deserializer)

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        index: SqliteIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AsyncSqliteStore]:
        """`async with AsyncSqliteStore.from_conn_string(path) as store:`."""
        import aiosqlite

        async with aiosqlite.connect(conn_string, isolation_level=None) as conn:
            store = cls(conn, index=index, ttl=ttl)
            try:
                yield store
            finally:
                await store.stop_ttl_sweeper()

    async def _arun(self, op: _sql.Batch) -> Any:
        conn = self.conn
        async with self.lock:
            began = not conn.in_transaction
            if began:
                await conn.execute("BEGIN")
            try:
                result = await _sql.arun(op, aiosqlite_executor(conn), self.embeddings)
            except BaseException:
                if began and conn.in_transaction:
                    await conn.rollback()
                raise
            if began:
                await conn.commit()
            return result

    async def setup(self) -> None:
        """Create the tables (LangGraph's layout and migration versions). Idempotent."""
        await self._arun(self._core.setup())
        self.is_setup = True

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await self._arun(self._core.batch(ops))
