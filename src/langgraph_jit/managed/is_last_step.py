"""LangGraph's `langgraph.managed.is_last_step` path: the step-limit managed values.

Re-exports `IsLastStep` / `RemainingSteps` and their managers from `langgraph_jit.managed`.
"""

from langgraph_jit.managed import (
    IsLastStep,
    IsLastStepManager,
    ManagedValue,
    RemainingSteps,
    RemainingStepsManager,
)

__all__ = (
    "IsLastStep",
    "IsLastStepManager",
    "ManagedValue",
    "RemainingSteps",
    "RemainingStepsManager",
)
