"""`UntrackedValue`: like a guarded last value, but never written to (or restored from) checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.errors import EmptyChannelError, InvalidUpdateError

__all__ = ("UntrackedValue",)


class UntrackedValue(Generic[Value], BaseChannel[Value, Value, Value]):
    """Stores the latest write in memory only; `checkpoint()` is always `MISSING`."""

    __slots__ = ("value", "guard")

    def __init__(self, typ: Any, guard: bool = True) -> None:
        self.typ = typ
        self.key = ""
        self.guard = guard
        self.value: Any = MISSING  # a Value, or MISSING while empty

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UntrackedValue) and other.guard == self.guard

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
        return MISSING

    def from_checkpoint(self, checkpoint: Any):
        # Whatever was stored, an untracked channel restarts empty.
        new = self.__class__(self.typ, self.guard)
        new.key = self.key
        return new

    def update(self, values: Sequence[Value]) -> bool:
        n = len(values)
        if n == 1:
            self.value = values[0]
            return True
        if n == 0:
            return False
        if self.guard:
            raise InvalidUpdateError(
                f"At key '{self.key}': UntrackedValue(guard=True) can receive only one "
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
