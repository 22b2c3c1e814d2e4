"""Single-value channels: `LastValue` (the default for plain state keys) and
`LastValueAfterFinish` (value visible only once the run finishes, used by deferred nodes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.channels.ephemeral_value import EphemeralValue
from langgraph_jit.channels.topic import Topic
from langgraph_jit.errors import (
    EmptyChannelError,
    ErrorCode,
    InvalidUpdateError,
    create_error_message,
)

__all__ = ("LastValue", "LastValueAfterFinish")

_new_object = object.__new__


class LastValue(Generic[Value], BaseChannel[Value, Value, Value]):
    """Holds the latest write; more than one write in a step is an error."""

    __slots__ = ("value",)

    def __init__(self, typ: Any, key: str = "") -> None:
        self.typ = typ
        self.key = key
        self.value: Any = MISSING  # a Value, or MISSING while empty

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LastValue)

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def copy(self):
        new = self.__class__(self.typ, self.key)
        new.value = self.value
        return new

    def checkpoint(self) -> Any:
        return self.value

    def from_checkpoint(self, checkpoint: Any):
        cls = self.__class__
        if cls is LastValue:
            # Every run makes one per state key: skip __init__ (same slots).
            new = _new_object(cls)
            new.typ = self.typ
            new.key = self.key
            new.value = checkpoint
            return new
        new = cls(self.typ, self.key)
        if checkpoint is not MISSING:
            new.value = checkpoint
        return new

    def update(self, values: Sequence[Value]) -> bool:
        n = len(values)
        if n == 1:
            self.value = values[0]
            return True
        if n == 0:
            return False
        raise InvalidUpdateError(
            create_error_message(
                message=f"At key '{self.key}': Can receive only one value per step. "
                "Use an Annotated key to handle multiple values.",
                error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
            )
        )

    def get(self) -> Value:
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        return self.value is not MISSING


def empty_copies(specs: Iterable[BaseChannel]) -> list[BaseChannel]:
    """`spec.from_checkpoint(MISSING)` of each spec, in order: a run's new channels.
    LastValues (most state keys) and EphemeralValues (a StateGraph's edge triggers)
    are made here without a method call each."""
    out: list[BaseChannel] = []
    append = out.append
    for spec in specs:
        kind = type(spec)
        if kind is LastValue:
            new = _new_object(LastValue)
            new.typ = spec.typ
            new.key = spec.key
            new.value = MISSING
            append(new)
        elif kind is EphemeralValue:
            trigger = _new_object(EphemeralValue)
            trigger.typ = spec.typ
            trigger.key = spec.key
            trigger.guard = spec.guard  # type: ignore[attr-defined]  # an EphemeralValue here
            trigger.value = MISSING
            append(trigger)
        elif kind is Topic:
            # The tasks channel every graph has (Topic.from_checkpoint of nothing).
            topic = _new_object(Topic)
            topic.typ = spec.typ
            topic.key = spec.key
            topic.accumulate = spec.accumulate  # type: ignore[attr-defined]  # a Topic here
            topic.values = []
            append(topic)
        else:
            append(spec.from_checkpoint(MISSING))
    return out


class LastValueAfterFinish(Generic[Value], BaseChannel[Value, Value, tuple]):
    """Holds the latest write but exposes it only after `finish()`; consuming it clears it."""

    __slots__ = ("value", "finished")

    def __init__(self, typ: Any, key: str = "") -> None:
        self.typ = typ
        self.key = key
        self.value: Any = MISSING  # a Value, or MISSING while empty
        self.finished = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LastValueAfterFinish)

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def copy(self):
        # Same result as the checkpoint round trip, without building the tuple.
        new = self.__class__(self.typ, self.key)
        if self.value is not MISSING:
            new.value = self.value
            new.finished = self.finished
        return new

    def checkpoint(self) -> Any:
        if self.value is MISSING:
            return MISSING
        return (self.value, self.finished)

    def from_checkpoint(self, checkpoint: Any):
        new = self.__class__(self.typ, self.key)
        if checkpoint is not MISSING:
            new.value, new.finished = checkpoint
        return new

    def update(self, values: Sequence[Value]) -> bool:
        if not len(values):
            return False
        self.finished = False
        self.value = values[-1]
        return True

    def consume(self) -> bool:
        if self.finished:
            self.finished = False
            self.value = MISSING
            return True
        return False

    def finish(self) -> bool:
        if self.finished or self.value is MISSING:
            return False
        self.finished = True
        return True

    def get(self) -> Value:
        if self.finished and self.value is not MISSING:
            return self.value
        raise EmptyChannelError()

    def is_available(self) -> bool:
        return self.value is not MISSING and self.finished
