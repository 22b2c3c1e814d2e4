"""The SQL savers' public methods, written once: `SqlSaver` (a blocking client)
and `AsyncSqlSaver` (an asyncio one).

A database's saver names its operations (`ops`: a `_sql_ops.SqlOps`, or a
module with the same functions) and drives them on its client: `_execute`
runs one statement of a read (or a lone write), `_write` a whole op as one
transaction. Runs queue their steps on `write_pipeline`; reads drain it first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import (
    AsyncWritePipeline,
    Calls,
    Namespace,
    WritePipeline,
    read_namespace,
)
from langgraph_jit.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    OwnPutCapability,
    OwnWritesCapability,
)


def put_config(config: dict, checkpoint: Checkpoint) -> dict:
    """The config `put` returns: the stored checkpoint's."""
    conf = config["configurable"]
    return {
        "configurable": {
            "thread_id": conf["thread_id"],
            "checkpoint_ns": conf.get("checkpoint_ns", ""),
            "checkpoint_id": checkpoint["id"],
        }
    }


class SqlSaver(BaseCheckpointSaver[str]):
    """Sync saver methods over `ops`, `_execute` and `_write`."""

    stores_values_by_version = OwnPutCapability()
    accepts_frozen_versions_seen = OwnPutCapability()
    pipelines_writes = OwnWritesCapability()
    reads_history = _sql.ReadsHistory()

    ops: Any
    # Shallow savers keep each namespace's latest checkpoint only.
    shallow = False
    _pipeline: WritePipeline | Any = None
    _aio_error = "This saver has no async methods."

    # -- drivers (the subclass's)

    def _execute(self, kind: int, sql: str, params: Any) -> Any:
        raise NotImplementedError

    def _write(self, op: _sql.Op) -> None:
        raise NotImplementedError

    # -- the write pipeline

    @property
    def write_pipeline(self) -> WritePipeline | None:
        pipeline = self._pipeline
        return pipeline if isinstance(pipeline, WritePipeline) else None

    def _commit_calls(self, calls: Calls) -> None:
        self._write(_sql.coalesced(self._write_steps(calls)))

    def _write_steps(self, calls: Calls) -> _sql.Op:
        if self.shallow:
            return self.ops.write_steps(self.serde, calls, whole=True)
        return self.ops.write_steps(self.serde, calls)

    def _drain(self, namespace: Namespace | None = None) -> None:
        """Wait for queued steps (of `namespace`, if given), so a read sees them."""
        pipeline = self._pipeline
        if pipeline and pipeline.busy:
            pipeline.drain(namespace)

    # -- API

    def get_tuple(self, config: dict) -> CheckpointTuple | None:
        """The checkpoint named by `config` (its `checkpoint_id`, else the latest), or None."""
        self._drain(read_namespace(config))
        return _sql.run(self.ops.get_tuple(self.serde, config), self._execute)

    def list(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Matching checkpoints, newest first."""
        self._drain()
        yield from _sql.drive(
            self.ops.list_(self.serde, config, filter, before, limit), self._execute
        )

    def history(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[_sql.HistoryEntry]:
        """`list` before it makes CheckpointTuples (`reads_history`: what
        get_state_history reads when this class's listing is not overridden)."""
        self._drain()
        op = self.ops.history(self.serde, config, filter, before, limit)
        for page in _sql.drive(op, self._execute):
            yield from page

    def put(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        """Store `checkpoint` (blobs only for `new_versions`) in one transaction; return its config."""
        self._write(self._put(config, checkpoint, metadata, new_versions))
        return put_config(config, checkpoint)

    def _put(self, *args: Any) -> _sql.Op:
        if self.shallow:
            return self.ops.put(self.serde, *args, _whole=True)
        return self.ops.put(self.serde, *args)

    def put_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against `config`'s checkpoint (idempotent)."""
        self._write(self.ops.put_writes(self.serde, config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        self._drain()
        self._write(self.ops.delete_thread(thread_id))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) whose metadata `run_id` is listed."""
        self._drain()
        self._write(self.ops.delete_for_runs(self.serde, run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._drain()
        self._write(self.ops.copy_thread(source_thread_id, target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`keep_latest` (latest checkpoint of each namespace) or `delete` (everything)."""
        ids = _sql.check_prune_args(thread_ids, strategy)
        self._drain()
        if ids:
            self._write(self.ops.prune(self.serde, ids, strategy))

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return _sql.next_version(current)

    # -- async: the database's async saver has them

    async def aget_tuple(self, config: dict) -> CheckpointTuple | None:
        raise NotImplementedError(self._aio_error)

    async def alist(self, config: dict | None, **kwargs: Any) -> AsyncIterator[CheckpointTuple]:
        raise NotImplementedError(self._aio_error)
        yield

    async def aput(self, *args: Any, **kwargs: Any) -> dict:
        raise NotImplementedError(self._aio_error)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(self._aio_error)

    async def adelete_thread(self, thread_id: str) -> None:
        raise NotImplementedError(self._aio_error)


class AsyncSqlSaver(_sql.SyncOverAsync, BaseCheckpointSaver[str]):
    """Async saver methods over `ops`, `_execute` and `_write` (coroutines);
    sync ones from other threads than the saver's loop."""

    stores_values_by_version = OwnPutCapability()
    accepts_frozen_versions_seen = OwnPutCapability()
    pipelines_writes = OwnWritesCapability()

    ops: Any
    shallow = False
    write_pipeline: AsyncWritePipeline

    async def _execute(self, kind: int, sql: str, params: Any) -> Any:
        raise NotImplementedError

    async def _write(self, op: _sql.Op) -> None:
        raise NotImplementedError

    def _write_steps(self, calls: Calls) -> _sql.Op:
        if self.shallow:
            return self.ops.write_steps(self.serde, calls, whole=True)
        return self.ops.write_steps(self.serde, calls)

    async def _commit_calls(self, calls: Calls) -> None:
        await self._write(_sql.coalesced(self._write_steps(calls)))

    async def _drain(self, namespace: Namespace | None = None) -> None:
        """Wait for queued steps (of `namespace`, if given), so a read sees them."""
        if self.write_pipeline.busy:
            await self.write_pipeline.drain(namespace)

    async def aget_tuple(self, config: dict) -> CheckpointTuple | None:
        await self._drain(read_namespace(config))
        return await _sql.arun(self.ops.get_tuple(self.serde, config), self._execute)

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
            self.ops.list_(self.serde, config, filter, before, limit), self._execute
        ):
            yield item

    async def aput(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        await self._write(self._put(config, checkpoint, metadata, new_versions))
        return put_config(config, checkpoint)

    def _put(self, *args: Any) -> _sql.Op:
        if self.shallow:
            return self.ops.put(self.serde, *args, _whole=True)
        return self.ops.put(self.serde, *args)

    async def aput_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._write(self.ops.put_writes(self.serde, config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        await self._drain()
        await self._write(self.ops.delete_thread(thread_id))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self._drain()
        await self._write(self.ops.delete_for_runs(self.serde, run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self._drain()
        await self._write(self.ops.copy_thread(source_thread_id, target_thread_id))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self._drain()
        ids = _sql.check_prune_args(thread_ids, strategy)
        if ids:
            await self._write(self.ops.prune(self.serde, ids, strategy))

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return _sql.next_version(current)
