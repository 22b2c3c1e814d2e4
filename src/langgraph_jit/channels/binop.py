"""`BinaryOperatorAggregate`: the reducer channel behind `Annotated[T, reducer]` state keys.

Each write is folded in with `value = operator(value, write)`; an `Overwrite` write replaces it.
"""

from __future__ import annotations

import collections.abc
import contextlib
import sys
import typing
from collections.abc import Callable, Sequence
from typing import Any, Generic

from langgraph_jit._constants import MISSING, OVERWRITE
from langgraph_jit._overwrite import Overwrite
from langgraph_jit.channels.base import BaseChannel, Value
from langgraph_jit.errors import (
    EmptyChannelError,
    ErrorCode,
    InvalidUpdateError,
    create_error_message,
)

__all__ = ("BinaryOperatorAggregate",)

# Abstract collection types cannot be instantiated; start from their usual concrete type.
_CONCRETE = (
    ((collections.abc.Sequence, collections.abc.MutableSequence), list),
    ((collections.abc.Set, collections.abc.MutableSet), set),
    ((collections.abc.Mapping, collections.abc.MutableMapping), dict),
)


def _required_markers() -> tuple:
    markers = [getattr(typing, "Required", None), getattr(typing, "NotRequired", None)]
    # typing_extensions has its own markers on old Pythons; only look if the user loaded it.
    te = sys.modules.get("typing_extensions")
    if te is not None:
        markers += [getattr(te, "Required", None), getattr(te, "NotRequired", None)]
    return tuple(m for m in markers if m is not None)


def _base_type(typ: Any) -> Any:
    """The runtime class under a type hint: unwraps Annotated, Required/NotRequired and
    generic aliases (`list[int]` -> `list`, `typing.Sequence[int]` -> `Sequence`)."""
    markers = None
    while hasattr(typ, "__origin__"):
        origin = typ.__origin__
        if markers is None:
            markers = _required_markers()
        typ = typ.__args__[0] if origin in markers else origin
    return typ


# Resolved initial-value class per hint: every run builds its channels afresh.
_INITIAL_CLASS: dict[Any, Any] = {}


def _concrete_class(typ: Any) -> Any:
    """The class that builds an empty value for hint `typ` (abstract collections
    map to list, set and dict)."""
    try:
        base = _INITIAL_CLASS.get(typ)
    except TypeError:  # an unhashable hint
        base = None
    if base is None:
        base = _base_type(typ)
        for abstract, concrete in _CONCRETE:
            if base in abstract:
                base = concrete
        with contextlib.suppress(TypeError):  # an unhashable hint
            _INITIAL_CLASS[typ] = base
    return base


def _initial_value(typ: Any) -> Any:
    try:
        return _concrete_class(typ)()
    except Exception:
        return MISSING


def _get_overwrite(value: Any) -> tuple[bool, Any]:
    """(True, replacement) if `value` is an overwrite write, else (False, None).

    Besides `Overwrite(v)`, accepts `{"__overwrite__": v}` and the JSON form of an
    `Overwrite`, `{"value": v, "type": "__overwrite__"}`."""
    if isinstance(value, Overwrite):
        return True, value.value
    if isinstance(value, dict):
        if len(value) == 1 and OVERWRITE in value:
            return True, value[OVERWRITE]
        if value.get("type") == OVERWRITE and "value" in value:
            return True, value["value"]
    return False, None


def _same_operator(a: Callable, b: Callable) -> bool:
    # Every lambda is called "<lambda>" and a rebuilt graph gets new lambda objects,
    # so any comparison involving a lambda counts as equal.
    if a.__name__ == "<lambda>" or b.__name__ == "<lambda>":
        return True
    return a is b


class BinaryOperatorAggregate(Generic[Value], BaseChannel[Value, Value, Value]):
    """Folds every write into the value with a binary operator, starting from `typ()`."""

    __slots__ = ("value", "operator")

    def __init__(self, typ: Any, operator: Callable[[Any, Any], Any]) -> None:
        self.typ = typ
        self.key = ""
        self.operator = operator
        self.value = _initial_value(typ)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BinaryOperatorAggregate) and _same_operator(
            self.operator, other.operator
        )

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def _blank(self) -> BinaryOperatorAggregate:
        # Skips building the initial value when the caller overwrites it anyway.
        cls = self.__class__
        if cls is BinaryOperatorAggregate:
            new = object.__new__(cls)
            new.typ = self.typ
            new.operator = self.operator
        else:  # a subclass may initialise more state in __init__
            new = cls(self.typ, self.operator)
        new.key = self.key
        return new

    def copy(self):
        new = self._blank()
        new.value = self.value
        return new

    def checkpoint(self) -> Any:
        return self.value

    def from_checkpoint(self, checkpoint: Any):
        # A thread saved while this key was a DeltaChannel holds a snapshot of the value.
        # (Matched by name: tests hand in LangGraph's own snapshot class too.)
        if type(checkpoint).__name__ == "_DeltaSnapshot":
            checkpoint = checkpoint.value
        if checkpoint is MISSING:
            new = self.__class__(self.typ, self.operator)
            new.key = self.key
            return new
        new = self._blank()
        new.value = checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        if self.value is MISSING:
            # Nothing to fold into: the first write is taken as is.
            self.value = values[0]
            values = values[1:]
        operator = self.operator
        overwritten = False
        for value in values:
            if isinstance(value, (Overwrite, dict)):
                is_overwrite, replacement = _get_overwrite(value)
                if is_overwrite:
                    if overwritten:
                        raise InvalidUpdateError(
                            create_error_message(
                                message="Can receive only one Overwrite value per super-step.",
                                error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
                            )
                        )
                    self.value = replacement
                    overwritten = True
                    continue
            if not overwritten:
                self.value = operator(self.value, value)
        return True

    def get(self) -> Value:
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        return self.value is not MISSING
