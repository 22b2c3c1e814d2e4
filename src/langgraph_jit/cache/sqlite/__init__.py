"""A node-result cache in an SQLite database (a file, or ":memory:"), with per-entry TTL.

The table layout is LangGraph's (`cache`: ns, key, expiry, encoding, val; a namespace
stored as its parts joined by ","), so one cache file serves either engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit.cache.base import BaseCache, FullKey, Namespace, ValueT

__all__ = ("SqliteCache",)

_CREATE = """CREATE TABLE IF NOT EXISTS cache (
    ns TEXT,
    key TEXT,
    expiry REAL,
    encoding TEXT NOT NULL,
    val BLOB NOT NULL,
    PRIMARY KEY (ns, key)
)"""
# Keys per SELECT: two bound parameters each, well under SQLite's 999-variable floor.
_KEYS_PER_QUERY = 400


def _ns_text(namespace: Namespace) -> str:
    return ",".join(namespace)


class SqliteCache(BaseCache[ValueT]):
    """Cached values live in one SQLite connection shared by all threads (behind a lock);
    the async methods run the sync ones in a worker thread."""

    def __init__(self, *, path: str, serde: Any = None) -> None:
        super().__init__(serde=serde)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False)
        with self._lock, self._conn:
            # WAL lets readers of a cache file run while another process writes
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_CREATE)

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        if not keys:
            return {}
        # rows come back by their stored text: map them to the keys as asked
        asked = {(_ns_text(ns), key): (ns, key) for ns, key in keys}
        wanted = list(asked)
        found: dict[FullKey, ValueT] = {}
        expired: list[tuple[str, str]] = []
        now = time.time()
        with self._lock, self._conn:
            for start in range(0, len(wanted), _KEYS_PER_QUERY):
                chunk = wanted[start : start + _KEYS_PER_QUERY]
                marks = ",".join("(?, ?)" for _ in chunk)
                rows = self._conn.execute(
                    "SELECT ns, key, expiry, encoding, val FROM cache "
                    f"WHERE (ns, key) IN ({marks})",
                    [part for pair in chunk for part in pair],
                ).fetchall()
                for ns, key, expiry, encoding, data in rows:
                    if expiry is not None and now > expiry:
                        expired.append((ns, key))
                        continue
                    found[asked[(ns, key)]] = self.serde.loads_typed((encoding, data))
            if expired:
                self._conn.executemany("DELETE FROM cache WHERE ns = ? AND key = ?", expired)
        return found

    def set(self, pairs: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        now = time.time()
        rows = []
        for (ns, key), (value, ttl) in pairs.items():
            encoding, data = self.serde.dumps_typed(value)
            rows.append((_ns_text(ns), key, now + ttl if ttl is not None else None, encoding, data))
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO cache (ns, key, expiry, encoding, val) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        with self._lock, self._conn:
            if namespaces is None:
                self._conn.execute("DELETE FROM cache")
            else:
                self._conn.executemany(
                    "DELETE FROM cache WHERE ns = ?", [(_ns_text(ns),) for ns in namespaces]
                )

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        return await asyncio.to_thread(self.get, keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        await asyncio.to_thread(self.set, pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        await asyncio.to_thread(self.clear, namespaces)

    def close(self) -> None:
        """Close the database connection; the cache is unusable after."""
        with self._lock:
            self._conn.close()

    def __del__(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            # at interpreter shutdown there is no one to report a failure to
            with contextlib.suppress(Exception):
                conn.close()
