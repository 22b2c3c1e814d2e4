"""The profiler's recorder: while `langgraph_jit.profile()` is on, each graph run's
driver-side sections and its task attempts are timed here.

Off, nothing here runs: `_trace.wrap`/`awrap`, the runner and `Pregel._new_run` test
`_trace.profiling` (once per run, once per task). On, runs are made of `run_class`
(the run's class with its step methods in slots), an invoke that streams nothing
takes the quiet driver as it does unprofiled (`profiled_quiet`), and every task
attempt is timed with one record each (p95 needs each call): a sync run's by the
runner itself (`_runner.run_task`, through the run's `_profile_fast` slot: no call a
step), others in `_trace.run_attempt`/`arun_attempt`; and so are the run's start,
checkpoint load and saver calls. The engine's phases of a step
(planning, commit, the channel table's kernels) are timed on every step that takes
TIMED_STEP or more; faster steps would pay a noticeable share for it, so they are
timed on one step every SAMPLE_GAP seconds, and `langgraph_jit.profiling` (the
report) estimates the others from those. The hot path only records; the report works
the numbers out afterwards.

A run's sections happen one after another in its driver (one thread, or one
coroutine); a step's tasks run between the end of its planning and the start of its
commit. Attempts (in any thread) are recorded with their step, start and end; a run
started inside one (a subgraph) names its task (`CURRENT_TASK`) and its run.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import MethodType
from typing import Any

from langgraph_jit._context import CURRENT_TASK

__all__ = (
    "ACTIVE",
    "Recorder",
    "RunRecord",
    "aprofiled",
    "begin",
    "end",
    "profiled",
    "profiled_quiet",
    "remote",
    "run_class",
    "sample_next_step",
)

clock = time.perf_counter

# The profile being recorded (one per process at a time), or None.
ACTIVE: Recorder | None = None


# Where serializer time goes while a run's driver makes saver calls: [seconds].
_SERDE_SINK: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "langgraph_jit_profile_serde", default=None
)

# Section kinds: (kind, start, end, extra) tuples in RunRecord.sections.
PLAN = "plan"  # extra: the step planned when tasks follow (they run until the next section)
COMMIT = "commit"
INPUT = "input"  # run.start: input mapped, first commit
LOAD = "checkpoint_load"  # from the checkpoint lookup to run.start
SAVE = "checkpoint_save"  # extra: serializer seconds inside
WAIT = "checkpoint_wait"  # waiting for the saver's background writer; extra: as SAVE
STREAM = "stream"  # the caller's code between two chunks of a stream
KERNEL = "kernel"  # the channel table's step kernels (inside planning and commits)
# The kernel functions a ChannelTable calls once per step (see _core/table.py).
KERNEL_CALLS = ("plan_nodes", "commit_and_plan")

# Timing a step's planning, commit and kernels costs ~2-4 µs (a timed commit takes the
# kernels' path, so they are seen): a step that takes at least TIMED_STEP seconds is
# always timed (2-4% at most); faster steps are timed one at a time, the next once
# SAMPLE_GAP seconds have passed since the last one ended (~0.2%; a run's first
# attempt arms one, so every run has a timed step).
TIMED_STEP = 100e-6
SAMPLE_GAP = 2e-3


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
        "plain_calls",
        "next_sample",
        "plan_t0",
        "looked_up",
    )

    def __init__(self, name: str, parent: RunRecord | None, parent_task: Any, is_async: bool):
        self.name = name
        self.parent = parent  # the run whose task started this one
        self.parent_task = parent_task  # that task's path
        self.is_async = is_async
        self.t0 = clock()
        self.t1 = 0.0
        # Flat lists of records, in the order they ended, each added with one
        # `extend` (atomic, and no object left for the garbage collector to track):
        # sections: kind, start, end, extra (SECTION_FIELDS values);
        # attempts: node name, task path, step, start, end, flags (FAILED, REMOTE)
        # (ATTEMPT_FIELDS values; added by _trace.run_attempt/arun_attempt).
        self.sections: list[Any] = []
        self.attempts: list[Any] = []
        self.error = False
        self.task_runner = False  # the graph has one: some nodes may run remotely
        # No LangChain callbacks listen to the run: its attempts take the plain call
        # (_trace.run_attempt; read there, not `run.trace`, a class attribute's slower
        # lookup).
        self.plain_calls = True
        # From when an attempt that ends has the next step timed (`sample_next_step`,
        # see _instrument); infinite while steps are timed.
        self.next_sample = 0.0
        # Start of the timed planning of the current step.
        self.plan_t0 = 0.0
        self.looked_up = 0.0  # when the checkpoint lookup returned (0.0: none made)

    def section_records(self) -> list[tuple[str, float, float, Any]]:
        """The sections recorded so far, one tuple each."""
        return _records(self.sections, SECTION_FIELDS)

    def attempt_records(self) -> list[tuple[str, Any, int, float, float, int]]:
        """The attempts recorded so far, one tuple each."""
        return _records(self.attempts, ATTEMPT_FIELDS)


SECTION_FIELDS = 4
ATTEMPT_FIELDS = 6
# An attempt's flags.
FAILED = 1
REMOTE = 2  # ran on a task runner's worker


def _records(flat: list[Any], width: int) -> list[Any]:
    values = list(flat)  # a copy at a record's boundary: each extend is atomic
    return list(zip(*[iter(values)] * width))


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

    def start_run(self, run: Any, is_async: bool) -> RunRecord | None:
        """Record `run` (None: a run not made as a profiled one, see `run_class`)."""
        if type(run).__dict__.get("_profiled") is not True:
            return None
        task = CURRENT_TASK.get()
        parent = None if task is None else getattr(task.run, "_profile_rec", None)
        graph = run.graph
        name = getattr(graph, "name", None) or type(graph).__name__
        rec = RunRecord(str(name), parent, None if parent is None else task.path, is_async)
        rec.task_runner = getattr(graph, "task_runner", None) is not None
        rec.plain_calls = run.trace is None
        self.runs.append(rec)
        saver = run.persist.checkpointer
        if saver is not None:
            self.time_serde(getattr(saver, "serde", None))
        _instrument(run, rec, is_async)
        return rec


_RUN_CLASSES: dict[type, type] = {}


def run_class(base: type) -> type:
    """The class a run is made of while a profile records (main.py asks, once per
    run): `base` with its step methods in slots. A run's attributes stay in the
    `__dict__` layout every run of `base` shares (setting a new one on the instance
    would give that run a dict of its own, slowing each attribute read of its
    steps), `tick`/`after_tick` are the run's own bound methods, on the steps
    timed their timed stand-ins (see _instrument), and attempts find the run's
    record in a slot."""
    made = _RUN_CLASSES.get(base)
    if made is None:
        made = _RUN_CLASSES[base] = _make_run_class(base)
    return made


def _make_run_class(base: type) -> type:
    init = base.__init__  # type: ignore[misc]
    start = base.start  # type: ignore[attr-defined]
    lookup = base.checkpoint_lookup  # type: ignore[attr-defined]
    # A run's step methods (plan a step, commit it) as the drivers call them: the plain
    # pair is the one drive_quiet uses for a run nothing observes step by step
    # (PregelRun.plain_steps); a run takes one pair or the other.
    tick = base.tick  # type: ignore[attr-defined]
    after_tick = base.after_tick  # type: ignore[attr-defined]
    tick_plain = base.tick_plain  # type: ignore[attr-defined]
    after_tick_plain = base.after_tick_plain  # type: ignore[attr-defined]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.tick = MethodType(tick, self)
        self.after_tick = MethodType(after_tick, self)
        self.tick_plain = MethodType(tick_plain, self)
        self.after_tick_plain = MethodType(after_tick_plain, self)

    def timed_start(self: Any, saved: Any) -> None:
        rec = getattr(self, "_profile_rec", None)
        if rec is None:
            return start(self, saved)
        t0 = clock()
        if rec.looked_up:  # from the lookup to here: the driver loaded the checkpoint
            rec.sections.extend((LOAD, rec.looked_up, t0, None))
        try:
            return start(self, saved)
        finally:
            rec.sections.extend((INPUT, t0, clock(), None))

    def timed_lookup(self: Any) -> Any:
        found = lookup(self)
        rec = getattr(self, "_profile_rec", None)
        if rec is not None:
            rec.looked_up = clock()
        return found

    namespace = {
        # _profile_fast: the record again when the runner may time the run's attempts
        # itself (_runner.run_task: no LangChain callbacks, no task runner), else None.
        # _profile_arm: the run's _StepTimer.arm (None once the run ended).
        "__slots__": (
            "_profile_rec",
            "_profile_fast",
            "_profile_arm",
            "tick",
            "after_tick",
            "tick_plain",
            "after_tick_plain",
        ),
        "__init__": __init__,
        "start": timed_start,
        "checkpoint_lookup": timed_lookup,
        "_profiled": True,  # what start_run looks for
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
    }
    return type(base.__name__, (base,), namespace)


def _instrument(run: Any, rec: RunRecord, is_async: bool) -> None:
    """Time the run's sections: its start and checkpoint lookup, its saver calls,
    and its steps' planning and commit on the steps timed."""
    run._profile_rec = rec
    run._profile_fast = rec if rec.plain_calls and not rec.task_runner else None
    add = rec.sections.extend
    # rec.next_sample is 0.0: the run's first attempt arms it.
    run._profile_arm = _StepTimer(run, rec).arm
    persist = run.persist
    if persist.checkpointer is not None or persist.cache is not None:
        # Set on the instance: the fewer keys the better, since a Persister past 30
        # attributes (CPython's limit for sharing its class's key layout) gets a dict
        # of its own, slower to read. A sync run makes only sync saver calls; an async
        # one may make sync ones from a pool thread too (see pregel/_drive.py).
        persist.perform = _timed_perform(add, persist.perform)
        persist.settle = _timed_settle(add, persist.settle)
        if is_async:
            persist.aperform = _atimed_perform(add, persist.aperform)
            persist.asettle = _atimed_settle(add, persist.asettle)


class _StepTimer:
    """Times a run's sampled steps: `arm` (an attempt that ended after the record's
    next_sample, in any thread) puts timed stand-ins of the run's tick methods in
    its slots; the planning's puts the matching commit's. The run's own bound
    methods are kept here to put back."""

    __slots__ = ("run", "rec", "tick", "after_tick", "tick_plain", "after_tick_plain", "kernels")

    def __init__(self, run: Any, rec: RunRecord) -> None:
        self.run = run
        self.rec = rec
        self.tick = run.tick
        self.after_tick = run.after_tick
        self.tick_plain = run.tick_plain
        self.after_tick_plain = run.after_tick_plain
        self.kernels: TimedKernels | None = None  # the last made (reused by samples)

    def arm(self) -> None:
        self.rec.next_sample = math.inf  # no attempt arms again while a step is timed
        run = self.run
        run.tick = self.timed_tick
        run.tick_plain = self.timed_tick_plain

    def timed_tick(self) -> bool:
        more = self._plan(self.tick)
        self.run.after_tick = self.timed_after_tick
        return more

    def timed_tick_plain(self) -> bool:
        more = self._plan(self.tick_plain)
        self.run.after_tick_plain = self.timed_after_tick_plain
        return more

    def timed_after_tick(self) -> None:
        self.run.after_tick = self.after_tick
        self._commit(self.after_tick)

    def timed_after_tick_plain(self) -> None:
        self.run.after_tick_plain = self.after_tick_plain
        self._commit(self.after_tick_plain)

    def _plan(self, tick: Callable[[], bool]) -> bool:
        run = self.run
        rec = self.rec
        # Timed once, whichever method the driver called (tick_plain may call tick).
        run.tick = self.tick
        run.tick_plain = self.tick_plain
        # The table is made by start(); a wide step may switch its kernels.
        table = run.table
        kernels = table.kernels
        if type(kernels) is not TimedKernels:
            timed = self.kernels
            if timed is None or timed.module is not kernels:
                timed = self.kernels = TimedKernels(kernels, rec.sections.extend)
            table.kernels = timed
        t0 = rec.plan_t0 = clock()
        more = False
        try:
            more = tick()
        finally:
            rec.sections.extend((PLAN, t0, clock(), run.step if more else None))
        return more

    def _commit(self, after_tick: Callable[[], None]) -> None:
        rec = self.rec
        t0 = clock()
        try:
            after_tick()
        finally:
            t1 = clock()
            rec.sections.extend((COMMIT, t0, t1, None))
            if t1 - rec.plan_t0 < TIMED_STEP:
                # A fast step: the next ones are not timed until SAMPLE_GAP has passed.
                table = self.run.table
                if type(table.kernels) is TimedKernels:
                    table.kernels = table.kernels.module
                rec.next_sample = t1 + SAMPLE_GAP
            else:
                self.arm()  # a slow step: the next one is timed too


def sample_next_step(run: Any) -> None:
    """Time the run's next step (an attempt ended after its record's next_sample)."""
    arm = run._profile_arm
    if arm is not None:  # None: the run ended (see _release)
        arm()


def _release(run: Any) -> None:
    """Take the timing off a run that ended. Its step methods in slots refer to it, so
    until then it is part of a reference cycle: left on, every profiled run's objects
    would wait for the garbage collector instead of being freed when it is dropped."""
    run._profile_arm = None
    run.tick = run.after_tick = run.tick_plain = run.after_tick_plain = None  # no more steps
    own = vars(run.persist)
    if "perform" in own:
        for name in _PERSIST_HOOKS:
            own.pop(name, None)
    table = getattr(run, "table", None)  # None: the run failed before start()
    if table is not None and type(table.kernels) is TimedKernels:
        table.kernels = table.kernels.module


# What _instrument sets on a run's Persister (its saver calls, timed).
_PERSIST_HOOKS = ("perform", "settle", "aperform", "asettle")


# The timed saver calls take the arguments their drivers pass (no *args/**kwargs:
# perform runs once a step). Serializer time inside each goes to its sink.


def _timed_perform(add: Callable[[Any], None], perform: Callable[[Any], None]) -> Any:
    def timed(batch: Any) -> None:
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        t0 = clock()
        try:
            perform(batch)
        finally:
            t1 = clock()
            _SERDE_SINK.reset(token)
            add((SAVE, t0, t1, sink[0]))

    return timed


def _timed_settle(add: Callable[[Any], None], settle: Callable[..., None]) -> Any:
    def timed(*, quiet: bool = False) -> None:
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        t0 = clock()
        try:
            settle(quiet=quiet)
        finally:
            t1 = clock()
            _SERDE_SINK.reset(token)
            add((WAIT, t0, t1, sink[0]))

    return timed


def _atimed_perform(add: Callable[[Any], None], aperform: Callable[[Any], Any]) -> Any:
    async def timed(batch: Any) -> None:
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        t0 = clock()
        try:
            await aperform(batch)
        finally:
            t1 = clock()
            _SERDE_SINK.reset(token)
            add((SAVE, t0, t1, sink[0]))

    return timed


def _atimed_settle(add: Callable[[Any], None], asettle: Callable[..., Any]) -> Any:
    async def timed(*, quiet: bool = False) -> None:
        sink = [0.0]
        token = _SERDE_SINK.set(sink)
        t0 = clock()
        try:
            await asettle(quiet=quiet)
        finally:
            t1 = clock()
            _SERDE_SINK.reset(token)
            add((WAIT, t0, t1, sink[0]))

    return timed


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


# -- hooks (called from _trace and the runner only while a profile records) ------------


def profiled(run: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """`chunks` of a run, timed; the caller's time between chunks is STREAM."""
    recorder = ACTIVE
    if recorder is None:
        yield from chunks
        return
    rec = recorder.start_run(run, False)
    if rec is None:
        yield from chunks
        return
    add = rec.sections.extend
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
        _release(run)
        rec.error = failed


def profiled_quiet(run: Any, drive: Callable[[Any], None]) -> None:
    """`drive(run)` timed: an invoke that streams nothing takes the drivers' quiet
    path (`_drive.drive_quiet`) as it does unprofiled, so it is recorded there."""
    recorder = ACTIVE
    rec = None if recorder is None else recorder.start_run(run, False)
    if rec is None:
        drive(run)
        return
    failed = True
    try:
        drive(run)
        failed = False
    finally:
        rec.t1 = clock()
        _release(run)
        rec.error = failed


async def aprofiled(run: Any, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Async twin of `profiled`."""
    recorder = ACTIVE
    if recorder is None:
        async for chunk in chunks:
            yield chunk
        return
    rec = recorder.start_run(run, True)
    if rec is None:
        async for chunk in chunks:
            yield chunk
        return
    add = rec.sections.extend
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
        _release(run)
        rec.error = failed


def remote(task: Any) -> int:
    """REMOTE if the task's call ran on a task runner's worker (distributed/_remote.py
    gives such nodes a RemoteCall; this layer cannot import it), else 0."""
    return REMOTE if type(task.proc.call).__name__ == "RemoteCall" else 0


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
