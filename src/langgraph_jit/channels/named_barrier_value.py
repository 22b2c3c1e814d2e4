"""Barrier channels for nodes with several required predecessors (`add_edge([a, b], c)`):
available once every named writer has written; `...AfterFinish` also waits for `finish()`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.errors import EmptyChannelError, InvalidUpdateError

__all__ = ("NamedBarrierValue", "NamedBarrierValueAfterFinish")


def _not_a_name(key: str, value: Any, names: Any) -> InvalidUpdateError:
    return InvalidUpdateError(f"At key '{key}': Value {value} not in {names}")


class NamedBarrierValue(Generic[Value], BaseChannel[Value, Value, set]):
    """Available (value `None`) once every name in `names` has been written; consuming resets it."""

    __slots__ = ("names", "seen")

    def __init__(self, typ: Any, names: set) -> None:
        self.typ = typ
        self.key = ""
        self.names = names
        self.seen: set = set()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamedBarrierValue) and other.names == self.names

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def copy(self):
        new = self.__class__(self.typ, self.names)
        new.key = self.key
        new.seen = self.seen.copy()
        return new

    def checkpoint(self) -> Any:
        return self.seen

    def from_checkpoint(self, checkpoint: Any):
        new = self.__class__(self.typ, self.names)
        new.key = self.key
        if checkpoint is not MISSING:
            new.seen = checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        changed = False
        names = self.names
        seen = self.seen
        for value in values:
            if value not in names:
                raise _not_a_name(self.key, value, names)
            if value not in seen:
                seen.add(value)
                changed = True
        return changed

    def get(self) -> Any:
        if self.seen != self.names:
            raise EmptyChannelError()
        return None

    def is_available(self) -> bool:
        return self.seen == self.names

    def consume(self) -> bool:
        if self.seen == self.names:
            self.seen = set()
            return True
        return False


class NamedBarrierValueAfterFinish(Generic[Value], BaseChannel[Value, Value, tuple]):
    """Like `NamedBarrierValue`, but the complete barrier is released only by `finish()`."""

    __slots__ = ("names", "seen", "finished")

    def __init__(self, typ: Any, names: set) -> None:
        self.typ = typ
        self.key = ""
        self.names = names
        self.seen: set = set()
        self.finished = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamedBarrierValueAfterFinish) and other.names == self.names

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def copy(self):
        new = self.__class__(self.typ, self.names)
        new.key = self.key
        new.seen = self.seen.copy()
        new.finished = self.finished
        return new

    def checkpoint(self) -> Any:
        return (self.seen, self.finished)

    def from_checkpoint(self, checkpoint: Any):
        new = self.__class__(self.typ, self.names)
        new.key = self.key
        if checkpoint is not MISSING:
            new.seen, new.finished = checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        changed = False
        names = self.names
        seen = self.seen
        for value in values:
            if value not in names:
                raise _not_a_name(self.key, value, names)
            if value not in seen:
                seen.add(value)
                changed = True
        return changed

    def get(self) -> Any:
        if not self.finished or self.seen != self.names:
            raise EmptyChannelError()
        return None

    def is_available(self) -> bool:
        return self.finished and self.seen == self.names

    def consume(self) -> bool:
        if self.finished and self.seen == self.names:
            self.finished = False
            self.seen = set()
            return True
        return False

    def finish(self) -> bool:
        if not self.finished and self.seen == self.names:
            self.finished = True
            return True
        return False
