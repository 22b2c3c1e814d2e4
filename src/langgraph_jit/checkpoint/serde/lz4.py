"""`CompressedSerializer`: any serializer's bytes, lz4-compressed when large; the tag says so.

A compressed value is tagged `"<inner tag>+lz4"` (as LangGraph tags encrypted
ones `"msgpack+aes"`); smaller values and other tags pass through unchanged,
so stores mixing both load fine. The `lz4` package is optional (`[lz4]` extra).
"""

from __future__ import annotations

from typing import Any

from langgraph_jit.checkpoint.serde.base import SerializerProtocol, maybe_add_typed_methods
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = ("DEFAULT_MIN_SIZE", "LZ4_SUFFIX", "CompressedSerializer", "default_store_serde")

LZ4_SUFFIX = "+lz4"

# lz4 block compression costs ~0.6 µs at 300 B and ~4.5 µs at 23 KB and cuts
# message-like msgpack 2.5-13x (README, "Checkpoint storage"); below a few
# hundred bytes the 4-byte size header and the call are not worth it.
DEFAULT_MIN_SIZE = 512


def _lz4_block() -> Any:
    try:
        import lz4.block
    except ImportError as exc:
        raise ImportError(
            "This value was stored lz4-compressed; install lz4 to read it: pip install 'langgraph-jit[lz4]'"
        ) from exc
    return lz4.block


class CompressedSerializer(SerializerProtocol):
    """Wraps `serde` (default `JsonPlusSerializer()`); compresses payloads of at least `min_size` bytes."""

    def __init__(
        self, serde: SerializerProtocol | None = None, *, min_size: int = DEFAULT_MIN_SIZE
    ) -> None:
        self.serde = maybe_add_typed_methods(serde or JsonPlusSerializer())
        self.min_size = min_size
        try:
            import lz4.block as block
        except ImportError:  # without lz4 we write uncompressed values
            block = None
        self._block = block

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        tag, data = self.serde.dumps_typed(obj)
        if self._block is None or data is None or len(data) < self.min_size:
            return tag, data
        return tag + LZ4_SUFFIX, self._block.compress(data)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        tag, payload = data
        if tag.endswith(LZ4_SUFFIX):
            block = self._block or _lz4_block()
            return self.serde.loads_typed((tag[: -len(LZ4_SUFFIX)], block.decompress(payload)))
        return self.serde.loads_typed(data)

    def with_msgpack_allowlist(self, extra_allowlist: Any) -> CompressedSerializer:
        widen = getattr(self.serde, "with_msgpack_allowlist", None)
        inner = widen(extra_allowlist) if widen else self.serde
        if inner is self.serde:
            return self
        return CompressedSerializer(inner, min_size=self.min_size)


def default_store_serde() -> SerializerProtocol:
    """The SQLite savers' default: msgpack, lz4-compressed when lz4 is installed."""
    try:
        import lz4.block  # noqa: F401
    except ImportError:
        return JsonPlusSerializer()
    return CompressedSerializer()
