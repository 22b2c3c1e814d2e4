"""Private helpers at the paths LangGraph's own private modules have, for libraries
that import them (langchain's agents, langgraph-supervisor, langgraph-swarm, trustcall)."""

from __future__ import annotations


def _allow_generic_subscription() -> None:
    """LangGraph's Pregel/StateGraph/CompiledStateGraph are Generic, and libraries
    annotate with `Pregel[Any]` evaluated at import time. Until ours are Generic
    (engine change requested), let subscription return the class itself."""
    from langgraph_jit.graph.state import CompiledStateGraph, StateGraph
    from langgraph_jit.pregel import Pregel

    for cls in (Pregel, StateGraph, CompiledStateGraph):
        if "__class_getitem__" not in vars(cls) and not hasattr(cls, "__parameters__"):
            # patched in at run time: mypy sees no such attribute on these classes
            cls.__class_getitem__ = classmethod(lambda c, _item: c)  # type: ignore[union-attr]


_allow_generic_subscription()
