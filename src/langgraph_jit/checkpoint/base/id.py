"""Time-ordered (version 6) UUIDs for checkpoint ids, as in `langgraph.checkpoint.base.id`.

Ids made in one process strictly increase, so sorting them sorts checkpoints by creation.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from typing import Any

__all__ = ("UUID", "uuid6", "uuid6_str")

# 100-ns ticks between the Gregorian epoch (UUID v1/v6) and the Unix epoch.
_GREGORIAN_OFFSET = 0x01B21DD213814000
_last_tick = 0
_tick_lock = threading.Lock()

_VARIANT_MASK = 0xC000 << 48
_VARIANT_RFC4122 = 0x8000 << 48
_VERSION_MASK = 0xF000 << 64


class UUID(uuid.UUID):
    """A `uuid.UUID` that also knows the draft versions 6, 7 and 8.

    `UUID(int=..., version=6|7|8)` stamps that version and the RFC 4122 variant
    into the value; `time` decodes the timestamp of those versions.
    """

    __slots__ = ()

    def __init__(
        self,
        hex: str | None = None,
        bytes: bytes | None = None,
        bytes_le: bytes | None = None,
        fields: tuple[int, int, int, int, int, int] | None = None,
        int: int | None = None,
        version: int | None = None,
        *,
        is_safe: uuid.SafeUUID = uuid.SafeUUID.unknown,
    ) -> None:
        only_int = int is not None and hex is None and bytes is None
        only_int = only_int and bytes_le is None and fields is None
        if not only_int or int is None:
            super().__init__(
                hex=hex,
                bytes=bytes,
                bytes_le=bytes_le,
                fields=fields,
                int=int,
                version=version,
                is_safe=is_safe,
            )
            return
        if not 0 <= int < 1 << 128:
            raise ValueError("int is out of range (need a 128-bit value)")
        if version is not None:
            if version not in (6, 7, 8):
                raise ValueError("illegal version number")
            int = (int & ~_VARIANT_MASK) | _VARIANT_RFC4122
            int = (int & ~_VERSION_MASK) | (version << 76)
        super().__init__(int=int, is_safe=is_safe)

    @property
    def subsec(self) -> int:
        """The 20-bit sub-millisecond fraction of a version 8 id."""
        value = self.int
        return ((value >> 64) & 0x0FFF) << 8 | ((value >> 54) & 0xFF)

    @property
    def time(self) -> int:
        value = self.int
        version = self.version
        if version == 6:
            # 60-bit tick count: high 48 bits first, then the low 12 bits.
            return ((value >> 80) << 12) | ((value >> 64) & 0x0FFF)
        if version == 7:
            return value >> 80
        if version == 8:
            return (value >> 80) * 10**6 + _subsec_decode(self.subsec)
        return super().time


def _subsec_decode(value: int) -> int:
    """A 20-bit binary fraction of a millisecond, in nanoseconds (rounded up)."""
    return -(-value * 10**6 // 2**20)


def uuid6(node: int | None = None, clock_seq: int | None = None) -> UUID:
    """A version 6 UUID: time-ordered, strictly increasing within this process.

    `node` (48 bits) and `clock_seq` (14 bits) are random when not given.
    """
    return UUID(int=_uuid6_int(node, clock_seq))


def uuid6_str(clock_seq: int | None = None) -> str:
    """str(uuid6(clock_seq=...)) without building a UUID object (engine hot
    path: one per checkpoint); the fields of `_uuid6_int`, inlined."""
    global _last_tick
    tick = time.time_ns() // 100 + _GREGORIAN_OFFSET
    with _tick_lock:
        if tick <= _last_tick:
            tick = _last_tick + 1
        _last_tick = tick
    if clock_seq is None:
        clock_seq = random.getrandbits(14)
    h = (
        (
            ((tick >> 12) & 0xFFFF_FFFF_FFFF) << 80
            | 0x6 << 76
            | (tick & 0x0FFF) << 64
            | (0x8000 | (clock_seq & 0x3FFF)) << 48
            | random.getrandbits(48)
        )
        .to_bytes(16, "big")
        .hex()
    )
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# checkpoint_uuid6_str: the node drawn once per process (again in a forked
# child), the text of the tick's upper 48 bits made once per 409.6 us.
_node_hex = ""
_upper: list[Any] = [-1, ""]  # (tick >> 12, its text up to the version digit)
_HEX3 = [f"{i:03x}" for i in range(0x1000)]
_clock_seq_hex: dict[int, str] = {}


def _new_node() -> None:
    global _node_hex
    _node_hex = f"-{random.getrandbits(48):012x}"


_new_node()
os.register_at_fork(after_in_child=_new_node)


def checkpoint_uuid6_str(clock_seq: int) -> str:
    """`uuid6_str(clock_seq)` with the node drawn once per process instead of
    per id (a checkpoint per step: ids stay unique, the tick strictly increases
    within a process), built from cached text."""
    global _last_tick
    tick = time.time_ns() // 100 + _GREGORIAN_OFFSET
    with _tick_lock:
        if tick <= _last_tick:
            tick = _last_tick + 1
        _last_tick = tick
    upper = _upper
    high = tick >> 12
    if upper[0] != high:
        upper[1] = f"{(high >> 16) & 0xFFFF_FFFF:08x}-{high & 0xFFFF:04x}-6"
        upper[0] = high
    seq = _clock_seq_hex.get(clock_seq)
    if seq is None:
        seq = f"-{0x8000 | (clock_seq & 0x3FFF):04x}"
        if len(_clock_seq_hex) < 4096:
            _clock_seq_hex[clock_seq] = seq
    return upper[1] + _HEX3[tick & 0x0FFF] + seq + _node_hex


def _uuid6_int(node: int | None, clock_seq: int | None) -> int:
    """The 128-bit value of a fresh version 6 UUID.

    `clock_seq` (14 bits) is stored verbatim, which is how checkpoint ids carry
    the step (`-1` -> `bfff`, `0` -> `8000`). Missing `node`/`clock_seq` are random.
    """
    global _last_tick
    tick = time.time_ns() // 100 + _GREGORIAN_OFFSET
    with _tick_lock:
        if tick <= _last_tick:
            tick = _last_tick + 1
        _last_tick = tick
    if clock_seq is None:
        clock_seq = random.getrandbits(14)
    if node is None:
        node = random.getrandbits(48)
    return (
        ((tick >> 12) & 0xFFFF_FFFF_FFFF) << 80
        | 0x6 << 76  # version
        | (tick & 0x0FFF) << 64
        | 0x2 << 62  # RFC 4122 variant
        | (clock_seq & 0x3FFF) << 48
        | (node & 0xFFFF_FFFF_FFFF)
    )
