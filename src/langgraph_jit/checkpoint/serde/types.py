"""Structural protocols the serializers and savers rely on, plus reserved write channels.

Kept free of engine imports so that `checkpoint` can be imported on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

# Reserved write channels, re-exported at LangGraph's path (defined once, in _constants).
from langgraph_jit._constants import ERROR as ERROR
from langgraph_jit._constants import INTERRUPT as INTERRUPT
from langgraph_jit._constants import RESUME as RESUME
from langgraph_jit._constants import SCHEDULED as SCHEDULED
from langgraph_jit._constants import TASKS as TASKS

Value = TypeVar("Value", covariant=True)
Update = TypeVar("Update", contravariant=True)
C = TypeVar("C")


class ChannelProtocol(Protocol[Value, Update, C]):
    """What a saver may call on a channel (a subset of `BaseChannel`)."""

    @property
    def ValueType(self) -> Any: ...

    @property
    def UpdateType(self) -> Any: ...

    def checkpoint(self) -> C | None: ...

    def from_checkpoint(self, checkpoint: C | None) -> Any: ...

    def update(self, values: Sequence[Update]) -> bool: ...

    def get(self) -> Value: ...

    def consume(self) -> bool: ...


@runtime_checkable
class SendProtocol(Protocol):
    """Anything shaped like `Send`: a target node name and its argument."""

    node: str
    arg: Any

    def __hash__(self) -> int: ...

    def __repr__(self) -> str: ...

    def __eq__(self, value: object) -> bool: ...


class _DeltaSnapshot(tuple):
    """Stored value of a delta channel at a snapshot step (msgpack ext code 7)."""

    __slots__ = ()

    def __new__(cls, value: Any) -> _DeltaSnapshot:
        return tuple.__new__(cls, (value,))

    @property
    def value(self) -> Any:
        return self[0]

    def __repr__(self) -> str:
        return f"_DeltaSnapshot(value={self[0]!r})"
