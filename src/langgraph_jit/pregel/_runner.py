"""Running a step's tasks: in threads for the sync driver, as asyncio tasks
for the async one, with retries.

One shared thread pool serves every run. The calling thread always takes
tasks too, so a node that runs a subgraph inside a pool thread can never
deadlock waiting for a free worker. A sync run streamed eagerly (its caller
reads chunks while tasks run) cannot run tasks on its caller's thread: it
has a worker thread of its own (`EagerSteps`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import os
import queue
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Collection, Iterator, Sequence, Sized
from typing import Any, cast

from langgraph_jit._constants import NS_SEP
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.errors import (
    GraphBubbleUp,
    NodeCancelledError,
    ParentCommand,
    add_exception_note,
)
from langgraph_jit.pregel import _lc, _trace
from langgraph_jit.pregel._core.replay import without_task_ids
from langgraph_jit.pregel._timeout import TimedAttempt, sync_timeout_error
from langgraph_jit.types import RetryPolicy, TimeoutPolicy

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def shared_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=min(32, (os.cpu_count() or 1) + 4),
                    thread_name_prefix="langgraph_jit",
                )
    return _pool


def retry_delay(
    policies: Sequence[RetryPolicy] | None, exc: BaseException, attempt: int
) -> float | None:
    """Seconds to wait before retrying after `attempt` failed attempts, or
    None when the error must propagate."""
    if not policies or isinstance(exc, GraphBubbleUp) or not isinstance(exc, Exception):
        return None
    for policy in policies:
        if policy.should_retry(exc):
            if attempt >= policy.max_attempts:
                return None
            return policy.delay(attempt)
    return None


def _note(task: Any, exc: BaseException) -> None:
    if isinstance(exc, GraphBubbleUp):
        return
    note = f"During task with name '{task.name}' and id '{task.id}'"
    if note not in getattr(exc, "__notes__", ()):
        add_exception_note(exc, note)  # exc.add_note is Python 3.11+


def _command_for_this_graph(task: Any, exc: ParentCommand) -> bool:
    """A Command(graph=PARENT) raised below this task: handle it here if it
    targets this task's graph; otherwise address it to the graph above."""
    from dataclasses import replace

    from langgraph_jit.types import Command

    command = exc.args[0]
    ns = task.checkpoint_ns
    if command.graph in (ns, without_task_ids(ns), task.name):
        return True
    if command.graph == Command.PARENT:
        exc.args = (replace(command, graph=_parent_namespace(ns)),)
    return False


def _parent_namespace(ns: str) -> str:
    """The namespace of the graph above the one running the task at `ns`.
    Numbered segments (a task's second and later graph runs) are no level."""
    parts = ns.split(NS_SEP)
    while parts and parts[-1].isdigit():
        parts.pop()
    if parts:
        parts.pop()
    while parts and parts[-1].isdigit():
        parts.pop()
    return NS_SEP.join(parts)


def _raised_by_node() -> bool:
    """Whether a CancelledError in the running asyncio task came from the
    node's own body (nobody asked to cancel the task) rather than from a
    cancellation of the run. Python 3.10 cannot tell: cancellation wins."""
    current = asyncio.current_task()
    cancelling = getattr(current, "cancelling", None)
    return cancelling is not None and cancelling() == 0


def run_task(task: Any) -> None:
    """Run one task to completion in this thread (with retries)."""
    proc = task.proc
    call = proc.call
    if (task.timeout or proc.timeout) is not None and not getattr(call, "is_async", False):
        # Nothing can stop a sync call (an async task function raises its
        # own error for a sync run when called).
        raise sync_timeout_error(task.name)
    attempt = 0
    task.first_attempt_time = time.time()
    token = CURRENT_TASK.set(task)
    lc_token = _lc.enter_task(task) if task.run.lc_context else None
    traced = task.run.trace is not None or _trace.profiling  # callbacks, profiler: _trace
    # A profiled run's attempts are timed here: a call each would cost a fast step ~1%.
    profile = getattr(task.run, "_profile_fast", None) if traced and _trace.profiling else None
    try:
        while True:
            task.attempt = attempt + 1
            try:
                if not traced:
                    output = call.invoke(task.input, task) if call else task.input
                    proc.collect_writes(output, task)
                elif profile is None:
                    _trace.run_attempt(task)
                else:  # the record's fields: _profile.RunRecord.attempts
                    t0 = time.perf_counter()
                    try:
                        proc.collect_writes(
                            call.invoke(task.input, task) if call else task.input, task
                        )
                    except BaseException:
                        _trace.attempt_failed(profile, task, t0)
                        raise
                    t1 = time.perf_counter()
                    profile.attempts.extend((task.name, task.path, task.run.step, t0, t1, 0))
                    if t1 >= profile.next_sample:
                        _trace.sample_next_step(task.run)
                return
            except ParentCommand as exc:
                if _command_for_this_graph(task, exc):
                    proc.collect_writes(exc.args[0], task)
                    return
                raise
            except asyncio.CancelledError as exc:
                # A sync node runs outside any event loop: the node itself
                # raised it, which is a node failure (LangGraph's rule).
                raise NodeCancelledError(task.name) from exc
            except BaseException as exc:
                attempt += 1
                policies = proc.retry_policy or task.run.graph.retry_policy
                delay = retry_delay(policies, exc, attempt)
                if delay is None:
                    _note(task, exc)
                    raise
                task.reset_for_retry()
                time.sleep(delay)
    finally:
        if task.call_futures:
            _finish_calls(task.call_futures)
        if lc_token is not None:
            _lc.exit_task(lc_token)
        CURRENT_TASK.reset(token)


def _finish_calls(futures: list[Any]) -> None:
    """Wait for (or run here, if no pool thread took them yet) the task calls
    a finished task made, e.g. calls it never awaited because an earlier one
    interrupted it. Their outcomes were recorded by the calls themselves."""
    for future in futures:
        with contextlib.suppress(BaseException):  # recorded as the call's own outcome
            future.result()


async def arun_task(task: Any) -> None:
    """Run one task to completion on the event loop (with retries)."""
    proc = task.proc
    timeout = task.timeout or proc.timeout
    if timeout is not None:
        return await _arun_timed_task(task, timeout)
    call = proc.call
    policies = proc.retry_policy or task.run.graph.retry_policy
    attempt = 0
    task.first_attempt_time = time.time()
    token = CURRENT_TASK.set(task)
    lc_token = _lc.enter_task(task) if task.run.lc_context else None
    traced = task.run.trace is not None or _trace.profiling  # callbacks, profiler: _trace
    try:
        while True:
            task.attempt = attempt + 1
            try:
                if traced:
                    await _trace.arun_attempt(task)
                else:
                    output = await call.ainvoke(task.input, task) if call else task.input
                    await proc.acollect_writes(output, task)
                return
            except ParentCommand as exc:
                if _command_for_this_graph(task, exc):
                    await proc.acollect_writes(exc.args[0], task)
                    return
                raise
            except asyncio.CancelledError as exc:
                if _raised_by_node():
                    raise NodeCancelledError(task.name) from exc
                raise  # the run cancelled this task: let the cancellation through
            except BaseException as exc:
                attempt += 1
                delay = retry_delay(policies, exc, attempt)
                if delay is None:
                    _note(task, exc)
                    raise
                task.reset_for_retry()
                await asyncio.sleep(delay)
    finally:
        if lc_token is not None:
            _lc.exit_task(lc_token)
        CURRENT_TASK.reset(token)


async def _arun_timed_task(task: Any, timeout: TimeoutPolicy) -> None:
    """arun_task for a task with a TimeoutPolicy: each attempt runs under a
    watchdog (pregel._timeout). A timed-out attempt fails with
    NodeTimeoutError, which the retry policies treat like any other error;
    its writes are dropped. An observer hears of each attempt's end before
    any retry wait or error handler."""
    proc = task.proc
    call = proc.call
    policies = proc.retry_policy or task.run.graph.retry_policy
    attempt = 0
    task.first_attempt_time = time.time()
    token = CURRENT_TASK.set(task)
    lc_token = _lc.enter_task(task) if task.run.lc_context else None
    try:
        while True:
            task.attempt = attempt + 1
            timed = TimedAttempt(task, timeout)
            try:
                try:
                    if call is None:
                        output = task.input
                    else:
                        output = await timed.run(lambda: call.ainvoke(task.input, task))
                    await proc.acollect_writes(output, task)
                except ParentCommand as exc:
                    if not _command_for_this_graph(task, exc):
                        raise
                    await proc.acollect_writes(exc.args[0], task)
            except asyncio.CancelledError as exc:
                timed.finish(exc)
                if _raised_by_node():
                    raise NodeCancelledError(task.name) from exc
                raise
            except BaseException as exc:
                timed.finish(exc)
                attempt += 1
                delay = retry_delay(policies, exc, attempt)
                if delay is None:
                    _note(task, exc)
                    raise
                task.reset_for_retry()
                await asyncio.sleep(delay)
            else:
                timed.finish(None)
                return
    finally:
        if lc_token is not None:
            _lc.exit_task(lc_token)
        CURRENT_TASK.reset(token)


class _StreamWorker:
    """A thread that runs the tasks of one eagerly streamed sync run at a time.

    Idle ones are kept for the next run: handing a step to a thread that is
    already waiting costs one wakeup, where a pool submit costs a future, a
    work item and the pool's own bookkeeping. Unlike pool threads, these are
    never all busy, so a run's tasks always have a thread to start on (a
    node streaming a subgraph from a pool thread cannot starve them)."""

    IDLE_MAX = 4
    RELEASE = object()  # put on a worker's jobs: its run is over
    idle: list[queue.SimpleQueue[Any]] = []  # job queues of idle workers
    lock = threading.Lock()

    @classmethod
    def take(cls) -> queue.SimpleQueue[Any]:
        """The job queue of an idle worker, or of a new one."""
        with cls.lock:
            if cls.idle:
                return cls.idle.pop()
        jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(
            target=cls.serve, args=(jobs,), name="langgraph_jit-stream", daemon=True
        ).start()
        return jobs

    @classmethod
    def serve(cls, jobs: queue.SimpleQueue[Any]) -> None:
        while True:
            job = jobs.get()
            if job is cls.RELEASE:
                with cls.lock:
                    if len(cls.idle) < cls.IDLE_MAX:
                        cls.idle.append(jobs)
                        continue
                return
            job[0].run(job[1])


# A forked child has none of its parent's threads.
os.register_at_fork(after_in_child=_StreamWorker.idle.clear)


class EagerSteps:
    """Runs the steps of an eagerly streamed sync run (stream modes users
    watch live: custom, messages, subgraphs) off the caller's thread, so the
    caller streams the chunks tasks produce while they run.

    A task's completion is recorded (`record`: its writes saved, its chunks
    queued) by the thread that ran it, the moment it ends and under the
    run's lock, as LangGraph does: its chunks then come after those its
    siblings produced before, and before those they produce after. Recorded
    results then wait in `results` for the caller (the step's error, error
    handlers). The caller is only woken when it waits: `wake` is the run's
    emitter wakeup, called for every chunk queued."""

    def __init__(
        self,
        record: Callable[[Any, BaseException | None], None],
        lock: Any,
        out: Sized,
        max_concurrency: int | None,
    ) -> None:
        self.record = record
        self.lock = lock  # the run's lock: recording touches the run
        self.out = out  # the run's chunk queue (the caller drains it)
        self.results: deque[tuple[Any, BaseException | None]] = deque()
        self.record_error: BaseException | None = None
        self.waiting = False
        self.timed_out = False
        self.detached = False
        self._signal: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._mutex = threading.Lock()  # the step's counters and pending tasks
        self._pending: deque[Any] = deque()
        self._started = 0
        self._total = 0
        self._reported = 0
        self._workers = 0
        self._stop = False
        self._deadline: float | None = None
        self._jobs: queue.SimpleQueue[Any] | None = None
        self._max_concurrency = max_concurrency
        self._pool = pool = shared_pool()
        self._limit = min(max_concurrency or pool._max_workers, pool._max_workers)

    def wake(self) -> None:
        """Rouse the caller if it waits (from any thread). Two threads may
        both see it waiting: the extra signal only costs a spare look."""
        if self.waiting:
            self.waiting = False
            self._signal.put(None)

    def start(self, tasks: Sequence[Any], timeout: float | None) -> None:
        """Start a step's tasks: on the run's own worker, and on pool threads
        for the others a step runs at once."""
        self._pending.extend(tasks)
        self._total = len(tasks)
        self._started = self._reported = 0
        self._stop = self.timed_out = False
        self._deadline = time.monotonic() + timeout if timeout else None
        if len(tasks) > self._limit:
            runner = getattr(tasks[0].run.graph, "task_runner", None)
            if runner is not None and self._pool is not runner.pool():
                # Remote tasks wait in the runner's threads (see run_step).
                self._pool = pool = runner.pool()
                self._limit = min(self._max_concurrency or pool._max_workers, pool._max_workers)
        n_workers = min(len(tasks), self._limit)
        self._workers = n_workers
        if self._jobs is None:
            self._jobs = _StreamWorker.take()
        self._jobs.put((contextvars.copy_context(), self._work))
        if n_workers > 1:
            pool = self._pool
            for _ in range(n_workers - 1):
                pool.submit(contextvars.copy_context().run, self._work)

    def add(self, task: Any) -> None:
        """Start a task beside those running (a failed node's error handler)."""
        with self._mutex:
            self._pending.append(task)
            self._total += 1
            spawn = self._workers < self._limit
            if spawn:
                self._workers += 1
        if spawn:
            self._pool.submit(contextvars.copy_context().run, self._work)

    def _work(self) -> None:
        pending = self._pending
        mutex = self._mutex
        while True:
            with mutex:
                if self._stop or not pending:
                    self._workers -= 1
                    return
                task = pending.popleft()
                self._started += 1
            error: BaseException | None = None
            try:
                run_task(task)
            except BaseException as exc:
                error = exc
            if not pending:
                # The step's end is near: wake the caller now. It takes a
                # while to be scheduled, time this thread spends recording
                # the result (the caller could not run before: the GIL).
                self.wake()
            with self.lock:
                if not self.detached:
                    try:
                        self.record(task, error)
                    except BaseException as exc:  # raised by the caller's driver
                        if self.record_error is None:
                            self.record_error = exc
            self.results.append((task, error))
            self.wake()  # if it woke too early, found nothing and waits again

    def next_result(self) -> tuple[Any, BaseException | None] | None:
        """A recorded result, or None (the caller streams chunks first)."""
        if self.results:
            self._reported += 1
            return self.results.popleft()
        return None

    def over(self) -> bool:
        """Whether every task of the step was reported (after a timeout,
        every task that had started). Read without the step's lock: the
        caller alone counts reports and ends the step, and a count a worker
        moves on can only be read late, which the next look corrects."""
        return self._reported >= (self._started if self.timed_out else self._total)

    def wait(self) -> None:
        """Block until a chunk or result is queued, or the step times out (no
        task starts after that; those running are still waited for)."""
        self.waiting = True
        if self.results or self.out:  # queued before `waiting` was seen
            self.waiting = False
            return
        deadline = None if self.timed_out else self._deadline
        try:
            if deadline is None:
                self._signal.get()
            else:
                self._signal.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            with self._mutex:
                self._stop = True
                self.timed_out = True
        self.waiting = False  # also after a spare signal, which nobody cleared

    def detach(self) -> None:
        """The run ends without waiting for the step: tasks still running
        record nothing."""
        with self.lock:
            self.detached = True
        with self._mutex:
            self._stop = True

    def close(self) -> None:
        """Give the run's worker back (after the task it runs, if any)."""
        self.waiting = False  # a task still running must not signal
        if self._jobs is not None:
            self._jobs.put(_StreamWorker.RELEASE)
            self._jobs = None


def run_step(
    tasks: Sequence[Any],
    *,
    timeout: float | None,
    max_concurrency: int | None,
    added: list[Any] | None = None,
) -> Iterator[tuple[Any, BaseException | None]]:
    """Run tasks concurrently; yield (task, error or None) as each finishes.

    Every task runs even after one fails (as in LangGraph, where siblings
    are already running), so the writes of those that succeed can be saved.
    On timeout no further task starts and (None, None) is yielded; those
    running are waited for and reported (a thread cannot be cancelled), then
    TimeoutError is raised.

    With an `added` list (a graph with error handlers), the caller only
    waits, and tasks it appends to the list while handling a result
    (a failed node's handler) start at once, beside those still running.
    """
    if not timeout and added is None:
        return _run_all(tasks, max_concurrency)
    return _run_step(tasks, timeout, max_concurrency, added)


def _step_pool(tasks: Sequence[Any]) -> concurrent.futures.ThreadPoolExecutor:
    pool = shared_pool()
    if len(tasks) > pool._max_workers:
        runner = getattr(tasks[0].run.graph, "task_runner", None)
        if runner is not None:
            # Tasks on a cluster (distributed/) keep a thread waiting each, not busy:
            # the runner's larger pool puts as many in flight as the cluster takes.
            pool = runner.pool()
    return pool


def _run_all(
    tasks: Sequence[Any], max_concurrency: int | None
) -> Iterator[tuple[Any, BaseException | None]]:
    """run_step without a time limit or error handlers (most steps): every task
    runs and is reported, so workers take tasks with no lock and no counts (a
    deque's popleft is atomic) and the caller reads exactly len(tasks) results.
    Per task that is two lock round trips and three dict updates fewer: ~1 µs
    of a 10,000-task fan-out's ~5 µs a task, where the workers contend for them."""
    pending = deque(tasks)
    done: queue.SimpleQueue[tuple[Any, BaseException | None]] = queue.SimpleQueue()
    pop = pending.popleft
    put = done.put

    def work() -> None:
        while True:
            try:
                task = pop()
            except IndexError:
                return
            try:
                run_task(task)
            except BaseException as exc:
                put((task, exc))
            else:
                put((task, None))

    pool = _step_pool(tasks)
    limit = min(max_concurrency or pool._max_workers, pool._max_workers)
    for _ in range(min(len(tasks), limit) - 1):
        pool.submit(contextvars.copy_context().run, work)
    work()  # the caller works too
    get = done.get
    for _ in range(len(tasks)):
        yield get()


def _run_step(
    tasks: Sequence[Any],
    timeout: float | None,
    max_concurrency: int | None,
    added: list[Any] | None,
) -> Iterator[tuple[Any, BaseException | None]]:
    pending = deque(tasks)
    done: queue.SimpleQueue[tuple[Any, BaseException | None]] = queue.SimpleQueue()
    lock = threading.Lock()
    state = {"started": 0, "stop": False, "total": len(tasks), "workers": 0}

    def work() -> None:
        while True:
            with lock:
                if state["stop"] or not pending:
                    state["workers"] -= 1
                    return
                task = pending.popleft()
                state["started"] += 1
            try:
                run_task(task)
            except BaseException as exc:
                done.put((task, exc))
            else:
                done.put((task, None))

    pool = _step_pool(tasks)
    # Workers pull tasks from the shared deque, so more workers than the
    # pool has threads would only queue up.
    limit = min(max_concurrency or pool._max_workers, pool._max_workers)
    n_workers = min(len(tasks), limit)
    # With a timeout or error handlers the caller only waits; otherwise it
    # works too.
    waits = bool(timeout) or added is not None
    helpers = n_workers if waits else n_workers - 1
    state["workers"] = n_workers
    for _ in range(helpers):
        pool.submit(contextvars.copy_context().run, work)
    deadline = time.monotonic() + timeout if timeout else None
    if not waits:
        work()
    reported = 0
    timed_out = False
    while True:
        if added:
            with lock:
                pending.extend(added)
                state["total"] += len(added)
                spawn = min(len(added), limit - state["workers"])
                state["workers"] += spawn
            added.clear()
            for _ in range(spawn):
                pool.submit(contextvars.copy_context().run, work)
        with lock:
            if reported >= (state["started"] if timed_out else state["total"]):
                break
        try:
            if deadline is None or timed_out:
                item = done.get()
            else:
                item = done.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            with lock:
                state["stop"] = True
            timed_out = True
            yield None, None  # the caller hears of the timeout now
            continue
        reported += 1
        yield item
    if timed_out:
        raise TimeoutError("Timed out")


class StepControl:
    """What a step's async driver and `arun_step` tell each other.

    The driver sets `cancel_rest` when a task's failure ends the step (the
    tasks still running are then cancelled and reported). When the step is
    abandoned instead (the caller stopped reading or was cancelled),
    `abandoned` lists the tasks that were cancelled unreported, so the
    driver can record them."""

    __slots__ = ("abandoned", "cancel_rest", "record_error")

    def __init__(self) -> None:
        self.cancel_rest = False
        self.abandoned: list[Any] = []
        self.record_error: BaseException | None = None


async def _cancel(futures: Collection[asyncio.Future[Any]]) -> None:
    """Cancel the tasks still running and wait until they have stopped, so
    their own cleanup runs before the step's error reaches the caller."""
    for fut in futures:
        fut.cancel()
    if futures:
        await asyncio.wait(futures)


def _outcome(fut: asyncio.Future[Any]) -> BaseException | None:
    return asyncio.CancelledError() if fut.cancelled() else fut.exception()


async def arun_step(
    tasks: Sequence[Any],
    *,
    timeout: float | None,
    max_concurrency: int | None,
    control: StepControl,
    wake: asyncio.Event | None = None,
    record: Callable[[Any, BaseException | None], None] | None = None,
) -> AsyncGenerator[tuple[Any, BaseException | None], None]:
    """Async twin of run_step: an async generator of (task, error or None);
    with a `wake` event, (None, None) whenever it is set (eager streaming).

    With `record`, each task's completion is recorded as it ends (a done
    callback), not when the caller gets to it, so its chunks are queued in
    completion order with those its siblings produce; a task the run
    cancels is not recorded. An error recording raises goes to
    `control.record_error`.

    Unlike threads, asyncio tasks can be stopped, so (as in LangGraph) a
    step ends early: when the driver sets `control.cancel_rest` after a
    failure, or at the timeout (then TimeoutError follows), the tasks still
    running are cancelled, waited for and reported (most with
    CancelledError). A step abandoned by its caller cancels and waits for
    them too, listing them in `control.abandoned`."""
    if len(tasks) == 1 and not timeout and wake is None:
        task = tasks[0]
        try:
            await arun_task(task)
        except asyncio.CancelledError:
            # Not the node's own (that is NodeCancelledError): the run is
            # being cancelled, with this task inside it.
            control.abandoned.append(task)
            raise
        except BaseException as exc:
            yield task, exc
            return
        yield task, None
        return

    semaphore = asyncio.Semaphore(max_concurrency) if max_concurrency else None

    async def guarded(task: Any) -> Any:
        if semaphore is None:
            await arun_task(task)
        else:
            async with semaphore:
                await arun_task(task)
        return task

    # Tasks whose done callback ran: asyncio.wait reports any task done by
    # the time it returns, even one whose callbacks are still to run.
    settled: set[asyncio.Future[Any]] = set()

    def recorder(task: Any) -> Callable[[asyncio.Future[Any]], None]:
        # A done callback, as LangGraph's: it runs as soon as the task ends.
        def on_done(fut: asyncio.Future[Any]) -> None:
            settled.add(fut)
            if fut.cancelled():
                return
            try:
                cast(Callable, record)(task, fut.exception())
            except BaseException as exc:  # raised by the driver
                if control.record_error is None:
                    control.record_error = exc

        return on_done

    futures = {}
    for task in tasks:
        fut = asyncio.ensure_future(guarded(task))
        if record is not None:
            fut.add_done_callback(recorder(task))
        futures[fut] = task
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout else None
    waker = None
    if wake is not None:
        wake.clear()  # set by chunks the driver itself queued since
        waker = asyncio.ensure_future(wake.wait())
    try:
        while futures:
            wait_for = None if deadline is None else max(0.0, deadline - loop.time())
            finished, _ = await asyncio.wait(
                [*futures, waker] if waker is not None else futures,
                timeout=wait_for,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if wake is not None and waker is not None and waker in finished:
                finished = finished - {waker}
                wake.clear()
                waker = asyncio.ensure_future(wake.wait())
                yield None, None
                if not any(f in finished for f in futures):
                    continue
            if not finished:
                await _cancel(futures)
                for fut, task in futures.items():
                    yield task, _outcome(fut)
                futures.clear()
                raise asyncio.TimeoutError()
            if record is not None:
                finished = finished & settled
            # Report in submission order among those that finished together.
            for fut in [f for f in futures if f in finished]:
                task = futures.pop(fut)
                yield task, _outcome(fut)
            if control.cancel_rest and futures:
                await _cancel(futures)
                for fut, task in futures.items():
                    yield task, _outcome(fut)
                futures.clear()
    finally:
        if waker is not None:
            waker.cancel()
        if futures:
            # The caller stopped (closed the stream, was cancelled).
            control.abandoned.extend(futures.values())
            await _cancel(futures)
