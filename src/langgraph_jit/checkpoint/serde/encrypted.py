"""`EncryptedSerializer`: any serializer's bytes encrypted with a symmetric cipher,
stored as type "<inner type>+<cipher name>" (LangGraph's format, so either side reads it).
"""

from __future__ import annotations

import os
from typing import Any

from langgraph_jit.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = ("EncryptedSerializer",)

AES_KEY_ENV = "LANGGRAPH_AES_KEY"
# AES in EAX mode writes nonce, then tag, then ciphertext: 16 bytes each for
# the first two (pycryptodome's defaults).
_NONCE_BYTES = 16
_TAG_BYTES = 16
# One default inner serializer, shared (it holds no per-use state).
_DEFAULT_SERDE = JsonPlusSerializer()


class _PycryptodomeAES:
    """CipherProtocol over pycryptodome's AES (EAX mode unless told otherwise)."""

    def __init__(self, key: bytes, options: dict[str, Any]) -> None:
        from Crypto.Cipher import AES  # the `aes` extra

        self._aes = AES
        self._key = key
        self._mode = options.pop("mode", AES.MODE_EAX)
        self._options = options

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        cipher = self._aes.new(self._key, self._mode, **self._options)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return "aes", cipher.nonce + tag + ciphertext

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != "aes":
            raise AssertionError(f"Unsupported cipher: {ciphername}")
        nonce = ciphertext[:_NONCE_BYTES]
        tag = ciphertext[_NONCE_BYTES : _NONCE_BYTES + _TAG_BYTES]
        body = ciphertext[_NONCE_BYTES + _TAG_BYTES :]
        cipher = self._aes.new(self._key, self._mode, nonce=nonce, **self._options)
        plaintext: bytes = cipher.decrypt_and_verify(body, tag)
        return plaintext


class EncryptedSerializer(SerializerProtocol):
    """Serializes with `serde`, then encrypts the bytes with `cipher`.

    Values stored without encryption (a type with no "+cipher" suffix) are
    still read, so a thread can switch to encryption.
    """

    def __init__(self, cipher: CipherProtocol, serde: SerializerProtocol = _DEFAULT_SERDE) -> None:
        self.cipher = cipher
        self.serde = serde

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        type_, data = self.serde.dumps_typed(obj)
        ciphername, ciphertext = self.cipher.encrypt(data)
        return f"{type_}+{ciphername}", ciphertext

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        enc_type, ciphertext = data
        if "+" not in enc_type:
            return self.serde.loads_typed(data)
        type_, ciphername = enc_type.split("+", 1)
        return self.serde.loads_typed((type_, self.cipher.decrypt(ciphername, ciphertext)))

    @classmethod
    def from_pycryptodome_aes(
        cls, serde: SerializerProtocol = _DEFAULT_SERDE, **kwargs: Any
    ) -> EncryptedSerializer:
        """AES (EAX mode by default) with `key=` or the key in the
        LANGGRAPH_AES_KEY environment variable (16, 24 or 32 bytes); other
        keyword arguments go to pycryptodome's `AES.new`."""
        key = kwargs.pop("key", None)
        if key is None:
            env_key = os.getenv(AES_KEY_ENV)
            if env_key is None:
                raise ValueError(f"{AES_KEY_ENV} environment variable is not set.")
            key = env_key.encode()
            if len(key) not in (16, 24, 32):
                raise ValueError(f"{AES_KEY_ENV} must be 16, 24, or 32 bytes long.")
        return cls(_PycryptodomeAES(key, kwargs), serde)
