"""A task of a step (one node run on one input) and the small helpers that
identify tasks: paths, sort keys, cache namespaces.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from langgraph_jit._constants import NS_END, NS_SEP, PREVIOUS, PULL, PUSH
from langgraph_jit._context import TIMED_ATTEMPT
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.checkpoint_state import CheckpointState
from langgraph_jit.pregel._core.interrupt import Scratchpad, ask
from langgraph_jit.pregel._core.topology import Topology

if TYPE_CHECKING:
    from langgraph_jit.runtime import Runtime

# (PULL, node name) | (PUSH, send index, False) | (PUSH, caller's path, call index, True)
TaskPath = tuple[Any, ...]
Writes = list[tuple[str, Any]]


class TaskRun(Protocol):
    """What a task asks of the run it belongs to (the coordinator in
    pregel/_run.py), so the core never imports it."""

    graph: Any
    topo: Topology
    config: dict[str, Any]
    configurable: dict[str, Any]
    checkpoint_ns: str
    channel_map: dict[str, Any]
    context: Any
    step: int
    stop: int
    state: CheckpointState
    emitter: Any
    persist: Any

    @property
    def control(self) -> Any: ...

    @property
    def store(self) -> Any: ...

    def task_id(self, task: Task) -> str: ...

    def task_config(self, task: Task) -> dict[str, Any]: ...

    def scratchpad(self) -> _Scratchpad: ...


class Task:
    """A task of the current step: one node run on one input."""

    __slots__ = (
        "_config",
        "_id",
        "_runtime",
        "_scratchpad",
        "attempt",
        "cached",
        "call_futures",
        "calls",
        "error",
        "first_attempt_time",
        "handled_error",
        "input",
        "name",
        "node_id",
        "path",
        "proc",
        "run",
        "timeout",
        "triggers",
        "writes",
    )

    def __init__(
        self,
        run: TaskRun,
        name: str,
        node_id: int | None,
        proc: Any,
        input: Any,
        triggers: Sequence[str],
        path: TaskPath,
        task_id: str | None = None,
    ) -> None:
        self.run = run
        self.name = name
        self.node_id = node_id  # None for a task call (not a graph node)
        self.proc = proc
        self.input = input
        self.triggers = triggers
        self.path = path
        self.writes: Writes = []
        self._id: str | None = task_id  # None: derived when first observed
        self._config: dict[str, Any] | None = None
        self.cached = False
        self.error: BaseException | None = None
        self._scratchpad: Scratchpad | None = None
        self.calls = 0  # task calls made so far (functional API)
        # Futures of the sync task calls this task made: a task ends only once
        # they have (a call is never left to run after its step, as LangGraph).
        self.call_futures: list[Any] | None = None
        self._runtime: Runtime[Any] | None = None
        self.attempt = 1
        self.first_attempt_time: float | None = None
        self.handled_error: Any = None  # for error-handler tasks: the NodeError
        self.timeout: Any = None  # a Send's TimeoutPolicy (replaces the node's)

    @property
    def id(self) -> str:
        # Derived from the checkpoint id, so computed only when observed.
        task_id = self._id
        if task_id is None:
            task_id = self._id = self.run.task_id(self)
        return task_id

    @property
    def scratchpad(self) -> Scratchpad:
        pad = self._scratchpad
        if pad is None:
            pad = self._scratchpad = Scratchpad(self)
        return pad

    def interrupt(self, value: Any, response_schema: Any = None) -> Any:
        """`interrupt()` called by this task's node (see types.interrupt)."""
        return ask(self, value, response_schema)

    @property
    def checkpoint_ns(self) -> str:
        parent = self.run.checkpoint_ns
        base = f"{parent}{NS_SEP}{self.name}" if parent else self.name
        return f"{base}{NS_END}{self.id}"

    @property
    def runtime(self) -> Runtime[Any]:
        """The Runtime this task's node sees (built once per task)."""
        runtime = self._runtime
        if runtime is None:
            # Imported on use: only nodes that take a Runtime need it.
            from langgraph_jit.runtime import ExecutionInfo, Runtime, server_info_from

            run = self.run
            previous = run.channel_map.get(PREVIOUS)
            runtime = self._runtime = Runtime(
                context=run.context,
                store=run.store,
                stream_writer=run.emitter.stream_writer(),
                previous=previous.get()
                if previous is not None and previous.is_available()
                else None,
                execution_info=ExecutionInfo(
                    checkpoint_id=run.state.current_id(),
                    checkpoint_ns=self.checkpoint_ns,
                    task_id=self.id,
                    thread_id=run.configurable.get("thread_id"),
                    run_id=str(run.config["run_id"]) if run.config.get("run_id") else None,
                    node_attempt=self.attempt,
                    node_first_attempt_time=self.first_attempt_time,
                ),
                server_info=server_info_from(run.configurable),
                control=run.control,
            )
            timed = TIMED_ATTEMPT.get()
            if timed is not None:
                # Under a node timeout: heartbeats and writes are its progress.
                runtime = self._runtime = timed.patch_runtime(runtime)
        return runtime

    def reset_for_retry(self) -> None:
        """A failed attempt will be retried: drop its writes and its Runtime
        (which reports the attempt number). Its interrupt() calls count
        from the first again: the next attempt gets the same answers."""
        self.writes.clear()
        self._runtime = None
        if self._scratchpad is not None:
            self._scratchpad.counter = 0

    @property
    def built_config(self) -> dict[str, Any] | None:
        """The config, if anything in the task asked for it (else None)."""
        return self._config

    @property
    def config(self) -> dict[str, Any]:
        config = self._config
        if config is None:
            config = self._config = self.run.task_config(self)
        return config

    @property
    def sort_key(self) -> tuple[int, str, Any]:
        return _task_sort_key(self)

    def send(self, writes: Sequence[tuple[str, Any]]) -> None:
        self.writes.extend(writes)

    def read(self, select: str | Sequence[str], fresh: bool = False) -> Any:
        """Read channels; `fresh` reads them as if this task's writes so far
        were applied (what a conditional edge sees after its node ran)."""
        run = self.run
        channels = run.channel_map
        keys = [select] if isinstance(select, str) else select
        managed = run.graph.managed
        if fresh:
            pending: dict[str, list[Any]] = {}
            for chan, value in self.writes:
                if chan in keys:
                    pending.setdefault(chan, []).append(value)
            idle_sweep = run.topo.idle_sweep
            chan_id = run.topo.chan_id
            local = {}
            for k in keys:
                ch = channels.get(k)
                if ch is None:
                    continue
                if k in pending or idle_sweep[chan_id[k]]:
                    # A copy: the step's real commit happens later, for all tasks.
                    ch = ch.copy()
                    ch.update(pending.get(k, ()))
                local[k] = ch
        else:
            local = channels
        if isinstance(select, str):
            return _output.read_channel(local, select)
        values = _output.read_channels(local, [k for k in keys if k not in managed])
        for k in keys:
            if k in managed:
                values[k] = managed[k].get(self.run.scratchpad())
        return values


class CallTask(Task):
    """A task call made by a running task (the functional API's `@task`).

    As in LangGraph, its namespace nests under its caller's (the id hashes
    that namespace), and its path is ``(PUSH, caller's path, call index,
    True)``: the trailing True marks a call, whose interrupts its caller
    reports. Both are stable between runs, so a resumed caller finds the
    call's saved result.
    """

    __slots__ = ("node_ns",)

    def __init__(
        self,
        run: TaskRun,
        caller: Task,
        index: int,
        name: str,
        proc: Any,
        input: Any,
        triggers: Sequence[str],
    ) -> None:
        super().__init__(run, name, None, proc, input, triggers, (PUSH, caller.path, index, True))
        self.node_ns = f"{caller.checkpoint_ns}{NS_SEP}{name}"

    @property
    def checkpoint_ns(self) -> str:
        return f"{self.node_ns}{NS_END}{self.id}"


class _Scratchpad:
    __slots__ = ("step", "stop")

    def __init__(self, step: int, stop: int) -> None:
        self.step = step
        self.stop = stop


@functools.lru_cache(maxsize=4096)
def _pull_path_str(name: str) -> str:
    """The saved path string of a pull task, computed once per node name."""
    return f"~{PULL}, {name}"


def _has_cache_policy(graph: Any) -> bool:
    return graph.cache_policy is not None or any(
        n.cache_policy is not None for n in graph.nodes.values()
    )


def _identifier(obj: Any) -> str | None:
    """module.qualname of a node's function: part of its cache namespace."""
    obj = getattr(obj, "steps", [obj])[0] if obj.__class__.__name__ == "_Sequence" else obj
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if name is None or module is None:
        return None
    return f"{module}.{name}"


def _is_interrupt_id(key: Any) -> bool:
    return isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def _task_sort_key(task: Task) -> tuple[int, str, Any]:
    """LangGraph orders writes by the task path string: every pull task (by node
    name) before every push task (by index). A plain function, not the property
    itself: a step sorts all its tasks (10,000 for a wide fan-out)."""
    path = task.path
    if path[0] == PULL:
        return (0, path[1], 0)
    if path[1].__class__ is tuple:  # a task call: after the sends
        return (2, _task_path_str(path[1]), path[2])
    return (1, "", path[1])  # a Send: (PUSH, idx, False)


def _task_path_str(path: Any) -> str:
    if isinstance(path, (tuple, list)):
        if len(path) == 2 and path[0] == PULL:
            return f"~{PULL}, {path[1]}"
        return "~" + ", ".join(_task_path_str(p) for p in path)
    if isinstance(path, int):
        return f"{path:010d}"
    return str(path)
