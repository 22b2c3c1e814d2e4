"""An in-process cache for node results, with per-entry TTL."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit.cache.base import BaseCache, FullKey, Namespace

__all__ = ("InMemoryCache",)


class InMemoryCache(BaseCache):
    def __init__(self, *, serde: Any = None) -> None:
        super().__init__(serde=serde)
        self._cache: dict[Namespace, dict[str, tuple[str, bytes, float | None]]] = {}
        self._lock = threading.RLock()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        now = time.time()
        found: dict[FullKey, Any] = {}
        with self._lock:
            for ns, key in keys:
                entries = self._cache.get(ns)
                if not entries or key not in entries:
                    continue
                tag, data, expiry = entries[key]
                if expiry is not None and now > expiry:
                    del entries[key]
                    continue
                found[(ns, key)] = self.serde.loads_typed((tag, data))
        return found

    def set(self, pairs: Mapping[FullKey, tuple[Any, int | None]]) -> None:
        now = time.time()
        with self._lock:
            for (ns, key), (value, ttl) in pairs.items():
                tag, data = self.serde.dumps_typed(value)
                expiry = now + ttl if ttl is not None else None
                self._cache.setdefault(ns, {})[key] = (tag, data, expiry)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        with self._lock:
            if namespaces is None:
                self._cache.clear()
            else:
                for ns in namespaces:
                    self._cache.pop(ns, None)
