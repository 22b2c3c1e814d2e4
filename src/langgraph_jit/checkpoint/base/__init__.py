"""Checkpoint data shapes and the `BaseCheckpointSaver` interface, as in `langgraph.checkpoint.base`.

Savers subclass `BaseCheckpointSaver`; the engine only talks to them through it.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Generic, Literal, NamedTuple, TypedDict, TypeVar

from langgraph_jit._constants import EXCLUDED_METADATA_KEYS as _EXCLUDED_METADATA_KEYS
from langgraph_jit.checkpoint.base.id import uuid6
from langgraph_jit.checkpoint.base.id import uuid6_str as uuid6_str  # engine hot path
from langgraph_jit.checkpoint.serde.base import (
    SerializerProtocol,
    maybe_add_typed_methods,
)
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph_jit.checkpoint.serde.types import (
    ERROR,
    INTERRUPT,
    RESUME,
    SCHEDULED,
    ChannelProtocol,
)

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired

__all__ = (
    "ERROR",
    "EXCLUDED_METADATA_KEYS",
    "INTERRUPT",
    "LATEST_VERSION",
    "RESUME",
    "SCHEDULED",
    "WRITES_IDX_MAP",
    "BaseCheckpointSaver",
    "ChannelVersions",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "DeltaChannelHistory",
    "EmptyChannelError",
    "PendingWrite",
    "SerializerProtocol",
    "copy_checkpoint",
    "create_checkpoint",
    "empty_checkpoint",
    "get_checkpoint_id",
    "get_checkpoint_metadata",
    "get_serializable_checkpoint_metadata",
    "uuid6",
    "writes_sort_key",
)

logger = logging.getLogger(__name__)

RunnableConfig = dict  # structural alias; langchain_core is not imported here
V = TypeVar("V", int, float, str)


class OwnPutCapability:
    """A capability a saver class declares for its own `put`/`aput`: it reads
    True on that class and on subclasses that keep both methods, and False
    (LangGraph's plain contract) on a subclass that overrides either, since
    the overriding method never agreed to the faster shapes."""

    methods: tuple[str, ...] = ("put", "aput")

    def __init__(self) -> None:
        # The owner's methods as the class was defined: a method patched later on the
        # owner itself (a test spying on InMemorySaver.aput) counts as overridden too.
        self.originals: tuple[Any, ...] | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.originals = tuple(getattr(owner, m, None) for m in self.methods)

    def __get__(self, saver: object, saver_type: type | None = None) -> bool:
        cls = type(saver) if saver is not None else saver_type
        originals = self.originals
        if cls is None or originals is None:
            return False
        # (A plain loop: read several times per run, a generator costs more.)
        for method, original in zip(self.methods, originals):
            if getattr(cls, method, None) is not original:
                return False
        return True


class OwnWritesCapability(OwnPutCapability):
    """As OwnPutCapability, for all four write methods: a saver whose runs may
    hand their saver calls to its write pipeline instead of calling
    `put`/`put_writes` (a subclass overriding one of them is called as usual)."""

    methods = ("put", "aput", "put_writes", "aput_writes")


class EmptyChannelError(Exception):
    """A channel was read before it held a value."""


PendingWrite = tuple[str, str, Any]
ChannelVersions = dict[str, "str | int | float"]


class CheckpointMetadata(TypedDict, total=False):
    """Metadata stored next to a checkpoint (`source`, `step`, `parents`, ...)."""

    source: Literal["input", "loop", "update", "fork"]
    step: int
    parents: dict[str, str]
    run_id: str
    counters_since_delta_snapshot: dict[str, tuple[int, int]]


class Checkpoint(TypedDict):
    """Channel values and versions of a graph after one superstep."""

    v: int
    id: str
    ts: str
    channel_values: dict[str, Any]
    channel_versions: ChannelVersions
    versions_seen: dict[str, ChannelVersions]
    updated_channels: list[str] | None


class CheckpointTuple(NamedTuple):
    """A stored checkpoint with its config, metadata, parent and pending writes."""

    config: dict
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_config: dict | None = None
    pending_writes: list[PendingWrite] | None = None


class DeltaChannelHistory(TypedDict):
    """One channel's writes along a parent chain, plus the nearest stored value."""

    writes: list[PendingWrite]
    seed: NotRequired[Any]


# Special write channels get fixed negative indices so that they never collide
# with a task's positional writes; savers overwrite them instead of skipping.
WRITES_IDX_MAP = {ERROR: -1, SCHEDULED: -2, INTERRUPT: -3, RESUME: -4}

# A set here, as in LangGraph; the keys are defined once, in _constants.
EXCLUDED_METADATA_KEYS = set(_EXCLUDED_METADATA_KEYS)

# Format version written by this module's (legacy) helpers; the engine writes v4.
LATEST_VERSION = 2


def writes_sort_key(task_path: str, task_id: str = "", idx: int = 0) -> tuple[str, str, int]:
    """Order in which a superstep's stored writes are replayed: path, task id, index."""
    return (task_path, task_id, idx)


# ---------------------------------------------------------------- ids

# uuid6 and friends live in .id (LangGraph's `langgraph.checkpoint.base.id`).


# ---------------------------------------------------------------- checkpoints


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def empty_checkpoint() -> Checkpoint:
    """A fresh checkpoint with no channels (legacy format, as LangGraph's base helper)."""
    return Checkpoint(  # type: ignore[typeddict-unknown-key]
        v=LATEST_VERSION,
        id=str(uuid6(clock_seq=-2)),
        ts=_now_iso(),
        channel_values={},
        channel_versions={},
        versions_seen={},
        pending_sends=[],
        updated_channels=None,
    )


def copy_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """Copy with fresh top-level maps, so updating one doesn't touch the other."""
    return Checkpoint(  # type: ignore[typeddict-unknown-key]
        v=checkpoint["v"],
        ts=checkpoint["ts"],
        id=checkpoint["id"],
        channel_values=checkpoint["channel_values"].copy(),
        channel_versions=checkpoint["channel_versions"].copy(),
        versions_seen={node: seen.copy() for node, seen in checkpoint["versions_seen"].items()},
        pending_sends=list(checkpoint.get("pending_sends", ())),
        updated_channels=checkpoint.get("updated_channels", None),
    )


def create_checkpoint(
    checkpoint: Checkpoint,
    channels: Mapping[str, ChannelProtocol] | None,
    step: int,
    *,
    id: str | None = None,
) -> Checkpoint:
    """Snapshot `channels` (or reuse the stored values when None) into a new checkpoint."""
    if channels is None:
        values = checkpoint["channel_values"]
    else:
        versions = checkpoint["channel_versions"]
        values = {}
        for name, channel in channels.items():
            if name not in versions:
                continue
            with contextlib.suppress(EmptyChannelError):
                values[name] = channel.checkpoint()
    return Checkpoint(  # type: ignore[typeddict-unknown-key]
        v=LATEST_VERSION,
        ts=_now_iso(),
        id=id or str(uuid6(clock_seq=step)),
        channel_values=values,
        channel_versions=checkpoint["channel_versions"],
        versions_seen=checkpoint["versions_seen"],
        pending_sends=checkpoint.get("pending_sends", []),
        updated_channels=None,
    )


def get_checkpoint_id(config: dict) -> str | None:
    """The `checkpoint_id` in `config["configurable"]`, if any."""
    return config["configurable"].get("checkpoint_id")


def get_checkpoint_metadata(config: dict, metadata: CheckpointMetadata) -> CheckpointMetadata:
    """`metadata` plus the scalar user entries of the config's metadata and configurable.

    Keys already present win; keys starting with `__` or in
    `EXCLUDED_METADATA_KEYS` are skipped; NUL characters are removed from strings.
    """
    merged: dict[str, Any] = {
        k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in metadata.items()
    }
    for source in (config.get("metadata"), config.get("configurable")):
        if not source:
            continue
        for key, value in source.items():
            if key in merged or key in EXCLUDED_METADATA_KEYS or key.startswith("__"):
                continue
            if isinstance(value, str):
                merged[key] = value.replace("\x00", "")
            elif isinstance(value, (int, float, bool)):
                merged[key] = value
    return merged  # type: ignore[return-value]


def get_serializable_checkpoint_metadata(
    config: dict, metadata: CheckpointMetadata
) -> CheckpointMetadata:
    """`get_checkpoint_metadata` without the legacy `writes` entry."""
    merged = get_checkpoint_metadata(config, metadata)
    merged.pop("writes", None)  # type: ignore[typeddict-item]
    return merged


# ---------------------------------------------------------------- saver


class BaseCheckpointSaver(Generic[V]):
    """Interface of checkpoint savers; subclasses implement storage.

    Read methods take a config with `configurable.thread_id` (and optionally
    `checkpoint_ns`, `checkpoint_id`). Every method here raises
    `NotImplementedError` except the helpers built on other methods.
    """

    serde: SerializerProtocol = JsonPlusSerializer()

    # What the engine may hand this saver; each default is LangGraph's plain
    # contract, and a saver that declares more (with OwnPutCapability, so a
    # subclass overriding put/aput is back to plain) gets a faster path.
    # put() stores a channel's value per (channel, version), so only the
    # channels in `new_versions` need a value in the checkpoint it is given.
    stores_values_by_version: bool = False
    # checkpoint["versions_seen"] may be a read-only FrozenVersionsSeen.
    accepts_frozen_versions_seen: bool = False
    # channel_versions / versions_seen may be LayeredMaps (shared base + changes).
    accepts_layered_maps: bool = False
    # get_next_version makes InMemorySaver's "<n, 32 digits>.<random fraction>"
    # strings, so the engine may make them itself without calling it.
    padded_string_versions: bool = False
    # Runs may hand their put/put_writes calls to `write_pipeline` (see
    # checkpoint/_pipeline.py) instead of calling the methods one by one.
    pipelines_writes: bool = False
    # aput/aput_writes only call put/put_writes (nothing to await): an async
    # run may call the sync methods from the pool thread that advances it.
    writes_in_any_thread: bool = False
    # `history(config, *, filter, before, limit)` yields the listing's
    # HistoryEntry items (checkpoint/_sql.py): get_state_history reads those.
    reads_history: bool = False

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        self.serde = maybe_add_typed_methods(serde or self.serde)

    @property
    def config_specs(self) -> list:
        return []

    # -- sync

    def get(self, config: dict) -> Checkpoint | None:
        found = self.get_tuple(config)
        return found.checkpoint if found else None

    def get_tuple(self, config: dict) -> CheckpointTuple | None:
        raise NotImplementedError

    def list(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        raise NotImplementedError

    def put(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        raise NotImplementedError

    def put_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        raise NotImplementedError

    def delete_thread(self, thread_id: str) -> None:
        raise NotImplementedError

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        raise NotImplementedError

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        raise NotImplementedError

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        raise NotImplementedError

    # -- async

    async def aget(self, config: dict) -> Checkpoint | None:
        found = await self.aget_tuple(config)
        return found.checkpoint if found else None

    async def aget_tuple(self, config: dict) -> CheckpointTuple | None:
        raise NotImplementedError

    async def alist(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        raise NotImplementedError
        yield  # makes this an async generator, like the subclasses' versions

    async def aput(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        raise NotImplementedError

    async def aput_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        raise NotImplementedError

    async def adelete_thread(self, thread_id: str) -> None:
        raise NotImplementedError

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        raise NotImplementedError

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        raise NotImplementedError

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        raise NotImplementedError

    # -- delta channels (beta)

    def get_delta_channel_history(
        self, *, config: dict, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Writes to `channels` along the parent chain of `config`, oldest first,
        each channel stopping at the nearest ancestor that stored a value (its seed)."""
        if not channels:
            return {}
        walk = _DeltaWalk(channels)
        target = self.get_tuple(config)
        cursor = target.parent_config if target else None
        while cursor is not None and walk.remaining:
            found = self.get_tuple(cursor)
            if found is None:
                break
            walk.visit(found)
            cursor = found.parent_config
        return walk.result()

    async def aget_delta_channel_history(
        self, *, config: dict, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        if not channels:
            return {}
        walk = _DeltaWalk(channels)
        target = await self.aget_tuple(config)
        cursor = target.parent_config if target else None
        while cursor is not None and walk.remaining:
            found = await self.aget_tuple(cursor)
            if found is None:
                break
            walk.visit(found)
            cursor = found.parent_config
        return walk.result()

    # -- versions and serializer

    def get_next_version(self, current: V | None, channel: None) -> V:
        """Next channel version: `1` after None, else `current + 1` (numbers only)."""
        if isinstance(current, str):
            raise NotImplementedError
        if current is None:
            return 1  # type: ignore[return-value]
        return current + 1

    def with_allowlist(
        self, extra_allowlist: Collection[tuple[str, ...]]
    ) -> BaseCheckpointSaver[V]:
        """A shallow copy whose serializer also rebuilds `extra_allowlist` types."""
        widen = getattr(self.serde, "with_msgpack_allowlist", None)
        if widen is None:
            logger.warning(
                "Serializer %s does not support msgpack allowlist. "
                "Strict msgpack deserialization will not be enforced.",
                type(self.serde).__name__,
            )
            return self
        serde = widen(extra_allowlist)
        if serde is self.serde:
            return self
        clone = copy.copy(self)
        clone.serde = maybe_add_typed_methods(serde)
        return clone


class _DeltaWalk:
    """Accumulates per-channel writes (newest first) until each channel finds a seed."""

    __slots__ = ("channels", "remaining", "writes", "seeds")

    def __init__(self, channels: Sequence[str]) -> None:
        self.channels = channels
        self.remaining = set(channels)
        self.writes: dict[str, list[PendingWrite]] = {c: [] for c in channels}
        self.seeds: dict[str, Any] = {}

    def visit(self, found: CheckpointTuple) -> None:
        for write in reversed(found.pending_writes or ()):
            if write[1] in self.remaining:
                self.writes[write[1]].append(write)
        values = found.checkpoint["channel_values"]
        for channel in [c for c in self.remaining if c in values]:
            self.seeds[channel] = values[channel]
            self.remaining.discard(channel)

    def result(self) -> dict[str, DeltaChannelHistory]:
        out: dict[str, DeltaChannelHistory] = {}
        for channel in self.channels:
            entry: DeltaChannelHistory = {"writes": self.writes[channel][::-1]}
            if channel in self.seeds:
                entry["seed"] = self.seeds[channel]
            out[channel] = entry
        return out
