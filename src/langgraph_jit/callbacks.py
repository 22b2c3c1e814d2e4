"""Graph lifecycle callbacks: handlers told when a run pauses for interrupts
and when it resumes from a checkpoint.

A `GraphCallbackHandler` passed in `config["callbacks"]` (alone, in a list,
or in a LangChain callback manager) receives `on_interrupt` / `on_resume`;
other LangChain handlers in the same config are left out of these events.
Importing this module imports langchain_core.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.callbacks.manager import ahandle_event, handle_event

from langgraph_jit.types import Interrupt

__all__ = (
    "GraphCallbackHandler",
    "GraphInterruptEvent",
    "GraphLifecycleEvent",
    "GraphLifecycleStatus",
    "GraphResumeEvent",
    "get_async_graph_callback_manager_for_config",
    "get_sync_graph_callback_manager_for_config",
)

GraphLifecycleStatus: TypeAlias = Literal[
    "input", "pending", "done", "interrupt_before", "interrupt_after", "out_of_steps"
]
"""The run's status when a lifecycle event was taken."""


@dataclass(frozen=True)
class GraphInterruptEvent:
    """The run paused: a node called `interrupt()`, or a breakpoint was reached
    (then `interrupts` is empty). Sent once, by the root graph."""

    run_id: UUID | None
    status: GraphLifecycleStatus
    checkpoint_id: str
    checkpoint_ns: tuple[str, ...]
    interrupts: tuple[Interrupt, ...]


@dataclass(frozen=True)
class GraphResumeEvent:
    """A graph (the root or a subgraph, named by `checkpoint_ns`) resumed from
    the checkpoint `checkpoint_id`."""

    run_id: UUID | None
    status: GraphLifecycleStatus
    checkpoint_id: str
    checkpoint_ns: tuple[str, ...]


GraphLifecycleEvent: TypeAlias = GraphInterruptEvent | GraphResumeEvent


class GraphCallbackHandler(BaseCallbackHandler):
    """Base class of handlers for graph lifecycle events; override the
    methods of the events you want (sync or `async def`)."""

    def on_interrupt(self, event: GraphInterruptEvent) -> Any:
        """The run paused for interrupts (or at a breakpoint)."""

    def on_resume(self, event: GraphResumeEvent) -> Any:
        """A graph resumed from a saved checkpoint."""


def _graph_handlers(handlers: Sequence[Any]) -> list[BaseCallbackHandler]:
    return [h for h in handlers if isinstance(h, GraphCallbackHandler)]


_ManagerT = TypeVar("_ManagerT", bound="_LifecycleManager")


class _LifecycleManager(BaseCallbackManager):
    """A callback manager holding the graph handlers of a config, bound to the
    run the events are about (`run_id`)."""

    def __init__(
        self,
        handlers: Sequence[BaseCallbackHandler] | None = None,
        inheritable_handlers: Sequence[BaseCallbackHandler] | None = None,
        parent_run_id: UUID | None = None,
        *,
        tags: list[str] | None = None,
        inheritable_tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
        run_id: UUID | None = None,
    ) -> None:
        # Any handler may be added (instrumentation libraries add theirs to
        # every manager); only graph handlers get the events.
        super().__init__(
            list(handlers or ()),
            list(inheritable_handlers or ()),
            parent_run_id,
            tags=tags,
            inheritable_tags=inheritable_tags,
            metadata=metadata,
            inheritable_metadata=inheritable_metadata,
        )
        self.run_id = run_id

    @classmethod
    def configure(
        cls: type[_ManagerT], callbacks: Any = None, *, run_id: UUID | None = None
    ) -> _ManagerT:
        """The graph handlers of `callbacks` (a handler, a sequence of them, or a
        callback manager), in a manager of this class."""
        if callbacks is None:
            return cls(run_id=run_id)
        if isinstance(callbacks, BaseCallbackManager):
            return cls(
                _graph_handlers(callbacks.handlers),
                _graph_handlers(callbacks.inheritable_handlers),
                callbacks.parent_run_id,
                tags=list(callbacks.tags),
                inheritable_tags=list(callbacks.inheritable_tags),
                metadata=dict(callbacks.metadata),
                inheritable_metadata=dict(callbacks.inheritable_metadata),
                run_id=run_id,
            )
        if isinstance(callbacks, GraphCallbackHandler):
            return cls([callbacks], run_id=run_id)
        if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Sequence):
            raise TypeError("callbacks must be a handler, sequence, or manager")
        return cls(_graph_handlers(callbacks), run_id=run_id)

    def copy(self: _ManagerT, *, run_id: Any = ...) -> _ManagerT:
        """A copy with the same graph handlers (bound to `run_id` when given)."""
        if run_id is not ... and run_id is not None and not isinstance(run_id, UUID):
            raise TypeError("run_id must be a UUID or None")
        return type(self)(
            _graph_handlers(self.handlers),
            _graph_handlers(self.inheritable_handlers),
            self.parent_run_id,
            tags=list(self.tags),
            inheritable_tags=list(self.inheritable_tags),
            metadata=dict(self.metadata),
            inheritable_metadata=dict(self.inheritable_metadata),
            run_id=self.run_id if run_id is ... else run_id,
        )

    @property
    def graph_handlers(self) -> list[BaseCallbackHandler]:
        """The handlers that get lifecycle events."""
        return _graph_handlers(self.handlers)


class GraphCallbackManager(_LifecycleManager):
    """Sends lifecycle events to graph handlers from synchronous code. A
    handler's error is logged, or raised when the handler sets `raise_error`."""

    def on_interrupt(self, event: GraphInterruptEvent) -> None:
        handle_event(self.graph_handlers, "on_interrupt", None, event)

    def on_resume(self, event: GraphResumeEvent) -> None:
        handle_event(self.graph_handlers, "on_resume", None, event)


class AsyncGraphCallbackManager(_LifecycleManager):
    """Async twin of GraphCallbackManager (async handlers are awaited)."""

    @property
    def is_async(self) -> bool:
        return True

    async def on_interrupt(self, event: GraphInterruptEvent) -> None:
        await ahandle_event(self.graph_handlers, "on_interrupt", None, event)

    async def on_resume(self, event: GraphResumeEvent) -> None:
        await ahandle_event(self.graph_handlers, "on_resume", None, event)


def get_sync_graph_callback_manager_for_config(
    config: dict[str, Any], *, run_id: UUID | None = None
) -> GraphCallbackManager:
    """The graph handlers of `config["callbacks"]`, bound to `run_id`."""
    return GraphCallbackManager.configure(config.get("callbacks"), run_id=run_id)


def get_async_graph_callback_manager_for_config(
    config: dict[str, Any], *, run_id: UUID | None = None
) -> AsyncGraphCallbackManager:
    """Async twin of get_sync_graph_callback_manager_for_config."""
    return AsyncGraphCallbackManager.configure(config.get("callbacks"), run_id=run_id)
