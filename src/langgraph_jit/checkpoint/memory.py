"""`InMemorySaver`: checkpoints kept in process memory, observably like LangGraph's.

Values and writes are stored serialized (immutable scalars as they are, growing lists as
what each version appended), so later mutation by the caller never reaches a stored checkpoint.
"""

from __future__ import annotations

import logging
import os
import pickle
import random
import shutil
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, ExitStack
from operator import is_, itemgetter
from types import MappingProxyType
from typing import Any

from langgraph_jit.checkpoint._frozen import (
    FrozenVersionsSeen,
    HandedOverCheckpoint,
    HandedOverMetadata,
    LayeredMap,
)
from langgraph_jit.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    OwnPutCapability,
    OwnWritesCapability,
    SerializerProtocol,
    get_checkpoint_metadata,
)
from langgraph_jit.checkpoint.base import OwnPutCapability as _OwnMethods
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = ("InMemorySaver", "MemorySaver", "PersistentDict")

logger = logging.getLogger(__name__)

_EMPTY = ("empty", b"")
_NULL = ("null", b"")  # what the default serializer makes of None
_EMPTY_SEEN: MappingProxyType[str, Any] = MappingProxyType({})
_new_tuple = tuple.__new__

# Stored values the serializer never saw (only with the default serializer,
# whose round trip they survive unchanged), kept as 2-tuples like its output:
# (_VALUE, value): an int, float, bool or ASCII str, immutable, kept as is;
# (_APPENDED, (base, pieces)): a list stored as the serialized list of an
# earlier version (`base`) and what each later version appended (`pieces`,
# serialized lists), so a growing message list is not encoded whole each step.
_VALUE = "value"
_APPENDED = "list+"
# (_NUMBERS, tuple): a list of ints (64-bit), floats and bools, read back as a new list.
_NUMBERS = "numbers"
_NUMBER_TYPES = frozenset((int, float, bool))
_NUMBERS_MAX = 1024  # longer lists are serialized (or stored as appended pieces)
# A list whose serialized form is at least this big is stored as appended
# pieces when it grows; pieces are folded into a new base when they outgrow
# the base or number more than _PIECES_MAX (a read decodes at most ~2x).
_PIECES_FROM = 1024
_PIECES_MAX = 32
# Deferred records of graphs with at most this many channels (nodes) store
# their versions (versions seen) as plain copies rather than layered maps.
_SMALL_MAPS = 16
# (thread, ns, channel) of lists kept for spotting appends, at most.
_LISTS_MAX = 4096
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


def _numbers(value: list) -> tuple | None:
    """`value` as a tuple if it is a short list of numbers the serializer would
    give back unchanged (ints of at most 64 bits, floats, bools), else None."""
    if not value or len(value) > _NUMBERS_MAX or type(value[0]) not in _NUMBER_TYPES:
        return None
    kinds = set(map(type, value))
    if not kinds <= _NUMBER_TYPES:
        return None
    if int in kinds and (
        float in kinds  # (a NaN would hide an out-of-range int from min/max)
        or min(value) < _INT64_MIN
        or max(value) > _UINT64_MAX
    ):
        return None
    return tuple(value)


def _load(blob: tuple[str, Any], loads: Any) -> Any:
    """The value of a stored blob (see _VALUE, _APPENDED, _NUMBERS)."""
    tag = blob[0]
    if tag == _VALUE:
        return blob[1]
    if tag == "null":
        return None
    if tag == _NUMBERS:
        return list(blob[1])
    if tag == _APPENDED:
        base, pieces = blob[1]
        value = loads(base)
        for piece in pieces:
            value += loads(piece)
        return value
    return loads(blob)


def _copy_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A caller's copy of kept metadata (HandedOverMetadata: scalars and flat dicts)."""
    out = dict(metadata)
    for k, v in out.items():
        if type(v) is dict:
            out[k] = v.copy()
    return out


def _copy_skeleton(checkpoint: Mapping[str, Any], *, storing: bool = False) -> dict[str, Any]:
    """Copy a checkpoint without `channel_values`, deep enough to be mutation-proof.

    Everything but `channel_values` is maps/lists of strings and numbers (plus
    legacy `pending_sends`), so two levels of dict copies are enough and much
    cheaper than a serializer round-trip on every superstep.
    """
    if storing and type(checkpoint) is HandedOverCheckpoint:
        handed = dict(checkpoint)
        del handed["channel_values"]
        return handed
    if not storing and type(checkpoint.get("versions_seen")) is LayeredMap:
        return _read_handed_over(checkpoint)
    out: dict[str, Any] = {}
    for key, value in checkpoint.items():
        kind = type(value)
        if kind is str or kind is int:  # v, id, ts
            out[key] = value
            continue
        if key == "channel_values":
            continue
        if key == "versions_seen":
            if storing and kind is FrozenVersionsSeen:
                # The engine's inner maps are read-only and never change.
                value = FrozenVersionsSeen(value)
            else:
                if kind is LayeredMap:
                    value = value.materialize()
                value = {
                    node: seen.copy() if type(seen) in _COPIES_TO_DICT else dict(seen)
                    for node, seen in value.items()
                }
        elif kind is dict or kind is list:
            value = value.copy()
        elif kind is LayeredMap:
            value = value.materialize()
        out[key] = value
    return out


def _read_handed_over(stored: Mapping[str, Any]) -> dict[str, Any]:
    """_copy_skeleton of what put kept of a HandedOverCheckpoint (the engine's
    shape: scalars, layered or plain version maps, read-only inner maps)."""
    out = dict(stored)
    cv = out["channel_versions"]
    out["channel_versions"] = cv.materialize() if type(cv) is LayeredMap else dict(cv)
    layered = out["versions_seen"]
    # {**base, **top}'s order without building it: top's new nodes come last.
    seen_copy = {
        node: seen.copy() if type(seen) in _COPIES_TO_DICT else dict(seen)
        for node, seen in layered._base.items()
    }
    for node, seen in layered._top.items():
        seen_copy[node] = seen.copy() if type(seen) in _COPIES_TO_DICT else dict(seen)
    out["versions_seen"] = seen_copy
    updated = out.get("updated_channels")
    if updated is not None:
        out["updated_channels"] = list(updated)
    pending_sends = out.get("pending_sends")
    if pending_sends is not None:
        out["pending_sends"] = list(pending_sends)
    return out


# Maps whose copy() is a plain dict (a read-only proxy copies the dict it shows).
_COPIES_TO_DICT = (dict, MappingProxyType)


def _config(thread_id: str, checkpoint_ns: str, checkpoint_id: str | None) -> dict | None:
    if not checkpoint_id:
        return None
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
        }
    }


class _ReadsHistory(_OwnMethods):
    """The private `history` op (see BaseCheckpointSaver.reads_history): on the
    class and subclasses that keep its listing and the stored layout it reads."""

    methods = ("list", "alist", "get_tuple", "put", "put_writes")


class _HistoryEntry(tuple):
    """One listed checkpoint as `get_state_history` reads it (the `history`
    op): (thread id, namespace, checkpoint id, parent id, doc, state, values,
    metadata, writes, saver, stored). `doc` (v, id, ts) and `state` (`cv`,
    `vs`: versions and versions seen) are the stored ones, read-only; values,
    metadata and writes are the reader's own. `as_tuple()` is what `list()`
    gives for it. The same attributes as the SQL savers' entries."""

    __slots__ = ()

    thread_id = property(itemgetter(0))
    checkpoint_ns = property(itemgetter(1))
    checkpoint_id = property(itemgetter(2))
    parent_id = property(itemgetter(3))
    doc = property(itemgetter(4))
    values = property(itemgetter(6))
    metadata = property(itemgetter(7))
    writes = property(itemgetter(8))
    state = property(itemgetter(5))

    @property
    def config(self) -> dict | None:
        return _config(self[0], self[1], self[2])

    @property
    def parent_config(self) -> dict | None:
        return _config(self[0], self[1], self[3])

    def as_tuple(self) -> CheckpointTuple:
        return self[9]._tuple(self[0], self[1], self[2], self[10], None, self[7])


class _Versions(tuple):
    """(channel versions, versions seen) of a listed checkpoint: read-only maps."""

    __slots__ = ()

    cv = property(itemgetter(0))
    vs = property(itemgetter(1))


class InMemorySaver(BaseCheckpointSaver[str], AbstractContextManager, AbstractAsyncContextManager):
    """Checkpoint saver backed by dictionaries; for tests, debugging and short-lived apps.

    `storage[thread][ns][checkpoint_id] = (checkpoint without values, metadata, parent id)`,
    `blobs[(thread, ns, channel, version)] = serialized value` (written only for
    the channels in `new_versions`; see _VALUE and _APPENDED for the two other
    forms), and
    `writes[(thread, ns, checkpoint_id)][(task_id, idx)] = (task_id, channel, value, task_path)`.
    Pass `factory=functools.partial(PersistentDict, filename=...)` to persist to a file.
    """

    # Capabilities (see BaseCheckpointSaver): blobs are stored per
    # (channel, version), so only new versions need values; versions_seen
    # may arrive as a FrozenVersionsSeen.
    stores_values_by_version = OwnPutCapability()
    accepts_frozen_versions_seen = OwnPutCapability()

    # channel_versions / versions_seen may arrive as LayeredMaps (kept as
    # they are, materialised on read).
    accepts_layered_maps = OwnPutCapability()

    # metadata may arrive as a HandedOverMetadata (merged with the config,
    # kept as it is with the default serializer, copied on read).
    accepts_handed_over_metadata = OwnPutCapability()

    # aput/aput_writes only call put/put_writes: async runs may call those.
    writes_in_any_thread = OwnWritesCapability()
    # This class's own put/aput/put_writes/aput_writes (see takes_step_puts).
    _own_writes = OwnWritesCapability()

    # get_state_history reads `history` entries (values and versions without
    # the CheckpointTuple and its copied checkpoint dict around them).
    reads_history = _ReadsHistory()

    @property
    def padded_string_versions(self) -> bool:  # type: ignore[override]  # a class flag on the base, per class here
        """Versions are made by this class's get_next_version (not a subclass's)."""
        return type(self).get_next_version is InMemorySaver.get_next_version

    def __init__(
        self,
        *,
        serde: SerializerProtocol | None = None,
        factory: type[defaultdict] = defaultdict,
    ) -> None:
        super().__init__(serde=serde)
        self._storage = factory(lambda: defaultdict(dict))
        self.writes = factory(dict)
        self._blobs = factory()
        # thread -> checkpoints put with put_step_record, not in storage yet
        # (see _store_records); a lock, as runs in other threads append.
        self._deferred: dict[str, list[tuple]] = {}
        self._deferred_lock = threading.Lock()
        # (thread, ns, channel) -> (items, base blob, pieces, bytes of pieces):
        # the last list stored whole or in pieces there (see _list_blob).
        self._lists: dict[tuple[str, str, str], tuple[tuple[Any, ...], Any, tuple, int]] = {}
        # (checkpoint id, items, blob) of the list the engine's last
        # put_step_writes serialized, for the put_step_record of that
        # checkpoint's child in the same batch of saver calls: a list's
        # appended piece that holds the same objects takes the blob (_list_blob).
        self._written_list: tuple[str, tuple[Any, ...], Any] | None = None
        self._written_for: str | None = None  # the record being stored
        self.stack = ExitStack()
        if factory is not defaultdict:
            for store in (self._storage, self.writes, self._blobs):
                # A persistent factory (e.g. PersistentDict) is a context manager.
                self.stack.enter_context(store)  # type: ignore[arg-type]

    # -- the stores (checkpoints put with put_step_record are stored first)

    @property
    def storage(self) -> Any:
        """thread -> namespace -> checkpoint id -> (checkpoint without
        values, metadata, parent id)."""
        self._flush_all()
        return self._storage

    @storage.setter
    def storage(self, value: Any) -> None:
        self._flush_all()
        self._storage = value

    @property
    def blobs(self) -> Any:
        """(thread, namespace, channel, version) -> stored value."""
        self._flush_all()
        return self._blobs

    @blobs.setter
    def blobs(self, value: Any) -> None:
        self._flush_all()
        self._blobs = value

    # -- context management (only meaningful with a persistent factory)

    def __enter__(self) -> InMemorySaver:
        self.stack.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> bool | None:
        self._flush_all()
        return self.stack.__exit__(exc_type, exc_value, traceback)

    async def __aenter__(self) -> InMemorySaver:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> bool | None:
        self._flush_all()
        return self.stack.__exit__(exc_type, exc_value, traceback)

    # -- reading

    def _tuple(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        saved: tuple[dict[str, Any], tuple[str, bytes], str | None],
        config: dict | None = None,
        metadata: Any = None,
    ) -> CheckpointTuple:
        skeleton, metadata_b, parent_id = saved
        checkpoint = _copy_skeleton(skeleton)
        # Walk the copy's versions: the stored ones may be a layered map (slower).
        checkpoint["channel_values"] = self._values(
            thread_id, checkpoint_ns, checkpoint["channel_versions"]
        )
        pending_writes = self._pending_writes(thread_id, checkpoint_ns, checkpoint_id)
        if metadata is None:
            metadata = self._metadata(metadata_b)
        # CheckpointTuple(...) without the namedtuple's Python-level __new__.
        return _new_tuple(
            CheckpointTuple,
            (
                config
                or {
                    "configurable": {
                        "thread_id": thread_id,
                        "checkpoint_ns": checkpoint_ns,
                        "checkpoint_id": checkpoint_id,
                    }
                },
                checkpoint,
                metadata,
                {
                    "configurable": {
                        "thread_id": thread_id,
                        "checkpoint_ns": checkpoint_ns,
                        "checkpoint_id": parent_id,
                    }
                }
                if parent_id
                else None,
                pending_writes,
            ),
        )

    def _values(self, thread_id: str, checkpoint_ns: str, versions: Any) -> dict[str, Any]:
        """The channel values of a checkpoint with these channel versions (a dict)."""
        loads = self.serde.loads_typed
        blobs = self._blobs
        values: dict[str, Any] = {}
        for channel, version in versions.items():
            blob = blobs.get((thread_id, checkpoint_ns, channel, version))
            if blob is not None:
                tag = blob[0]
                if tag == _VALUE:
                    values[channel] = blob[1]
                elif tag != "empty":
                    values[channel] = _load(blob, loads)
        return values

    def _pending_writes(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str
    ) -> list[tuple[str, str, Any]]:
        """The writes saved against a checkpoint, decoded, in replay order."""
        stored = self.writes.get((thread_id, checkpoint_ns, checkpoint_id))
        if not stored:
            return []
        loads = self.serde.loads_typed
        if len(stored) == 1:
            return [
                (task_id, channel, value[1] if value[0] == _VALUE else _load(value, loads))
                for task_id, channel, value, _ in stored.values()
            ]
        keys = sorted(stored)  # (task id, index)
        if keys[0][0] == keys[-1][0]:
            # One task's writes: in index order (its path is the same for all).
            return [
                (task_id, channel, value[1] if value[0] == _VALUE else _load(value, loads))
                for task_id, channel, value, _ in map(stored.__getitem__, keys)
            ]
        # In writes_sort_key's order: (task path, task id, index); keys are unique.
        order = [(w[3], k[0], k[1]) for k, w in stored.items()]
        return [
            (task_id, channel, _load(value, loads))
            for _, (task_id, channel, value, _) in sorted(zip(order, stored.values()))
        ]

    def _metadata(self, stored: Any) -> Any:
        """The caller's copy of stored metadata (kept as is, or serialized)."""
        if type(stored) is HandedOverMetadata:
            return _copy_metadata(stored)
        return self.serde.loads_typed(stored)

    def get_tuple(self, config: dict) -> CheckpointTuple | None:
        """The checkpoint named by `config` (its `checkpoint_id`, else the latest), or None."""
        conf = config["configurable"]
        thread_id: str = conf["thread_id"]
        checkpoint_ns: str = conf.get("checkpoint_ns", "")
        if self._deferred:
            self._flush(thread_id)
        checkpoints = self._storage[thread_id][checkpoint_ns]
        checkpoint_id = conf.get("checkpoint_id")
        if checkpoint_id:
            saved = checkpoints.get(checkpoint_id)
            if saved is None:
                return None
            # LangGraph hands back the caller's config object in this case.
            return self._tuple(thread_id, checkpoint_ns, checkpoint_id, saved, config)
        if not checkpoints:
            return None
        checkpoint_id = max(checkpoints)
        return self._tuple(thread_id, checkpoint_ns, checkpoint_id, checkpoints[checkpoint_id])

    def list(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Matching checkpoints, newest first within each thread and namespace."""
        for thread_id, checkpoint_ns, checkpoint_id, saved, metadata in self._listed(
            config, filter, before, limit
        ):
            yield self._tuple(thread_id, checkpoint_ns, checkpoint_id, saved, None, metadata)

    def _listed(
        self,
        config: dict | None,
        filter: dict[str, Any] | None,
        before: dict | None,
        limit: int | None,
    ) -> Iterator[tuple[str, str, str, Any, Any]]:
        """(thread, ns, id, stored, caller's metadata) of what `list` yields."""
        if config:
            conf = config["configurable"]
            thread_ids: Any = (conf["thread_id"],)
            only_ns = conf.get("checkpoint_ns")
            only_id = conf.get("checkpoint_id")
            if self._deferred:
                self._flush(conf["thread_id"])
        else:
            self._flush_all()
            thread_ids, only_ns, only_id = list(self._storage), None, None
        before_id = before["configurable"].get("checkpoint_id") if before else None
        for thread_id in thread_ids:
            namespaces = self._storage[thread_id]
            for checkpoint_ns in list(namespaces):
                if only_ns is not None and checkpoint_ns != only_ns:
                    continue
                checkpoints = namespaces[checkpoint_ns]
                for checkpoint_id in sorted(checkpoints, reverse=True):
                    if only_id and checkpoint_id != only_id:
                        continue
                    if before_id and checkpoint_id >= before_id:
                        continue
                    saved = checkpoints[checkpoint_id]
                    metadata = self._metadata(saved[1])
                    if filter and not all(
                        metadata.get(key) == value for key, value in filter.items()
                    ):
                        continue
                    if limit is not None:
                        if limit <= 0:
                            return
                        limit -= 1
                    yield thread_id, checkpoint_ns, checkpoint_id, saved, metadata

    def history(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[_HistoryEntry]:
        """`list` without the CheckpointTuples (`reads_history`): the stored
        versions are read where they are, not copied."""
        if config and not filter and limit is None:
            conf = config["configurable"]
            if conf.get("checkpoint_ns") is not None and not conf.get("checkpoint_id"):
                yield from self._namespace_history(conf, before)
                return
        entry = self._history_entry
        for thread_id, checkpoint_ns, checkpoint_id, saved, metadata in self._listed(
            config, filter, before, limit
        ):
            yield entry(thread_id, checkpoint_ns, checkpoint_id, saved, metadata)

    def _history_entry(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, saved: tuple, metadata: Any
    ) -> _HistoryEntry:
        """One `history` entry: the stored checkpoint's versions as plain maps, its
        values and pending writes looked up, its metadata as read."""
        skeleton = saved[0]
        cv = skeleton["channel_versions"]
        if type(cv) is LayeredMap:
            cv = cv.materialize()
        vs = skeleton["versions_seen"]
        if type(vs) is LayeredMap:
            vs = vs.materialize()
        new = tuple.__new__
        return new(
            _HistoryEntry,
            (
                thread_id,
                checkpoint_ns,
                checkpoint_id,
                saved[2],
                skeleton,
                new(_Versions, (cv, vs)),
                self._values(thread_id, checkpoint_ns, cv),
                metadata,
                self._pending_writes(thread_id, checkpoint_ns, checkpoint_id),
                self,
                saved,
            ),
        )

    def _namespace_history(self, conf: dict, before: dict | None) -> Iterator[_HistoryEntry]:
        """`history` of one whole namespace (or all of it before a checkpoint):
        the common case, in one loop."""
        thread_id = conf["thread_id"]
        checkpoint_ns = conf["checkpoint_ns"]
        if self._deferred:
            self._flush(thread_id)
        namespaces = self._storage.get(thread_id)
        checkpoints = namespaces.get(checkpoint_ns) if namespaces else None
        if not checkpoints:
            return
        before_id = before["configurable"].get("checkpoint_id") if before else None
        loads = self.serde.loads_typed
        entry = self._history_entry
        for checkpoint_id in sorted(checkpoints, reverse=True):
            if before_id and checkpoint_id >= before_id:
                continue
            saved = checkpoints[checkpoint_id]
            stored_metadata = saved[1]
            yield entry(
                thread_id,
                checkpoint_ns,
                checkpoint_id,
                saved,
                _copy_metadata(stored_metadata)
                if type(stored_metadata) is HandedOverMetadata
                else loads(stored_metadata),
            )

    # -- writing

    def put(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        """Store `checkpoint` as a child of `config`'s checkpoint; return its config.

        Only channels in `new_versions` get a new blob; others keep pointing at
        the blob of the version they already had.
        """
        conf = config["configurable"]
        thread_id = conf["thread_id"]
        checkpoint_ns = conf.get("checkpoint_ns", "")
        if self._deferred:
            self._flush(thread_id)
        dumps = self.serde.dumps_typed
        plain = self._store_values(
            thread_id, checkpoint_ns, checkpoint["channel_values"], new_versions
        )
        checkpoint_id = checkpoint["id"]
        if type(checkpoint) is HandedOverCheckpoint:
            # _copy_skeleton's first case, inlined (once per step).
            skeleton: Any = dict(checkpoint)
            del skeleton["channel_values"]
        else:
            skeleton = _copy_skeleton(checkpoint, storing=True)
        self._storage[thread_id][checkpoint_ns][checkpoint_id] = (
            skeleton,
            metadata
            if plain and type(metadata) is HandedOverMetadata
            else dumps(get_checkpoint_metadata(config, metadata)),
            conf.get("checkpoint_id"),
        )
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint_id,
            }
        }

    def _store_values(
        self, thread_id: str, checkpoint_ns: str, values: Any, new_versions: ChannelVersions
    ) -> bool:
        """Store the blobs of the channels in `new_versions` (from `values`);
        returns whether the serializer is the default one."""
        serde = self.serde
        dumps = serde.dumps_typed
        # The default serializer: values it would give back unchanged may skip it.
        plain = type(serde) is JsonPlusSerializer
        blobs = self._blobs
        blob: Any
        for channel, version in new_versions.items():
            if channel not in values:
                blob = _EMPTY
            elif plain:
                blob = self._blob((thread_id, checkpoint_ns, channel), values[channel], dumps)
            else:
                blob = dumps(values[channel])
            blobs[(thread_id, checkpoint_ns, channel, version)] = blob
        return plain

    def _blob(self, key: tuple[str, str, str], value: Any, dumps: Any) -> Any:
        """The stored form of channel `key`'s value, with the default serializer."""
        kind = type(value)
        if (
            (kind is int and _INT64_MIN <= value <= _UINT64_MAX)
            or (kind is str and value.isascii())
            or kind is float
            or kind is bool
        ):
            return (_VALUE, value)
        if kind is list:
            numbers = _numbers(value)
            if numbers is not None:
                return (_NUMBERS, numbers)
            return self._list_blob(key, value, dumps)
        return dumps(value)

    @property
    def takes_step_puts(self) -> bool:
        """Whether a run may call `put_step`/`put_step_writes` instead of
        `put`/`put_writes`: this class's own write methods, the default serializer."""
        return self._own_writes and type(self.serde) is JsonPlusSerializer

    def put_step(
        self,
        thread_id: str,
        checkpoint_ns: str,
        parent_id: str | None,
        skeleton: dict[str, Any],
        values: dict[str, Any],
        metadata: HandedOverMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        """The engine's `put` (see takes_step_puts): the checkpoint comes as
        its stored form (without channel_values, built for this call),
        metadata merged with the config, the thread and parent by name.
        Returns what `put` returns."""
        if self._deferred:
            self._flush(thread_id)
        self._store_values(thread_id, checkpoint_ns, values, new_versions)
        checkpoint_id = skeleton["id"]
        self._storage[thread_id][checkpoint_ns][checkpoint_id] = (skeleton, metadata, parent_id)
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint_id,
            }
        }

    def put_step_writes(
        self,
        key: tuple[str, str, str],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> None:
        """The engine's `put_writes` of a node's writes, the checkpoint named by
        `key` (thread, ns, checkpoint id)."""
        stored = self.writes.get(key)
        if stored is None:
            stored = self.writes.setdefault(key, {})
        self._store_writes(stored, writes, task_id, task_path, True, key[2])

    def put_step_record(
        self,
        thread_id: str,
        checkpoint_ns: str,
        parent_id: str,
        checkpoint_id: str,
        ts: str,
        updated: Sequence[int],
        changes: tuple[tuple[Any, Any], ...],
        values: dict[str, Any],
        metadata: tuple[str, int, dict[str, str] | None],
        extras: tuple[tuple[str, Any], ...],
        context: tuple[Sequence[str], Sequence[int], Sequence[int], str],
    ) -> None:
        """The engine's `put` of a checkpoint after its run's first (see
        takes_step_puts): what changed since its parent, stored as a checkpoint
        when the thread is next read (_store_records). The values are stored
        now, so a node that mutates one later does not change this checkpoint.

        `changes`: (node, node id) for a node that saw its triggers' versions
        ((node, None): saw nothing new; (node, map): saw these versions) and
        (channel ids, version number) for channels given a new version, in
        order; `updated`: the ids of the channels updated; `context`: (channel names, trigger pointers and channels per
        node id as in Topology, the versions' suffix); `metadata`: (source, step,
        checkpoint map or None for an empty one), merged with the config's
        `extras` (see HandedOverMetadata) when stored.
        """
        blobs: dict[str, Any] = {}
        self._written_for = parent_id
        for channel, value in values.items():
            kind = type(value)
            if (
                (kind is int and _INT64_MIN <= value <= _UINT64_MAX)
                or (kind is str and value.isascii())
                or kind is float
                or kind is bool
            ):
                blobs[channel] = (_VALUE, value)
            elif value is None:
                blobs[channel] = _NULL
            else:
                blobs[channel] = self._blob(
                    (thread_id, checkpoint_ns, channel), value, self.serde.dumps_typed
                )
        self._written_list = self._written_for = None
        entry = (
            checkpoint_ns,
            parent_id,
            checkpoint_id,
            ts,
            updated,
            changes,
            blobs,
            metadata,
            extras,
            context,
        )
        with self._deferred_lock:
            pending = self._deferred.get(thread_id)
            if pending is None:
                self._deferred[thread_id] = [entry]
            else:
                pending.append(entry)

    async def aput_step_record(
        self,
        thread_id: str,
        checkpoint_ns: str,
        parent_id: str,
        checkpoint_id: str,
        ts: str,
        updated: Sequence[int],
        changes: tuple[tuple[Any, Any], ...],
        values: dict[str, Any],
        metadata: tuple[str, int, dict[str, str] | None],
        extras: tuple[tuple[str, Any], ...],
        context: tuple[Sequence[str], Sequence[int], Sequence[int], str],
    ) -> None:
        self.put_step_record(
            thread_id,
            checkpoint_ns,
            parent_id,
            checkpoint_id,
            ts,
            updated,
            changes,
            values,
            metadata,
            extras,
            context,
        )

    def _flush(self, thread_id: str) -> None:
        """Store the checkpoints of `thread_id` that put_step_record keeps."""
        with self._deferred_lock:
            records = self._deferred.pop(thread_id, None)
            if records:
                self._store_records(thread_id, records)

    def _flush_all(self) -> None:
        deferred = self._deferred
        while deferred:
            self._flush(next(iter(deferred)))

    def _store_records(self, thread_id: str, records: Sequence[tuple]) -> None:
        """Store put_step_record's checkpoints as `put_step` would have: each
        one's versions are its parent's with its changes applied, kept as
        layered maps (a shared base, flattened when the changes outgrow
        ~sqrt of it, plus the changes since), as the engine makes them."""
        namespaces = self._storage[thread_id]
        blobs = self._blobs
        at: Any = None  # (ns, checkpoint id) the maps below are the versions of
        cv: dict[str, Any] = {}
        vs: dict[str, Any] = {}
        cv_base: dict[str, Any] = {}
        cv_top: dict[str, Any] = {}
        vs_base: FrozenVersionsSeen = FrozenVersionsSeen()
        vs_top: dict[str, Any] = {}
        # updated channel ids -> their sorted names, shared by the records (read-only)
        updated_names: dict[Any, list[str]] = {}
        for (
            checkpoint_ns,
            parent_id,
            checkpoint_id,
            ts,
            updated,
            changes,
            values,
            (source, step, parents),
            extras,
            context,
        ) in records:
            names, trig_ptr, trig_chan, suffix = context
            checkpoints = namespaces[checkpoint_ns]
            if at is None or at[1] != parent_id or at[0] != checkpoint_ns:
                stored = checkpoints.get(parent_id)
                if stored is None:
                    # The thread was deleted (or pruned) while a run went on:
                    # its later checkpoints go with it.
                    continue
                parent = stored[0]
                cv = parent["channel_versions"]
                cv = cv.materialize() if type(cv) is LayeredMap else dict(cv)
                vs = parent["versions_seen"]
                vs = vs.materialize() if type(vs) is LayeredMap else dict(vs)
                for node, seen in vs.items():
                    if type(seen) is not MappingProxyType:
                        vs[node] = MappingProxyType(dict(seen))
                cv_base, cv_top = dict(cv), {}
                vs_base, vs_top = FrozenVersionsSeen(vs), {}
            changed: dict[str, str] = {}
            for key, what in changes:
                if type(key) is str:  # versions seen by node `key`
                    if what is None:
                        if key in vs:
                            continue
                        seen = _EMPTY_SEEN
                    elif type(what) is MappingProxyType:
                        seen = what
                    else:  # a node id
                        old = vs.get(key)
                        new = dict(old) if old else {}
                        for slot in range(trig_ptr[what], trig_ptr[what + 1]):
                            name = names[trig_chan[slot]]
                            version = cv.get(name)
                            if version is not None:
                                new[name] = version
                        seen = MappingProxyType(new)
                    vs[key] = seen
                    vs_top[key] = seen
                else:  # channels `key` bumped to version number `what`
                    version = f"{what:032}{suffix}"
                    for c in key:
                        name = names[c]
                        cv[name] = version
                        cv_top[name] = version
                        changed[name] = version
            # A small graph's maps are copied whole: as cheap as the layers,
            # and read (history) without flattening them.
            if len(cv) <= _SMALL_MAPS:
                channel_versions: Any = dict(cv)
            else:
                if len(cv_top) * len(cv_top) > len(cv_base) + 64:
                    cv_base, cv_top = dict(cv), {}
                channel_versions = LayeredMap(cv_base, cv_top.copy())
            if len(vs) <= _SMALL_MAPS:
                versions_seen: Any = FrozenVersionsSeen(vs)
            else:
                if len(vs_top) * len(vs_top) > len(vs_base) + 64:
                    vs_base, vs_top = FrozenVersionsSeen(vs), {}
                versions_seen = LayeredMap(vs_base, vs_top.copy())
            for name, version in changed.items():
                blobs[(thread_id, checkpoint_ns, name, version)] = values.get(name, _EMPTY)
            metadata = HandedOverMetadata(
                source=source, step=step, parents={} if parents is None else parents
            )
            for key, value in extras:
                if key not in metadata:
                    metadata[key] = value
            # (as CheckpointState._updated_names)
            if not updated:
                updated_channels = None
            elif len(updated) == 1:
                updated_channels = [names[updated[0]]]
            else:
                updated_key = tuple(updated)
                updated_channels = updated_names.get(updated_key)
                if updated_channels is None:
                    updated_channels = updated_names[updated_key] = sorted(
                        [names[c] for c in updated]
                    )
            checkpoints[checkpoint_id] = (
                {
                    "v": 4,
                    "id": checkpoint_id,
                    "ts": ts,
                    "channel_versions": channel_versions,
                    "versions_seen": versions_seen,
                    "updated_channels": updated_channels,
                },
                metadata,
                parent_id,
            )
            at = (checkpoint_ns, checkpoint_id)

    async def aput_step(
        self,
        thread_id: str,
        checkpoint_ns: str,
        parent_id: str | None,
        skeleton: dict[str, Any],
        values: dict[str, Any],
        metadata: HandedOverMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        return self.put_step(
            thread_id, checkpoint_ns, parent_id, skeleton, values, metadata, new_versions
        )

    async def aput_step_writes(
        self,
        key: tuple[str, str, str],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> None:
        self.put_step_writes(key, writes, task_id, task_path)

    def _list_blob(self, key: tuple[str, str, str], value: Any, dumps: Any) -> Any:
        """The blob of a list value of channel `key`: what it appended to the
        list stored there last, when that one is big and these are its items
        (the same objects, in order), else the serialized list."""
        lists = self._lists
        known = lists.get(key)
        if known is not None:
            items, base, pieces, piece_bytes = known
            n = len(items)
            if len(value) >= n and all(map(is_, items, value)):
                if len(value) == n:  # nothing appended
                    return (_APPENDED, (base, pieces)) if pieces else base
                appended = value[n:]
                written = self._written_list
                if (
                    written is not None
                    and written[0] == self._written_for
                    and len(written[1]) == len(appended)
                    and all(map(is_, written[1], appended))
                ):
                    # What a node wrote just now (a message list's new messages):
                    # the same objects, serialized moments ago.
                    piece = written[2]
                else:
                    piece = dumps(appended)
                piece_bytes += len(piece[1])
                if (
                    piece[0] == "msgpack"
                    and len(pieces) < _PIECES_MAX
                    and piece_bytes <= len(base[1])
                ):
                    pieces = (*pieces, piece)
                    lists[key] = (tuple(value), base, pieces, piece_bytes)
                    return (_APPENDED, (base, pieces))
        blob = dumps(value)
        if blob[0] == "msgpack" and len(blob[1]) >= _PIECES_FROM:
            if known is None and len(lists) >= _LISTS_MAX:
                lists.clear()
            lists[key] = (tuple(value), blob, (), 0)
        elif known is not None:
            lists.pop(key, None)
        return blob

    def put_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against the checkpoint in `config`.

        Regular writes keep the first value stored for `(task_id, index)` (replays
        are idempotent); special channels (`WRITES_IDX_MAP`) are overwritten.
        """
        conf = config["configurable"]
        key = (conf["thread_id"], conf.get("checkpoint_ns", ""), conf["checkpoint_id"])
        stored = self.writes.get(key)
        if stored is None:
            stored = self.writes.setdefault(key, {})
        self._store_writes(
            stored, writes, task_id, task_path, type(self.serde) is JsonPlusSerializer
        )

    def _store_writes(
        self,
        stored: dict[tuple[str, int], Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
        plain: bool,
        checkpoint_id: str | None = None,
    ) -> None:
        dumps = self.serde.dumps_typed
        self._written_list = None
        for idx, (channel, value) in enumerate(writes):
            write_key = (task_id, WRITES_IDX_MAP.get(channel, idx))
            if write_key[1] >= 0 and write_key in stored:
                continue
            kind = type(value)
            blob: Any = None
            if not plain:
                pass
            elif (
                (kind is int and _INT64_MIN <= value <= _UINT64_MAX)
                or (kind is str and value.isascii())
                or kind is float
                or kind is bool
            ):
                blob = (_VALUE, value)
            elif value is None:
                blob = _NULL
            elif kind is list:
                numbers = _numbers(value)
                if numbers is not None:
                    blob = (_NUMBERS, numbers)
                else:
                    blob = dumps(value)
                    if checkpoint_id is not None:
                        self._written_list = (checkpoint_id, tuple(value), blob)
            stored[write_key] = (
                task_id,
                channel,
                dumps(value) if blob is None else blob,
                task_path,
            )

    def delete_thread(self, thread_id: str) -> None:
        """Remove every checkpoint, blob and write of `thread_id`, in all namespaces."""
        if self._deferred:
            self._flush(thread_id)
        self._storage.pop(thread_id, None)
        for key in [k for k in list(self._lists) if k[0] == thread_id]:
            self._lists.pop(key, None)
        for store in (self.writes, self._blobs):
            for key in [k for k in store if k[0] == thread_id]:
                del store[key]

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Remove the checkpoints (and their writes) whose metadata `run_id` is listed."""
        wanted = {str(r) for r in run_ids}
        if not wanted:
            return
        self._flush_all()
        for thread_id, namespaces in list(self._storage.items()):
            for checkpoint_ns, checkpoints in list(namespaces.items()):
                doomed = [
                    cid
                    for cid, saved in checkpoints.items()
                    if str(self._metadata(saved[1]).get("run_id")) in wanted
                ]
                for cid in doomed:
                    del checkpoints[cid]
                    self.writes.pop((thread_id, checkpoint_ns, cid), None)
                if doomed:
                    self._collect_garbage(thread_id, checkpoint_ns)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and write of one thread to another."""
        src, dst = source_thread_id, target_thread_id
        if self._deferred:
            self._flush(src)
            self._flush(dst)
        for checkpoint_ns, checkpoints in list(self._storage.get(src, {}).items()):
            self._storage[dst][checkpoint_ns].update(checkpoints)
        for store in (self.writes, self._blobs):
            for key in [k for k in store if k[0] == src]:
                value = store[key]
                copied_key = (dst, *key[1:])
                store[copied_key] = dict(value) if isinstance(value, dict) else value

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`keep_latest`: each namespace keeps only its latest checkpoint (now
        parentless), its writes and blobs; `delete`: drop the threads."""
        if isinstance(thread_ids, str):
            raise TypeError("thread_ids must be a sequence of thread IDs, not a str")
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"Unknown prune strategy: {strategy!r}")
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
                continue
            if self._deferred:
                self._flush(thread_id)
            for checkpoint_ns, checkpoints in list(self._storage.get(thread_id, {}).items()):
                if not checkpoints:
                    continue
                keep = max(checkpoints)
                for cid in [c for c in checkpoints if c != keep]:
                    del checkpoints[cid]
                    self.writes.pop((thread_id, checkpoint_ns, cid), None)
                skeleton, metadata, _ = checkpoints[keep]
                checkpoints[keep] = (skeleton, metadata, None)
                self._collect_garbage(thread_id, checkpoint_ns)

    def _collect_garbage(self, thread_id: str, checkpoint_ns: str) -> None:
        """Drop the blobs of (thread, ns) that no remaining checkpoint uses."""
        used = {
            (channel, version)
            for saved in self._storage.get(thread_id, {}).get(checkpoint_ns, {}).values()
            for channel, version in saved[0]["channel_versions"].items()
        }
        for key in [
            k
            for k in self._blobs
            if k[0] == thread_id and k[1] == checkpoint_ns and (k[2], k[3]) not in used
        ]:
            del self._blobs[key]

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        """`"<n+1 zero-padded to 32>.<random fraction>"`; compares correctly as a string."""
        if current is None:
            n = 0
        elif isinstance(current, int):
            n = current
        else:
            n = int(current.split(".", 1)[0])
        return f"{n + 1:032}.{random.random():016}"

    # -- async twins: storage is in memory, so they just call the sync versions

    async def aget_tuple(self, config: dict) -> CheckpointTuple | None:
        return self.get_tuple(config)

    async def alist(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        for found in self.list(config, filter=filter, before=before, limit=limit):
            yield found

    async def aput(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        return self.put_writes(config, writes, task_id, task_path)

    async def aget_delta_channel_history(
        self, *, config: dict, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        return self.get_delta_channel_history(config=config, channels=channels)

    async def adelete_thread(self, thread_id: str) -> None:
        return self.delete_thread(thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        return self.delete_for_runs(run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        return self.copy_thread(source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        return self.prune(thread_ids, strategy=strategy)


MemorySaver = InMemorySaver


class PersistentDict(defaultdict):
    """A defaultdict saved to `filename` (pickle) on `sync()`/`close()`; use as `factory`."""

    def __init__(self, *args: Any, filename: str, **kwargs: Any) -> None:
        self.flag = "c"  # "r": read-only, "c": create, "n": new
        self.mode: int | None = None
        self.format = "pickle"
        self.filename = filename
        super().__init__(*args, **kwargs)

    def sync(self) -> None:
        if self.flag == "r":
            return
        tmp = self.filename + ".tmp"
        try:
            with open(tmp, "wb") as fh:
                self.dump(fh)
        except Exception:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        shutil.move(tmp, self.filename)  # rename is atomic
        if self.mode is not None:
            os.chmod(self.filename, self.mode)

    def close(self) -> None:
        self.sync()
        self.clear()

    def __enter__(self) -> PersistentDict:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def dump(self, fileobj: Any) -> None:
        if self.format != "pickle":
            raise NotImplementedError("Unknown format: " + repr(self.format))
        pickle.dump(dict(self), fileobj, 2)

    def load(self) -> None:
        if self.flag == "n":
            return
        with open(self.filename, "rb") as fh:
            try:
                self.update(pickle.load(fh))
            except EOFError:
                return
            except Exception:
                logger.error("Failed to load file: %s", fh.name)
                raise
