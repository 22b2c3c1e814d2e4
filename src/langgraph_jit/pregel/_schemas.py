"""Pydantic models and JSON schemas of a graph's input, output, context and config:
what LangChain's Runnable schema API answers for a graph. pydantic is imported on use.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import warnings
from collections.abc import Sequence
from typing import Any, get_type_hints

from langgraph_jit.channels import BaseChannel

__all__ = (
    "config_model",
    "context_jsonschema",
    "create_model",
    "input_model",
    "is_model_class",
    "is_typeddict",
    "output_model",
)

_NO_DEFAULT = object()


@functools.lru_cache(maxsize=1)
def _reserved_names() -> frozenset[str]:
    # Field names a model cannot take (BaseModel's own public attributes).
    from pydantic import BaseModel

    return frozenset(n for n in dir(BaseModel) if not n.startswith("_"))


def _model_config() -> Any:
    from pydantic import ConfigDict

    return ConfigDict(arbitrary_types_allowed=True, frozen=True, protected_namespaces=())


def _field_definitions(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields whose name pydantic reserves (or that start with '_') are stored
    under another name and keep theirs as alias, as LangChain's models do."""
    from pydantic import Field

    reserved = _reserved_names()
    out: dict[str, Any] = {}
    for key, (typ, default) in fields.items():
        if key.startswith("_") or key in reserved:
            title = key.lstrip("_").replace("_", " ").title()
            out[f"private_{key}"] = (
                typ,
                Field(default=default, alias=key, serialization_alias=key, title=title),
            )
        else:
            out[key] = (typ, default)
    return out


def _root_model(name: str, typ: Any, default: Any) -> Any:
    from pydantic import ConfigDict, RootModel

    def model_json_schema(cls: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        schema = super(cls, cls).model_json_schema(*args, **kwargs)
        schema["title"] = name  # not RootModel's generated title
        return schema

    attrs: dict[str, Any] = {
        "__annotations__": {"root": typ},
        "model_config": ConfigDict(arbitrary_types_allowed=True),
        "model_json_schema": classmethod(model_json_schema),
        "__module__": __name__,
    }
    if default is not _NO_DEFAULT:
        attrs["root"] = default
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return type(name, (RootModel,), attrs)


@functools.lru_cache(maxsize=256)
def _cached_root_model(name: str, typ: Any, default: Any) -> Any:
    return _root_model(name, typ, default)


@functools.lru_cache(maxsize=256)
def _cached_model(name: str, fields: tuple[tuple[str, Any, Any], ...]) -> Any:
    return _fields_model(name, {k: (t, d) for k, t, d in fields})


def _fields_model(name: str, fields: dict[str, Any]) -> Any:
    from pydantic import create_model as pydantic_create_model

    with warnings.catch_warnings():
        # "model_*" field names warn about pydantic's protected namespace.
        warnings.simplefilter("ignore")
        return pydantic_create_model(name, __config__=_model_config(), **_field_definitions(fields))


def create_model(
    name: str, *, fields: dict[str, Any] | None = None, root: Any = _NO_DEFAULT
) -> Any:
    """A pydantic model named `name`: a root model of type `root` (a type, or
    (type, default)), or a model of `fields` (name -> (type, default)).
    Models are cached by their definition when it is hashable."""
    if root is not _NO_DEFAULT:
        typ, default = root if isinstance(root, tuple) else (root, _NO_DEFAULT)
        try:
            return _cached_root_model(name, typ, default)
        except TypeError:  # an unhashable type or default
            return _root_model(name, typ, default)
    fields = fields or {}
    try:
        return _cached_model(name, tuple((k, t, d) for k, (t, d) in fields.items()))
    except TypeError:
        return _fields_model(name, fields)


def is_model_class(typ: Any) -> bool:
    if not inspect.isclass(typ) or type(typ).__name__ == "GenericAlias":
        return False
    try:
        from pydantic import BaseModel
    except ImportError:
        return False
    return issubclass(typ, BaseModel)


def _channels_model(graph: Any, name: str, keys: Sequence[str], type_of: str) -> Any:
    return create_model(
        name,
        fields={
            k: (getattr(chan, type_of), None)
            for k in keys
            if isinstance(chan := graph.channels[k], BaseChannel)
        },
    )


def input_model(graph: Any) -> Any:
    """The input: one channel's update type as a root model (or that type
    itself, when it is a pydantic model), or a model with a field per input
    channel (every channel when the graph names none)."""
    if isinstance(graph.input_channels, str):
        typ = graph.InputType
        if is_model_class(typ):
            return typ
        return create_model(graph.get_name("Input"), root=typ)
    keys = graph.input_channels or list(graph.channels)
    return _channels_model(graph, graph.get_name("Input"), keys, "UpdateType")


def output_model(graph: Any) -> Any:
    """The output: as `input_model`, from the output channels' value types."""
    if isinstance(graph.output_channels, str):
        typ = graph.OutputType
        if is_model_class(typ):
            return typ
        return create_model(graph.get_name("Output"), root=typ)
    return _channels_model(graph, graph.get_name("Output"), graph.output_channels, "ValueType")


def context_jsonschema(schema: Any) -> dict[str, Any] | None:
    """JSON schema of a context schema (pydantic model, TypedDict or dataclass)."""
    if schema is None:
        return None
    if is_model_class(schema):
        return schema.model_json_schema()
    from pydantic import TypeAdapter

    if is_typeddict(schema) or dataclasses.is_dataclass(schema):
        return TypeAdapter(schema).json_schema()
    raise ValueError(
        f"Invalid context schema type: {schema}. Must be a BaseModel, TypedDict or dataclass."
    )


def is_typeddict(schema: Any) -> bool:
    return isinstance(schema, type) and hasattr(schema, "__total__") and issubclass(schema, dict)


def config_model(graph: Any, include: Sequence[str] | None) -> Any:
    """The deprecated config schema: `configurable` typed by the context
    schema, plus the RunnableConfig keys named in `include`."""
    include = [k for k in include or () if k != "configurable"]
    fields: dict[str, Any] = {}
    if graph.context_schema:
        fields["configurable"] = (graph.context_schema, None)
    if include:
        from langchain_core.runnables import RunnableConfig

        for key, typ in get_type_hints(RunnableConfig).items():
            if key in include:
                fields[key] = (typ, None)
    return create_model(graph.get_name("Config"), fields=fields)
