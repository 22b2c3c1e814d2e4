"""LangGraph's module path for channel writers (documented Pregel examples import it)."""

from langgraph_jit.pregel._node import (
    PASSTHROUGH,
    ChannelWrite,
    ChannelWriteEntry,
    ChannelWriteTupleEntry,
)

__all__ = ("PASSTHROUGH", "ChannelWrite", "ChannelWriteEntry", "ChannelWriteTupleEntry")
