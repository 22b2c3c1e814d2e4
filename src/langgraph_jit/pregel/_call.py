"""Task calls made from inside a running task (the functional API's `@task`).

Each call becomes a push task of the current step with a deterministic id
(caller's namespace and path + call index), so on resume a call whose result
was saved returns it instead of running again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
from typing import Any

from langgraph_jit._constants import PUSH_TRIGGER, RETURN
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.pregel._core.task import CallTask
from langgraph_jit.pregel._runner import arun_task, run_task, shared_pool
from langgraph_jit.pregel._trace import call_arguments


class _CallProc:
    """What a call task runs: the task function on (args, kwargs); its only
    write is the return value."""

    tags = None
    metadata = None
    mapper = None
    writers = ()

    def __init__(self, fn: Any) -> None:
        self.bound = fn.func
        self.retry_policy = fn.retry_policy
        self.cache_policy = fn.cache_policy
        self.timeout = fn.timeout
        self.call = _CallInvoker(fn.func, fn.name)
        self.subgraphs = ()

    def trace_inputs(self, value: Any) -> dict[str, Any]:
        """What the call's run records as its input: the arguments by name."""
        return call_arguments(self.bound)(value)

    def collect_writes(self, output: Any, task: Any) -> None:
        task.writes.append((RETURN, output))

    async def acollect_writes(self, output: Any, task: Any) -> None:
        task.writes.append((RETURN, output))


class _CallInvoker:
    __slots__ = ("func", "name", "is_async")

    def __init__(self, func: Any, name: str) -> None:
        self.func = func
        self.name = name
        self.is_async = inspect.iscoroutinefunction(func)

    def invoke(self, value: Any, task: Any) -> Any:
        if self.is_async:
            raise RuntimeError("In an sync context async tasks cannot be called")
        args, kwargs = value
        return self.func(*args, **kwargs)

    async def ainvoke(self, value: Any, task: Any) -> Any:
        args, kwargs = value
        if self.is_async:
            return await self.func(*args, **kwargs)
        return self.func(*args, **kwargs)


class CallFuture(concurrent.futures.Future):
    """A call's future. If its result is wanted before a pool thread took it,
    the caller runs it: nested waits can never exhaust the pool."""

    def __init__(self, start: Any) -> None:
        super().__init__()
        self._start = start
        self._claimed = False
        self._claim_lock = threading.Lock()

    def claim(self) -> bool:
        with self._claim_lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def result(self, timeout: float | None = None) -> Any:
        if not self.done() and self.claim():
            self._start(self)
        return super().result(timeout)


def call_task(fn: Any, args: tuple, kwargs: dict) -> Any:
    """Schedule one call of task function `fn` from the running task."""
    parent = CURRENT_TASK.get()
    if parent is None:
        raise RuntimeError("Called get_config outside of a runnable context")
    run = parent.run
    with run.lock:
        idx = parent.calls
        parent.calls += 1
    proc = _CallProc(fn)
    runner = getattr(run.graph, "task_runner", None)
    if runner is not None:  # the call runs on a cluster worker (distributed/)
        proc.call = runner.remote_call(fn, proc.call)
    child = CallTask(run, parent, idx, fn.name, proc, (args, kwargs), PUSH_TRIGGER)
    if run.trace is not None:
        # Traced: the call's run is a child of the calling task's run.
        child._config = {**run.task_config(child), "callbacks": parent.config.get("callbacks")}
    done = run.persist.saved_call_result(child)
    if done is not None:
        # A call answered from the saved writes still shows that it started
        # (LangGraph streams its "task" event, but no result: it did not run).
        if run.emitter.wants_tasks:
            with run.lock:
                run.task_started(child)
        return _completed(done[0])
    with run.lock:
        run.tasks.append(child)
        if run.emitter.wants_tasks:
            run.task_started(child)
    if _in_event_loop():
        return asyncio.ensure_future(_arun(run, child))
    future = CallFuture(lambda fut: _run(run, child, fut))
    ctx = contextvars.copy_context()

    def start_in_pool() -> None:
        if future.claim():
            ctx.run(_run, run, child, future)

    with run.lock:
        if parent.call_futures is None:
            parent.call_futures = []
        parent.call_futures.append(future)
    shared_pool().submit(start_in_pool)
    return future


def _completed(value: Any) -> asyncio.Future[Any] | concurrent.futures.Future[Any]:
    if _in_event_loop():
        afut = asyncio.get_running_loop().create_future()
        afut.set_result(value)
        return afut
    fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
    fut.set_result(value)
    return fut


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run(run: Any, child: Any, future: concurrent.futures.Future) -> None:
    cache = run.graph.cache
    entry = run.persist.call_cache_entry(child) if cache is not None else None
    if entry is not None:
        found = cache.get([entry[0]])
        if entry[0] in found:
            future.set_result(_replay_cached(run, child, found[entry[0]]))
            return
    try:
        run_task(child)
    except BaseException as exc:
        with run.lock:
            run.task_failed(child, exc)
        future.set_exception(exc)
        return
    with run.lock:
        run.task_done(child)
    if entry is not None:
        cache.set({entry[0]: (_returned(child), entry[1])})
    future.set_result(_returned(child)[0][1])


async def _arun(run: Any, child: Any) -> Any:
    cache = run.graph.cache
    entry = run.persist.call_cache_entry(child) if cache is not None else None
    if entry is not None:
        found = await cache.aget([entry[0]])
        if entry[0] in found:
            return _replay_cached(run, child, found[entry[0]])
    try:
        await arun_task(child)
    except BaseException as exc:
        with run.lock:
            run.task_failed(child, exc)
        raise
    with run.lock:
        run.task_done(child)
    if run.emitter.eager:
        # Streaming eagerly: let the driver send the result's chunk before the
        # caller goes on (LangGraph's order: the chunk, then the next call).
        await asyncio.sleep(0)
    if entry is not None:
        await cache.aset({entry[0]: (_returned(child), entry[1])})
    return _returned(child)[0][1]


def _returned(child: Any) -> list[tuple[str, Any]]:
    """A call's result as its one write (what its cache entry holds)."""
    return [next((c, v) for c, v in child.writes if c == RETURN)]


def _replay_cached(run: Any, child: Any, writes: Any) -> Any:
    """A call whose result is cached is not run: its result is recorded
    (and saved) as if it had been."""
    child.writes.extend(tuple(w) for w in writes)
    child.cached = True
    with run.lock:
        run.task_done(child, cached=True)
    return _returned(child)[0][1]
