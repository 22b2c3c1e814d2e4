"""Interop with langchain_core, used only when the program already imported it.

LangChain components called inside a node (chat models, tools) find their
config (callbacks, tags, metadata) through langchain_core's context variable;
setting it per task is what makes tracing and the `messages` stream mode work.
"""

from __future__ import annotations

import sys
from typing import Any


def langchain_loaded() -> bool:
    return "langchain_core" in sys.modules


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
    """Callback handlers that turn chat-model tokens into `messages` chunks."""
    if "messages" not in run.stream_modes or not langchain_loaded():
        return []
    handler = getattr(run, "_messages_handler", None)
    if handler is None:
        from langgraph_jit.pregel._messages import StreamMessagesHandler

        handler = run._messages_handler = StreamMessagesHandler(run)
    return [handler]
