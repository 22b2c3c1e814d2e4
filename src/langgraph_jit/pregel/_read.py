"""LangGraph's module path for PregelNode."""

from langgraph_jit.pregel._node import PregelNode

__all__ = ("PregelNode",)
