"""An object's fields as state updates: a pydantic model, a dataclass or any
annotated class returned by a node or given as a Command's update.

Kept at the bottom of the layers so `types.Command` and the graph builders
read updates the same way.
"""

from __future__ import annotations

import types
import weakref
from typing import Any

from langgraph_jit._constants import MISSING

_ANNOTATED_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def annotated_keys(cls: type) -> tuple[str, ...]:
    """Field names declared with annotations along the class's MRO."""
    keys = _ANNOTATED_KEYS.get(cls)
    if keys is None:
        found: list[str] = []
        for base in reversed(cls.__mro__):
            # own annotations only (not inherited); getattr below covers lazily built ones
            ann = base.__dict__.get("__annotations__")  # noqa: RUF063
            if ann is None:
                ann = getattr(base, "__annotations__", None)
            if ann is None or isinstance(ann, types.GetSetDescriptorType):
                continue
            found.extend(ann.keys())
        keys = _ANNOTATED_KEYS.setdefault(cls, tuple(found))
    return keys


def model_updates(value: Any, keys: list[str] | tuple[str, ...]) -> list[tuple[str, Any]]:
    """A model instance as (key, value) updates: None values count only if
    the field's default is not None or it was set."""
    fields_set = getattr(value, "model_fields_set", None)
    model_fields = getattr(type(value), "model_fields", None)
    defaults = {k: f.default for k, f in model_fields.items()} if model_fields is not None else {}
    out = []
    for k in keys:
        v = getattr(value, k, MISSING)
        if v is MISSING:
            continue
        if (
            v is not None
            or defaults.get(k, MISSING) is not None
            or (fields_set is not None and k in fields_set)
        ):
            out.append((k, v))
    return out
