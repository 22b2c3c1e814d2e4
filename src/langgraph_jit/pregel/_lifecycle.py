"""Graph lifecycle events of a run (resumed, interrupted) for the
`GraphCallbackHandler`s in its config (see `langgraph_jit.callbacks`).

A run looks here only when its config has callbacks; the events are taken by
the run and sent by the driver (sync handlers called, async ones awaited).
"""

from __future__ import annotations

import sys
import uuid
from typing import Any


def graph_callbacks(config: dict[str, Any]) -> Any | None:
    """A manager of the graph handlers in `config["callbacks"]`, or None when
    there are none (a run without them records no events)."""
    callbacks = config.get("callbacks")
    if not callbacks or "langchain_core" not in sys.modules:
        # Callback handlers are LangChain objects: without langchain_core
        # loaded there can be no graph handler among them.
        return None
    from langgraph_jit.callbacks import GraphCallbackManager

    manager = GraphCallbackManager.configure(callbacks)
    if not manager.graph_handlers:
        return None
    # The id the events report for this run: the caller's, else a new one.
    run_id = config.get("run_id")
    manager.run_id = run_id if isinstance(run_id, uuid.UUID) else uuid.uuid4()
    return manager


def resume_event(manager: Any, status: str, checkpoint_id: str, namespace: tuple[str, ...]) -> Any:
    from langgraph_jit.callbacks import GraphResumeEvent

    return GraphResumeEvent(
        run_id=manager.run_id,
        status=status,  # type: ignore[arg-type]  # the run's status names
        checkpoint_id=checkpoint_id,
        checkpoint_ns=namespace,
    )


def interrupt_event(
    manager: Any,
    status: str,
    checkpoint_id: str,
    namespace: tuple[str, ...],
    interrupts: tuple[Any, ...],
) -> Any:
    from langgraph_jit.callbacks import GraphInterruptEvent

    return GraphInterruptEvent(
        run_id=manager.run_id,
        status=status,  # type: ignore[arg-type]  # the run's status names
        checkpoint_id=checkpoint_id,
        checkpoint_ns=namespace,
        interrupts=interrupts,
    )


def _take(run: Any) -> list[Any]:
    events = list(run.lifecycle_events)
    run.lifecycle_events.clear()
    return events


def dispatch(run: Any) -> None:
    """Send the run's pending events to its graph handlers (sync driver)."""
    from langgraph_jit.callbacks import GraphResumeEvent

    manager = run.graph_callbacks
    for event in _take(run):
        if isinstance(event, GraphResumeEvent):
            manager.on_resume(event)
        else:
            manager.on_interrupt(event)


async def adispatch(run: Any) -> None:
    """Async twin of dispatch: async handlers are awaited on this loop."""
    from langgraph_jit.callbacks import AsyncGraphCallbackManager, GraphResumeEvent

    manager = AsyncGraphCallbackManager.configure(run.graph_callbacks)
    for event in _take(run):
        if isinstance(event, GraphResumeEvent):
            await manager.on_resume(event)
        else:
            await manager.on_interrupt(event)
