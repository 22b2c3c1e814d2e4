"""Access to the running task's config, store and stream writer from inside a node."""

from __future__ import annotations

from typing import Any

from langgraph_jit._context import TIMED_ATTEMPT, current_task

__all__ = ("get_config", "get_store", "get_stream_writer")


def get_config() -> dict:
    """The config of the task currently running in this context."""
    return current_task().config


def get_store() -> Any:
    """The store given to the graph (or its parent), or None."""
    return current_task().run.store


def get_stream_writer():
    """A function that emits `custom` stream chunks from the current task;
    a no-op when the run does not stream `custom`."""
    run = current_task().run
    timed = TIMED_ATTEMPT.get()
    if timed is not None:
        # Under a node timeout, the task's runtime writer reports progress.
        return current_task().runtime.stream_writer
    if "custom" not in run.emitter.stream_modes:
        return _noop
    emit = run.emitter.emit

    def write(chunk: Any) -> None:
        emit("custom", chunk)

    return write


def _noop(chunk: Any) -> None:
    pass
