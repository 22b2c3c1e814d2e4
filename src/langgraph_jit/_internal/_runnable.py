"""`RunnableCallable`: a LangChain Runnable over a sync and/or async function that
receives what the running graph task offers (config, runtime, store, writer, previous).

Lives at `langgraph._internal._runnable` because langchain's agents, trustcall and
langgraph-supervisor build their nodes with it. Requires langchain_core.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, cast

from langchain_core.runnables import Runnable
from langchain_core.runnables.config import (
    RunnableConfig,
    ensure_config,
    get_async_callback_manager_for_config,
    get_callback_manager_for_config,
    patch_config,
    set_config_context,
)

from langgraph_jit._constants import CONF, CONFIG_KEY_RUNTIME, MISSING
from langgraph_jit._context import CURRENT_TASK

__all__ = (
    "ASYNCIO_ACCEPTS_CONTEXT",
    "RunnableCallable",
    "RunnableLike",
    "RunnableSeq",
    "coerce_to_runnable",
    "is_async_callable",
    "is_async_generator",
)

# asyncio.create_task(..., context=) exists from Python 3.11: before, a step
# runs in the caller's context.
ASYNCIO_ACCEPTS_CONTEXT = sys.version_info >= (3, 11)

RunnableLike = Runnable | Callable[..., Any] | Callable[..., Awaitable[Any]]

_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
# parameter name -> (Runtime attribute, default when the task has none)
_OPTIONAL = object()
_REQUIRED = object()


def _store_default(annotation: Any) -> Any:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if isinstance(annotation, str):
        return None if "Optional" in text or "None" in text else _REQUIRED
    args = getattr(annotation, "__args__", ())
    return None if type(None) in args else _REQUIRED


def _accepted(func: Callable) -> dict[str, tuple[str, Any]]:
    """Which injectable parameters `func` declares, decided once per callable.

    LangGraph injects `config` and `store`/`writer` only when their annotation is
    the expected type (or absent); `runtime` and `previous` by name alone."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    out: dict[str, tuple[str, Any]] = {}
    for name, param in params.items():
        if param.kind not in _KINDS:
            continue
        ann = param.annotation
        empty = ann is inspect.Parameter.empty
        ann_name = ann if isinstance(ann, str) else getattr(ann, "__name__", repr(ann))
        if name == "config":
            ok = (
                empty
                or ann is RunnableConfig
                or ann_name
                in ("RunnableConfig", "Optional[RunnableConfig]", "RunnableConfig | None")
                or ann == RunnableConfig | None
            )
            if not ok:
                import warnings

                warnings.warn(
                    "The 'config' parameter should be typed as 'RunnableConfig' or "
                    f"'RunnableConfig | None', not '{ann}'. ",
                    UserWarning,
                    stacklevel=4,
                )
                continue
            out[name] = ("config", _REQUIRED)
        elif name == "writer":
            if empty or "StreamWriter" in str(ann_name) or "Callable" in str(ann):
                out[name] = ("stream_writer", lambda _chunk: None)
        elif name == "store":
            if empty or "BaseStore" in str(ann_name) or "BaseStore" in str(ann):
                out[name] = ("store", _REQUIRED if empty else _store_default(ann))
        elif name == "previous":
            out[name] = ("previous", _REQUIRED)
        elif name == "runtime":
            out[name] = ("runtime", _REQUIRED)
    return out


def _task_runtime(config: Mapping[str, Any]) -> Any:
    runtime = (config.get(CONF) or {}).get(CONFIG_KEY_RUNTIME)
    if runtime is not None:
        return runtime

    task = CURRENT_TASK.get()
    return None if task is None else task.runtime


class RunnableCallable(Runnable):
    """A Runnable from a sync function and/or an async one; injects the task's
    config/runtime/store/writer/previous into the parameters that ask for them."""

    def __init__(
        self,
        func: Callable[..., Any] | None,
        afunc: Callable[..., Awaitable[Any]] | None = None,
        *,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        trace: bool = True,
        recurse: bool = True,
        explode_args: bool = False,
        **kwargs: Any,
    ) -> None:
        if func is None and afunc is None:
            raise ValueError("At least one of func or afunc must be provided.")
        if name is None:
            named = func or afunc
            fname = getattr(named, "__name__", None)
            if fname and fname != "<lambda>":
                name = fname
        self.name = name
        self.func = func
        self.afunc = afunc
        self.tags = tags
        self.kwargs = kwargs
        self.trace = trace
        self.recurse = recurse
        self.explode_args = explode_args
        self.func_accepts = _accepted(func or afunc)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"{self.get_name()}(tags={self.tags!r}, recurse={self.recurse!r})"

    def _call_args(self, input: Any, config: RunnableConfig, kwargs: dict) -> tuple[tuple, dict]:
        if self.explode_args:
            args, extra = input
            kwargs = {**self.kwargs, **extra, **kwargs}
        else:
            args = (input,)
            kwargs = {**self.kwargs, **kwargs}
        if self.func_accepts:
            runtime = None
            for kw, (attr, default) in self.func_accepts.items():
                if kw in kwargs:
                    continue
                value: Any = MISSING
                if attr == "config":
                    value = config
                else:
                    if runtime is None:
                        runtime = _task_runtime(config)
                    if runtime is not None:
                        value = runtime if attr == "runtime" else getattr(runtime, attr, MISSING)
                if value is MISSING or (value is None and attr == "stream_writer"):
                    if default is _REQUIRED:
                        if attr == "store" and runtime is not None:
                            value = None
                        else:
                            raise ValueError(
                                f"Missing required config key '{'N/A' if attr in ('config', 'runtime') else attr}'"
                                f" for '{self.name}'."
                            )
                    else:
                        value = default
                kwargs[kw] = value
        return args, kwargs

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        if self.func is None:
            raise TypeError(
                f'No synchronous function provided to "{self.name}".'
                "\nEither initialize with a synchronous function or invoke"
                " via the async API (ainvoke, astream, etc.)"
            )
        config = ensure_config(config)
        args, kwargs = self._call_args(input, config, kwargs)
        if self.trace:
            manager = get_callback_manager_for_config(config)
            if self.tags:
                manager.add_tags(list(self.tags), inherit=False)
            run = manager.on_chain_start(
                None,
                input,
                name=config.get("run_name") or self.get_name(),
                run_id=config.pop("run_id", None),
            )
            try:
                child = patch_config(config, callbacks=run.get_child())
                with set_config_context(child) as ctx:
                    ret = ctx.run(self.func, *args, **kwargs)
            except BaseException as exc:
                run.on_chain_error(exc)
                raise
            run.on_chain_end(ret)
        else:
            ret = self.func(*args, **kwargs)
        if self.recurse and isinstance(ret, Runnable):
            return ret.invoke(input, config)
        return ret

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        if self.afunc is None:
            return self.invoke(input, config, **kwargs)
        config = ensure_config(config)
        args, kwargs = self._call_args(input, config, kwargs)
        if self.trace:
            manager = get_async_callback_manager_for_config(config)
            if self.tags:
                manager.add_tags(list(self.tags), inherit=False)
            run = await manager.on_chain_start(
                None,
                input,
                name=config.get("run_name") or self.name,
                run_id=config.pop("run_id", None),
            )
            try:
                child = patch_config(config, callbacks=run.get_child())
                with set_config_context(child) as ctx:
                    if sys.version_info >= (3, 11):  # create_task takes context= from 3.11
                        coro = cast("Coroutine[Any, Any, Any]", self.afunc(*args, **kwargs))
                        ret = await asyncio.create_task(coro, context=ctx)
                    else:  # as langgraph does on 3.10: run it in the current context
                        ret = await self.afunc(*args, **kwargs)
            except BaseException as exc:
                await run.on_chain_error(exc)
                raise
            await run.on_chain_end(ret)
        else:
            ret = await self.afunc(*args, **kwargs)
        if self.recurse and isinstance(ret, Runnable):
            return await ret.ainvoke(input, config)
        return ret


def is_async_callable(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or (
        hasattr(func, "__call__")  # noqa: B004 - the __call__ attribute is what gets inspected (as langgraph does)
        and inspect.iscoroutinefunction(func.__call__)
    )


def is_async_generator(func: Any) -> bool:
    return inspect.isasyncgenfunction(func) or (
        hasattr(func, "__call__")  # noqa: B004 - the __call__ attribute is what gets inspected (as langgraph does)
        and inspect.isasyncgenfunction(func.__call__)
    )


def coerce_to_runnable(thing: Any, *, name: str | None, trace: bool) -> Runnable:
    """A Runnable for `thing`: itself, a RunnableCallable of a function (sync
    ones also run in an executor when awaited), a RunnableLambda of a
    generator function, a RunnableParallel of a dict."""
    from langchain_core.runnables import RunnableLambda, RunnableParallel
    from langchain_core.runnables.config import run_in_executor

    if isinstance(thing, Runnable):
        return thing
    if is_async_generator(thing) or inspect.isgeneratorfunction(thing):
        return RunnableLambda(thing, name=name)
    if callable(thing):
        if is_async_callable(thing):
            return RunnableCallable(None, thing, name=name, trace=trace)

        async def in_executor(*args: Any, **kwargs: Any) -> Any:
            return await run_in_executor(None, thing, *args, **kwargs)

        return RunnableCallable(thing, in_executor, name=name or _name_of(thing), trace=trace)
    if isinstance(thing, dict):
        return RunnableParallel(thing)
    raise TypeError(
        f"Expected a Runnable, callable or dict.Instead got an unsupported type: {type(thing)}"
    )


def _name_of(func: Any) -> str | None:
    name = getattr(func, "__name__", None)
    return None if name == "<lambda>" else name


class RunnableSeq(Runnable):
    """Runnables applied one after another, recorded as one run with a child
    run per step (`seq:step:N`); what graph nodes are made of in LangGraph.

    `trace_inputs` changes the input every handler records; `trace_policy`
    (a TracePolicy) changes what tracers record of the input and output.
    """

    def __init__(
        self,
        *steps: Any,
        name: str | None = None,
        trace_inputs: Callable[[Any], Any] | None = None,
        trace_policy: Any = None,
    ) -> None:
        from langchain_core.runnables import RunnableSequence

        flat: list[Runnable] = []
        for step in steps:
            if isinstance(step, (RunnableSequence, RunnableSeq)):
                flat.extend(step.steps)
            else:
                flat.append(coerce_to_runnable(step, name=None, trace=True))
        if len(flat) < 2:
            raise ValueError(f"RunnableSeq must have at least 2 steps, got {len(flat)}")
        self.steps: list[Runnable] = flat
        self.name = name
        self.trace_inputs = trace_inputs
        self.trace_policy = trace_policy

    def _payload(self, input: Any) -> Any:
        from langgraph_jit.pregel._trace import recorded_payload

        return recorded_payload(input, self.trace_inputs)

    def __or__(self, other: Any) -> Runnable:  # type: ignore[override]
        return RunnableSeq(*self.steps, other, name=self.name or getattr(other, "name", None))

    def __ror__(self, other: Any) -> Runnable:  # type: ignore[override]
        from langchain_core.runnables import RunnableSequence

        if isinstance(other, RunnableSeq):
            return RunnableSeq(*other.steps, *self.steps, name=other.name or self.name)
        first = coerce_to_runnable(other, name=None, trace=True)
        return RunnableSequence(first, *self.steps, name=getattr(first, "name", None) or self.name)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        from langgraph_jit.pregel._trace import end_run, start_run

        config = ensure_config(config)
        run_manager = start_run(
            cast("dict[str, Any]", config),
            self._payload(input),
            self.trace_policy,
            config.get("run_name") or self.get_name(),
            config.pop("run_id", None),
        )
        try:
            for i, step in enumerate(self.steps):
                config = patch_config(config, callbacks=run_manager.get_child(f"seq:step:{i + 1}"))
                if i == 0:  # the node itself runs in its config's context
                    with set_config_context(config) as ctx:
                        input = ctx.run(step.invoke, input, config, **kwargs)
                else:
                    input = step.invoke(input, config)
        except BaseException as exc:
            run_manager.on_chain_error(exc)
            raise
        end_run(run_manager, input, self.trace_policy, tap=False)
        return input

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        from langgraph_jit.pregel._trace import aend_run, astart_run

        config = ensure_config(config)
        run_manager = await astart_run(
            cast("dict[str, Any]", config),
            self._payload(input),
            self.trace_policy,
            config.get("run_name") or self.get_name(),
            config.pop("run_id", None),
        )
        try:
            for i, step in enumerate(self.steps):
                config = patch_config(config, callbacks=run_manager.get_child(f"seq:step:{i + 1}"))
                if i == 0 and ASYNCIO_ACCEPTS_CONTEXT:
                    with set_config_context(config) as ctx:
                        coro = step.ainvoke(input, config, **kwargs)
                        input = await asyncio.create_task(coro, context=ctx)  # type: ignore[call-arg]
                elif i == 0:
                    input = await step.ainvoke(input, config, **kwargs)
                else:
                    input = await step.ainvoke(input, config)
        except BaseException as exc:
            await asyncio.shield(run_manager.on_chain_error(exc))
            raise
        await aend_run(run_manager, input, self.trace_policy, tap=False)
        return input
