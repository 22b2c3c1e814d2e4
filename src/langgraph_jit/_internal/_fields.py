"""What a schema says about its fields: type, default, description, whether it is required.

At LangGraph's path `langgraph._internal._fields`; used to describe state and context
schemas (JSON schemas, config schemas). Plain typing introspection, no pydantic import.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # typing has them from 3.11 on
    from typing_extensions import NotRequired, Required

__all__ = ("get_enhanced_type_hints", "get_field_default")

_NONE_TYPE = type(None)


def _is_optional_type(hint: Any) -> bool:
    """Whether a hint admits None: None itself, a union with None (nested unions
    and `Annotated` included) or a TypeVar bound to such a hint.

    A container of optionals (`list[int | None]`) is not optional itself.
    """
    if hint is None:
        return True
    origin = get_origin(hint)
    if origin is Union or isinstance(hint, types.UnionType):
        return any(arg is _NONE_TYPE or _is_optional_type(arg) for arg in get_args(hint))
    if origin is Annotated:
        return _is_optional_type(get_args(hint)[0])
    if isinstance(hint, TypeVar) and hint.__bound__ is not None:
        return _is_optional_type(hint.__bound__)
    return False


def _required_marker(hint: Any) -> bool | None:
    """True for `Required[...]`, False for `NotRequired[...]` (also under `Annotated`),
    None when the hint carries neither."""
    origin = get_origin(hint)
    if origin is Required:
        return True
    if origin is NotRequired:
        return False
    if origin is Annotated:
        return _required_marker(get_args(hint)[0])
    return None


def get_field_default(name: str, hint: Any, schema: Any) -> Any:
    """The default of a schema field: `...` when the field is required, else its
    default value (None unless a dataclass field declares one).

    A TypedDict key is optional when `total=False` or `NotRequired` makes it so and
    required when `Required` does; otherwise a field is optional when its hint
    admits None.
    """
    marker = _required_marker(hint)
    if name in getattr(schema, "__optional_keys__", ()):
        return ... if marker else None
    if marker is not None:
        return ... if marker else None
    if dataclasses.is_dataclass(schema):
        for field in dataclasses.fields(schema):
            if field.name != name:
                continue
            if field.default is not dataclasses.MISSING and field.default is not ...:
                return field.default
            if field.default_factory is not dataclasses.MISSING:
                return field.default_factory()
            break
    return None if _is_optional_type(hint) else ...


def _is_undefined(value: Any) -> bool:
    # pydantic's "no default" sentinel, recognised without importing pydantic
    return type(value).__name__ == "PydanticUndefinedType"


def get_enhanced_type_hints(schema: Any) -> Iterator[tuple[str, Any, Any, str | None]]:
    """(name, type, default, description) for each field of a TypedDict, dataclass or
    pydantic model; default and description are None when the schema gives none."""
    model_fields = getattr(schema, "model_fields", None)
    namespace = getattr(schema, "__dict__", {})
    for name, hint in get_type_hints(schema).items():
        default: Any = None
        description: str | None = None
        field = model_fields.get(name) if isinstance(model_fields, dict) else None
        if field is not None:
            description = getattr(field, "description", None)
            value = getattr(field, "default", None)
            if value is not None and not _is_undefined(value):
                default = value
        if name in namespace:
            default = namespace[name]
        yield name, hint, default, description
