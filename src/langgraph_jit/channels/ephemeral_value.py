"""`EphemeralValue`: holds what was written in the previous step only; a step without writes clears it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.errors import EmptyChannelError, InvalidUpdateError

__all__ = ("EphemeralValue",)

_new_object = object.__new__


class EphemeralValue(Generic[Value], BaseChannel[Value, Value, Value]):
    """Value of the step just before; with `guard` more than one write per step is an error."""

    __slots__ = ("value", "guard")

    def __init__(self, typ: Any, guard: bool = True) -> None:
        self.typ = typ
        self.key = ""
        self.guard = guard
        self.value: Any = MISSING  # a Value, or MISSING while empty

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EphemeralValue) and other.guard == self.guard

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def copy(self):
        new = self.__class__(self.typ, self.guard)
        new.key = self.key
        new.value = self.value
        return new

    def checkpoint(self) -> Any:
        return self.value

    def from_checkpoint(self, checkpoint: Any):
        cls = self.__class__
        if cls is EphemeralValue:
            # Every run makes one per StateGraph node: skip __init__ (same slots).
            new = _new_object(cls)
            new.typ = self.typ
            new.key = self.key
            new.guard = self.guard
            new.value = checkpoint
            return new
        new = cls(self.typ, self.guard)
        new.key = self.key
        if checkpoint is not MISSING:
            new.value = checkpoint
        return new

    def update(self, values: Sequence[Value]) -> bool:
        n = len(values)
        if n == 1:
            self.value = values[0]
            return True
        if n == 0:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        if self.guard:
            raise InvalidUpdateError(
                f"At key '{self.key}': EphemeralValue(guard=True) can receive only one "
                "value per step. Use guard=False if you want to store any one of "
                "multiple values."
            )
        self.value = values[-1]
        return True

    def get(self) -> Value:
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        return self.value is not MISSING
