"""`DeltaChannel` (beta): a reducer channel whose checkpoints keep what each step wrote.

The value is rebuilt on load from the nearest stored snapshot plus the writes saved
after it; the engine decides when a snapshot is stored (see `delta_storage`).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.channels.binop import _concrete_class, _get_overwrite, _same_operator
from langgraph_jit.checkpoint.serde.types import _DeltaSnapshot
from langgraph_jit.errors import (
    EmptyChannelError,
    ErrorCode,
    InvalidUpdateError,
    create_error_message,
)

__all__ = ("DeltaChannel",)

DEFAULT_SNAPSHOT_FREQUENCY = 100


def _one_overwrite(values: Sequence[Any]) -> tuple[bool, Any]:
    """The step's overwrite, if any: (True, replacement) or (False, None).
    Two overwrites in one step are an error, as for BinaryOperatorAggregate."""
    found: tuple[bool, Any] = (False, None)
    for value in values:
        got = _get_overwrite(value)
        if got[0]:
            if found[0]:
                raise InvalidUpdateError(
                    create_error_message(
                        message="Can receive only one Overwrite value per super-step.",
                        error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
                    )
                )
            found = got
    return found


class DeltaChannel(Generic[Value], BaseChannel[Any, Any, Any]):
    """Reducer channel with a batch reducer: `reducer(value, [write, ...]) -> value`.

    The reducer must give the same result however the writes are batched
    (`reducer(reducer(v, xs), ys) == reducer(v, xs + ys)`): a value rebuilt from
    stored writes folds many steps in one call. An `Overwrite` write replaces the
    value (and drops the other writes of its step). `checkpoint()` is always
    `MISSING`: the engine stores a `_DeltaSnapshot` of the value every
    `snapshot_frequency` updates and the writes in between.
    """

    __slots__ = ("value", "reducer", "snapshot_frequency", "_empty")

    def __init__(
        self,
        reducer: Callable[[Any, Sequence[Any]], Any],
        typ: Any = None,
        *,
        snapshot_frequency: int = DEFAULT_SNAPSHOT_FREQUENCY,
    ) -> None:
        if snapshot_frequency <= 0:
            raise ValueError(f"snapshot_frequency must be a positive int, got {snapshot_frequency}")
        # Without a type the state schema supplies it (Annotated[T, DeltaChannel(...)]).
        self._empty = _concrete_class(list if typ is None else typ)
        self.typ = self._empty
        self.key = ""
        self.reducer = reducer
        self.snapshot_frequency = snapshot_frequency
        self.value: Any = MISSING

    def with_type(self, typ: Any) -> DeltaChannel:
        """The same channel for a state field annotated with type `typ`."""
        return self.__class__(self.reducer, typ, snapshot_frequency=self.snapshot_frequency)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DeltaChannel)
            and self.snapshot_frequency == other.snapshot_frequency
            and _same_operator(self.reducer, other.reducer)
        )

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def _new(self, value: Any) -> DeltaChannel:
        new = object.__new__(self.__class__)
        new.typ = self.typ
        new._empty = self._empty
        new.key = self.key
        new.reducer = self.reducer
        new.snapshot_frequency = self.snapshot_frequency
        new.value = value
        return new

    def copy(self) -> DeltaChannel:
        # Shallow copy: a reducer that mutates its input must not reach the original.
        value = self.value
        return self._new(value if value is MISSING else _copy.copy(value))

    def from_checkpoint(self, checkpoint: Any) -> DeltaChannel:
        """`MISSING`: empty value (stored writes are replayed on top by the loader);
        a `_DeltaSnapshot`: its value; anything else: a value stored by a plain
        reducer channel before the field became a DeltaChannel."""
        if checkpoint is MISSING:
            return self._new(self._empty())
        if isinstance(checkpoint, _DeltaSnapshot):
            return self._new(checkpoint.value)
        return self._new(checkpoint)

    def _replacement(self, value: Any) -> Any:
        return self._empty() if value is None else _copy.copy(value)

    def replay_writes(self, writes: Sequence[tuple[str, str, Any]]) -> None:
        """Fold stored writes `(task_id, channel, value)`, oldest first, in one
        reducer call; the last overwrite among them is the new starting value."""
        values = [w[2] for w in writes]
        if not values:
            return
        base = self.value
        for i in range(len(values) - 1, -1, -1):
            is_overwrite, replacement = _get_overwrite(values[i])
            if is_overwrite:
                base = self._replacement(replacement)
                values = values[i + 1 :]
                break
        self.value = self.reducer(base, values) if values else base

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        is_overwrite, replacement = _one_overwrite(values)
        if is_overwrite:
            self.value = self._replacement(replacement)
            return True
        base = self._empty() if self.value is MISSING else self.value
        self.value = self.reducer(base, list(values))
        return True

    def get(self) -> Any:
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        return self.value is not MISSING

    def checkpoint(self) -> Any:
        # The value is never stored as is: see the class docstring.
        return MISSING
