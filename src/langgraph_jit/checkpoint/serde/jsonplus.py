"""`JsonPlusSerializer`: msgpack with LangGraph's ext-type wire format.

Bytes written here load with LangGraph's serializer and vice versa; decoding only rebuilds allowed classes.
Packing and unpacking use `ormsgpack` when it is installed (LangGraph's own codec: plain values,
tuples and str/int/dict/list subclasses are packed in C with the same options LangGraph passes,
so they come out byte for byte as LangGraph writes them), else the `msgpack` C extension.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import importlib
import json
import logging
import pathlib
import pickle
import re
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from typing import Any, Literal, TypeAlias, cast

import msgpack

try:
    import ormsgpack
except ImportError:  # optional: the `msgpack` C extension does the same, a little slower
    ormsgpack = None  # type: ignore[assignment]

from langgraph_jit.checkpoint.serde.base import SerializerProtocol
from langgraph_jit.checkpoint.serde.types import _DeltaSnapshot

__all__ = (
    "EXT_CONSTRUCTOR_KW_ARGS",
    "EXT_CONSTRUCTOR_POS_ARGS",
    "EXT_CONSTRUCTOR_SINGLE_ARG",
    "EXT_DELTA_SNAPSHOT",
    "EXT_METHOD_SINGLE_ARG",
    "EXT_NUMPY_ARRAY",
    "EXT_PYDANTIC_V1",
    "EXT_PYDANTIC_V2",
    "SAFE_MSGPACK_METHODS",
    "SAFE_MSGPACK_TYPES",
    "InvalidModuleError",
    "JsonPlusSerializer",
)

logger = logging.getLogger(__name__)

EXT_CONSTRUCTOR_SINGLE_ARG = 0
EXT_CONSTRUCTOR_POS_ARGS = 1
EXT_CONSTRUCTOR_KW_ARGS = 2
EXT_METHOD_SINGLE_ARG = 3
EXT_PYDANTIC_V1 = 4
EXT_PYDANTIC_V2 = 5
EXT_NUMPY_ARRAY = 6
EXT_DELTA_SNAPSHOT = 7

_LANGCHAIN_MESSAGE_TYPES = [
    ("base", "BaseMessage"),
    ("base", "BaseMessageChunk"),
    ("human", "HumanMessage"),
    ("human", "HumanMessageChunk"),
    ("ai", "AIMessage"),
    ("ai", "AIMessageChunk"),
    ("system", "SystemMessage"),
    ("system", "SystemMessageChunk"),
    ("chat", "ChatMessage"),
    ("chat", "ChatMessageChunk"),
    ("tool", "ToolMessage"),
    ("tool", "ToolMessageChunk"),
    ("function", "FunctionMessage"),
    ("function", "FunctionMessageChunk"),
    ("modifier", "RemoveMessage"),
]

# (module, name) pairs any serializer may rebuild without being told to.
# The names are those written on the wire, so they match LangGraph's list.
SAFE_MSGPACK_TYPES: frozenset[tuple[str, ...]] = frozenset(
    [
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("uuid", "UUID"),
        ("decimal", "Decimal"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("collections", "deque"),
        ("zoneinfo", "ZoneInfo"),
        ("re", "compile"),
        ("langchain_core.documents.base", "Document"),
        ("langgraph.store.base", "Item"),
        ("langgraph.store.base", "GetOp"),
    ]
    + [
        ("ipaddress", f"IPv{v}{kind}")
        for v in (4, 6)
        for kind in ("Address", "Interface", "Network")
    ]
    + [
        (mod, f"{kind}Path")
        for mod in ("pathlib", "pathlib._local")
        for kind in ("", "Posix", "Windows")
    ]
    + [(f"langchain_core.messages.{m}", n) for m, n in _LANGCHAIN_MESSAGE_TYPES]
    + [
        ("langgraph.types", n)
        for n in (
            "Send",
            "TimeoutPolicy",
            "Interrupt",
            "Command",
            "StateSnapshot",
            "PregelTask",
            "Overwrite",
        )
    ]
)

# The only (module, name, method) calls EXT_METHOD_SINGLE_ARG may perform.
SAFE_MSGPACK_METHODS: frozenset[tuple[str, str, str]] = frozenset(
    {("datetime", "datetime", "fromisoformat")}
)

# Modules whose classes we look up in our own package first, because our
# classes present LangGraph's module path on the wire.
_OWN_MODULE_FOR = {
    "langgraph.types": "langgraph_jit.types",
    "langgraph.store.base": "langgraph_jit.store.base",
}

AllowedMsgpackModules = Iterable["tuple[str, ...] | type"]


class InvalidModuleError(Exception):
    """Raised when a legacy JSON constructor names a class outside the allowlist."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- encoding

_Ext: TypeAlias = msgpack.ExtType

# Classes this process has itself serialized, by their wire name. Rebuilding
# one of these on load is safe: an attacker who can write stored bytes can only
# name classes the application already chose to persist.
_ENCODED_CLASSES: dict[tuple[str, str], type] = {}

# type -> function turning an instance into something msgpack can pack.
_ENCODERS: dict[type, Callable[[Any], Any]] = {}
# pydantic model -> [module, name, field count, misses in a row, hook for nested
# models or None]: the models `_default` packs straight from their fields
# (`_pydantic_v2_encoder`).
_DIRECT: dict[type, list[Any]] = {}
_MAX_CACHED_TYPES = 10_000


_PACK_OPTIONS = dict(use_bin_type=True, strict_types=True, datetime=False)
_local = threading.local()


def _msgpack_pack(obj: Any) -> bytes:
    """msgpack bytes of `obj`, with a Packer taken from this thread's pool.

    Building a Packer costs more than packing a small payload, and ext
    encoders pack their payload while an outer pack is in progress, so each
    nesting level takes its own Packer from the pool and returns it after.
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = []
    packer = pool.pop() if pool else msgpack.Packer(default=_default, **_PACK_OPTIONS)
    try:
        out = packer.pack(obj)
    except UnicodeEncodeError:
        # Lone surrogates: replace them, like ormsgpack's OPT_REPLACE_SURROGATES.
        return msgpack.packb(obj, default=_default, unicode_errors="replace", **_PACK_OPTIONS)
    # On any other error the packer is dropped, not reused in an unknown state.
    pool.append(packer)
    return out


def _msgpack_new_ext(code: int, data: bytes) -> Any:
    # ExtType's constructor re-checks argument types we already know.
    return tuple.__new__(_Ext, (code, data))


def _default(obj: Any) -> Any:
    cls = type(obj)
    direct = _DIRECT.get(cls)
    if direct is not None:
        # A pydantic model packed from its fields (see `_pydantic_v2_encoder`): the
        # hot path of message lists, kept inline.
        fields = obj.__dict__
        extra = obj.__pydantic_extra__
        if extra:
            fields = {**fields, **extra}
        elif len(fields) != direct[2]:
            return _enc_pydantic_v2(obj)
        try:
            data = _packb(
                (direct[0], direct[1], fields, "model_validate_json"),
                default=direct[4],
                option=_PLAIN_OPTIONS,
            )
        except TypeError:
            return _direct_missed(cls, obj)
        if direct[3]:
            direct[3] = 0
        return _new_ext(EXT_PYDANTIC_V2, data)
    encoder = _ENCODERS.get(cls)
    if encoder is None:
        encoder = _pick_encoder(cls, obj)
        if len(_ENCODERS) < _MAX_CACHED_TYPES:
            _ENCODERS[cls] = encoder
    return encoder(obj)


if ormsgpack is not None:
    # LangGraph's options: whatever ormsgpack packs natively with them is packed the
    # way LangGraph packs it; dataclasses, datetimes, enums and UUIDs come to `_default`.
    _ORMSGPACK_OPTIONS = (
        ormsgpack.OPT_NON_STR_KEYS
        | ormsgpack.OPT_PASSTHROUGH_DATACLASS
        | ormsgpack.OPT_PASSTHROUGH_DATETIME
        | ormsgpack.OPT_PASSTHROUGH_ENUM
        | ormsgpack.OPT_PASSTHROUGH_UUID
        | ormsgpack.OPT_REPLACE_SURROGATES
    )
    # msgpack bytes of a value in LangGraph's wire format (a partial: no Python frame).
    _pack: Callable[[Any], bytes] = functools.partial(
        ormsgpack.packb, default=_default, option=_ORMSGPACK_OPTIONS
    )
    _new_ext: Callable[[int, bytes], Any] = ormsgpack.Ext
    # `_default` packs a `_DIRECT` model's fields with these: without `_default`, so
    # anything ormsgpack does not pack itself raises TypeError.
    _PLAIN_PACKING = True
    _packb: Callable[..., bytes] = ormsgpack.packb
    _PLAIN_OPTIONS = _ORMSGPACK_OPTIONS
else:  # pragma: no cover - exercised by the no-ormsgpack test in a subprocess
    _pack = _msgpack_pack
    _new_ext = _msgpack_new_ext
    _PLAIN_PACKING = False  # `_DIRECT` stays empty, so `_default` never calls `_packb`
    _packb = msgpack.packb
    _PLAIN_OPTIONS = 0


def _wire_name(cls: type) -> tuple[str, str]:
    return cls.__module__, cls.__name__


def _remember(cls: type) -> None:
    if len(_ENCODED_CLASSES) < _MAX_CACHED_TYPES:
        _ENCODED_CLASSES[_wire_name(cls)] = cls


def register_schema_classes(classes: Iterable[type]) -> None:
    """Let loading rebuild these classes, as if this process had serialized them:
    the application declared them in a graph's schemas, so it chose to persist them."""
    for cls in classes:
        _remember(cls)


def _ext(code: int, cls: type, payload: Any) -> _Ext:
    module, name = _wire_name(cls)
    return _new_ext(code, _pack([module, name, payload]))


def _enc_delta(obj: Any) -> _Ext:
    return _new_ext(EXT_DELTA_SNAPSHOT, _pack(obj.value))


def _enc_pydantic_v2(obj: Any) -> _Ext:
    module, name = _wire_name(type(obj))
    return _new_ext(EXT_PYDANTIC_V2, _pack([module, name, obj.model_dump(), "model_validate_json"]))


# A model whose fields fall back to `model_dump` this many times in a row (say a
# state holding nested models) stops trying the direct path.
_MAX_DIRECT_MISSES = 16


def _pydantic_v2_encoder(cls: type) -> Callable[[Any], Any]:
    """The encoder for instances of the pydantic v2 model `cls`.

    `model_dump()` builds a dict of the field values, with nested models,
    dataclasses and the like turned into dicts. When the fields hold only what
    ormsgpack packs itself (str, numbers, lists, tuples, plain dicts: a langchain
    message's content, tool calls and metadata), that dict equals the instance's
    `__dict__` (plus its extras), which can be packed as is, in C, to the same
    bytes. Such classes go in `_DIRECT`, which `_default` tries first; anything
    else in an instance's fields makes the direct pack raise, and that instance
    goes through `model_dump` as LangGraph does. Nested models of the classes
    the schema declares are packed from their fields too (`_nested_fields`).
    """
    if _PLAIN_PACKING and _dumps_its_fields(cls) and len(_DIRECT) < _MAX_CACHED_TYPES:
        module, name = _wire_name(cls)
        nested = _nested_fields(cls)
        _DIRECT[cls] = [module, name, len(cls.model_fields), 0, nested]  # type: ignore[attr-defined]
    return _enc_pydantic_v2


def _nested_fields(cls: Any) -> Callable[[Any], Any] | None:
    """For a model whose fields declare other models: the `default` hook that gives
    such a nested model's fields, as `model_dump` does (None: the direct pack of `cls`
    takes no nested model).

    `model_dump` serializes a nested model by the class its field declares, so a
    subclass instance gives only the declared class's fields; such instances must
    not be packed from their own fields. Hence only the declared classes are taken,
    and only when none of them derives from another; any other value raises, and
    the instance goes through `model_dump`.
    """
    declared: dict[type, int] = {cls: len(cls.model_fields)}  # it may nest its own class
    _collect_models(cls.__pydantic_core_schema__, declared)
    if any(not _dumps_its_fields(m) for m in declared):
        return None
    if any(a is not b and issubclass(a, b) for a in declared for b in declared):
        return None

    def fields_of(obj: Any) -> Any:
        n_fields = declared.get(type(obj))
        if n_fields is None:
            raise TypeError("not a declared model")
        fields = obj.__dict__
        extra = obj.__pydantic_extra__
        if extra:
            return {**fields, **extra}
        if len(fields) != n_fields:
            raise TypeError("missing fields")
        return fields

    return fields_of


def _collect_models(schema: Any, into: dict[type, int]) -> None:
    """The model classes a core schema declares (its "model" nodes), with their field counts."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            model = node.get("cls") if node.get("type") == "model" else None
            if isinstance(model, type) and model not in into:
                into[model] = len(getattr(model, "model_fields", ()))
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def _direct_missed(cls: type, obj: Any) -> Any:
    spec = _DIRECT.get(cls)
    if spec is not None:
        spec[3] += 1
        if spec[3] >= _MAX_DIRECT_MISSES:
            _DIRECT.pop(cls, None)
    return _enc_pydantic_v2(obj)


def _dumps_its_fields(model: type) -> bool:
    """Whether an instance's `model_dump()` is its `__dict__` and extras whenever these hold
    plain values: pydantic's own `model_dump`, and no custom serializers, excluded or
    computed fields, serialization aliases or root model."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not issubclass(model, pydantic.BaseModel):
        return False
    cls: Any = model
    try:
        if (
            cls.model_dump is not pydantic.BaseModel.model_dump
            or getattr(cls, "__pydantic_root_model__", False)
            or cls.model_computed_fields
            or cls.model_config.get("serialize_by_alias")
            or any(
                f.exclude or getattr(f, "exclude_if", None) is not None
                for f in cls.model_fields.values()
            )
        ):
            return False
        decorators = cls.__pydantic_decorators__
        if decorators.field_serializers or decorators.model_serializers:
            return False
        return not _declares_serialization(cls.__pydantic_core_schema__)
    except Exception:  # anything unexpected about the class: the general path
        return False


# Core-schema keys by which a schema changes what `model_dump` gives: a custom
# serializer (`PlainSerializer`, `field_serializer`, ...), excluded or aliased fields
# (also of TypedDicts and dataclasses a model nests), computed fields.
_SERIALIZATION_KEYS = (
    "serialization",
    "serialization_exclude",
    "serialization_exclude_if",
    "serialization_alias",
    "computed_fields",
)


def _declares_serialization(schema: Any) -> bool:
    """Whether a dict anywhere in the core schema `schema` sets one of `_SERIALIZATION_KEYS`."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(node.get(key) for key in _SERIALIZATION_KEYS):
                return True
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def _enc_secret(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_SINGLE_ARG, type(obj), obj.get_secret_value())


def _enc_pydantic_v1(obj: Any) -> _Ext:
    return _ext(EXT_PYDANTIC_V1, type(obj), obj.dict())


def _enc_namedtuple(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_KW_ARGS, type(obj), obj._asdict())


def _enc_path(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_POS_ARGS, type(obj), obj.parts)


def _enc_pattern(obj: Any) -> _Ext:
    return _new_ext(EXT_CONSTRUCTOR_POS_ARGS, _pack(("re", "compile", (obj.pattern, obj.flags))))


def _enc_uuid(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_SINGLE_ARG, type(obj), obj.hex)


def _enc_str_arg(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_SINGLE_ARG, type(obj), str(obj))


def _enc_collection(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_SINGLE_ARG, type(obj), tuple(obj))


def _enc_datetime(obj: Any) -> _Ext:
    module, name = _wire_name(type(obj))
    return _new_ext(EXT_METHOD_SINGLE_ARG, _pack((module, name, obj.isoformat(), "fromisoformat")))


def _enc_timedelta(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_POS_ARGS, type(obj), (obj.days, obj.seconds, obj.microseconds))


def _enc_date(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_POS_ARGS, type(obj), (obj.year, obj.month, obj.day))


def _enc_time(obj: Any) -> _Ext:
    fields = {
        "hour": obj.hour,
        "minute": obj.minute,
        "second": obj.second,
        "microsecond": obj.microsecond,
        "tzinfo": obj.tzinfo,
        "fold": obj.fold,
    }
    return _ext(EXT_CONSTRUCTOR_KW_ARGS, type(obj), fields)


def _enc_timezone(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_POS_ARGS, type(obj), obj.__getinitargs__())


def _enc_zoneinfo(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_SINGLE_ARG, type(obj), obj.key)


def _enc_enum(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_SINGLE_ARG, type(obj), obj.value)


def _enc_send(obj: Any) -> _Ext:
    timeout = getattr(obj, "timeout", None)
    args = (obj.node, obj.arg) if timeout is None else (obj.node, obj.arg, timeout)
    return _ext(EXT_CONSTRUCTOR_POS_ARGS, type(obj), args)


def _dataclass_encoder(cls: type) -> Callable[[Any], Any]:
    # Shallow on purpose: nested values go through `_default` themselves.
    module, name = _wire_name(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))

    def encode(obj: Any) -> Any:
        fields = {n: getattr(obj, n) for n in names}
        return _new_ext(EXT_CONSTRUCTOR_KW_ARGS, _pack((module, name, fields)))

    return encode


def _enc_slots(obj: Any) -> _Ext:
    return _ext(EXT_CONSTRUCTOR_KW_ARGS, type(obj), {k: getattr(obj, k) for k in obj.__slots__})


def _enc_ndarray(obj: Any) -> _Ext:
    flags = obj.flags
    if flags.c_contiguous:
        # packed straight from the array's memory, without a bytes copy first
        with memoryview(obj) as view:
            return _new_ext(EXT_NUMPY_ARRAY, _pack((obj.dtype.str, obj.shape, "C", view)))
    order = "F" if flags.f_contiguous else "C"
    payload = (obj.dtype.str, obj.shape, order, obj.tobytes(order="A"))
    return _new_ext(EXT_NUMPY_ARRAY, _pack(payload))


def _enc_exception(obj: Any) -> str:
    return repr(obj)


def _as_list(obj: Any) -> list:
    return list(obj)


def _as_str(obj: Any) -> str:
    return str.__str__(obj)


def _as_int(obj: Any) -> int:
    return int.__index__(obj)


def _as_dict(obj: Any) -> dict:
    return dict(obj)


def _has_method(obj: Any, name: str) -> bool:
    return callable(getattr(obj, name, None))


def _unsupported(obj: Any) -> Any:
    raise TypeError(f"Type is not msgpack serializable: {type(obj).__name__}")


def _pick_encoder(cls: type, obj: Any) -> Callable[[Any], Any]:
    """Choose how to encode instances of `cls`, in LangGraph's precedence order."""
    if cls is tuple:
        return _as_list
    if cls is _DeltaSnapshot:
        return _enc_delta
    if not issubclass(cls, Enum):
        # ormsgpack packs subclasses of these natively; we mirror that.
        if issubclass(cls, str):
            return _as_str
        if issubclass(cls, int):
            return _as_int
        if issubclass(cls, dict):
            return _as_dict
        if issubclass(cls, list):
            return _as_list
        if issubclass(cls, float):
            return _unsupported
    if _has_method(obj, "model_dump"):
        _remember(cls)
        return _pydantic_v2_encoder(cls)
    if _has_method(obj, "get_secret_value"):
        _remember(cls)
        return _enc_secret
    if _has_method(obj, "dict"):
        _remember(cls)
        return _enc_pydantic_v1
    if _has_method(obj, "_asdict"):
        _remember(cls)
        return _enc_namedtuple
    if issubclass(cls, pathlib.Path):
        return _enc_path
    if issubclass(cls, re.Pattern):
        return _enc_pattern
    if issubclass(cls, uuid.UUID):
        return _enc_uuid
    if issubclass(cls, decimal.Decimal):
        return _enc_str_arg
    if issubclass(cls, (set, frozenset, deque)):
        return _enc_collection
    ipaddress = sys.modules.get("ipaddress")
    if ipaddress is not None and issubclass(cls, (ipaddress._BaseAddress, ipaddress._BaseNetwork)):
        # Interfaces subclass addresses, so this covers all six types.
        return _enc_str_arg
    if issubclass(cls, datetime):
        return _enc_datetime
    if issubclass(cls, timedelta):
        return _enc_timedelta
    if issubclass(cls, date):
        return _enc_date
    if issubclass(cls, time):
        return _enc_time
    if issubclass(cls, timezone):
        return _enc_timezone
    zoneinfo = sys.modules.get("zoneinfo")
    if zoneinfo is not None and issubclass(cls, zoneinfo.ZoneInfo):
        return _enc_zoneinfo
    if issubclass(cls, Enum):
        _remember(cls)
        return _enc_enum
    if hasattr(obj, "node") and hasattr(obj, "arg"):
        _remember(cls)
        return _enc_send
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        _remember(cls)
        return _dataclass_encoder(cls)
    if cls.__name__ == "Item" and cls.__module__ == "langgraph.store.base":
        return _enc_slots
    numpy = sys.modules.get("numpy")
    if numpy is not None and issubclass(cls, numpy.ndarray):
        return _enc_ndarray
    if issubclass(cls, BaseException):
        return _enc_exception
    return _unsupported


# ---------------------------------------------------------------- decoding


def _stdlib_class(module: str, name: str) -> Any:
    """Classes from the safe stdlib set; importing these modules has no side effects."""
    if module in ("pathlib", "pathlib._local"):
        return getattr(pathlib, name)
    if module == "re" and name == "compile":
        return re.compile
    if module == "builtins":
        return {"set": set, "frozenset": frozenset}[name]
    return getattr(importlib.import_module(module), name)


def _safe_class(module: str, name: str) -> Any:
    own = _OWN_MODULE_FOR.get(module)
    if own is not None:
        try:
            found = getattr(importlib.import_module(own), name, None)
        except ImportError:
            found = None
        if found is not None:
            return found
    if module.startswith(("langchain_core.", "langgraph.")):
        return getattr(importlib.import_module(module), name)
    return _stdlib_class(module, name)


def _keys_hashable(obj: Any) -> Any:
    return tuple(_keys_hashable(x) for x in obj) if type(obj) is list else obj


def _pairs_to_dict(pairs: list) -> dict:
    return {_keys_hashable(k): v for k, v in pairs}


def _msgpack_unpack(data: bytes, *, ext_hook: Callable[[int, bytes], Any]) -> Any:
    try:
        return msgpack.unpackb(data, ext_hook=ext_hook, raw=False, strict_map_key=False)
    except TypeError:
        # A map key that is an array (a tuple key on the way in): rebuild as tuple.
        return msgpack.unpackb(
            data,
            ext_hook=ext_hook,
            raw=False,
            strict_map_key=False,
            object_pairs_hook=_pairs_to_dict,
        )


if ormsgpack is not None:
    # `_unpack(data, ext_hook=hook)`: array map keys come back as tuples, as LangGraph
    # reads them (a partial: no Python frame per value).
    _unpack: Callable[..., Any] = functools.partial(
        ormsgpack.unpackb, option=ormsgpack.OPT_NON_STR_KEYS
    )
else:  # pragma: no cover - exercised by the no-ormsgpack test in a subprocess
    _unpack = _msgpack_unpack


_warned: set[tuple[str, str]] = set()


def _warn_once(key: tuple[str, str], msg: str, *args: Any) -> None:
    if key not in _warned and len(_warned) < _MAX_CACHED_TYPES:
        _warned.add(key)
        logger.warning(msg, *args)


class _Resolver:
    """Maps a wire (module, name) to a class, or None when it must not be built."""

    __slots__ = ("allowed", "cache")

    def __init__(self, allowed: set[tuple[str, ...]] | Literal[True] | None) -> None:
        self.allowed = allowed
        self.cache: dict[tuple[str, str], Any] = {}

    def __call__(self, module: str, name: str) -> Any:
        key = (module, name)
        found = self.cache.get(key)
        if found is not None:
            return found
        if key in SAFE_MSGPACK_TYPES:
            found = _safe_class(module, name)
        elif key in _ENCODED_CLASSES:
            return _ENCODED_CLASSES[key]
        elif self.allowed is True or (self.allowed and key in self.allowed):
            if self.allowed is True:
                _warn_once(key, "Deserializing unregistered type %s.%s", module, name)
            found = getattr(importlib.import_module(module), name)
        else:
            _warn_once(
                key,
                "Blocked deserialization of %s.%s - not in allowed_msgpack_modules; "
                "returning its serialized data. Allow it with "
                "allowed_msgpack_modules=[(%r, %r)]",
                module,
                name,
                module,
                name,
            )
            return None
        self.cache[key] = found
        return found


def _build(code: int, cls: Any, name: str, payload: Any) -> Any:
    if code == EXT_CONSTRUCTOR_SINGLE_ARG:
        return cls(payload)
    if code == EXT_CONSTRUCTOR_POS_ARGS:
        if name == "Send" and len(payload) == 3:
            return cls(payload[0], payload[1], timeout=payload[2])
        return cls(*payload)
    if code == EXT_CONSTRUCTOR_KW_ARGS:
        return cls(**payload)
    # pydantic: validate first, fall back to the unvalidated constructor
    try:
        return cls(**payload)
    except Exception:
        if code == EXT_PYDANTIC_V2:
            return cls.model_construct(**payload)
        return cls.construct(**payload)


def _make_ext_hook(resolve: _Resolver) -> Callable[[int, bytes], Any]:
    known = resolve.cache

    def hook(code: int, data: bytes) -> Any:
        if code in (EXT_PYDANTIC_V2, EXT_CONSTRUCTOR_KW_ARGS):
            # Models, messages and dataclasses of a class already resolved or serialized
            # here (as `_Resolver` finds them): the common case, without the general
            # path's dispatch (which handles every other case and failure).
            try:
                parts = _unpack(data, ext_hook=hook)
            except Exception:
                return None
            try:
                key = (parts[0], parts[1])
                cls = known.get(key)
                if cls is None and key not in SAFE_MSGPACK_TYPES:
                    cls = _ENCODED_CLASSES.get(key)
                payload = parts[2]
            except Exception:
                return rebuild(code, parts)
            if cls is None or type(payload) is not dict:
                return rebuild(code, parts)
            try:
                return cls(**payload)
            except Exception as exc:
                failed = exc
            if code == EXT_PYDANTIC_V2:  # unvalidated, as `_build` does
                try:
                    return cls.model_construct(**payload)
                except Exception as exc:
                    failed = exc
            return _unbuilt(parts[0], parts[1], payload, failed)
        if code == EXT_DELTA_SNAPSHOT:
            return _DeltaSnapshot(_unpack(data, ext_hook=hook))
        if code == EXT_NUMPY_ARRAY:
            try:
                import numpy

                dtype, shape, order, buf = _unpack(data, ext_hook=hook)
                return numpy.frombuffer(buf, dtype=numpy.dtype(dtype)).reshape(shape, order=order)
            except Exception:
                return None
        if not EXT_CONSTRUCTOR_SINGLE_ARG <= code <= EXT_PYDANTIC_V2:
            return None
        try:
            parts = _unpack(data, ext_hook=hook)
        except Exception:
            return None
        return rebuild(code, parts)

    def rebuild(code: int, parts: Any) -> Any:
        try:
            module, name, payload = parts[0], parts[1], parts[2]
        except Exception:
            return None
        try:
            if code == EXT_METHOD_SINGLE_ARG:
                if (module, name, parts[3]) not in SAFE_MSGPACK_METHODS:
                    return payload
                return getattr(_safe_class(module, name), parts[3])(payload)
            cls = resolve(module, name)
            if cls is None:
                return payload
            return _build(code, cls, name, payload)
        except Exception as exc:
            return _unbuilt(module, name, payload, exc)

    return hook


def _unbuilt(module: Any, name: Any, payload: Any, exc: Exception) -> Any:
    """What a class that failed to rebuild loads as: its serialized data."""
    _warn_once(
        (str(module), str(name)),
        "Could not reconstruct %s.%s from checkpoint (%s); returning its serialized data instead.",
        module,
        name,
        type(exc).__name__,
    )
    return payload


def _normalize_allowlist(
    allowlist: Any,
) -> set[tuple[str, ...]] | Literal[True] | None:
    if allowlist is True:
        return True
    if not allowlist:
        return None
    keys: set[tuple[str, ...]] = set()
    for item in allowlist:
        keys.add(_wire_name(item) if isinstance(item, type) else tuple(item))
    return keys


_DEFAULT = object()


class JsonPlusSerializer(SerializerProtocol):
    """Typed serializer: msgpack with extension types, optional pickle fallback.

    Loading rebuilds only the stdlib/LangGraph/LangChain types in
    `SAFE_MSGPACK_TYPES`, classes this process has serialized itself, and
    `allowed_msgpack_modules` (a collection of `(module, name)` or classes;
    `True` allows any class, as LangGraph's permissive default does). Any
    other class decodes to its serialized payload (args or field dict).
    """

    def __init__(
        self,
        *,
        pickle_fallback: bool = False,
        allowed_json_modules: Iterable[tuple[str, ...]] | Literal[True] | None = None,
        allowed_msgpack_modules: AllowedMsgpackModules | Literal[True] | None = _DEFAULT,  # type: ignore[assignment]
        __unpack_ext_hook__: Callable[[int, bytes], Any] | None = None,
    ) -> None:
        if allowed_msgpack_modules is _DEFAULT:
            allowed_msgpack_modules = None
        self.pickle_fallback = pickle_fallback
        self._allowed_json_modules = _normalize_allowlist(allowed_json_modules)
        self._allowed_msgpack_modules = _normalize_allowlist(allowed_msgpack_modules)
        self._custom_unpack_ext_hook = __unpack_ext_hook__ is not None
        self._unpack_ext_hook = __unpack_ext_hook__ or _make_ext_hook(
            _Resolver(self._allowed_msgpack_modules)
        )

    def with_msgpack_allowlist(
        self, extra_allowlist: Iterable[tuple[str, ...] | type]
    ) -> JsonPlusSerializer:
        """A copy that also rebuilds `extra_allowlist` (self if nothing changes)."""
        current = self._allowed_msgpack_modules
        if current is True:
            return self
        # a tuple never normalises to True (only allowlist=True does)
        extra = cast("set[tuple[str, ...]]", _normalize_allowlist(tuple(extra_allowlist)) or set())
        merged = set(current or ()) | extra
        if merged == set(current or ()):
            return self
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._allowed_msgpack_modules = merged
        if not self._custom_unpack_ext_hook:
            clone._unpack_ext_hook = _make_ext_hook(_Resolver(merged))
        return clone

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        if obj is None:
            return "null", b""
        if isinstance(obj, bytes):
            return "bytes", obj
        if isinstance(obj, bytearray):
            # passed through uncopied, as LangGraph does; savers store it as bytes
            return "bytearray", obj  # type: ignore[return-value]
        try:
            return "msgpack", _pack(obj)
        except (TypeError, ValueError, OverflowError) as exc:
            if self.pickle_fallback:
                return "pickle", pickle.dumps(obj)
            if isinstance(exc, OverflowError):
                raise TypeError("Integer exceeds 64-bit range") from exc
            raise

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        tag, payload = data
        if tag == "msgpack":
            return _unpack(payload, ext_hook=self._unpack_ext_hook)
        if tag == "null":
            return None
        if tag == "bytes":
            return payload
        if tag == "bytearray":
            return bytearray(payload)
        if tag == "json":
            return json.loads(payload, object_hook=self._revive_json)
        if tag == "pickle" and self.pickle_fallback:
            return pickle.loads(payload)
        raise NotImplementedError(f"Unknown serialization type: {tag}")

    # Legacy "json" payloads: LangChain `lc` constructor envelopes.
    def _revive_json(self, value: dict[str, Any]) -> Any:
        if value.get("type") != "constructor" or not value.get("id"):
            return value
        ids = value["id"]
        if value.get("lc") == 2:
            key = (".".join(ids[:-1]), ids[-1])
            allowed = self._allowed_json_modules
            if key in SAFE_MSGPACK_TYPES:
                cls = _safe_class(*key)
            elif allowed is True or (allowed and tuple(ids) in allowed):
                cls = getattr(importlib.import_module(key[0]), key[1])
            else:
                return None
            if isinstance(cls, type) and issubclass(cls, BaseException):
                return None
            try:
                return cls(*(value.get("args") or ()), **(value.get("kwargs") or {}))
            except Exception:
                return None
        if value.get("lc") == 1:
            try:
                from langchain_core.load.load import Reviver
            except ImportError:
                return value
            return Reviver(allowed_objects="core")(value)
        return value


def _msgpack_enc(obj: Any) -> bytes:
    """Pack `obj` in LangGraph's msgpack wire format."""
    return _pack(obj)


def _msgpack_dec(data: bytes, allowed: Any = None) -> Any:
    """Unpack bytes in LangGraph's wire format, rebuilding only allowed classes."""
    return _unpack(data, ext_hook=_make_ext_hook(_Resolver(_normalize_allowlist(allowed))))
