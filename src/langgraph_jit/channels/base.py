"""The channel protocol every channel implements; the engine only talks to channels through it.

`update`, `consume` and `finish` return whether the channel changed (so its version bumps).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from langgraph_jit._constants import MISSING
from langgraph_jit.errors import EmptyChannelError

Value = TypeVar("Value")
Update = TypeVar("Update")
Checkpoint = TypeVar("Checkpoint")

__all__ = ("BaseChannel",)


class BaseChannel(Generic[Value, Update, Checkpoint], ABC):
    """Abstract channel: holds one piece of graph state and folds each step's writes into it."""

    __slots__ = ("key", "typ")

    def __init__(self, typ: Any, key: str = "") -> None:
        self.typ = typ
        self.key = key

    @property
    @abstractmethod
    def ValueType(self) -> Any:
        """Type of what `get()` returns."""

    @property
    @abstractmethod
    def UpdateType(self) -> Any:
        """Type of one write accepted by `update()`."""

    def copy(self):
        """A new channel in the same state (subclasses override with something cheaper)."""
        return self.from_checkpoint(self.checkpoint())

    def checkpoint(self) -> Any:
        """Serialisable state, or `MISSING` when the channel is empty."""
        try:
            return self.get()
        except EmptyChannelError:
            return MISSING

    @abstractmethod
    def from_checkpoint(self, checkpoint: Any):
        """A new channel of the same kind and configuration, restored from `checkpoint`
        (`MISSING` means empty)."""

    @abstractmethod
    def get(self) -> Value:
        """The current value; raises `EmptyChannelError` when there is none."""

    def is_available(self) -> bool:
        """Whether `get()` would return a value."""
        try:
            self.get()
        except EmptyChannelError:
            return False
        return True

    @abstractmethod
    def update(self, values: Sequence[Update]) -> bool:
        """Apply all writes of one superstep (possibly none); True if the channel changed.

        Raises `InvalidUpdateError` if the writes cannot be combined."""

    def consume(self) -> bool:
        """A task triggered by this channel ran; True if that changed the channel."""
        return False

    def finish(self) -> bool:
        """The run is about to end; True if that changed the channel (and so may wake nodes)."""
        return False
