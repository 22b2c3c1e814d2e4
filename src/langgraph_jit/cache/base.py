"""The cache protocol: values stored under (namespace, key) with an optional TTL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

ValueT = TypeVar("ValueT")
Namespace = tuple[str, ...]
FullKey = tuple[Namespace, str]

__all__ = ("BaseCache", "FullKey", "Namespace")


class BaseCache(Generic[ValueT]):
    """Values are serialized with `serde` (msgpack by default), so a cached
    result can never be mutated through the object a node returned."""

    def __init__(self, *, serde: Any = None) -> None:
        from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer

        self.serde = serde or JsonPlusSerializer(pickle_fallback=True)

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        raise NotImplementedError

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        return self.get(keys)

    def set(self, pairs: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        raise NotImplementedError

    async def aset(self, pairs: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        self.set(pairs)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        raise NotImplementedError

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        self.clear(namespaces)
