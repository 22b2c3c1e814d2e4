"""The profiler's recorder: while `langgraph_jit.profile()` is on, each graph run's
driver-side sections, its steps and its task attempts are timed here.

Off, nothing here runs: `_trace.wrap`/`awrap` and the runner test `_trace.profiling`
(once per run, once per task). On, a run's own methods are wrapped on the
instance (`tick`, `after_tick`, `start`, the Persister's saver calls), so no class and no
other run is touched. The numbers are read by `langgraph_jit.profiling` (the report).

Accounting: the sections of one run happen one after another in its driver (one thread,
or one coroutine), so each is charged its exclusive time through a stack (a section's
time minus the sections opened inside it). A step's "tasks" section runs from the end of
its planning to the start of its commit; task attempts (in any thread) are recorded with
their start and end, and the nested runs (subgraphs) started inside them.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

__all__ = (
    "ACTIVE",
    "Attempt",
    "Recorder",
    "RunRecord",
    "StepRecord",
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

# The task attempt whose code runs now: a run started under it is a subgraph of it.
_ATTEMPT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "langgraph_jit_profile_attempt", default=None
)
# Where serializer time goes while a run's driver makes saver calls: [seconds].
_SERDE_SINK: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "langgraph_jit_profile_serde", default=None
)

# Section names (exclusive time of each is summed per run).
ENGINE = "engine"  # the driver and engine between the other sections
PLAN = "plan"
COMMIT = "commit"
INPUT = "input"  # run.start: input mapped, first commit
TASKS = "tasks"  # a step's tasks running (broken down by the report)
LOAD = "checkpoint_load"
SAVE = "checkpoint_save"
WAIT = "checkpoint_wait"  # waiting for the saver's background writer (durability "async")
SERIALIZE = "checkpoint_serialize"
STREAM = "stream"  # the caller's code between two chunks of a stream


class Attempt:
    """One attempt of a task: its node, when it ran, the runs nested in it."""

    __slots__ = ("run", "name", "t0", "t1", "nested", "thread", "error", "remote")

    def __init__(self, run: RunRecord, name: str) -> None:
        self.run = run
        self.name = name
        self.t0 = 0.0
        self.t1 = 0.0
        self.nested: list[RunRecord] = []
        self.thread = threading.get_ident()
        self.error = False
        self.remote = False  # ran through a task runner elsewhere

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0

    @property
    def own(self) -> float:
        """Time in the node's own code: its attempt minus the runs nested in it."""
        return max(0.0, self.t1 - self.t0 - sum(r.wall for r in self.nested))


class StepRecord:
    """One step of a run: its tasks' section (exclusive) and the attempts in it."""

    __slots__ = ("index", "t0", "tasks", "attempts")

    def __init__(self, index: int, t0: float) -> None:
        self.index = index
        self.t0 = t0
        self.tasks = 0.0  # exclusive seconds of the step's "tasks" section
        self.attempts: list[Attempt] = []


class RunRecord:
    """One graph run (invoke, stream, or a subgraph's run inside a node)."""

    __slots__ = (
        "name",
        "parent",
        "is_async",
        "t0",
        "t1",
        "sections",
        "times",
        "stack",
        "steps",
        "outside",
        "error",
    )

    def __init__(self, name: str, parent: Attempt | None, is_async: bool) -> None:
        self.name = name
        self.parent = parent
        self.is_async = is_async
        self.t0 = clock()
        self.t1 = 0.0
        self.sections: list[tuple[str, float, float]] = []  # (section, start, end), timeline
        self.times: dict[str, float] = {}  # section -> exclusive seconds
        # Open sections: [name, start, seconds of sections nested in it].
        self.stack: list[list[Any]] = [[ENGINE, self.t0, 0.0]]
        self.steps: list[StepRecord] = []
        # Attempts recorded outside any step (error handlers after the step, etc.).
        self.outside: list[Attempt] = []
        self.error = False

    @property
    def wall(self) -> float:
        return (self.t1 or clock()) - self.t0

    def enter(self, section: str) -> None:
        self.stack.append([section, clock(), 0.0])

    def leave(self, serialized: float = 0.0) -> float:
        """Close the innermost section; its exclusive seconds (less `serialized`,
        charged to SERIALIZE)."""
        now = clock()
        stack = self.stack
        name, start, inner = stack.pop()
        spent = now - start
        own = spent - inner - serialized
        times = self.times
        times[name] = times.get(name, 0.0) + own
        if serialized:
            times[SERIALIZE] = times.get(SERIALIZE, 0.0) + serialized
        if stack:
            stack[-1][2] += spent
        if name is not ENGINE:
            self.sections.append((name, start, now))
        if name is TASKS and self.steps:
            self.steps[-1].tasks += own + serialized
        return own

    def close_tasks(self) -> None:
        """End the step's tasks section if it is open (at its commit, or the run's end)."""
        if self.stack[-1][0] is TASKS:
            self.leave()

    def add(self, attempt: Attempt) -> None:
        (self.steps[-1].attempts if self.steps else self.outside).append(attempt)


class Recorder:
    """What one profile recorded: its runs (top-level ones, nested ones inside)."""

    def __init__(self) -> None:
        self.t0 = clock()
        self.t1 = 0.0
        self.runs: list[RunRecord] = []  # top-level runs, in start order
        self.all_runs: list[RunRecord] = []
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
        parent = _ATTEMPT.get()
        graph = getattr(run, "graph", None)
        name = getattr(graph, "name", None) or type(graph).__name__
        rec = RunRecord(str(name), parent, is_async)
        with self.lock:
            self.all_runs.append(rec)
            if parent is None:
                self.runs.append(rec)
        persist = getattr(run, "persist", None)
        saver = getattr(persist, "checkpointer", None)
        if saver is not None:
            self.time_serde(getattr(saver, "serde", None))
        _instrument(run, rec)
        return rec

    def end_run(self, rec: RunRecord, error: bool) -> None:
        stack = rec.stack
        while len(stack) > 1:
            rec.leave()
        rec.leave()  # the run's own ENGINE section
        rec.t1 = clock()
        rec.error = error
        parent = rec.parent
        if parent is not None:
            parent.nested.append(rec)


def _instrument(run: Any, rec: RunRecord) -> None:
    """Wrap the run's own methods (on this instance only) in timed sections."""
    run._profile_rec = rec
    tick = run.tick
    after_tick = run.after_tick
    start = run.start
    lookup = run.checkpoint_lookup

    def timed_tick() -> bool:
        rec.close_tasks()  # a step that ended without a commit (error handlers)
        rec.enter(PLAN)
        more = False
        try:
            more = tick()
        finally:
            rec.leave()
            if more:
                rec.steps.append(StepRecord(len(rec.steps), clock()))
                rec.enter(TASKS)
        return more

    def timed_after_tick() -> None:
        rec.close_tasks()
        rec.enter(COMMIT)
        try:
            after_tick()
        finally:
            rec.leave()

    def timed_lookup() -> Any:
        found = lookup()
        rec.enter(LOAD)  # until start(): the driver loads the checkpoint
        return found

    def timed_start(saved: Any) -> None:
        if rec.stack[-1][0] is LOAD:
            rec.leave()
        rec.enter(INPUT)
        try:
            start(saved)
        finally:
            rec.leave()

    run.tick = timed_tick
    run.after_tick = timed_after_tick
    run.checkpoint_lookup = timed_lookup
    run.start = timed_start
    persist = run.persist
    for name, section in (("perform", SAVE), ("settle", WAIT)):
        original = getattr(persist, name, None)
        if original is not None:
            setattr(persist, name, _timed_call(rec, section, original))
        aoriginal = getattr(persist, "a" + name, None)
        if aoriginal is not None:
            setattr(persist, "a" + name, _atimed_call(rec, section, aoriginal))


def _timed_call(rec: RunRecord, section: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        rec.enter(section)
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        try:
            return call(*args, **kwargs)
        finally:
            _SERDE_SINK.reset(token)
            rec.leave(sink[0])

    return timed


def _atimed_call(rec: RunRecord, section: str, call: Callable[..., Any]) -> Callable[..., Any]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        rec.enter(section)
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        try:
            return await call(*args, **kwargs)
        finally:
            _SERDE_SINK.reset(token)
            rec.leave(sink[0])

    return timed


# -- hooks (called from _trace and the runner only while ACTIVE is set) -----------------


def profiled(run: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """`chunks` of a run, timed; the caller's time between chunks is STREAM."""
    recorder = ACTIVE
    if recorder is None:
        yield from chunks
        return
    rec = recorder.start_run(run, False)
    failed = True
    try:
        for chunk in chunks:
            rec.enter(STREAM)
            try:
                yield chunk
            finally:
                rec.leave()
        failed = False
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        recorder.end_run(rec, failed)


async def aprofiled(run: Any, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Async twin of `profiled`."""
    recorder = ACTIVE
    if recorder is None:
        async for chunk in chunks:
            yield chunk
        return
    rec = recorder.start_run(run, True)
    failed = True
    try:
        async for chunk in chunks:
            rec.enter(STREAM)
            try:
                yield chunk
            finally:
                rec.leave()
        failed = False
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        recorder.end_run(rec, failed)


def timed_attempt(task: Any, attempt: Callable[[Any], None]) -> None:
    """`attempt(task)`, recorded as an attempt of its node (when its run is profiled)."""
    rec: RunRecord | None = getattr(task.run, "_profile_rec", None)
    if rec is None:
        attempt(task)
        return
    record = Attempt(rec, task.name)
    token = _ATTEMPT.set(record)
    record.t0 = clock()
    try:
        attempt(task)
    except BaseException:
        record.error = True
        raise
    finally:
        record.t1 = clock()
        _ATTEMPT.reset(token)
        rec.add(record)


async def atimed_attempt(task: Any, attempt: Callable[[Any], Any]) -> None:
    """Async twin of `timed_attempt`."""
    rec: RunRecord | None = getattr(task.run, "_profile_rec", None)
    if rec is None:
        await attempt(task)
        return
    record = Attempt(rec, task.name)
    token = _ATTEMPT.set(record)
    record.t0 = clock()
    try:
        await attempt(task)
    except BaseException:
        record.error = True
        raise
    finally:
        record.t1 = clock()
        _ATTEMPT.reset(token)
        rec.add(record)


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
