"""The profiler's recorder: while `langgraph_jit.profile()` is on, each graph run's
driver-side sections and its task attempts are timed here.

Off, nothing here runs: `_trace.wrap`/`awrap` and the runner test `_trace.profiling`
(once per run, once per task). On, a run's own methods are wrapped on the instance
(`tick`, `after_tick`, `start`, the Persister's saver calls), so no class and no other
run is touched, and each timed thing appends one tuple: the hot path only records,
`langgraph_jit.profiling` (the report) works the numbers out afterwards.

A run's sections happen one after another in its driver (one thread, or one
coroutine); a step's tasks run between the end of its planning and the start of its
commit. Attempts (in any thread) are recorded with their start and end; a run started
inside one (a subgraph) names its task (`CURRENT_TASK`) and its run.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from langgraph_jit._context import CURRENT_TASK

__all__ = (
    "ACTIVE",
    "Recorder",
    "RunRecord",
    "aprofiled",
    "atimed_attempt",
    "begin",
    "end",
    "profiled",
    "timed_attempt",
)

clock = time.perf_counter

# The profile being recorded (one per process at a time), or None.
ACTIVE: Recorder | None = None

# Where serializer time goes while a run's driver makes saver calls: [seconds].
_SERDE_SINK: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "langgraph_jit_profile_serde", default=None
)

# Section kinds: (kind, start, end, extra) tuples in RunRecord.sections.
PLAN = "plan"  # extra: whether a step follows (its tasks run until the next section)
COMMIT = "commit"
INPUT = "input"  # run.start: input mapped, first commit
LOAD = "checkpoint_load"  # from the checkpoint lookup to run.start
SAVE = "checkpoint_save"  # extra: serializer seconds inside
WAIT = "checkpoint_wait"  # waiting for the saver's background writer; extra: as SAVE
STREAM = "stream"  # the caller's code between two chunks of a stream
KERNEL = "kernel"  # the channel table's step kernels (inside planning and commits)
# The kernel functions a ChannelTable calls once per step (see _core/table.py).
KERNEL_CALLS = ("plan_nodes", "commit_and_plan")


class RunRecord:
    """One graph run (invoke, stream, or a subgraph's run inside a node)."""

    __slots__ = (
        "name",
        "parent",
        "parent_task",
        "is_async",
        "t0",
        "t1",
        "sections",
        "attempts",
        "error",
        "task_runner",
    )

    def __init__(self, name: str, parent: RunRecord | None, parent_task: int, is_async: bool):
        self.name = name
        self.parent = parent  # the run whose task started this one
        self.parent_task = parent_task  # id() of that task
        self.is_async = is_async
        self.t0 = clock()
        self.t1 = 0.0
        # (kind, start, end, extra), in the order they ended.
        self.sections: list[tuple[str, float, float, Any]] = []
        # (node name, id(task), start, end, failed, remote), in the order they ended.
        self.attempts: list[tuple[str, int, float, float, bool, bool]] = []
        self.error = False
        self.task_runner = False  # the graph has one: some nodes may run remotely


class Recorder:
    """What one profile recorded: every run, top-level or nested."""

    def __init__(self) -> None:
        self.t0 = clock()
        self.t1 = 0.0
        self.runs: list[RunRecord] = []
        self.background_serialize = 0.0  # serializer time outside any run's driver
        self._patched: list[tuple[Any, str, bool]] = []  # (object, attribute, had own)
        self._serdes: set[int] = set()
        self.lock = threading.Lock()

    # -- the serializer ------------------------------------------------------------

    def time_serde(self, serde: Any) -> None:
        """Time `serde`'s dumps/loads (on the instance, until the profile ends)."""
        if serde is None or id(serde) in self._serdes:
            return
        with self.lock:
            if id(serde) in self._serdes:
                return
            self._serdes.add(id(serde))
            for method in ("dumps_typed", "loads_typed"):
                original = getattr(serde, method, None)
                if original is None:
                    continue
                had_own = method in getattr(serde, "__dict__", {})
                try:
                    setattr(serde, method, self._timed_serde(original))
                except (AttributeError, TypeError):  # __slots__, frozen: not timed
                    continue
                self._patched.append((serde, method, had_own))

    def _timed_serde(self, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def timed(value: Any) -> Any:
            start = clock()
            try:
                return original(value)
            finally:
                spent = clock() - start
                sink = _SERDE_SINK.get()
                if sink is not None:
                    sink[0] += spent
                else:
                    self.background_serialize += spent

        timed.__wrapped__ = original  # type: ignore[attr-defined]
        return timed

    def restore(self) -> None:
        """Undo the serializer timing (at the profile's end)."""
        for obj, method, had_own in reversed(self._patched):
            try:
                if had_own:
                    setattr(obj, method, getattr(obj, method).__wrapped__)
                else:
                    delattr(obj, method)
            except AttributeError:
                pass
        self._patched.clear()
        self._serdes.clear()

    # -- runs ------------------------------------------------------------------------

    def start_run(self, run: Any, is_async: bool) -> RunRecord:
        task = CURRENT_TASK.get()
        parent = None if task is None else getattr(task.run, "_profile_rec", None)
        graph = getattr(run, "graph", None)
        name = getattr(graph, "name", None) or type(graph).__name__
        rec = RunRecord(str(name), parent, 0 if parent is None else id(task), is_async)
        rec.task_runner = getattr(graph, "task_runner", None) is not None
        self.runs.append(rec)
        persist = getattr(run, "persist", None)
        saver = getattr(persist, "checkpointer", None)
        if saver is not None:
            self.time_serde(getattr(saver, "serde", None))
        _instrument(run, rec)
        return rec


def _instrument(run: Any, rec: RunRecord) -> None:
    """Wrap the run's own methods (on this instance only) in timed sections."""
    run._profile_rec = rec
    sections = rec.sections
    add = sections.append
    tick = run.tick
    after_tick = run.after_tick
    start = run.start
    lookup = run.checkpoint_lookup
    looked_up = [0.0]

    def timed_tick() -> bool:
        table = getattr(run, "table", None)
        if table is not None and type(table.kernels) is not TimedKernels:
            # The table is made by start(); a wide step may switch its kernels.
            table.kernels = TimedKernels(table.kernels, add)
        t0 = clock()
        more = False
        try:
            more = tick()
        finally:
            add((PLAN, t0, clock(), more))
        return more

    def timed_after_tick() -> None:
        t0 = clock()
        try:
            after_tick()
        finally:
            add((COMMIT, t0, clock(), None))

    def timed_lookup() -> Any:
        found = lookup()
        looked_up[0] = clock()  # until start(): the driver loads the checkpoint
        return found

    def timed_start(saved: Any) -> None:
        t0 = clock()
        if looked_up[0]:
            add((LOAD, looked_up[0], t0, None))
        try:
            start(saved)
        finally:
            add((INPUT, t0, clock(), None))

    run.tick = timed_tick
    run.after_tick = timed_after_tick
    run.checkpoint_lookup = timed_lookup
    run.start = timed_start
    persist = run.persist
    for name, section in (("perform", SAVE), ("settle", WAIT)):
        original = getattr(persist, name, None)
        if original is not None:
            setattr(persist, name, _timed_call(add, section, original))
        aoriginal = getattr(persist, "a" + name, None)
        if aoriginal is not None:
            setattr(persist, "a" + name, _atimed_call(add, section, aoriginal))


class TimedKernels:
    """Stands in for a channel table's kernel module: its per-step calls timed."""

    def __init__(self, module: Any, add: Callable[[Any], None]) -> None:
        self.module = module
        for name in KERNEL_CALLS:
            call = getattr(module, name, None)
            if call is not None:
                setattr(self, name, _timed_kernel(add, call))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)


def _timed_kernel(add: Callable[[Any], None], call: Callable[..., Any]) -> Any:
    def timed(*args: Any) -> Any:
        t0 = clock()
        try:
            return call(*args)
        finally:
            add((KERNEL, t0, clock(), None))

    return timed


def _timed_call(add: Callable[[Any], None], section: str, call: Callable[..., Any]) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        t0 = clock()
        try:
            return call(*args, **kwargs)
        finally:
            t1 = clock()
            _SERDE_SINK.reset(token)
            add((section, t0, t1, sink[0]))

    return timed


def _atimed_call(add: Callable[[Any], None], section: str, call: Callable[..., Any]) -> Any:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        t0 = clock()
        try:
            return await call(*args, **kwargs)
        finally:
            t1 = clock()
            _SERDE_SINK.reset(token)
            add((section, t0, t1, sink[0]))

    return timed


# -- hooks (called from _trace and the runner only while a profile records) ------------


def profiled(run: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """`chunks` of a run, timed; the caller's time between chunks is STREAM."""
    recorder = ACTIVE
    if recorder is None:
        yield from chunks
        return
    rec = recorder.start_run(run, False)
    add = rec.sections.append
    failed = True
    try:
        for chunk in chunks:
            t0 = clock()
            try:
                yield chunk
            finally:
                add((STREAM, t0, clock(), None))
        failed = False
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        rec.t1 = clock()
        rec.error = failed


async def aprofiled(run: Any, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Async twin of `profiled`."""
    recorder = ACTIVE
    if recorder is None:
        async for chunk in chunks:
            yield chunk
        return
    rec = recorder.start_run(run, True)
    add = rec.sections.append
    failed = True
    try:
        async for chunk in chunks:
            t0 = clock()
            try:
                yield chunk
            finally:
                add((STREAM, t0, clock(), None))
        failed = False
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        rec.t1 = clock()
        rec.error = failed


def timed_attempt(task: Any, attempt: Callable[[Any], None]) -> None:
    """`attempt(task)`, recorded as an attempt of its node (when its run is profiled)."""
    rec: RunRecord | None = getattr(task.run, "_profile_rec", None)
    if rec is None:
        attempt(task)
        return
    failed = True
    t0 = clock()
    try:
        attempt(task)
        failed = False
    finally:
        rec.attempts.append(
            (task.name, id(task), t0, clock(), failed, rec.task_runner and _remote(task))
        )


async def atimed_attempt(task: Any, attempt: Callable[[Any], Any]) -> None:
    """Async twin of `timed_attempt`."""
    rec: RunRecord | None = getattr(task.run, "_profile_rec", None)
    if rec is None:
        await attempt(task)
        return
    failed = True
    t0 = clock()
    try:
        await attempt(task)
        failed = False
    finally:
        rec.attempts.append(
            (task.name, id(task), t0, clock(), failed, rec.task_runner and _remote(task))
        )


def _remote(task: Any) -> bool:
    """Whether the task's call ran on a task runner's worker (distributed/_remote.py
    gives such nodes a RemoteCall; this layer cannot import it)."""
    return type(task.proc.call).__name__ == "RemoteCall"


def begin() -> Recorder:
    """Start recording (one profile at a time); `_trace.begin_profile` calls it."""
    global ACTIVE
    if ACTIVE is not None:
        raise RuntimeError("a langgraph_jit profile is already recording")
    ACTIVE = recorder = Recorder()
    return recorder


def end(recorder: Recorder) -> None:
    """Stop recording."""
    global ACTIVE
    if ACTIVE is recorder:
        ACTIVE = None
    recorder.t1 = clock()
    recorder.restore()
