"""From a state schema (TypedDict, dataclass, pydantic model) to channels.

Each annotated field becomes a channel: a plain type is a LastValue, an
`Annotated[T, reducer]` a BinaryOperatorAggregate, an `Annotated[T, channel]`
that channel; managed values (RemainingSteps, IsLastStep) are kept apart.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
from typing import Any, get_args, get_origin, get_type_hints

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # typing has them from 3.11 on
    from typing_extensions import NotRequired, Required

# Re-exported: the graph builders read returned objects through these.
from langgraph_jit._state_updates import annotated_keys as annotated_keys
from langgraph_jit._state_updates import model_updates as model_updates
from langgraph_jit.channels import BaseChannel, BinaryOperatorAggregate, DeltaChannel, LastValue
from langgraph_jit.channels.numeric import numeric_aggregate
from langgraph_jit.managed import is_managed_value


def channels_of(schema: Any) -> tuple[dict[str, BaseChannel], dict[str, Any]]:
    """(channels, managed values) declared by a schema's fields."""
    if not hasattr(schema, "__annotations__"):
        return {"__root__": _channel_for("__root__", schema, allow_managed=False)}, {}
    hints = get_type_hints(schema, include_extras=True)
    channels: dict[str, BaseChannel] = {}
    managed: dict[str, Any] = {}
    for name, typ in hints.items():
        if name == "__slots__":
            continue
        item = _channel_for(name, typ)
        if is_managed_value(item):
            managed[name] = item
        else:
            channels[name] = item
    return channels, managed


def _channel_for(name: str, annotation: Any, *, allow_managed: bool = True) -> Any:
    if get_origin(annotation) in (Required, NotRequired):
        annotation = get_args(annotation)[0]
    managed = _managed_of(annotation)
    if managed is not None:
        if not allow_managed:
            raise ValueError(f"This {annotation} not allowed in this position")
        return managed
    channel = _declared_channel(annotation)
    if channel is None:
        channel = _reducer_channel(annotation)
    if channel is None:
        channel = LastValue(annotation)
    channel.key = name
    return channel


def _declared_channel(typ: Any) -> BaseChannel | None:
    for item in getattr(typ, "__metadata__", ()):
        if isinstance(item, DeltaChannel) and hasattr(typ, "__origin__"):
            # Its value type is the field's: Annotated[list[X], DeltaChannel(r)] starts from [].
            return item.with_type(typ.__origin__)
        if isinstance(item, BaseChannel):
            return item
        if inspect.isclass(item) and issubclass(item, BaseChannel):
            return item(typ.__origin__ if hasattr(typ, "__origin__") else typ)
    return None


def _reducer_channel(typ: Any) -> BinaryOperatorAggregate | None:
    meta = getattr(typ, "__metadata__", None)
    if not meta or not callable(meta[-1]):
        return None
    sig = inspect.signature(meta[-1])
    positional = sum(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in sig.parameters.values()
    )
    if positional != 2:
        raise ValueError(f"Invalid reducer signature. Expected (a, b) -> c. Got {sig}")
    # int, float and ndarray sums: the same values, folded by a kernel when many
    return numeric_aggregate(typ, meta[-1]) or BinaryOperatorAggregate(typ, meta[-1])


def _managed_of(typ: Any) -> Any:
    meta = getattr(typ, "__metadata__", None)
    if meta:
        decoration = get_origin(meta[-1]) or meta[-1]
        if is_managed_value(decoration):
            return decoration
    if get_origin(typ) is not None and (args := get_args(typ)) and args[0]:
        return _managed_of(args[0])
    return None


def is_model_class(schema: Any) -> bool:
    """Pydantic models and dataclasses are built from the channel values."""
    if not inspect.isclass(schema):
        return False
    if dataclasses.is_dataclass(schema):
        return True
    return any(
        getattr(c, "__module__", "").startswith("pydantic") and c.__name__ == "BaseModel"
        for c in schema.__mro__
    )


def mapper_for(keys: list[str], schema: Any):
    """Turns a node's input dict into the schema's type, when it is a class."""
    if keys == ["__root__"] or not is_model_class(schema):
        return None

    def coerce(values: dict[str, Any]) -> Any:
        return schema(**values)

    return coerce


def state_jsonschema(schema: Any, builder: Any, name: str) -> dict[str, Any]:
    """JSON schema of a graph's input or output schema: a pydantic model's or a
    TypedDict's own; otherwise a model of the schema's channels (their update
    types, defaults as the schema declares them). Needs pydantic."""
    from langgraph_jit._internal._fields import get_field_default
    from langgraph_jit.pregel._schemas import create_model, is_model_class, is_typeddict

    if is_model_class(schema):
        return schema.model_json_schema()
    if is_typeddict(schema):
        from pydantic import TypeAdapter

        return TypeAdapter(schema).json_schema()
    channels = builder.channels
    keys = list(builder.schemas[schema])
    if keys == ["__root__"]:
        return create_model(name, root=(channels["__root__"].UpdateType, None)).model_json_schema()
    fields = {
        k: (channels[k].UpdateType, get_field_default(k, channels[k].UpdateType, schema))
        for k in keys
        if isinstance(channels.get(k), BaseChannel)
    }
    return create_model(name, fields=fields).model_json_schema()
