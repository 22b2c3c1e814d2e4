"""`JsonSerializer`: the msgpack serializer's value model written as readable JSON.

Values are encoded exactly as `JsonPlusSerializer` encodes them (same ext types,
same allowlist on load), then written as JSON: ext types become
{"__ext__": code, "data": ...}, bytes {"__bytes__": base64}, maps with
non-string keys {"__map__": [[k, v], ...]}. Tag `"json+ext"`. Slower and
larger than msgpack; use it where people or other tools read the store.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import msgpack

from langgraph_jit.checkpoint.serde import jsonplus
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = ("JSON_TAG", "JsonSerializer")

JSON_TAG = "json+ext"
_MARKERS = frozenset({"__ext__", "__bytes__", "__map__"})


class _Ext:
    __slots__ = ("code", "data")

    def __init__(self, code: int, data: Any) -> None:
        self.code = code
        self.data = data


def _raw_hook(code: int, data: bytes) -> _Ext:
    return _Ext(code, jsonplus._unpack(data, ext_hook=_raw_hook))


def _to_json(x: Any) -> Any:
    if isinstance(x, dict):
        if all(type(k) is str for k in x) and not _MARKERS.intersection(x):
            return {k: _to_json(v) for k, v in x.items()}
        return {"__map__": [[_to_json(k), _to_json(v)] for k, v in x.items()]}
    if isinstance(x, (list, tuple)):
        return [_to_json(v) for v in x]
    if isinstance(x, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(x)).decode("ascii")}
    if isinstance(x, _Ext):
        return {"__ext__": x.code, "data": _to_json(x.data)}
    return x


def _from_json(x: Any) -> Any:
    if isinstance(x, dict):
        if len(x) == 1 and "__bytes__" in x:
            return base64.b64decode(x["__bytes__"])
        if len(x) == 1 and "__map__" in x:
            return {_hashable(_from_json(k)): _from_json(v) for k, v in x["__map__"]}
        if len(x) == 2 and "__ext__" in x and "data" in x:
            return msgpack.ExtType(
                int(x["__ext__"]), msgpack.packb(_from_json(x["data"]), use_bin_type=True)
            )
        return {k: _from_json(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_from_json(v) for v in x]
    return x


def _hashable(x: Any) -> Any:
    return tuple(_hashable(v) for v in x) if isinstance(x, list) else x


class JsonSerializer(JsonPlusSerializer):
    """`JsonPlusSerializer` whose output is JSON text (tag `"json+ext"`); reads its tags too."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        tag, data = super().dumps_typed(obj)
        if tag != "msgpack":
            return tag, data
        tree = jsonplus._unpack(data, ext_hook=_raw_hook)
        return JSON_TAG, json.dumps(
            _to_json(tree), ensure_ascii=False, separators=(",", ":")
        ).encode()

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        tag, payload = data
        if tag == JSON_TAG:
            packed = msgpack.packb(_from_json(json.loads(payload)), use_bin_type=True)
            return super().loads_typed(("msgpack", packed))
        return super().loads_typed(data)
