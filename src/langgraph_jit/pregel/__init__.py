"""Low-level Pregel API: `Pregel` graphs built from `NodeBuilder` nodes."""

from langgraph_jit.pregel._node import NodeBuilder
from langgraph_jit.pregel.main import Pregel

__all__ = ("NodeBuilder", "Pregel")
