"""Interop with langchain_core, used only when the program already imported it.

LangChain components called inside a node (chat models, tools) find their
config (callbacks, tags, metadata) through langchain_core's context variable;
setting it per task is what makes tracing and the `messages` stream mode work.
"""

from __future__ import annotations

import sys
from typing import Any

from langgraph_jit.pregel.protocol import PregelProtocol


def langchain_loaded() -> bool:
    if "langchain_core" in sys.modules:
        if not _adopted[0]:
            adopt()
        return True
    return False


_adopted = [False]


def adopt() -> None:
    """Make our Command and graphs the LangChain types LangChain code checks
    for (ToolOutputMixin, Runnable), once langchain_core is loaded."""
    _adopted[0] = True
    from langgraph_jit.types import adopt_langchain

    adopt_langchain()
    try:
        from langchain_core.runnables import Runnable
    except ImportError:
        return
    # PregelProtocol is an ABC: registering it makes every graph a virtual Runnable.
    Runnable.register(PregelProtocol)  # type: ignore[type-abstract]  # the ABC itself, by design


def context_needed(config: dict, stream_modes: Any) -> bool:
    """Whether tasks must expose their config to LangChain code: only when
    something listens (callbacks, tracing, the messages stream); building
    a task's full config every step would otherwise be wasted work."""
    if not langchain_loaded():
        return False
    if config.get("callbacks") or "messages" in stream_modes or "tools" in stream_modes:
        return True
    import os

    return any(
        os.environ.get(k, "").lower() == "true"
        for k in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING")
    )


def enter_task(task: Any) -> Any:
    """Expose the task's config to LangChain code run by the task."""
    try:
        from langchain_core.runnables.config import var_child_runnable_config
    except ImportError:  # pragma: no cover - langchain_core half-imported
        return None
    return var_child_runnable_config.set(task.config)


def exit_task(token: Any) -> None:
    if token is None:
        return
    from langchain_core.runnables.config import var_child_runnable_config

    var_child_runnable_config.reset(token)


def messages_callbacks(run: Any) -> list[Any]:
    """Callback handlers that turn chat-model tokens into `messages` chunks.

    A run gets its own handler when its caller asked for `messages`; a subgraph
    that streams `messages` only for its parent (subgraphs=True) uses the
    parent's handler, which reaches it through the inherited callbacks.
    """
    emitter = run.emitter
    if "messages" not in emitter.stream_modes or not langchain_loaded():
        return []
    handler = emitter.messages_handler
    if handler is None:
        from langgraph_jit.pregel._messages import StreamMessagesHandler

        own = "messages" in emitter.own_modes
        handler = emitter.messages_handler = StreamMessagesHandler(run) if own else False
    return [handler] if handler is not False else []
