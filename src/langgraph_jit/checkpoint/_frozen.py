"""A versions_seen map that is cheap to snapshot.

The engine replaces (never mutates) a node's inner map and wraps each in a
read-only MappingProxyType, so a shallow copy of the outer dict is a safe
snapshot. Savers that know this type copy it in O(1) Python work instead of
copying every node's map on every checkpoint.
"""

from __future__ import annotations


class FrozenVersionsSeen(dict):
    """node -> read-only {channel: version}; inner maps never change."""

    __slots__ = ()

    def thawed(self) -> dict:
        return {node: dict(seen) for node, seen in self.items()}


class HandedOverCheckpoint(dict):
    """A checkpoint whose containers were built for this one `put` call and
    are never touched again by the caller, so a saver may keep them as they
    are (the engine passes these; values still go through the serializer)."""

    __slots__ = ()
