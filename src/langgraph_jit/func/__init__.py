"""The functional API: `@entrypoint` workflows calling `@task` functions.

An entrypoint is a Pregel graph with one node; each task call inside it is a
push task of the same step, run concurrently and checkpointed with its
result, so a resumed workflow gets finished calls back instead of re-running
them (matched by call order).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar, get_args, get_origin

from langgraph_jit._constants import END, PREVIOUS, RUNS_IN_CALLER, START, STREAMS_WHILE_RUNNING
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.channels import EphemeralValue, LastValue
from langgraph_jit.pregel._call import call_task
from langgraph_jit.pregel._node import ChannelWrite, ChannelWriteTupleEntry, PregelNode
from langgraph_jit.pregel._timeout import runs_async, sync_timeout_error
from langgraph_jit.pregel.main import Pregel
from langgraph_jit.types import CachePolicy, RetryPolicy, TimeoutPolicy
from langgraph_jit.typing import ContextT
from langgraph_jit.warnings import (
    LangGraphDeprecatedSinceV05,
    LangGraphDeprecatedSinceV10,
    warn_renamed,
)

__all__ = ("entrypoint", "task")

R = TypeVar("R")
S = TypeVar("S")


def _callable_name(func: Any) -> str:
    """A task's default name: the function's, the wrapped function's for a
    functools.partial, else the callable's class name."""
    name = getattr(func, "__name__", None)
    if name is None and isinstance(func, functools.partial):
        name = getattr(func.func, "__name__", None)
    return name or type(func).__name__


class _TaskFunction:
    """A function that, called inside a workflow, runs as its own task and
    returns a future of its result."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        retry_policy: Sequence[RetryPolicy] = (),
        cache_policy: CachePolicy | None = None,
        timeout: TimeoutPolicy | None = None,
    ) -> None:
        self.func = func
        self.name = name or _callable_name(func)
        self.retry_policy = retry_policy
        self.cache_policy = cache_policy
        if timeout is not None and not runs_async(func):
            raise sync_timeout_error(self.name, "task")
        self.timeout = timeout
        functools.update_wrapper(self, func)
        if name:
            self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call_task(self, args, kwargs)

    def clear_cache(self, cache: Any) -> None:
        from langgraph_jit._constants import CACHE_NS_WRITES
        from langgraph_jit.pregel._core.task import _identifier

        cache.clear([(CACHE_NS_WRITES, _identifier(self.func) or "__dynamic__")])

    async def aclear_cache(self, cache: Any) -> None:
        from langgraph_jit._constants import CACHE_NS_WRITES
        from langgraph_jit.pregel._core.task import _identifier

        await cache.aclear([(CACHE_NS_WRITES, _identifier(self.func) or "__dynamic__")])


def task(
    __func_or_none__: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
    timeout: float | timedelta | TimeoutPolicy | None = None,
    **kwargs: Any,
) -> Any:
    """Make a function a task: `@task` or `@task(name=..., retry_policy=...)`.

    `timeout` (async functions only) bounds each attempt of each call; a number
    or timedelta is a run timeout."""
    timeout_policy = TimeoutPolicy.coerce(timeout)  # validated now
    if kwargs.get("retry") is not None:
        warn_renamed("retry", "retry_policy", LangGraphDeprecatedSinceV05)
        if retry_policy is None:
            retry_policy = kwargs["retry"]
    policies: Sequence[RetryPolicy] = (
        ()
        if retry_policy is None
        else (retry_policy,)
        if isinstance(retry_policy, RetryPolicy)
        else tuple(retry_policy)
    )

    def decorate(func: Callable[..., Any]) -> _TaskFunction:
        return _TaskFunction(
            func,
            name=name,
            retry_policy=policies,
            cache_policy=cache_policy,
            timeout=timeout_policy,
        )

    if __func_or_none__ is not None:
        return decorate(__func_or_none__)
    return decorate


_INJECTABLE = ("previous", "config", "writer", "store", "runtime")


# Its calls stream (updates, tasks) while the calling node still runs.
setattr(_TaskFunction, STREAMS_WHILE_RUNNING, True)


class entrypoint(Generic[ContextT]):
    """Decorate a workflow function (one positional input) into a graph."""

    def __init__(
        self,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        context_schema: Any = None,
        cache_policy: CachePolicy | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
        task_runner: Any = None,
        **kwargs: Any,
    ) -> None:
        # Validated now; whether the workflow is async is checked when decorating.
        self.timeout = TimeoutPolicy.coerce(timeout)
        if kwargs.get("config_schema") is not None:
            warn_renamed("config_schema", "context_schema", LangGraphDeprecatedSinceV10)
            if context_schema is None:
                context_schema = kwargs["config_schema"]
        if kwargs.get("retry") is not None:
            warn_renamed("retry", "retry_policy", LangGraphDeprecatedSinceV05)
            if retry_policy is None:
                retry_policy = kwargs["retry"]
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.context_schema = context_schema
        self.cache_policy = cache_policy
        self.retry_policy = retry_policy
        # Runs the workflow's task calls on a cluster (distributed/); the workflow
        # itself, which orchestrates them, runs in the caller.
        self.task_runner = task_runner

    @dataclass
    class final(Generic[R, S]):
        """Return `value` to the caller but save `save` as the next `previous`."""

        value: R
        save: S

    def __call__(self, func: Callable[..., Any]) -> Pregel:
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            raise NotImplementedError("Generators are disallowed as entrypoints.")
        params = list(inspect.signature(func).parameters.values())
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise ValueError("Entrypoint function must have at least one positional parameter")
        name = getattr(func, "__name__", None) or type(func).__name__
        if self.timeout is not None and not runs_async(func):
            raise sync_timeout_error(name)
        input_type, output_type, save_type = _io_types(func)
        bound = _EntrypointCall(func, {p.name for p in params[1:]} & set(_INJECTABLE))
        policies = (
            (self.retry_policy,)
            if isinstance(self.retry_policy, RetryPolicy)
            else self.retry_policy
        )
        return Pregel(
            nodes={
                name: PregelNode(
                    bound=bound,
                    triggers=[START],
                    channels=START,
                    writers=[ChannelWrite([ChannelWriteTupleEntry(mapper=_final_writes)])],
                    retry_policy=policies,
                    cache_policy=self.cache_policy,
                    timeout=self.timeout,
                )
            },
            channels={
                START: EphemeralValue(input_type),
                END: LastValue(output_type, END),
                PREVIOUS: LastValue(save_type, PREVIOUS),
            },
            input_channels=START,
            output_channels=END,
            stream_channels=END,
            stream_mode="updates",
            # Task results stream as they come, while the workflow still runs.
            stream_eager=True,
            checkpointer=self.checkpointer,
            store=self.store,
            cache=self.cache,
            context_schema=self.context_schema,
            task_runner=self.task_runner,
        )


def _io_types(func: Callable[..., Any]) -> tuple[Any, Any, Any]:
    """The workflow's input, output and saved types, from its signature (what
    the graph's schemas report): `-> entrypoint.final[R, S]` returns R, saves S."""
    sig = inspect.signature(func)
    first = next(iter(sig.parameters.values()))
    input_type = Any if first.annotation is inspect.Parameter.empty else first.annotation
    returns = sig.return_annotation
    if returns is inspect.Signature.empty or returns is entrypoint.final:
        return input_type, Any, Any
    if get_origin(returns) is entrypoint.final:
        args = get_args(returns)
        if len(args) != 2:
            raise TypeError(
                "Annotate both the return value and the saved value of entrypoint.final, "
                "e.g. `-> entrypoint.final[int, str]`."
            )
        return input_type, args[0], args[1]
    return input_type, returns, returns


def _final_writes(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, entrypoint.final):
        return [(END, value.value), (PREVIOUS, value.save)]
    return [(END, value), (PREVIOUS, value)]


class _EntrypointCall:
    """Calls the workflow function with its input and the keyword arguments
    it declares (`previous`, `config`, `writer`, `store`, `runtime`)."""

    def __init__(self, func: Callable[..., Any], inject: set[str]) -> None:
        self.func = func
        self.inject = inject
        self.__name__ = getattr(func, "__name__", "entrypoint")
        self.is_async = inspect.iscoroutinefunction(func)
        self.runs_async = self.is_async  # read by node timeouts

    def _kwargs(self, config: dict | None) -> dict[str, Any]:

        task = CURRENT_TASK.get()
        kwargs: dict[str, Any] = {}
        for name in self.inject:
            if name == "previous":
                ch = task.run.channel_map.get(PREVIOUS)
                kwargs["previous"] = ch.get() if ch is not None and ch.is_available() else None
            elif name == "config":
                kwargs["config"] = task.config
            elif name == "writer":
                from langgraph_jit.config import get_stream_writer

                kwargs["writer"] = get_stream_writer()
            elif name == "store":
                kwargs["store"] = task.run.graph.store
            else:
                kwargs["runtime"] = task.runtime
        return kwargs

    def invoke(self, value: Any, config: dict | None = None) -> Any:
        if self.is_async:
            raise TypeError(
                f'No synchronous function provided to "{self.__name__}".'
                "\nEither initialize with a synchronous function or invoke"
                " via the async API (ainvoke, astream, etc.)"
            )
        return self.func(value, **self._kwargs(config))

    async def ainvoke(self, value: Any, config: dict | None = None) -> Any:
        if self.is_async:
            return await self.func(value, **self._kwargs(config))
        # A sync workflow in an async run: off the event loop, so its task
        # calls get thread futures it can wait on.
        import asyncio
        import contextvars

        ctx = contextvars.copy_context()
        kwargs = self._kwargs(config)
        return await asyncio.get_running_loop().run_in_executor(
            None, ctx.run, lambda: self.func(value, **kwargs)
        )


# The workflow calls its tasks through the engine: it never runs on a cluster worker.
setattr(_EntrypointCall, RUNS_IN_CALLER, True)
