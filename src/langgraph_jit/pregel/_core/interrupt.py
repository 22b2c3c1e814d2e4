"""`interrupt()`: pause a task for a human, and the answers that resume it.

A task's answers come from its own saved `__resume__` write, from a resume
map keyed by interrupt id, or from a single resume value that the first
task to ask takes (possibly a task of a subgraph, through its parent task).
"""

from __future__ import annotations

import itertools
from typing import Any

from langgraph_jit._constants import (
    CONFIG_KEY_PARENT_TASK,
    CONFIG_KEY_RESUME_MAP,
    MISSING,
    RESUME,
)
from langgraph_jit.errors import GraphInterrupt, _mark_invalid_resume
from langgraph_jit.types import Interrupt, interrupt_id

__all__ = ("Scratchpad", "ask", "interrupt_id")


class Scratchpad:
    """Per-task interrupt bookkeeping: answers so far and a call counter."""

    __slots__ = ("step", "stop", "resume", "counter", "_run", "_parent", "_graph_runs")

    def __init__(self, task: Any) -> None:
        run = task.run
        self.step = run.step
        self.stop = run.stop
        self._run = run
        parent_task = run.configurable.get(CONFIG_KEY_PARENT_TASK)
        self._parent = parent_task.scratchpad if parent_task is not None else None
        self.counter = 0
        # Graphs this task runs (itertools.count: atomic under threads).
        self._graph_runs = itertools.count()
        resume: list[Any] = []
        for tid, chan, value in run.persist.pending_writes:
            if tid == task.id and chan == RESUME:
                resume = list(value) if isinstance(value, list) else [value]
                break
        resume_map = run.configurable.get(CONFIG_KEY_RESUME_MAP)
        if resume_map:
            ns = task.checkpoint_ns
            next_id = interrupt_id(ns, len(resume))
            first_id = interrupt_id(ns, 0)
            if next_id in resume_map:
                resume.append(resume_map[next_id])
            elif first_id in resume_map:
                resume.append(resume_map[first_id])
        self.resume = resume

    def next_graph_run(self) -> int:
        """The index of a graph run this task starts: the second and later
        ones keep their checkpoints under a numbered namespace of their own."""
        return next(self._graph_runs)

    def get_null_resume(self, consume: bool = False) -> Any:
        """The single resume value given to the run, taken by the first asker."""
        found = self._run.persist.null_resume(consume)
        if found is not MISSING:
            return found
        if self._parent is not None:
            return self._parent.get_null_resume(consume)
        return None


def ask(task: Any, value: Any, response_schema: Any = None) -> Any:
    """`interrupt(value)` called in `task`: its answer when it has one, else
    GraphInterrupt carrying the question."""
    # A JSON schema dict only describes the answer; a type also validates it.
    adapter = (
        None
        if response_schema is None or isinstance(response_schema, dict)
        else (_adapter(response_schema))
    )
    pad = task.scratchpad
    idx = pad.counter
    pad.counter += 1
    if idx < len(pad.resume):
        answer = pad.resume[idx]
        # Validated before the answer is recorded: an invalid one is not kept.
        validated = _validate(adapter, answer) if adapter is not None else answer
        task.writes.append((RESUME, pad.resume[: idx + 1]))
        return validated
    answer = pad.get_null_resume(consume=True)
    if answer is not None:
        validated = _validate(adapter, answer) if adapter is not None else answer
        pad.resume.append(answer)
        task.writes.append((RESUME, list(pad.resume)))
        return validated
    raise GraphInterrupt(
        (
            Interrupt(
                value=value,
                id=interrupt_id(task.checkpoint_ns, len(pad.resume)),
                response_schema=adapter.json_schema() if adapter is not None else response_schema,
            ),
        )
    )


# Response schemas seen so far and their pydantic TypeAdapters (building one
# costs far more than the lookup; a graph asks with the same few types).
_ADAPTERS: dict[Any, Any] = {}


def _adapter(schema: Any) -> Any:
    try:
        adapter = _ADAPTERS.get(schema)
    except TypeError:  # an unhashable schema: built each time
        return _new_adapter(schema)
    if adapter is None:
        adapter = _new_adapter(schema)
        if len(_ADAPTERS) < 256:
            _ADAPTERS[schema] = adapter
    return adapter


def _new_adapter(schema: Any) -> Any:
    try:
        from pydantic import TypeAdapter
    except ImportError as exc:  # pragma: no cover - pydantic is not a dependency
        raise ImportError(
            "interrupt(response_schema=...) with a type needs pydantic; "
            "pass a JSON schema dict instead"
        ) from exc
    return TypeAdapter(schema)


def _validate(adapter: Any, answer: Any) -> Any:
    from pydantic import ValidationError  # loaded already: the adapter is pydantic's

    try:
        return adapter.validate_python(answer)
    except ValidationError as exc:
        # Marked so that callers (ToolNode, a tool's error handling) tell a
        # wrong answer from a failing node or bad tool arguments.
        _mark_invalid_resume(exc)
        raise
