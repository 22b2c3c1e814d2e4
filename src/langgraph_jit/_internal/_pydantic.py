"""Which schema classes pydantic can build a model from, at LangGraph's path
`langgraph._internal._pydantic`. pydantic itself is not imported here."""

from __future__ import annotations

import dataclasses
import sys
import typing
from typing import Any

__all__ = ("is_supported_by_pydantic",)


def _is_pydantic_model(cls: Any) -> bool:
    # A class can only derive from BaseModel once pydantic has been imported.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)


def is_supported_by_pydantic(schema: Any) -> bool:
    """Whether pydantic can validate a structured schema: dataclasses, pydantic
    models and TypedDicts (`typing.TypedDict` only from Python 3.12, as pydantic
    requires typing_extensions' before that). Plain classes and scalars are not."""
    if dataclasses.is_dataclass(schema) or _is_pydantic_model(schema):
        return True
    extensions = sys.modules.get("typing_extensions")
    for base in getattr(schema, "__orig_bases__", ()):
        if base is typing.TypedDict:
            if sys.version_info >= (3, 12):
                return True
        elif extensions is not None and base is getattr(extensions, "TypedDict", None):
            return True
    return False
