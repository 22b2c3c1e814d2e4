"""Node timeouts (TimeoutPolicy): which nodes can have one, the watchdog that
enforces an attempt's deadlines, and what counts as the attempt's progress.

Only tasks whose node (or Send) has a policy come here: the runner checks one
attribute per task and takes its plain path otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from langgraph_jit._constants import CONFIG_KEY_TIMED_ATTEMPT_OBSERVER
from langgraph_jit._context import TIMED_ATTEMPT
from langgraph_jit.errors import GraphBubbleUp, NodeTimeoutError, ParentCommand
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel.protocol import PregelProtocol
from langgraph_jit.types import TimeoutPolicy

logger = logging.getLogger("langgraph_jit")

__all__ = (
    "AttemptContext",
    "AttemptEvent",
    "TimedAttempt",
    "runs_async",
    "sync_timeout_error",
)


def sync_timeout_error(name: str, what: str = "node") -> ValueError:
    """The error for a timeout on something that runs synchronously."""
    return ValueError(
        f"Timeouts are only supported for async nodes: {what} '{name}' is sync, and a "
        "running sync function cannot be cancelled. Make it `async def` or drop the timeout."
    )


def runs_async(obj: Any) -> bool:
    """Whether `obj` (what a node runs, or one of its writers) has an async
    implementation, so that a timeout can cancel it where it awaits."""
    if obj is None or isinstance(obj, PregelProtocol):
        return True
    if isinstance(obj, functools.partial):
        return runs_async(obj.func)
    # Our own wrappers (NodeBuilder chains, error handlers, entrypoints) say so.
    declared = getattr(obj, "runs_async", None)
    if isinstance(declared, bool):
        return declared
    if inspect.iscoroutinefunction(obj) or inspect.isasyncgenfunction(obj):
        return True
    if inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isbuiltin(obj):
        return False
    # LangChain runnables: a lambda/callable with an async function, a binding
    # of an async runnable, sequences and parallels of async runnables.
    if hasattr(obj, "afunc") or hasattr(obj, "func"):
        return getattr(obj, "afunc", None) is not None
    bound = getattr(obj, "bound", None)
    if bound is not None and hasattr(obj, "invoke"):
        return runs_async(bound)
    parallel = getattr(obj, "steps__", None)
    if isinstance(parallel, dict):
        return all(runs_async(step) for step in parallel.values())
    steps = getattr(obj, "steps", None)
    if isinstance(steps, list) and hasattr(obj, "invoke"):
        return all(runs_async(step) for step in steps)
    if hasattr(obj, "ainvoke"):
        # A runnable that implements ainvoke itself; LangChain's base class
        # only runs `invoke` in a thread.
        for klass in type(obj).__mro__:
            if "ainvoke" in vars(klass):
                return not (
                    klass.__name__ == "Runnable" and klass.__module__.startswith("langchain_core")
                )
    call = getattr(type(obj), "__call__", None)  # noqa: B004 - the method, not a callable() test
    return call is not None and inspect.iscoroutinefunction(call)


# -- what an observer sees (CONFIG_KEY_TIMED_ATTEMPT_OBSERVER) -------------------


@dataclass(frozen=True, slots=True)
class AttemptContext:
    """Which attempt of which task an AttemptEvent is about."""

    task_id: str
    task_name: str
    attempt: int
    run_id: str | None
    thread_id: str | None
    checkpoint_ns: str
    started_at: datetime
    run_timeout_secs: float | None
    idle_timeout_secs: float | None
    refresh_on: Literal["auto", "heartbeat"]


@dataclass(frozen=True, slots=True)
class AttemptEvent:
    """An attempt started, made progress (rate limited) or finished."""

    context: AttemptContext
    event: Literal["start", "progress", "finish"]
    progress_at: datetime | None = None
    finished_at: datetime | None = None
    status: Literal["success", "error"] | None = None
    error_type: str | None = None
    error_message: str | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _consume(future: asyncio.Future[Any]) -> None:
    """Done callback of an abandoned attempt: retrieve its outcome so asyncio
    does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()


class TimedAttempt:
    """One attempt of a task under a TimeoutPolicy.

    While it runs it is the context's TIMED_ATTEMPT: the task's runtime
    heartbeat, its stream writers and (with LangChain) a callback handler
    report progress here. Progress only moves a float, so it may come from any
    thread; the watchdog reads it when it wakes, instead of being rescheduled.
    An attempt nested in another one (a subgraph's node) passes its progress up.
    """

    __slots__ = (
        "_context",
        "_next_progress_event",
        "_observer",
        "_progress_interval",
        "auto",
        "idle_timeout",
        "last_progress",
        "outer",
        "policy",
        "run_timeout",
        "started",
        "task",
    )

    def __init__(self, task: Any, policy: TimeoutPolicy) -> None:
        self.task = task
        self.policy = policy
        # Coerced policies hold float seconds (or None).
        self.run_timeout: float | None = policy.run_timeout  # type: ignore[assignment]
        self.idle_timeout: float | None = policy.idle_timeout  # type: ignore[assignment]
        self.auto = policy.refresh_on == "auto"
        self.outer: TimedAttempt | None = TIMED_ATTEMPT.get()
        self.started = self.last_progress = time.monotonic()
        self._observer: Callable[[AttemptEvent], Any] | None = task.run.configurable.get(
            CONFIG_KEY_TIMED_ATTEMPT_OBSERVER
        )
        self._context: AttemptContext | None = None
        self._next_progress_event = 0.0
        # At most four progress events per idle window reach an observer.
        self._progress_interval = (self.idle_timeout or self.run_timeout or 0.0) / 4

    # -- progress ---------------------------------------------------------------

    def heartbeat(self) -> None:
        """`runtime.heartbeat()`: progress under either refresh mode."""
        self._refresh()
        outer = self.outer
        if outer is not None:
            outer.heartbeat()

    def progress(self) -> None:
        """Output of the node (a stream write, a callback event): progress
        when the policy refreshes on everything (refresh_on="auto")."""
        if self.auto:
            self._refresh()
        outer = self.outer
        if outer is not None:
            outer.progress()

    def _refresh(self) -> None:
        now = self.last_progress = time.monotonic()
        if self._observer is not None and now >= self._next_progress_event:
            self._next_progress_event = now + self._progress_interval
            self._notify(AttemptEvent(self._attempt_context(), "progress", progress_at=_now()))

    def wrap_writer(self, writer: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """A stream writer whose every call is also progress."""
        progress = self.progress

        def write(chunk: Any) -> Any:
            progress()
            return writer(chunk)

        return write

    def patch_runtime(self, runtime: Any) -> Any:
        """The task's Runtime with this attempt's heartbeat and stream writer."""
        return runtime.override(
            heartbeat=self.heartbeat, stream_writer=self.wrap_writer(runtime.stream_writer)
        )

    # -- running ----------------------------------------------------------------

    async def run(self, body: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """Run `body()` (the node call) in a child asyncio task and wait for it
        until a deadline passes: then the child is cancelled and abandoned (a
        node that swallows the cancellation cannot keep the attempt alive) and
        NodeTimeoutError is raised."""
        config = callbacks = None
        if self.auto and _lc.langchain_loaded():
            # LangChain code in the node (given the task's config, or finding
            # it in its context) reports its events to this attempt.
            config = self.task.config
            callbacks = config.get("callbacks")
            config["callbacks"] = with_progress_handler(callbacks, self)
        token = TIMED_ATTEMPT.set(self)
        try:
            # The child copies this context: the node sees this attempt.
            child = asyncio.ensure_future(self._in_child(body, config))
        finally:
            TIMED_ATTEMPT.reset(token)
        self._start()
        try:
            while not child.done():
                deadline, kind = self._deadline()
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    await asyncio.wait((child,), timeout=remaining)
                    continue  # finished, or woke to look at the (maybe moved) deadline
                child.cancel()
                child.add_done_callback(_consume)
                elapsed = time.monotonic() - self.started
                raise NodeTimeoutError(
                    self.task.name,
                    elapsed,
                    kind=kind,
                    idle_timeout=self.idle_timeout,
                    run_timeout=self.run_timeout,
                )
        except asyncio.CancelledError:
            # The run cancelled this task: the attempt goes with it.
            child.cancel()
            child.add_done_callback(_consume)
            raise
        finally:
            if config is not None:
                config["callbacks"] = callbacks
        return child.result()

    async def _in_child(
        self, body: Callable[[], Coroutine[Any, Any, Any]], config: dict[str, Any] | None
    ) -> Any:
        if config is not None:
            _lc.enter_task(self.task)  # in the child's own context only
        return await body()

    def _deadline(self) -> tuple[float, Literal["idle", "run"]]:
        idle = self.idle_timeout
        run = self.run_timeout
        idle_deadline = self.last_progress + idle if idle is not None else None
        run_deadline = self.started + run if run is not None else None
        if idle_deadline is None or (run_deadline is not None and run_deadline <= idle_deadline):
            assert run_deadline is not None  # a coerced policy has a deadline
            return run_deadline, "run"
        return idle_deadline, "idle"

    # -- observer ---------------------------------------------------------------

    def _attempt_context(self) -> AttemptContext:
        context = self._context
        if context is None:
            task = self.task
            run = task.run
            run_id = run.config.get("run_id")
            thread_id = run.configurable.get("thread_id")
            context = self._context = AttemptContext(
                task_id=task.id,
                task_name=task.name,
                attempt=task.attempt,
                run_id=str(run_id) if run_id is not None else None,
                thread_id=str(thread_id) if thread_id is not None else None,
                checkpoint_ns=task.checkpoint_ns,
                started_at=_now(),
                run_timeout_secs=self.run_timeout,
                idle_timeout_secs=self.idle_timeout,
                refresh_on=self.policy.refresh_on,
            )
        return context

    def _notify(self, event: AttemptEvent) -> None:
        observer = self._observer
        if observer is None:
            return
        try:
            observer(event)
        except Exception:  # an observer's failure is not the node's
            logger.exception("Timed attempt observer failed")

    def _start(self) -> None:
        if self._observer is not None:
            self._notify(AttemptEvent(self._attempt_context(), "start"))

    def finish(self, error: BaseException | None) -> None:
        """The attempt is over (before any retry wait or error handler):
        interrupts and Commands to a parent graph are not errors."""
        if self._observer is None:
            return
        failed = error is not None and not isinstance(error, (GraphBubbleUp, ParentCommand))
        self._notify(
            AttemptEvent(
                self._attempt_context(),
                "finish",
                finished_at=_now(),
                status="error" if failed else "success",
                error_type=type(error).__name__ if failed else None,
                error_message=str(error) if failed else None,
            )
        )


@functools.cache
def _progress_handler_class() -> type:
    """A LangChain callback handler that reports every event as progress
    (built on first use: importing this module must not import LangChain)."""
    from langchain_core.callbacks import BaseCallbackHandler

    def report(self: Any, *args: Any, **kwargs: Any) -> None:
        self.attempt.progress()

    names = [n for n in dir(BaseCallbackHandler) if n.startswith("on_")]
    namespace: dict[str, Any] = dict.fromkeys(names, report)
    namespace["run_inline"] = True  # called where the event happens, no executor hop

    def __init__(self: Any, attempt: TimedAttempt) -> None:
        self.attempt = attempt

    namespace["__init__"] = __init__
    return type("_TimedAttemptProgressHandler", (BaseCallbackHandler,), namespace)


def with_progress_handler(callbacks: Any, attempt: TimedAttempt) -> Any:
    """`callbacks` (a list, a manager or None) plus this attempt's progress handler."""
    handler = _progress_handler_class()(attempt)
    if callbacks is None:
        return [handler]
    if isinstance(callbacks, list):
        return [*callbacks, handler]
    manager = callbacks.copy()
    manager.add_handler(handler, inherit=True)
    return manager
