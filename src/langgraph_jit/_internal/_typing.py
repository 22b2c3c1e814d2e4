"""Typing helpers libraries import from `langgraph._internal._typing`."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from langgraph_jit._constants import MISSING

__all__ = ("EMPTY_SEQ", "MISSING", "DeprecatedKwargs")

EMPTY_SEQ: tuple = ()


class DeprecatedKwargs(TypedDict, total=False):
    """Marker for `**kwargs` kept only to reject or warn about removed arguments."""


def _unused(*_: Any) -> None:  # pragma: no cover
    pass
