"""Checkpoint parts that are cheap to snapshot on every step.

FrozenVersionsSeen: the engine replaces (never mutates) a node's inner map
and wraps each in a read-only MappingProxyType, so a shallow copy of the
outer dict is a safe snapshot. LayeredMap: a shared base plus what changed
since, so a snapshot copies only the changes. HandedOverCheckpoint,
HandedOverMetadata: a checkpoint or metadata the caller never touches again.
Savers opt in to each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class FrozenVersionsSeen(dict[str, Mapping[str, Any]]):
    """node -> read-only {channel: version}; inner maps never change."""

    __slots__ = ()

    def thawed(self) -> dict[str, dict[str, Any]]:
        return {node: dict(seen) for node, seen in self.items()}


class HandedOverCheckpoint(dict[str, Any]):
    """A checkpoint whose containers were built for this one `put` call and
    are never touched again by the caller, so a saver may keep them as they
    are (the engine passes these; values still go through the serializer)."""

    __slots__ = ()


class HandedOverMetadata(dict[str, Any]):
    """Checkpoint metadata already merged with the config of its `put` call (as
    `get_checkpoint_metadata` would), made for this call and never touched again
    by the caller; its values are str/int/float/bool/None or flat dicts of those
    (`parents`), so a saver may keep it and copy it on read instead of
    serializing it."""

    __slots__ = ()


class LayeredMap(Mapping):
    """A read-only map: a shared base dict plus a small dict of newer entries.

    The engine hands these to savers that say `accepts_layered_maps` (the
    in-memory saver), so snapshotting a checkpoint's channel_versions and
    versions_seen costs what changed since the base was last flattened
    instead of the whole graph. Neither dict is mutated after it is handed
    over. Iteration order is that of `{**base, **top}`.
    """

    __slots__ = ("_base", "_top", "_len")

    def __init__(self, base: dict, top: dict) -> None:
        self._base = base
        self._top = top
        self._len = -1  # counted when asked: most snapshots are never read

    def __getitem__(self, key: Any) -> Any:
        top = self._top
        if key in top:
            return top[key]
        return self._base[key]

    def __contains__(self, key: object) -> bool:
        return key in self._top or key in self._base

    def __iter__(self) -> Iterator:
        base = self._base
        yield from base
        for k in self._top:
            if k not in base:
                yield k

    def __len__(self) -> int:
        if self._len < 0:
            base = self._base
            self._len = len(base) + sum(1 for k in self._top if k not in base)
        return self._len

    def materialize(self) -> dict:
        return {**self._base, **self._top}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.materialize() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.materialize())

    def __reduce__(self) -> tuple:
        # Pickled (PersistentDict) as the plain dict it stands for.
        return (dict, (self.materialize(),))
