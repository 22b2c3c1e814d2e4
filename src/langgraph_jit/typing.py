"""Type variables used in LangGraph's generic signatures (`langgraph.typing`)."""

from typing_extensions import TypeVar

StateT = TypeVar("StateT", default=dict)
StateT_co = TypeVar("StateT_co", covariant=True, default=dict)
StateT_contra = TypeVar("StateT_contra", contravariant=True, default=dict)
InputT = TypeVar("InputT", default=dict)
OutputT = TypeVar("OutputT", default=dict)
ContextT = TypeVar("ContextT", default=None)
ContextT_contra = TypeVar("ContextT_contra", contravariant=True, default=None)
NodeInputT = TypeVar("NodeInputT")
NodeInputT_contra = TypeVar("NodeInputT_contra", contravariant=True)

__all__ = ("ContextT", "InputT", "OutputT", "StateT", "StateT_co", "StateT_contra")
