"""`AsyncPostgresSaver`: the PostgreSQL saver on psycopg's async connection or pool.

Same storage as `PostgresSaver`; sync methods work only from other threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row, tuple_row

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import AsyncWritePipeline
from langgraph_jit.checkpoint._sql_saver import AsyncSqlSaver
from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.postgres import _ops
from langgraph_jit.checkpoint.serde.lz4 import default_store_serde

try:
    from psycopg_pool import AsyncConnectionPool
except ImportError:  # pragma: no cover
    AsyncConnectionPool = None  # type: ignore[assignment,misc]

__all__ = ("AsyncPostgresSaver",)


class _AsyncNull:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: Any) -> None:
        return None


class AsyncPostgresSaver(AsyncSqlSaver):
    """Async checkpoint saver on PostgreSQL (psycopg 3 async connection or pool)."""

    ops = _ops
    MIGRATIONS = _ops.MIGRATIONS

    def __init__(
        self, conn: Any, pipe: Any = None, serde: SerializerProtocol | None = None
    ) -> None:
        # Values of 512 bytes or more are stored lz4-compressed (when lz4 is
        # installed): PostgreSQL compresses only rows over ~2 KB, so a message
        # list's appended pieces and writes would be stored raw.
        super().__init__(serde=serde or default_store_serde())
        self.conn = conn
        self.pipe = pipe
        self.is_pool = AsyncConnectionPool is not None and isinstance(conn, AsyncConnectionPool)
        if not self.is_pool and not isinstance(conn, AsyncConnection):
            raise TypeError(f"Invalid connection type: {type(conn)}")
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.write_pipeline = AsyncWritePipeline(self._commit_calls)

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls, conn_string: str, *, pipeline: bool = False, serde: SerializerProtocol | None = None
    ) -> AsyncIterator[AsyncPostgresSaver]:
        """`async with AsyncPostgresSaver.from_conn_string(dsn) as saver:`."""
        async with await AsyncConnection.connect(
            conn_string, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn:
            saver = cls(conn, serde=serde)
            try:
                yield saver
            finally:
                await saver._drain()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        if self.is_pool:
            async with self.conn.connection() as conn:
                yield conn
        else:
            async with self.lock:
                yield self.conn

    async def setup(self) -> None:
        """Create the tables and run pending migrations (LangGraph's list). Call once."""
        async with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(self.MIGRATIONS[0])
            await cur.execute("SELECT v FROM checkpoint_migrations ORDER BY v DESC LIMIT 1")
            row = await cur.fetchone()
            done = -1 if row is None else row[0]
            for v in range(done + 1, len(self.MIGRATIONS)):
                await cur.execute(self.MIGRATIONS[v])
                await cur.execute("INSERT INTO checkpoint_migrations (v) VALUES (%s)", (v,))

    @staticmethod
    async def _run_statement(cur: Any, kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            await cur.executemany(sql, params)
            return None
        await cur.execute(sql, params)
        if kind == _sql.ONE:
            return await cur.fetchone()
        if kind == _sql.ALL:
            return await cur.fetchall()
        return None

    async def _execute(self, kind: int, sql: str, params: Any) -> Any:
        async with self._connection() as conn:
            if kind == _sql.READS:
                # As PostgresSaver._execute: the statements in one round trip.
                async with conn.pipeline():
                    cursors = []
                    for statement, args in params:
                        cur = conn.cursor(binary=True, row_factory=tuple_row)
                        await cur.execute(statement, args)
                        cursors.append(cur)
                    try:
                        return [await cur.fetchall() for cur in cursors]
                    finally:
                        for cur in cursors:
                            await cur.close()
            writes = kind in (_sql.EXEC, _sql.MANY)
            async with (
                conn.transaction() if writes else _AsyncNull(),
                conn.cursor(binary=True, row_factory=tuple_row) as cur,
            ):
                return await self._run_statement(cur, kind, sql, params)

    async def _write(self, op: _sql.Op) -> None:
        # As PostgresSaver._write: BEGIN, the statements and COMMIT in one round trip.
        async with self._connection() as conn:
            if not conn.autocommit:
                async with (
                    conn.pipeline(),
                    conn.transaction(),
                    conn.cursor(binary=True, row_factory=tuple_row) as cur,
                ):
                    await _sql.arun(
                        op, lambda kind, sql, params: self._run_statement(cur, kind, sql, params)
                    )
                return
            try:
                async with (
                    conn.pipeline(),
                    conn.cursor(binary=True, row_factory=tuple_row) as cur,
                ):
                    await cur.execute("BEGIN")
                    await _sql.arun(
                        op, lambda kind, sql, params: self._run_statement(cur, kind, sql, params)
                    )
                    await cur.execute("COMMIT")
            except BaseException:
                await _arollback(conn)
                raise


async def _arollback(conn: Any) -> None:
    """End a failed explicit transaction (the connection stays usable)."""
    if conn.info.transaction_status == TransactionStatus.IDLE or conn.closed:
        return
    with suppress(Exception):
        await conn.execute("ROLLBACK")
