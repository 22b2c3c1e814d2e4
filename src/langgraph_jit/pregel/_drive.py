"""The engine core as a generator, and the two thin drivers that execute it.

`engine(run)` holds the whole loop (load, input, tick, run tasks, commit,
save, interrupts, recursion limit) and yields requests: load a checkpoint,
call the saver, run a step's tasks. `drive_sync` fulfils them with plain
calls and threads, `drive_async` with awaits and asyncio tasks. Stream
chunks are taken from `run.emitter.out` after every request.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from types import AsyncGeneratorType
from typing import Any, cast

from langgraph_jit._constants import CONF, CONFIG_KEY_CHECKPOINT_ID, ERROR, INTERRUPT
from langgraph_jit.errors import GraphBubbleUp, GraphInterrupt, is_invalid_resume
from langgraph_jit.pregel import _lifecycle
from langgraph_jit.pregel._checkpoint import rebuild_steps
from langgraph_jit.pregel._runner import (
    EagerSteps,
    StepControl,
    arun_step,
    arun_task,
    run_step,
    run_task,
    shared_pool,
)

LOAD = "load"
IO = "io"
IO_BATCH = "io_batch"
SETTLE = "settle"  # wait until the run's queued saver calls are committed
RUN = "run"
LIFECYCLE = "lifecycle"  # send the run's graph lifecycle events


def engine(run: Any) -> Generator[tuple, Any, None]:
    """The run loop. Yields (LOAD, config, before), (IO, target, method,
    args) or (RUN, tasks); expects back the loaded tuple, the call's result,
    or the first task error (None if the step succeeded)."""
    # Without a saver there is nothing to load (the drivers would answer None).
    saved: Any = None
    if run.persist.checkpointer is not None:
        saved = yield (LOAD, *run.checkpoint_lookup())
    if saved is not None:
        # Values the checkpoint does not store (DeltaChannels) are rebuilt.
        saved = yield from rebuild_steps(
            run.graph.channels, saved, run.persist.checkpointer, run.topo, (IO,)
        )
    try:
        latest_config = run.latest_lookup_config() if saved is not None else None
        if latest_config is not None:
            latest = yield (IO, run.persist.checkpointer, "get_tuple", (latest_config,))
            run.superseded = (
                latest is not None and latest.checkpoint["id"] != saved.checkpoint["id"]
            )
        run.start(saved)
        pending = run.persist.pending_io
        if pending:
            yield from _flush_io(run)
        if run.lifecycle_events:
            yield (LIFECYCLE,)
        while run.tick():
            if pending:
                yield from _flush_io(run)
            if run.persist.cache is not None:
                lookup = run.cache_lookup()
                if lookup:
                    run.apply_cached((yield (IO, run.persist.cache, "get", (lookup,))))
            tasks = run.tasks
            if run.inline_single and len(tasks) == 1 and not tasks[0].cached:
                error = _run_one(run, tasks[0])  # a chain's step: run here
            else:
                tasks = run.runnable_tasks()
                if run.inline_single and len(tasks) == 1:
                    error = _run_one(run, tasks[0])
                else:
                    error = yield (RUN, tasks)
            if error is not None:
                if pending:
                    yield from _flush_io(run)
                raise error
            # The step's task writes are saved with its checkpoint, in order,
            # in one batch (on a failure below, by the handlers).
            run.after_tick()
            if pending:
                yield from _flush_io(run)
    except GraphInterrupt as exc:
        run.on_interrupt(exc)
        if run.nested:
            # A subgraph's interrupt is its parent task's interrupt.
            run.on_exit()
            yield from _flush_io(run)
            yield from _settle(run, False)
            raise
    except GeneratorExit:
        # The driver itself is being torn down: it can no longer perform
        # queued saver calls, so nothing is yielded here.
        raise
    except BaseException:
        # Any stop (an error, KeyboardInterrupt, SystemExit, cancellation)
        # saves what finished tasks wrote before it propagates.
        run.on_exit()
        yield from _flush_io(run)
        yield from _settle(run, True)
        raise
    run.on_exit()
    if run.persist.pending_io:
        yield from _flush_io(run)
    # Durability "async" too means saved before the run returns.
    if run.persist.unsettled:
        yield from _settle(run, False)
    if run.lifecycle_events:
        yield (LIFECYCLE,)
    if run.status == "out_of_steps":
        raise run.recursion_error()
    if run.status == "draining":
        raise run.drained_error()


def _flush_io(run: Any) -> Generator[tuple, Any, None]:
    # Callers test `run.persist.pending_io` first: most steps have no saver calls
    # and a generator per step is not free. One request carries every queued
    # call, performed in order.
    pending = run.persist.pending_io
    if pending:
        batch = list(pending)
        pending.clear()
        if run.inline_single:
            # Nothing streams from this run: the calls need no trip through
            # the (sync) driver.
            run.persist.perform(batch)
        else:
            yield (IO_BATCH, batch)


def _settle(run: Any, quiet: bool) -> Generator[tuple, Any, None]:
    """Wait for the saver calls the run queued (durability "async"); unless
    `quiet` (the run ends with an error of its own), raise a failed one's error."""
    if run.persist.unsettled:
        if run.inline_single:
            run.persist.settle(quiet=quiet)
        else:
            yield (SETTLE, quiet)


def step_error(current: BaseException | None, exc: BaseException) -> BaseException:
    """The error a step ends with: the first real failure wins over
    interrupts; interrupts from several tasks are reported together."""
    if current is None:
        return exc
    if isinstance(current, GraphInterrupt) and not isinstance(exc, GraphInterrupt):
        return exc
    if isinstance(current, GraphInterrupt) and isinstance(exc, GraphInterrupt):
        merged = tuple(current.args[0] if current.args else ()) + tuple(
            exc.args[0] if exc.args else ()
        )
        return GraphInterrupt(merged)
    return current


def _handle_sync(run: Any, task: Any, exc: BaseException, reply: Any) -> Any:
    """After a task failed: run its node's error handler if it has one (the
    step then goes on); else the failure becomes the step's error."""
    handler = run.error_handler_task(task, exc)
    if handler is None:
        return step_error(reply, exc)
    try:
        run_task(handler)
    except BaseException as handler_exc:
        run.task_failed(handler, handler_exc)
        return step_error(reply, handler_exc)
    run.task_done(handler)
    return reply


def _load(saver: Any, config: dict[str, Any], before: str | None) -> Any:
    """The checkpoint a run starts from: the one `config` finds, or with
    `before`, the thread's newest one older than that id."""
    if before is None:
        return saver.get_tuple(config)
    found = list(saver.list(config, before={CONF: {CONFIG_KEY_CHECKPOINT_ID: before}}, limit=1))
    return found[0] if found else None


async def _aload(saver: Any, config: dict[str, Any], before: str | None) -> Any:
    if before is None:
        return await saver.aget_tuple(config)
    bound = {CONF: {CONFIG_KEY_CHECKPOINT_ID: before}}
    found = [t async for t in saver.alist(config, before=bound, limit=1)]
    return found[0] if found else None


def _run_one(run: Any, task: Any) -> BaseException | None:
    """Run a step's only task in this thread; the step's error or None."""
    try:
        run_task(task)
    except BaseException as exc:
        run.task_failed(task, exc)
        return _handle_sync(run, task, exc, None)
    run.task_done(task)
    return None


# Stream modes whose chunks a node's own code produces while it runs, whatever it calls.
_LIVE_MODES = frozenset({"custom", "tools"})
# Modules without which no LangChain model exists, so no token can be streamed.
_MODEL_MODULES = (
    "langchain_core.language_models.chat_models",
    "langchain_core.language_models.llms",
)


def _runs_quietly(run: Any, task: Any) -> bool:
    """Whether a task of an eagerly streamed step can stream nothing before it
    returns, so that its step may run as in a plain stream: no step timeout, none of the
    modes a node writes to itself, no LangChain model loaded when tokens are
    streamed, and a node that reaches no graph, runnable or task function (see
    `PregelNode.streams_while_running`). Its chunks keep their order either way."""
    if run.graph.step_timeout:
        return False
    modes = run.emitter.stream_modes
    if not _LIVE_MODES.isdisjoint(modes):
        return False
    if "messages" in modes and any(m in sys.modules for m in _MODEL_MODULES):
        return False
    return not getattr(task.proc, "streams_while_running", True)


def _advance(
    gen: Generator[tuple, Any, None], reply: Any
) -> tuple[tuple | None, BaseException | None]:
    try:
        return gen.send(reply), None
    except StopIteration:
        return None, None
    except BaseException as exc:  # re-raised by the driver after flushing chunks
        return None, exc


def _event_waker(loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> Callable[[], Any]:
    """The emitter's wakeup for drive_async: sets `wake`, from any thread
    (through the loop when called from another one)."""
    owner = threading.get_ident()

    def wakeup() -> None:
        if wake.is_set():
            return
        if threading.get_ident() == owner:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    return wakeup


def _record(run: Any) -> Callable[[Any, BaseException | None], None]:
    """How a task's completion is recorded by whoever sees it end first."""

    def record(task: Any, exc: BaseException | None) -> None:
        if exc is None:
            run.task_done(task)
        else:
            run.task_failed(task, exc)

    return record


def drive_sync(run: Any, emit: Callable[[tuple], Any]) -> Iterator[Any]:
    """Execute the engine synchronously; yields formatted stream chunks.

    A caller that stops mid-run (closes the stream, breaks out of its loop)
    does not lose what the run did: as in LangGraph, the step's running tasks
    are waited for, then the engine ends as on any stop, saving their writes
    (see `_stop_sync`)."""
    # With no stream mode nothing reaches `out` while the run goes on, so the
    # engine may run single-task steps and saver calls itself (see engine,
    # _flush_io).
    run.inline_single = not run.emitter.stream_modes and not run.graph.step_timeout
    gen = engine(run)
    saver = run.persist.checkpointer
    out = run.emitter.out
    has_handlers = bool(getattr(run.graph, "error_handlers", None))
    reply: Any = None
    request: tuple | None = None  # the engine's request, until performed
    steps: Iterator[tuple[Any, BaseException | None]] | None = None  # a step under way
    # A failed node's error handler starts beside the tasks still running.
    handlers: list[Any] | None = None
    # Streaming eagerly: the run's tasks run on a worker of its own (made at
    # its first step), which records them as they end.
    eager: EagerSteps | None = None
    eager_step = False  # an eager step under way

    def on_result(task: Any, exc: BaseException | None, reply: Any) -> Any:
        """Record one finished task of the step; the step's reply so far."""
        if exc is None:
            run.task_done(task)
            return reply
        run.task_failed(task, exc)
        handler = None if handlers is None else run.error_handler_task(task, exc)
        if handlers is not None and handler is not None:
            handlers.append(handler)
            return reply
        return step_error(reply, exc)

    def on_recorded(task: Any, exc: BaseException | None, reply: Any) -> Any:
        """on_result for a task its eager worker recorded already."""
        if exc is None:
            return reply
        if has_handlers:
            with run.lock:
                handler = run.error_handler_task(task, exc)
            if handler is not None:
                cast(EagerSteps, eager).add(handler)
                return reply
        return step_error(reply, exc)

    def finish_step() -> None:
        """Wait for the rest of the step, recording its tasks (the caller
        stopped: their chunks go nowhere, the step's error is not raised)."""
        reply = None
        if eager_step:
            rest = cast(EagerSteps, eager)
            while True:
                result = rest.next_result()
                if result is not None:
                    reply = on_recorded(*result, reply)
                elif rest.over():
                    return
                else:
                    out.clear()
                    rest.wait()
        if steps is not None:
            try:
                for task, exc in steps:
                    if task is not None:  # None: the step timed out
                        reply = on_result(task, exc, reply)
            except TimeoutError:
                pass

    try:
        while True:
            request, error = _advance(gen, reply)
            while out:
                chunk = emit(out.popleft())
                if chunk is not None:
                    yield chunk
            if error is not None:
                raise error
            if request is None:
                break
            kind = request[0]
            if kind is RUN:
                reply = None
                tasks = request[1]
                # A step none of whose tasks can stream before it returns runs as
                # in a plain stream (its only task here, sparing the two thread
                # handoffs of an eager step; several with the caller helping).
                if run.emitter.eager and tasks and not all(_runs_quietly(run, t) for t in tasks):
                    # Stream chunks as tasks produce them, not when they finish.
                    if eager is None:
                        eager = EagerSteps(_record(run), run.lock, out, run.max_concurrency)
                        run.emitter.wakeup = eager.wake
                    eager.start(tasks, run.graph.step_timeout)
                    eager_step = True
                    # Once a failure or the timeout ends the step, what tasks
                    # still running queue is not streamed (see _muted).
                    muted = False
                    while True:
                        if muted:
                            out.clear()
                        while out:
                            chunk = emit(out.popleft())
                            if chunk is not None:
                                yield chunk
                        result = eager.next_result()
                        if result is not None:
                            reply = on_recorded(*result, reply)
                            muted = muted or _ends_step_now(reply)
                        elif eager.over():
                            break
                        else:
                            eager.wait()
                            muted = muted or eager.timed_out
                    eager_step = False
                    if eager.record_error is not None:
                        raise eager.record_error
                    if eager.timed_out:
                        reply = TimeoutError("Timed out")
                    continue
                if len(tasks) == 1 and not run.graph.step_timeout:
                    reply = _run_one(run, tasks[0])
                    continue
                handlers = [] if has_handlers else None
                steps = run_step(
                    tasks,
                    timeout=run.graph.step_timeout,
                    max_concurrency=run.max_concurrency,
                    added=handlers,
                )
                muted = False
                try:
                    for task, exc in steps:
                        if task is None:  # the step timed out
                            muted = True
                            continue
                        reply = on_result(task, exc, reply)
                        if muted:
                            out.clear()
                        while out:
                            chunk = emit(out.popleft())
                            if chunk is not None:
                                yield chunk
                        muted = muted or _ends_step_now(reply)
                except TimeoutError as exc:
                    reply = exc
                steps = None
            elif kind is IO_BATCH:
                run.persist.perform(request[1])
                reply = None
            elif kind is SETTLE:
                run.persist.settle(quiet=request[1])
                reply = None
            elif kind is IO:
                reply = getattr(request[1], request[2])(*request[3])
            elif kind is LIFECYCLE:
                _lifecycle.dispatch(run)
                reply = None
            else:  # LOAD
                reply = None if saver is None else _load(saver, request[1], request[2])
            request = None  # performed
    except GeneratorExit:
        # With durability "exit" the writes are saved now, on the way out:
        # LangGraph saves what had finished (a task still running is lost).
        if run.persist.durability == "exit":
            steps = None
            if eager_step:
                cast(EagerSteps, eager).detach()
                eager_step = False
        mid_step = steps is not None or eager_step
        if mid_step:
            finish_step()
        _stop_sync(run, gen, request, mid_step)
        raise
    finally:
        if eager is not None:
            run.emitter.wakeup = None
            eager.close()


def quiet(run: Any) -> bool:
    """Whether `drive_quiet` can run `run`: it streams nothing and its steps have
    no time limit (what drive_sync would do for it is then a plain loop)."""
    return not run.emitter.stream_modes and not run.graph.step_timeout


def drive_quiet(run: Any) -> None:
    """Execute the engine of a run that streams nothing (`quiet`), as drive_sync
    would, without its chunk handling: an invoke made no chunk to yield, so it
    needs neither a generator nor the per-run closures of a stream."""
    run.inline_single = True
    if run.plain_steps():
        _drive_plain(run)
        return
    gen = engine(run)
    send = gen.send
    reply: Any = None
    while True:
        try:
            request = send(reply)
        except StopIteration:
            return
        kind = request[0]
        if kind is RUN:
            # Only steps of several tasks come here (one task runs in the engine).
            reply = _run_step_quietly(run, request[1])
        elif kind is IO_BATCH:
            run.persist.perform(request[1])
            reply = None
        elif kind is SETTLE:
            run.persist.settle(quiet=request[1])
            reply = None
        elif kind is IO:
            reply = getattr(request[1], request[2])(*request[3])
        elif kind is LIFECYCLE:
            _lifecycle.dispatch(run)
            reply = None
        else:  # LOAD
            saver = run.persist.checkpointer
            reply = None if saver is None else _load(saver, request[1], request[2])


def _run_step_quietly(run: Any, tasks: list[Any]) -> BaseException | None:
    """Run a step of several tasks for drive_quiet; the step's error or None."""
    handlers: list[Any] | None = [] if getattr(run.graph, "error_handlers", None) else None
    reply: BaseException | None = None
    try:
        for task, exc in run_step(
            tasks, timeout=None, max_concurrency=run.max_concurrency, added=handlers
        ):
            if task is None:
                continue
            if exc is None:
                run.task_done(task)
                continue
            run.task_failed(task, exc)
            handler = None if handlers is None else run.error_handler_task(task, exc)
            if handler is not None:
                cast(list, handlers).append(handler)
            else:
                reply = step_error(reply, exc)
    except TimeoutError as exc:
        reply = exc
    return reply


def _drive_plain(run: Any) -> None:
    """`engine` + drive_quiet for a run whose steps take the plain path
    (PregelRun.plain_steps): no saver, so nothing to load, no saver calls to
    perform, and `task_done` has nothing to record. The same steps in the same
    order, as one loop instead of a generator's requests."""
    try:
        run.start(None)
        while run.tick_plain():
            tasks = run.tasks
            if len(tasks) == 1 and not tasks[0].cached:
                task = tasks[0]  # a chain's step: run here
                error = None
                try:
                    run_task(task)
                except BaseException as exc:
                    run.task_failed(task, exc)
                    error = _handle_sync(run, task, exc, None)
                if error is not None:
                    raise error
            else:
                tasks = run.runnable_tasks()
                error = (
                    _run_one(run, tasks[0]) if len(tasks) == 1 else _run_step_quietly(run, tasks)
                )
                if error is not None:
                    raise error
            run.after_tick_plain()
    except GraphInterrupt as exc:
        run.on_interrupt(exc)
        if run.nested:
            # A subgraph's interrupt is its parent task's interrupt.
            run.on_exit()
            raise
    except BaseException:
        run.on_exit()
        raise
    run.on_exit()
    if run.status == "out_of_steps":
        raise run.recursion_error()
    if run.status == "draining":
        raise run.drained_error()


class _CallerStopped(BaseException):
    """Thrown into the engine when the caller of a sync stream stopped."""


def _stop_sync(
    run: Any, gen: Generator[tuple, Any, None], unsent: tuple | None, mid_step: bool
) -> None:
    """End the engine of a sync run whose caller stopped: save what the run did.

    Mid-step, the driver has waited for the step's running tasks and
    recorded their writes (the step is not committed: as LangGraph, the
    writes are saved on the step's checkpoint). Else `unsent` is the
    engine's request the driver had not performed yet: saver calls in it are
    made, a next step is not run. The engine then ends as on any stop, and
    the saver calls that queues are made; its chunks go nowhere."""
    try:
        if mid_step:
            request: tuple | None = gen.throw(_CallerStopped())
        else:
            request = unsent
        while request is not None:
            if request[0] is IO_BATCH:
                run.persist.perform(request[1])
                request = gen.send(None)
            elif request[0] is SETTLE:
                run.persist.settle(quiet=True)
                request = gen.send(None)
            elif request[0] is IO:
                request = gen.send(getattr(request[1], request[2])(*request[3]))
            else:  # a next step, a load: the run stops here
                request = gen.throw(_CallerStopped())
    except BaseException:  # the stop itself, coming back (or the engine's end)
        return


def _stretch_ok(run: Any) -> bool:
    """Whether the async driver may run this run's steps of sync tasks in one
    pool thread, several in a row (see `_SyncStretch`): nothing streams from
    it, and nothing it may run needs the loop (no node cache, step timeout,
    error handler, LangChain callbacks or context, node_finished hook). Saver
    calls hand back to the loop unless the saver takes them in that thread
    (`writes_in_any_thread`) or its write pipeline queues them from there
    (durability "async", see `Persister.offer`)."""
    return (
        not run.emitter.stream_modes
        and not run.emitter.eager
        and run.persist.cache is None
        and not run.graph.step_timeout
        and not getattr(run.graph, "error_handlers", None)
        and run.trace is None
        and not run.lc_context
        # A caller's node_finished hook is called where tasks are recorded:
        # it may expect the loop's thread.
        and run.node_finished is None
    )


def _sync_task(task: Any) -> bool:
    """A task an async run would run wholly in a pool thread anyway (see
    PregelNode.runs_sync_only; a Send's own timeout counts too)."""
    runs_sync_only = getattr(task.proc, "runs_sync_only", False)
    return runs_sync_only and task.timeout is None


class _SyncStretch:
    """Steps of an async run whose tasks are all sync (see `_stretch_ok`), run
    one after the other in a single pool thread (`run`), the engine advanced
    there too.

    An async run hands a sync node to a pool thread and waits for it: two
    thread wakeups per step. A stretch pays them once for as many steps as
    follow, and hands back at the first request that needs the loop (saver
    calls the saver does not take from here, an async task, the end).
    Each task runs in its own copy of the caller's context, as `run_in_executor`
    runs it. A step of several tasks (a Send fan-out) is run by `_SyncFanout`,
    this thread pulling tasks beside a few helpers. If the caller is cancelled,
    `cancel` stops the stretch, and the engine is not advanced again by the
    thread."""

    __slots__ = ("lock", "stopped", "task", "fanout", "result", "loop")

    def __init__(self, tasks: list[Any], run: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.lock = threading.Lock()
        self.stopped = False
        # The step under way: its only task, or its fan-out.
        self.task: Any = None
        self.fanout: _SyncFanout | None = None
        self._set_step(tasks, run)
        self.result: tuple[tuple | None, BaseException | None] | None = None
        self.loop = loop  # the driver's

    def _set_step(self, tasks: list[Any], run: Any) -> None:
        if len(tasks) == 1:
            self.task, self.fanout = tasks[0], None
        else:
            self.task, self.fanout = None, _SyncFanout(run, tasks)

    def run(
        self, run: Any, gen: Generator[tuple, Any, None]
    ) -> tuple[tuple | None, BaseException | None]:
        out = run.emitter.out
        persist = run.persist
        saver = persist.checkpointer
        in_thread = saver is not None and getattr(saver, "writes_in_any_thread", False)
        while True:
            error: BaseException | None = None
            fanout = self.fanout
            if fanout is not None:
                error = fanout.run_here()
            else:
                try:
                    contextvars.copy_context().run(run_task, self.task)
                except BaseException as exc:
                    error = exc
            with self.lock:
                if self.stopped:
                    return None, None
                if fanout is None:
                    task = self.task
                    if error is None:
                        run.task_done(task)
                    else:
                        run.task_failed(task, error)
                        error = step_error(None, error)
                result = _advance(gen, error)
                request = result[0]
                # A step's saver calls, made or queued on the saver's write
                # pipeline from here when the saver allows it.
                while request is not None and request[0] is IO_BATCH and result[1] is None:
                    batch = request[1]
                    if in_thread and all(call[0] is saver for call in batch):
                        persist.perform(batch)
                    elif not persist.offer(batch, self.loop):
                        break
                    result = _advance(gen, None)
                    request = result[0]
                if (
                    result[1] is not None
                    or request is None
                    or request[0] is not RUN
                    or out
                    or not request[1]
                    or not all(map(_sync_task, request[1]))
                ):
                    self.result = result
                    return result
                self._set_step(request[1], run)

    def cancel(self, run: Any) -> tuple | None:
        """The caller was cancelled: the engine's pending request, if the
        stretch had handed one back; else the step's unfinished tasks are
        recorded as cancelled where LangGraph records them (see
        `_records_stop`: a fan-out's, unless durability is "exit")."""
        with self.lock:
            self.stopped = True
            if self.result is not None:
                return self.result[0]
            if self.fanout is not None:
                self.fanout.cancel(_records_stop(run, several=True))
            return None


class _SyncFanout:
    """A step of several sync tasks in a stretch, run by the stretch's thread
    and a few helpers in pool threads that pull them in order (at most as many
    at once as the pool would run anyway), recorded as they end. As when the
    async driver runs them: a real failure ends the step (tasks not started
    never run, those still running are recorded as cancelled), and a cancelled
    caller stops it (see `cancel`)."""

    __slots__ = (
        "lock",
        "idle",
        "pending",
        "reply",
        "run",
        "running",
        "stopped",
        "cut",
        "helpers",
        "asked",
    )

    def __init__(self, run: Any, tasks: list[Any]) -> None:
        self.run = run
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)  # no task running any more
        self.pending = deque(tasks)
        self.running: list[Any] = []
        self.reply: BaseException | None = None
        self.stopped = False  # the caller was cancelled
        self.cut = False  # a failure ended the step
        # Helpers still to ask for: at most as many pullers at once as the pool has threads.
        pullers = min(len(tasks), run.max_concurrency or _MAX_PULLERS, _MAX_PULLERS)
        self.helpers = pullers - 1
        self.asked = False  # a helper was asked for and has not started yet

    def run_here(self) -> BaseException | None:
        """Run the step, this thread pulling too; the step's error or None once
        every task is recorded (None too if the caller was cancelled)."""
        self.work()
        with self.lock:
            while self.running and not self.stopped:
                self.idle.wait()
        return self.reply

    def help(self) -> None:
        """A helper's work (in a pool thread)."""
        with self.lock:
            self.asked = False
        self.work()

    def work(self) -> None:
        run = self.run
        lock = self.lock
        pending = self.pending
        while True:
            with lock:
                if not pending:
                    return
                task = pending.popleft()
                self.running.append(task)
                # Helpers join one at a time: a puller starting a task while
                # others wait asks for one unless the last one asked for has
                # not started yet. Slow (blocking) tasks so soon run side by
                # side, up to the pool's size, while tiny ones are mostly run
                # by the stretch's thread before a helper gets to run (every
                # idle helper woken costs the others a thread switch).
                helper = bool(pending) and self.helpers > 0 and not self.asked
                if helper:
                    self.helpers -= 1
                    self.asked = True
            if helper:
                shared_pool().submit(contextvars.copy_context().run, self.help)
            error: BaseException | None = None
            try:
                contextvars.copy_context().run(run_task, task)
            except BaseException as exc:
                error = exc
            with lock:
                if self.stopped:
                    return  # recorded by cancel()
                self.running.remove(task)
                if self.cut:
                    self._cancelled(task)
                elif error is None:
                    run.task_done(task)
                else:
                    run.task_failed(task, error)
                    self.reply = step_error(self.reply, error)
                    if _ends_step(error):
                        self.cut = True
                        while pending:
                            self._cancelled(pending.popleft())
                if not self.running and not pending:
                    self.idle.notify_all()

    def _cancelled(self, task: Any) -> None:
        _record_cancelled(self.run, task)
        self.reply = step_error(self.reply, asyncio.CancelledError())

    def cancel(self, record: bool) -> None:
        """The caller was cancelled: no task starts any more; those not
        finished are recorded as cancelled if `record`."""
        with self.lock:
            self.stopped = True
            if record:
                for task in [*self.running, *self.pending]:
                    _record_cancelled(self.run, task)
            self.pending.clear()
            self.idle.notify_all()


# At most as many pullers as the loop's default pool has threads.
_MAX_PULLERS = min(32, (os.cpu_count() or 1) + 4)


async def drive_async(run: Any, emit: Callable[[tuple], Any]) -> AsyncIterator[Any]:
    """Async twin of drive_sync.

    A caller that stops mid-run (closes the stream, or its asyncio task is
    cancelled) does not lose what the run did: the step's running tasks are
    cancelled and waited for, then the engine ends as on any stop, saving
    the writes of the tasks that finished (see `_astop`)."""
    gen = engine(run)
    saver = run.persist.checkpointer
    out = run.emitter.out
    reply: Any = None
    request: tuple | None = None
    control = StepControl()  # one per run: a step's own is only reset
    wake: asyncio.Event | None = None  # set by the emitter (eager streaming)
    record = _record(run)
    stretch_ok = _stretch_ok(run)
    handed_back: tuple[tuple | None, BaseException | None] | None = None  # by a stretch
    try:
        while True:
            if handed_back is None:
                request, error = _advance(gen, reply)
            else:
                (request, error), handed_back = handed_back, None
            while out:
                chunk = emit(out.popleft())
                if chunk is not None:
                    yield chunk
            if error is not None:
                raise error
            if request is None:
                break
            kind = request[0]
            if kind is RUN:
                reply = None
                if stretch_ok and request[1] and all(map(_sync_task, request[1])):
                    loop = asyncio.get_running_loop()
                    stretch = _SyncStretch(request[1], run, loop)
                    ctx = contextvars.copy_context()
                    try:
                        handed_back = await loop.run_in_executor(
                            None, ctx.run, stretch.run, run, gen
                        )
                    except asyncio.CancelledError:
                        request = stretch.cancel(run)
                        raise
                    request = None
                    continue
                eager = run.emitter.eager and bool(request[1])
                if eager and wake is None:
                    # Stream chunks as tasks produce them, not when they finish.
                    wake = asyncio.Event()
                    run.emitter.wakeup = _event_waker(asyncio.get_running_loop(), wake)
                control.cancel_rest = False
                steps = arun_step(
                    request[1],
                    timeout=run.graph.step_timeout,
                    max_concurrency=run.max_concurrency,
                    control=control,
                    wake=wake if eager else None,
                    # Eagerly streamed tasks record themselves as they end.
                    record=record if eager else None,
                )
                caller_stopped = False
                try:
                    async for task, exc in steps:
                        if task is None:  # a chunk is ready while tasks run
                            pass
                        elif type(exc) is asyncio.CancelledError:
                            # The step is ending (a failure, the timeout).
                            _record_cancelled(run, task)
                            reply = step_error(reply, exc)
                        elif exc is not None:
                            if not eager:
                                run.task_failed(task, exc)
                            handler = run.error_handler_task(task, exc)
                            if handler is None:
                                reply = step_error(reply, exc)
                                if not control.cancel_rest and _ends_step(exc):
                                    control.cancel_rest = True
                            else:
                                try:
                                    await arun_task(handler)
                                except BaseException as handler_exc:
                                    run.task_failed(handler, handler_exc)
                                    reply = step_error(reply, handler_exc)
                                else:
                                    run.task_done(handler)
                        elif not eager:
                            run.task_done(task)
                        while out:
                            chunk = emit(out.popleft())
                            if chunk is not None:
                                yield chunk
                        if control.record_error is not None:
                            raise control.record_error
                except asyncio.TimeoutError as exc:
                    reply = exc
                except (asyncio.CancelledError, GeneratorExit):
                    caller_stopped = True
                    raise
                finally:
                    if cast(AsyncGeneratorType, steps).ag_frame is not None:
                        # Cancels and waits for the tasks of a step left early.
                        await steps.aclose()
                    if not caller_stopped or _records_stop(run, several=len(request[1]) > 1):
                        for task in control.abandoned:
                            _record_cancelled(run, task)
                request = None  # handled
            elif kind is IO_BATCH:
                batch = request[1]
                request = None  # being handled
                await run.persist.aperform(batch)
                reply = None
            elif kind is SETTLE:
                quiet = request[1]
                request = None
                await run.persist.asettle(quiet=quiet)
                reply = None
            elif kind is IO:
                reply = await getattr(request[1], "a" + request[2])(*request[3])
            elif kind is LIFECYCLE:
                await _lifecycle.adispatch(run)
                reply = None
            else:
                reply = None if saver is None else await _aload(saver, request[1], request[2])
    except (GeneratorExit, asyncio.CancelledError):
        await _astop(run, gen, request)
        raise
    finally:
        if wake is not None:
            run.emitter.wakeup = None


def _records_stop(run: Any, *, several: bool) -> bool:
    """Whether the tasks of a step its caller stopped (cancelled the run,
    closed the stream) are saved as cancelled, as in LangGraph: not under
    durability "exit" (the run's last checkpoint and writes are saved before
    the cancelled tasks record their error), nor a step's only task when it
    is awaited directly (no step timeout, nothing streamed while it runs)."""
    if run.persist.durability == "exit":
        return False
    return several or bool(run.graph.step_timeout) or run.emitter.eager


def _record_cancelled(run: Any, task: Any) -> None:
    """A task the run cancelled (its step failed or timed out, or the
    caller stopped). Its error is saved like any failure's, so the thread
    shows it, but nothing is streamed: the task never finished (as in
    LangGraph)."""
    exc = asyncio.CancelledError()
    task.error = exc
    if run.persist.checkpointer is not None:
        run.persist.record_writes(task, [*task.writes, (ERROR, repr(exc))])


def _ends_step_now(reply: Any) -> bool:
    """Whether a sync step's error so far ends it for its caller: as in
    LangGraph, whose runner stops at a real failure (or the timeout) and
    raises once the chunks queued by then are streamed, the caller sees
    nothing that tasks still running queue afterwards (their writes are
    still saved, once they end)."""
    return reply is not None and _ends_step(reply)


def _ends_step(exc: BaseException) -> bool:
    """Whether a task's (unhandled) failure stops its running siblings: a
    real error does; interrupts and other bubbling signals do not, nor does
    an invalid resume value (the run reports it once the others finish)."""
    return not isinstance(exc, GraphBubbleUp) and not is_invalid_resume(exc)


async def _astop(run: Any, gen: Generator[tuple, Any, None], unsent: tuple | None) -> None:
    """End the engine of a run whose caller stopped: save what the run did.

    `unsent` is the engine's last request if the driver had not performed
    it yet (the caller stopped while chunks before it were streamed): saver
    calls in it are made first. The engine then ends as on any stop (a
    cancellation), and the saver calls that queues are made; its chunks go
    nowhere."""
    persist = run.persist
    if unsent is not None and unsent[0] is IO_BATCH:
        await persist.aperform(unsent[1])
    try:
        request = gen.throw(asyncio.CancelledError())
        while True:
            reply = None
            if request[0] is IO_BATCH:
                await persist.aperform(request[1])
            elif request[0] is SETTLE:
                await persist.asettle(quiet=True)
            elif request[0] is IO:
                reply = await getattr(request[1], "a" + request[2])(*request[3])
            request = gen.send(reply)
    except BaseException:  # the stop itself, coming back (or the engine's end)
        return


def chunk_formatter(
    requested: str | list[str], subgraphs: bool, version: str, namespace: tuple[str, ...] = ()
) -> Callable[[tuple], Any]:
    """How a queued (namespace, mode, payload) is shown to the caller. Without
    subgraphs=True only the run's own chunks are shown (a graph streamed
    inside a node has a namespace of its own)."""
    single = isinstance(requested, str)
    wanted = {requested} if single else set(requested)
    own = namespace

    if version == "v2":

        def emit_v2(item: tuple) -> Any:
            ns, mode, payload = item
            if mode not in wanted or (ns != own and not subgraphs):
                return None
            part = {"type": mode, "ns": ns, "data": payload}
            if mode == "values":
                interrupts: tuple = ()
                if isinstance(payload, dict) and INTERRUPT in payload:
                    interrupts = tuple(payload[INTERRUPT])
                    payload = {k: v for k, v in payload.items() if k != INTERRUPT}
                    part["data"] = payload
                part["interrupts"] = interrupts
            return part

        return emit_v2
    if subgraphs:
        if single:
            return lambda item: (item[0], item[2]) if item[1] in wanted else None
        return lambda item: item if item[1] in wanted else None
    if single:
        return lambda item: item[2] if item[1] in wanted and item[0] == own else None
    return lambda item: (item[1], item[2]) if item[1] in wanted and item[0] == own else None
