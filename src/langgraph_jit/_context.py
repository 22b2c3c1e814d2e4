"""What code running inside a task can ask about it: the current task.

The bottom of the package: it imports nothing from it, so the public helpers
(`get_config`, `interrupt`, `get_runtime`, ...) and the engine share one
context variable without importing the engine.
"""

from __future__ import annotations

import contextvars
from typing import Any

# The task whose node (or task call) runs in this context; None outside a run.
# Set by the runner around every attempt, read by the helpers a node calls.
CURRENT_TASK: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "langgraph_jit_task", default=None
)

OUTSIDE_RUN_MESSAGE = "Called get_config outside of a runnable context"


def current_task() -> Any:
    """The running task; RuntimeError (LangGraph's message) outside a run."""
    task = CURRENT_TASK.get()
    if task is None:
        raise RuntimeError(OUTSIDE_RUN_MESSAGE)
    return task


# The attempt of a node with a timeout running in this context
# (pregel._timeout.TimedAttempt), or None: heartbeats and stream writes made
# here count as its progress.
TIMED_ATTEMPT: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "langgraph_jit_timed_attempt", default=None
)
