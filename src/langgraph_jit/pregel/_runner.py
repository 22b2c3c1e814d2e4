"""Running a step's tasks: in threads for the sync driver, as asyncio tasks
for the async one, with retries.

One shared thread pool serves every run. The calling thread always takes
tasks too, so a node that runs a subgraph inside a pool thread can never
deadlock waiting for a free worker.
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
from collections.abc import AsyncGenerator, Collection, Iterator, Sequence
from typing import Any

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
    traced = task.run.trace is not None  # LangChain callbacks: see _trace
    try:
        while True:
            task.attempt = attempt + 1
            try:
                if traced:
                    _trace.run_attempt(task)
                else:
                    output = call.invoke(task.input, task) if call else task.input
                    proc.collect_writes(output, task)
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
    traced = task.run.trace is not None  # LangChain callbacks: see _trace
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


WAKE = object()
"""Put on a step's queue by `eager` runs when a chunk is ready to stream."""


def run_step(
    tasks: Sequence[Any],
    *,
    timeout: float | None,
    max_concurrency: int | None,
    done: queue.SimpleQueue | None = None,
    added: list[Any] | None = None,
) -> Iterator[tuple[Any, BaseException | None]]:
    """Run tasks concurrently; yield (task, error or None) as each finishes.

    Every task runs even after one fails (as in LangGraph, where siblings
    are already running), so the writes of those that succeed can be saved.
    On timeout no further task starts; those running are waited for and
    reported (a thread cannot be cancelled), then TimeoutError is raised.

    With a `done` queue given (eager streaming), the caller only waits, and
    a WAKE put on that queue yields (None, None) so it can stream chunks
    produced while tasks still run.

    With an `added` list (a graph with error handlers), the caller only
    waits too, and tasks it appends to the list while handling a result
    (a failed node's handler) start at once, beside those still running.
    """
    pending = deque(tasks)
    eager = done is not None
    if done is None:
        done = queue.SimpleQueue()
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

    pool = shared_pool()
    # Workers pull tasks from the shared deque, so more workers than the
    # pool has threads would only queue up.
    limit = min(max_concurrency or pool._max_workers, pool._max_workers)
    n_workers = min(len(tasks), limit)
    # With a timeout, eager streaming or error handlers the caller only
    # waits; otherwise it works too.
    waits = bool(timeout) or eager or added is not None
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
            continue
        if item is WAKE:
            yield None, None
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

    __slots__ = ("abandoned", "cancel_rest")

    def __init__(self) -> None:
        self.cancel_rest = False
        self.abandoned: list[Any] = []


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
) -> AsyncGenerator[tuple[Any, BaseException | None], None]:
    """Async twin of run_step: an async generator of (task, error or None);
    with a `wake` event, (None, None) whenever it is set (eager streaming).

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

    futures = {asyncio.ensure_future(guarded(t)): t for t in tasks}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout else None
    waker = asyncio.ensure_future(wake.wait()) if wake is not None else None
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
