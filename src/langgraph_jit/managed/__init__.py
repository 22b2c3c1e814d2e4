"""Managed values: state fields computed by the engine for each task, never stored.

`RemainingSteps` and `IsLastStep` are annotations for state schema fields.
"""

from typing import Annotated, Any


class ManagedValue:
    """Base of values computed per task from the run's step and step limit."""

    @staticmethod
    def get(scratchpad: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class IsLastStepManager(ManagedValue):
    @staticmethod
    def get(scratchpad: Any) -> bool:
        return scratchpad.step == scratchpad.stop - 1


class RemainingStepsManager(ManagedValue):
    @staticmethod
    def get(scratchpad: Any) -> int:
        return scratchpad.stop - scratchpad.step


IsLastStep = Annotated[bool, IsLastStepManager]
RemainingSteps = Annotated[int, RemainingStepsManager]


def is_managed_value(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, ManagedValue)


__all__ = ("IsLastStep", "ManagedValue", "RemainingSteps", "is_managed_value")
