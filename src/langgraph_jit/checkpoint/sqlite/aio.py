"""`AsyncSqliteSaver`: the SQLite saver on `aiosqlite`; same storage as `SqliteSaver`.

Sync methods work only from a thread other than the event loop's, as in LangGraph.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import AsyncWritePipeline, Calls
from langgraph_jit.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    OwnPutCapability,
    OwnWritesCapability,
    SerializerProtocol,
)
from langgraph_jit.checkpoint.serde.lz4 import default_store_serde
from langgraph_jit.checkpoint.sqlite import _ops, check_prune_args

try:
    import aiosqlite
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "AsyncSqliteSaver needs aiosqlite: pip install 'langgraph-jit[sqlite]'"
    ) from exc

__all__ = ("AsyncSqliteSaver",)


class AsyncSqliteSaver(_sql.SyncOverAsync, BaseCheckpointSaver[str]):
    """Async checkpoint saver on an `aiosqlite.Connection`."""

    stores_values_by_version = OwnPutCapability()
    accepts_frozen_versions_seen = OwnPutCapability()
    pipelines_writes = OwnWritesCapability()

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

    async def _commit_calls(self, calls: Calls) -> None:
        await self._write(_sql.coalesced(_ops.write_steps(self.serde, calls)))

    async def _drain(self) -> None:
        """Wait for queued steps, so a read sees them."""
        if self.write_pipeline.busy:
            await self.write_pipeline.drain()

    # -- async API

    async def aget_tuple(self, config: dict) -> CheckpointTuple | None:
        await self._drain()
        return await _sql.arun(_ops.get_tuple(self.serde, config), self._execute)

    async def alist(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        await self._drain()
        async for item in _sql.adrive(
            _ops.list_(self.serde, config, filter, before, limit), self._execute
        ):
            yield item

    async def aput(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        await self._write(_ops.put(self.serde, config, checkpoint, metadata, new_versions))
        conf = config["configurable"]
        return {
            "configurable": {
                "thread_id": conf["thread_id"],
                "checkpoint_ns": conf.get("checkpoint_ns", ""),
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._write(_ops.put_writes(self.serde, config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        await self._drain()
        await self._write(_ops.delete_thread(thread_id))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self._drain()
        await self._write(_ops.delete_for_runs(self.serde, run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self._drain()
        await self._write(_ops.copy_thread(source_thread_id, target_thread_id))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self._drain()
        ids = check_prune_args(thread_ids, strategy)
        if ids:
            await self._write(_ops.prune(self.serde, ids, strategy))

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return _sql.next_version(current)
