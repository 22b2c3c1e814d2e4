"""`AsyncPostgresStore`: a `BaseStore` on a psycopg 3 async connection or pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from langgraph_jit.store import _sql
from langgraph_jit.store.base import Op, Result, TTLConfig
from langgraph_jit.store.postgres.base import (
    PoolConfig,
    PostgresIndexConfig,
    check_index,
    connect_kwargs,
    is_pool,
)

__all__ = ["AsyncPostgresStore"]


def apsycopg_executor(cur: Any) -> Callable[[int, str, Any], Any]:
    async def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.ALL:
            await cur.execute(sql, params)
            return await cur.fetchall()
        if kind == _sql.MANY:
            if params:
                await cur.executemany(sql, params)
            return None
        await cur.execute(sql, params)
        return None

    return execute


class AsyncPostgresStore(_sql.AsyncSqlStore):
    """`PostgresStore` for asyncio; same tables. Its sync methods may be called from
    other threads than the event loop's."""

    def __init__(
        self,
        conn: Any,
        *,
        pipe: Any = None,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: PostgresIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        check_index(index)
        self.conn = conn
        self.pipe = pipe
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.is_pool = is_pool(conn, "AsyncConnectionPool")
        self.supports_pipeline = pipe is not None
        self._sweeper: _sql.TaskSweeper | None = None
        self._init_core(_sql.POSTGRES, index, ttl, deserializer)

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        pipeline: bool = False,
        pool_config: PoolConfig | None = None,
        index: PostgresIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AsyncPostgresStore]:
        """`async with AsyncPostgresStore.from_conn_string(dsn) as store:`."""
        from psycopg import AsyncConnection
        from psycopg_pool import AsyncConnectionPool

        if pool_config is not None:
            async with AsyncConnectionPool(
                conn_string,
                min_size=pool_config.get("min_size", 1),
                max_size=pool_config.get("max_size"),
                kwargs=connect_kwargs(pool_config),
                open=False,
            ) as pool:
                store = cls(pool, index=index, ttl=ttl)
                try:
                    yield store
                finally:
                    await store.stop_ttl_sweeper()
            return
        # pipeline=True: the connection stays in pipeline mode (see PostgresStore).
        async with (
            await AsyncConnection.connect(conn_string, **connect_kwargs(None, pipeline)) as conn,
            conn.pipeline() if pipeline else nullcontext() as pipe,
        ):
            store = cls(conn, pipe=pipe, index=index, ttl=ttl)
            try:
                yield store
            finally:
                await store.stop_ttl_sweeper()

    async def _arun(self, op: _sql.Batch) -> Any:
        from psycopg.rows import tuple_row

        if self.is_pool:
            async with self.conn.connection() as conn:
                return await self._in_transaction(conn, op, tuple_row)
        async with self.lock:
            return await self._in_transaction(self.conn, op, tuple_row)

    async def _in_transaction(self, conn: Any, op: _sql.Batch, row_factory: Any) -> Any:
        async with conn.transaction(), conn.cursor(row_factory=row_factory) as cur:
            return await _sql.arun(op, apsycopg_executor(cur), self.embeddings)

    async def setup(self) -> None:
        """Create the tables (LangGraph's layout and migration versions). Idempotent."""
        await self._arun(self._core.setup())

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await self._arun(self._core.batch(ops))
