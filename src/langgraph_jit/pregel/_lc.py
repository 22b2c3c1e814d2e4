"""Interop with langchain_core, used only when the program already imported it.

LangChain components called inside a node (chat models, tools) find their
config (callbacks, tags, metadata) through langchain_core's context variable;
setting it per task is what makes tracing and the `messages` stream mode work.
"""

from __future__ import annotations

import inspect
import os
import sys
from typing import Any

from langgraph_jit._constants import CONF, CONFIG_KEY_STREAM_MESSAGES_V2, CONFIG_KEY_TASK_ID
from langgraph_jit.pregel.protocol import PregelProtocol

# A program holding any LangChain object (a runnable, a callback, a message) has loaded
# one of these; the package alone (imported for its warning classes, as v3 streaming
# does) holds none, so nothing needs LangChain interop for it.
_LANGCHAIN_MODULES = (
    "langchain_core.runnables",
    "langchain_core.callbacks",
    "langchain_core.messages",
)


def langchain_loaded() -> bool:
    modules = sys.modules
    # (spelt out, not any() over a generator: every run asks)
    if "langchain_core" in modules and (
        "langchain_core.runnables" in modules
        or "langchain_core.callbacks" in modules
        or "langchain_core.messages" in modules
    ):
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


def is_runnable(obj: Any) -> bool:
    """Whether a node (or writer) is called through `invoke`/`ainvoke` rather
    than as a function: graphs, LangChain Runnables, and objects that are not
    callable but have `invoke`. As in LangGraph, a callable that merely
    answers to `invoke` (a `unittest.mock.Mock`) is called as a function."""
    if isinstance(obj, PregelProtocol):
        return True
    if not callable(obj):
        return hasattr(obj, "invoke")
    if langchain_loaded():
        from langchain_core.runnables import Runnable

        return isinstance(obj, Runnable)
    # Without LangChain only a class that defines `invoke` counts (a Mock
    # answers to any attribute name, its class defines none).
    return hasattr(type(obj), "invoke") and not inspect.isroutine(obj)


def parallel_of(mapping: dict) -> Any:
    """A dict given as a node runs as LangChain's RunnableParallel (each value
    on the same input), as LangGraph coerces it; needs langchain_core."""
    from langchain_core.runnables import RunnableParallel

    return RunnableParallel(mapping)


def context_needed(config: dict, stream_modes: Any) -> bool:
    """Whether tasks must expose their config to LangChain code: only when
    something listens (callbacks, tracing, the messages stream); building
    a task's full config every step would otherwise be wasted work."""
    if not langchain_loaded():
        return False
    if config.get("callbacks") or "messages" in stream_modes or "tools" in stream_modes:
        return True
    return tracing_enabled()


def tracing_enabled() -> bool:
    """Whether LangChain would trace without callbacks in the config: LangSmith
    tracing on (environment, `tracing_v2_enabled()`, a `@traceable` caller),
    another configure hook set, or LangChain's debug mode."""
    context = sys.modules.get("langchain_core.tracers.context")
    if context is None:
        if "langsmith" not in sys.modules:
            # Neither LangChain's tracing machinery nor LangSmith is loaded
            # (importing them costs much): only the environment can ask.
            return any(os.environ.get(k, "").lower() == "true" for k in _TRACING_ENV)
        # LangSmith is (a `tracing_context`, a `@traceable` caller may be on).
        from langchain_core.tracers import context
    enabled = getattr(context, "_tracing_v2_is_enabled", None)
    if enabled is not None and enabled():
        return True
    for var, _inheritable, _handler, env_var in getattr(context, "_configure_hooks", ()):
        if var.get() is not None:
            return True
        if env_var and env_var not in _TRACING_ENV and os.environ.get(env_var):
            return True
    globals_ = sys.modules.get("langchain_core.globals")
    return bool(globals_ is not None and globals_.get_debug())


# The environment switches of LangSmith tracing.
_TRACING_ENV = ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING_V2", "LANGSMITH_TRACING")


def ambient_config() -> dict | None:
    """The config LangChain code set for what it calls (None outside it, and
    when langchain_core's runnables are not loaded)."""
    module = sys.modules.get("langchain_core.runnables.config")
    return None if module is None else module.var_child_runnable_config.get()


# langchain_core's context variable of the config runnables inherit, found once
# (an import statement per task costs more than setting the variable).
_child_config_var: list[Any] = []


def _config_var() -> Any:
    if not _child_config_var:
        try:
            from langchain_core.runnables.config import var_child_runnable_config
        except ImportError:  # pragma: no cover - langchain_core half-imported
            return None
        _child_config_var.append(var_child_runnable_config)
    return _child_config_var[0]


def enter_task(task: Any) -> Any:
    """Expose the task's config to LangChain code run by the task."""
    var = _child_config_var[0] if _child_config_var else _config_var()
    return None if var is None else var.set(task.config)


def exit_task(token: Any) -> None:
    if token is not None:
        token.var.reset(token)


def set_messages_version(run: Any, version: str) -> None:
    """Which `messages` handler a run attaches. A `version="v2"` stream whose
    config asks for it (v3 event streaming does) gets chat-model output as
    protocol events. Any other stream of `messages` keeps chunks, even inside a
    node of such a run (the flag reaches it through the config): it drops the
    v2 handler it inherits, whose presence would switch the models it calls."""
    config = run.config
    if version == "v2":
        if config[CONF].get(CONFIG_KEY_STREAM_MESSAGES_V2):
            run.emitter.messages_v2 = True
    elif "messages" in run.emitter.own_modes and config.get("callbacks") and langchain_loaded():
        from langgraph_jit.pregel._messages import without_v2_handlers

        config["callbacks"] = without_v2_handlers(config["callbacks"])


def drop_callers_graph_handlers(run: Any) -> None:
    """A graph run that is not a task of its caller (a graph given a thread of its own
    inside a node, say) numbers its namespaces from the root: a caller's `messages` or
    `tools` handler that streams only its own graph would take this run's events for
    its graph's, so the run drops it (one streaming subgraphs asked for them)."""
    config = run.config
    callbacks = config.get("callbacks")
    if not callbacks or CONFIG_KEY_TASK_ID in config[CONF] or not langchain_loaded():
        return
    from langchain_core.callbacks import BaseCallbackManager

    from langgraph_jit.pregel._messages import StreamMessagesHandler
    from langgraph_jit.pregel._tools import StreamToolCallHandler

    def keep(handlers: list[Any]) -> list[Any]:
        return [
            h
            for h in handlers
            if not (
                isinstance(h, (StreamMessagesHandler, StreamToolCallHandler)) and not h.subgraphs
            )
        ]

    if isinstance(callbacks, BaseCallbackManager):
        if len(keep(callbacks.handlers)) == len(callbacks.handlers):
            return
        manager = callbacks.copy()
        manager.handlers = keep(manager.handlers)
        manager.inheritable_handlers = keep(manager.inheritable_handlers)
        config["callbacks"] = manager
    elif isinstance(callbacks, list):
        config["callbacks"] = keep(callbacks)


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
        from langgraph_jit.pregel import _messages

        if "messages" not in emitter.own_modes:
            handler = False
        elif emitter.messages_v2:  # a v3 event stream: protocol events, not chunks
            handler = _messages.StreamMessagesHandlerV2.for_run(run)
        else:
            handler = _messages.StreamMessagesHandler.for_run(run)
        emitter.messages_handler = handler
    return [handler] if handler is not False else []


# `_messages.on_task_done`, found on first use (the module imports langchain_core);
# an import statement per task would cost more than the hook itself.
_on_task_done: list[Any] = []


def messages_task_done(run: Any, task: Any) -> None:
    """A task of a run streaming `messages` finished: send the messages it wrote."""
    if not _on_task_done:
        from langgraph_jit.pregel._messages import on_task_done

        _on_task_done.append(on_task_done)
    _on_task_done[0](run, task)
