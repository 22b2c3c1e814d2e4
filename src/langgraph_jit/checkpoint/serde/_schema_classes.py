"""The classes a graph's schemas declare, which checkpoint loading may rebuild.

Our serializer rebuilds only safe stdlib/LangGraph types, classes the process has
serialized itself and explicitly allowed ones; anything else loads as its plain
data. A class named in a graph's state, input, output or channel types is one the
application chose to persist, so compiling a graph lets loading rebuild it, also in
a fresh process that reads a thread before writing to it. LangGraph's allowlist
builders (`langgraph._internal._serde`) are re-exported from here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import types
import weakref
from collections import abc, deque
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from langgraph_jit.checkpoint.serde.jsonplus import register_schema_classes

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # typing has them from 3.11 on
    from typing_extensions import NotRequired, Required

__all__ = (
    "allow_schema_classes",
    "collect_allowlist_from_schemas",
    "curated_core_allowlist",
    "schema_classes",
)

# LangChain's message classes: what almost every chat graph keeps in its state.
_CORE_MESSAGE_CLASSES = (
    "BaseMessage",
    "BaseMessageChunk",
    "HumanMessage",
    "HumanMessageChunk",
    "AIMessage",
    "AIMessageChunk",
    "SystemMessage",
    "SystemMessageChunk",
    "ChatMessage",
    "ChatMessageChunk",
    "ToolMessage",
    "ToolMessageChunk",
    "FunctionMessage",
    "FunctionMessageChunk",
    "RemoveMessage",
)
_CONTAINERS = (
    list,
    set,
    tuple,
    dict,
    deque,
    frozenset,
    abc.Sequence,
    abc.MutableSequence,
    abc.Set,
    abc.MutableSet,
    abc.Mapping,
    abc.MutableMapping,
)
_WRAPPERS = (Annotated, Required, NotRequired)


def curated_core_allowlist() -> set[tuple[str, ...]]:
    """(module, name) of LangChain's message classes; empty without langchain_core."""
    try:
        from langchain_core import messages
    except ImportError:
        return set()
    found = (getattr(messages, name, None) for name in _CORE_MESSAGE_CLASSES)
    return {(cls.__module__, cls.__name__) for cls in found if cls is not None}


def schema_classes(
    *, schemas: Iterable[Any] | None = None, channels: Mapping[str, Any] | None = None
) -> set[type]:
    """The dataclasses, pydantic models and enums reachable from type hints.

    Walks unions, `Optional`, `Annotated`, `Required`/`NotRequired`, the builtin
    containers, NewTypes and the fields of TypedDicts (which are plain dicts on the
    wire, so not collected themselves), dataclasses and models, forward references
    included when they resolve. For channels, their `ValueType` and `UpdateType`.
    """
    found: set[type] = set()
    walk = _Walk(found)
    for schema in schemas or ():
        walk.visit(schema)
    for channel in (channels or {}).values():
        for attr in ("ValueType", "UpdateType"):
            hint = getattr(channel, attr, None)
            if hint is not None:
                walk.visit(hint)
    return found


def collect_allowlist_from_schemas(
    *, schemas: Iterable[Any] | None = None, channels: Mapping[str, Any] | None = None
) -> set[tuple[str, ...]]:
    """(module, name) of each class `schema_classes` finds."""
    return {
        (cls.__module__, cls.__name__) for cls in schema_classes(schemas=schemas, channels=channels)
    }


# Schemas already walked by allow_schema_classes: compiling the same builder (or
# another graph over the same state) again costs a set lookup.
_ALLOWED_SCHEMAS: weakref.WeakSet[Any] = weakref.WeakSet()


def allow_schema_classes(
    *, schemas: Iterable[Any] | None = None, channels: Mapping[str, Any] | None = None
) -> None:
    """Let checkpoint loading rebuild the classes these schemas and channels declare."""
    pending = [schema for schema in schemas or () if not _already_allowed(schema)]
    if not pending and not channels:
        return
    register_schema_classes(schema_classes(schemas=pending, channels=channels))
    for schema in pending:
        with contextlib.suppress(TypeError):  # not weakly referenceable: walked each time
            _ALLOWED_SCHEMAS.add(schema)


def _already_allowed(schema: Any) -> bool:
    try:
        return schema in _ALLOWED_SCHEMAS
    except TypeError:
        return False


class _Walk:
    __slots__ = ("found", "seen")

    def __init__(self, found: set[type]) -> None:
        self.found = found
        # by id, as hints need not be hashable; holding each hint keeps its id unique
        self.seen: dict[int, Any] = {}

    def visit(self, hint: Any) -> None:
        if hint is None or hint is Any or id(hint) in self.seen:
            return
        self.seen[id(hint)] = hint
        origin = get_origin(hint)
        if origin is Union or isinstance(hint, types.UnionType) or origin in _CONTAINERS:
            for arg in get_args(hint):
                self.visit(arg)
        elif origin in _WRAPPERS:
            args = get_args(hint)
            if args:
                self.visit(args[0])
        elif hint is Literal or origin is Literal:
            return
        elif hasattr(hint, "__supertype__"):  # NewType
            self.visit(hint.__supertype__)
        elif not isinstance(hint, type):
            return
        elif _is_typeddict(hint):
            self._fields(hint, getattr(hint, "__annotations__", {}).values())
        elif dataclasses.is_dataclass(hint):
            self.found.add(hint)
            self._fields(hint, (f.type for f in dataclasses.fields(hint)))
        elif _is_pydantic_model(hint):
            self.found.add(hint)
            self._fields(hint, _pydantic_field_types(hint))
        elif issubclass(hint, Enum):
            self.found.add(hint)

    def _fields(self, cls: type, fallback: Iterable[Any]) -> None:
        hints = _resolved_hints(cls)
        for hint in hints.values() if hints else fallback:
            self.visit(hint)


def _resolved_hints(cls: type) -> dict[str, Any]:
    """The class's field hints with forward references resolved; {} if some cannot be."""
    module = sys.modules.get(cls.__module__)
    try:
        return get_type_hints(
            cls,
            globalns=vars(module) if module else None,
            localns=dict(vars(cls)),
            include_extras=True,
        )
    except Exception:
        return {}


def _is_typeddict(cls: type) -> bool:
    return issubclass(cls, dict) and hasattr(cls, "__required_keys__")


def _is_pydantic_model(cls: type) -> bool:
    # A class can only derive from a pydantic model once pydantic is imported.
    pydantic = sys.modules.get("pydantic")
    if pydantic is None:
        return False
    if issubclass(cls, pydantic.BaseModel):
        return True
    v1 = sys.modules.get("pydantic.v1")
    return v1 is not None and issubclass(cls, v1.BaseModel)


def _pydantic_field_types(cls: type) -> list[Any]:
    fields = getattr(cls, "model_fields", None)
    if isinstance(fields, dict):
        return [f.annotation for f in fields.values() if getattr(f, "annotation", None)]
    fields = getattr(cls, "__fields__", None) or {}
    return [f.outer_type_ for f in fields.values() if getattr(f, "outer_type_", None)]
