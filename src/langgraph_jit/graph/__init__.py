"""The Graph API: `StateGraph`, `START`, `END`, and message helpers.

`add_messages` / `MessagesState` load on first access, so importing the
graph API does not pull in the messages module (or langchain_core).
"""

from langgraph_jit.constants import END, START
from langgraph_jit.graph.state import StateGraph

__all__ = ("END", "START", "MessageGraph", "MessagesState", "StateGraph", "add_messages")


def __getattr__(name: str):
    if name in ("add_messages", "MessagesState", "MessageGraph"):
        from langgraph_jit.graph import message

        return getattr(message, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
