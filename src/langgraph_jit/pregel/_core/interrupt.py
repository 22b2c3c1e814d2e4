"""`interrupt()`: pause a task for a human, and the answers that resume it.

A task's answers come from its own saved `__resume__` write, from a resume
map keyed by interrupt id, or from a single resume value that the first
task to ask takes (possibly a task of a subgraph, through its parent task).
"""

from __future__ import annotations

from typing import Any

from xxhash import xxh3_128_hexdigest

from langgraph_jit._constants import (
    CONFIG_KEY_PARENT_TASK,
    CONFIG_KEY_RESUME_MAP,
    MISSING,
    NS_SEP,
    RESUME,
)
from langgraph_jit.errors import GraphInterrupt
from langgraph_jit.types import Interrupt


def interrupt_id(task_ns: str, answered: int) -> str:
    """LangGraph's id: a hash of the task namespace, plus `|k` for the k-th
    interrupt of a task after the first."""
    return xxh3_128_hexdigest((f"{task_ns}{NS_SEP}{answered}" if answered else task_ns).encode())


class Scratchpad:
    """Per-task interrupt bookkeeping: answers so far and a call counter."""

    __slots__ = ("step", "stop", "resume", "counter", "_run", "_parent")

    def __init__(self, task: Any) -> None:
        run = task.run
        self.step = run.step
        self.stop = run.stop
        self._run = run
        parent_task = run.configurable.get(CONFIG_KEY_PARENT_TASK)
        self._parent = parent_task.scratchpad if parent_task is not None else None
        self.counter = 0
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
    pad = task.scratchpad
    idx = pad.counter
    pad.counter += 1
    if idx < len(pad.resume):
        task.writes.append((RESUME, pad.resume[: idx + 1]))
        return pad.resume[idx]
    answer = pad.get_null_resume(consume=True)
    if answer is not None:
        pad.resume.append(answer)
        task.writes.append((RESUME, list(pad.resume)))
        return answer
    raise GraphInterrupt(
        (
            Interrupt(
                value=value,
                id=interrupt_id(task.checkpoint_ns, len(pad.resume)),
                response_schema=response_schema if isinstance(response_schema, dict) else None,
            ),
        )
    )
