"""`AsyncSqliteSaver`: the SQLite saver on `aiosqlite`; same storage as `SqliteSaver`.

Sync methods work only from a thread other than the event loop's, as in LangGraph.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import AsyncWritePipeline
from langgraph_jit.checkpoint._sql_saver import AsyncSqlSaver
from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.serde.lz4 import default_store_serde
from langgraph_jit.checkpoint.sqlite import _ops

try:
    import aiosqlite
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "AsyncSqliteSaver needs aiosqlite: pip install 'langgraph-jit[sqlite]'"
    ) from exc

__all__ = ("AsyncSqliteSaver",)


class AsyncSqliteSaver(AsyncSqlSaver):
    """Async checkpoint saver on an `aiosqlite.Connection`."""

    ops = _ops.OPS

    def __init__(
        self, conn: aiosqlite.Connection, *, serde: SerializerProtocol | None = None
    ) -> None:
        # Our SQLite rows are ours alone (LangGraph keeps values inline), so
        # values may be compressed; LangGraph's rows still load unchanged.
        super().__init__(serde=serde or default_store_serde())
        self.conn = conn
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.is_setup = False
        self.write_pipeline = AsyncWritePipeline(self._commit_calls)

    @classmethod
    @asynccontextmanager
    async def from_conn_string(cls, conn_string: str) -> AsyncIterator[AsyncSqliteSaver]:
        """`async with AsyncSqliteSaver.from_conn_string("file.sqlite") as saver:`."""
        async with aiosqlite.connect(conn_string) as conn:
            saver = cls(conn)
            try:
                yield saver
            finally:
                await saver._drain()

    async def setup(self) -> None:
        """Create the tables if missing (called automatically on first use)."""
        if self.is_setup:
            return
        await self.conn.executescript(_ops.SETUP_SQL)
        try:
            await self.conn.execute(_ops.ADD_TASK_PATH_SQL)
        except sqlite3.OperationalError as exc:
            if "duplicate column name" not in str(exc) and "readonly" not in str(exc):
                raise
        await self.conn.commit()
        self.is_setup = True

    async def _run_statement(self, kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            await self.conn.executemany(sql, params)
            return None
        async with self.conn.execute(sql, params) as cur:
            if kind == _sql.ONE:
                return await cur.fetchone()
            if kind == _sql.ALL:
                return await cur.fetchall()
        return None

    async def _execute(self, kind: int, sql: str, params: Any) -> Any:
        async with self.lock:
            if not self.is_setup:
                await self.setup()
            out = await self._run_statement(kind, sql, params)
            if kind in (_sql.EXEC, _sql.MANY):
                await self.conn.commit()
            return out

    async def _write(self, op: _sql.Op) -> None:
        async with self.lock:
            if not self.is_setup:
                await self.setup()
            try:
                await _sql.arun(op, self._run_statement)
                await self.conn.commit()
            except BaseException:
                await self.conn.rollback()
                raise
