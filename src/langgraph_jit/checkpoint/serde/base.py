"""The serializer protocol savers depend on, and an adapter for dumps/loads-only serializers."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


class UntypedSerializerProtocol(Protocol):
    """Legacy serializer shape: plain `dumps`/`loads` without a type tag."""

    def dumps(self, obj: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


@runtime_checkable
class SerializerProtocol(Protocol):
    """`dumps_typed(obj) -> (tag, bytes)` and its inverse `loads_typed((tag, bytes))`."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]: ...

    def loads_typed(self, data: tuple[str, bytes]) -> Any: ...


class SerializerCompat(SerializerProtocol):
    """Gives an untyped serializer the typed interface; the tag is the value's type name."""

    def __init__(self, serde: UntypedSerializerProtocol) -> None:
        self.serde = serde

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        return type(obj).__name__, self.serde.dumps(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        return self.serde.loads(data[1])


def maybe_add_typed_methods(serde: Any) -> SerializerProtocol:
    """Return `serde` itself if it is typed, else wrap it in `SerializerCompat`."""
    if isinstance(serde, SerializerProtocol):
        return serde
    return SerializerCompat(serde)


class CipherProtocol(Protocol):
    """Symmetric cipher used by encrypting serializers."""

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]: ...

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes: ...
