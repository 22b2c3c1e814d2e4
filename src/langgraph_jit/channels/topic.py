"""`Topic`: a pub/sub channel collecting every write of a step (optionally across steps).

List writes are flattened one level, so a node can publish several values at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.errors import EmptyChannelError

__all__ = ("Topic",)


class Topic(Generic[Value], BaseChannel[Sequence, Any, list]):
    """Collects writes into a list; without `accumulate` the list restarts every step."""

    __slots__ = ("values", "accumulate")

    def __init__(self, typ: Any, accumulate: bool = False) -> None:
        self.typ = typ
        self.key = ""
        self.accumulate = accumulate
        self.values: list = []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Topic) and other.accumulate == self.accumulate

    @property
    def ValueType(self) -> Any:
        return Sequence[self.typ]  # type: ignore[name-defined]

    @property
    def UpdateType(self) -> Any:
        return self.typ | list[self.typ]  # type: ignore[name-defined]

    def copy(self):
        new = self.__class__(self.typ, self.accumulate)
        new.key = self.key
        new.values = self.values.copy()
        return new

    def checkpoint(self) -> Any:
        return self.values

    def from_checkpoint(self, checkpoint: Any):
        new = self.__class__(self.typ, self.accumulate)
        new.key = self.key
        if checkpoint is not MISSING:
            # Old checkpoints stored a (seen_ids, values) pair.
            new.values = checkpoint[1] if isinstance(checkpoint, tuple) else checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        if self.accumulate:
            changed = False
            buffer = self.values
        else:
            changed = bool(self.values)
            # A fresh list (not clear()): a checkpoint taken earlier may still hold the old one.
            buffer = self.values = []
        if (
            type(values) is list
            and len(values) > 8
            and not any(issubclass(k, list) for k in set(map(type, values)))
        ):
            # Many single values (a router's Send packets, J, issue 17): one extend.
            buffer.extend(values)
            return True
        for value in values:
            if isinstance(value, list):
                if value:
                    buffer.extend(value)
                    changed = True
            else:
                buffer.append(value)
                changed = True
        return changed

    def get(self) -> Sequence[Value]:
        if self.values:
            return list(self.values)
        raise EmptyChannelError

    def is_available(self) -> bool:
        return bool(self.values)
