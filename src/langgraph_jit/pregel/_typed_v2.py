"""Typed `version="v2"` output: for a graph whose state (or output) schema is a pydantic
model or a dataclass, values parts, checkpoint values and `invoke`'s `GraphOutput.value`
are instances of that schema instead of dicts, as in LangGraph. Graphs with TypedDict or
plain-dict state never come here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from inspect import isclass
from typing import Any

from langgraph_jit._constants import START

Mapper = Callable[[dict[str, Any]], Any]


def v2_mapper(keys: str | Sequence[str], schema: Any) -> Mapper | None:
    """How a dict of these channels becomes a `schema` instance, or None when it stays
    a dict (a single root channel, or a schema that is not a model or a dataclass)."""
    if keys == "__root__" or list(keys) == ["__root__"]:
        return None
    if not isclass(schema):
        return None
    if dataclasses.is_dataclass(schema) or _is_pydantic_model(schema):
        return lambda values: schema(**values)
    return None


def _is_pydantic_model(cls: type) -> bool:
    # duck-typed: pydantic is not imported for graphs that do not use it
    return hasattr(cls, "model_fields") and hasattr(cls, "model_validate")


def typed_formatter(
    fmt: Callable[[tuple], Any], output_mapper: Mapper | None, state_mapper: Mapper | None
) -> Callable[[tuple], Any]:
    """Wrap a v2 chunk formatter so its parts carry schema instances. As LangGraph, every
    namespace's parts are mapped with this graph's schemas."""

    def typed(item: tuple) -> Any:
        part = fmt(item)
        if part is None:
            return None
        mode = part["type"]
        if mode == "values":
            if output_mapper is not None and isinstance(part["data"], dict):
                part["data"] = output_mapper(part["data"])
        elif mode in ("checkpoints", "debug") and state_mapper is not None:
            _map_checkpoint_values(part["data"], state_mapper)
        return part

    return typed


def _map_checkpoint_values(payload: Any, mapper: Mapper) -> None:
    # The first checkpoint (next = START) is skipped: its channels are not all set yet.
    if not isinstance(payload, dict):
        return
    if payload.get("type") == "checkpoint" and isinstance(payload.get("payload"), dict):
        payload = payload["payload"]
    values = payload.get("values")
    if isinstance(values, dict) and START not in payload.get("next", ()):
        payload["values"] = mapper(values)
