"""Nodes of a low-level Pregel graph: what a node reads, runs and writes.

`NodeBuilder` is the public fluent builder; `PregelNode` is what it builds.
User code is wrapped once (at build time) so the per-task call is a plain
function call with the right arguments.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, NamedTuple

from langgraph_jit._constants import TASKS
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel._subgraphs import find_subgraph, may_stream_while_running
from langgraph_jit.pregel._timeout import runs_async, sync_timeout_error
from langgraph_jit.types import CachePolicy, RetryPolicy, Send, TimeoutPolicy, TracePolicy


class _Passthrough:
    __slots__ = ()

    def __repr__(self) -> str:
        return "PASSTHROUGH"

    def __reduce__(self) -> str:
        # Pickled by name: a graph shipped to another process keeps the one sentinel
        # its writers compare against with `is`.
        return "PASSTHROUGH"


PASSTHROUGH = _Passthrough()
"""Write the node's return value itself (the default for `write_to`)."""


class ChannelWriteEntry(NamedTuple):
    channel: str
    value: Any = PASSTHROUGH
    skip_none: bool = False
    mapper: Callable | None = None


class ChannelWriteTupleEntry(NamedTuple):
    mapper: Callable[[Any], Sequence[tuple[str, Any]] | None]
    value: Any = PASSTHROUGH
    static: Sequence[tuple[str, Any, str | None]] | None = None


# Kinds of ChannelWrite entries (see ChannelWrite._entry_plan).
_FIXED, _ENTRY, _MAPPED, _TUPLES, _SEND = "fixed", "entry", "mapped", "tuples", "send"


def _no_mapper(value: Any) -> Any:
    """The mapper slot of a plan step whose kind calls none."""
    return value


# One step of a ChannelWrite's plan: (kind, channel, value, skip_none, mapper),
# the entry's fields unpacked once. `value` is the constant (or PASSTHROUGH),
# and for _SEND the Send itself.
_PlanStep = tuple[str, str, Any, bool, Callable[[Any], Any]]


class ChannelWrite:
    """Turns a node's return value into (channel, value) writes."""

    __slots__ = ("writes", "_reserved", "_plan", "_plan_of", "_plan_n")

    def __init__(self, writes: Sequence[ChannelWriteEntry | ChannelWriteTupleEntry | Send]):
        self.writes = list(writes)
        for entry in self.writes:
            # LangGraph refuses this when the node writes (at run time).
            if isinstance(entry, ChannelWriteEntry) and entry.channel == TASKS:
                self._reserved = True
                break
        else:
            self._reserved = False
        self._plan_of: list | None = None
        self._plan: list[_PlanStep]
        self._plan_n: int

    def _entry_plan(self) -> list[_PlanStep]:
        # One step per entry, classified once: collect runs per task.
        # Rebuilt if `writes` was replaced or grew.
        plan: list[_PlanStep] = []
        for entry in self.writes:
            if isinstance(entry, ChannelWriteEntry):
                if entry.mapper is not None:
                    step = (_MAPPED, entry.channel, entry.value, entry.skip_none, entry.mapper)
                elif entry.value is not PASSTHROUGH:
                    step = (_FIXED, entry.channel, entry.value, entry.skip_none, _no_mapper)
                else:
                    step = (_ENTRY, entry.channel, PASSTHROUGH, entry.skip_none, _no_mapper)
            elif isinstance(entry, Send):
                step = (_SEND, TASKS, entry, False, _no_mapper)
            elif isinstance(entry, ChannelWriteTupleEntry):
                step = (_TUPLES, "", entry.value, False, entry.mapper)
            else:
                raise ValueError(f"Invalid write entry: {entry!r}")
            plan.append(step)
        self._plan = plan
        self._plan_of = self.writes
        self._plan_n = len(plan)
        return plan

    def plan(self) -> list[_PlanStep]:
        """This writer's entries, classified (rebuilt when `writes` changed)."""
        writes = self.writes
        if self._plan_of is writes and self._plan_n == len(writes):
            return self._plan
        return self._entry_plan()

    def collect(self, value: Any, out: list) -> None:
        """Append this writer's writes for a node output `value` to `out`."""
        if self._reserved:
            from langgraph_jit.errors import InvalidUpdateError

            raise InvalidUpdateError("Cannot write to the reserved channel TASKS")
        writes = self.writes
        plan = (
            self._plan
            if self._plan_of is writes and self._plan_n == len(writes)
            else self._entry_plan()
        )
        _collect_plan(plan, value, out)

    def __repr__(self) -> str:
        return f"ChannelWrite({self.writes!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Its plan is classified with identity checks on interned kind names that
        # unpickled strings would fail: another process builds it again.
        return (ChannelWrite, (self.writes,))


def _collect_plan(plan: list[_PlanStep], value: Any, out: list) -> None:
    """Append the writes of the plan steps for a node output `value` to `out`."""
    for kind, channel, fixed, skip_none, mapper in plan:
        if kind is _FIXED:
            if fixed is None and skip_none:
                continue
            out.append((channel, fixed))
        elif kind is _TUPLES:
            pairs = mapper(value if fixed is PASSTHROUGH else fixed)
            if pairs:
                out.extend(pairs)
        elif kind is _ENTRY:
            if value is None and skip_none:
                continue
            out.append((channel, value))
        elif kind is _MAPPED:
            v = mapper(value if fixed is PASSTHROUGH else fixed)
            if v is None and skip_none:
                continue
            out.append((channel, v))
        else:
            out.append((TASKS, fixed))


# Marks a ChannelWriteTupleEntry mapper by what it makes of a plain dict (a
# node's usual state update), so fused writers skip calling it for one:
# DICT_KEYS holds a frozenset (the dict's items whose key is in it, in the
# dict's order), DICT_SILENT is True (no writes at all).
DICT_KEYS = "_writes_dict_keys"
DICT_SILENT = "_writes_nothing_for_dict"


def _fused_writer(plan: list[_PlanStep]) -> Callable[[Any, list], None]:
    """One function doing what the plan's steps do, in order (the writers of
    a node, concatenated). A node's writers are mostly fixed: its update
    mapper and the triggers of its static edges (StateGraph), or one channel
    (Pregel chains); those shapes skip the per-step walk of the plan."""
    if len(plan) == 1 and plan[0][0] is _ENTRY and not plan[0][3]:
        channel = plan[0][1]

        def write_entry(value: Any, out: list) -> None:
            out.append((channel, value))

        return write_entry
    # For a plain dict output: at most one mapper picking keys, then fixed writes.
    keys: frozenset[str] | None = None
    tail: list[tuple[str, Any]] = []
    dict_path = True
    for kind, channel, fixed, skip_none, mapper in plan:
        if kind is _FIXED:
            if not (fixed is None and skip_none):
                tail.append((channel, fixed))
        elif kind is _TUPLES and fixed is PASSTHROUGH and not tail:
            if getattr(mapper, DICT_SILENT, False):
                continue
            picked = getattr(mapper, DICT_KEYS, None)
            if picked is None or keys is not None:
                dict_path = False
                break
            keys = picked
        else:
            dict_path = False
            break
    if not dict_path:

        def write_plan(value: Any, out: list) -> None:
            _collect_plan(plan, value, out)

        return write_plan
    static = tuple(tail)

    def write_state(value: Any, out: list) -> None:
        if type(value) is not dict:
            _collect_plan(plan, value, out)
            return
        if keys is not None:
            if keys.issuperset(value):  # every key a channel: the usual update
                out.extend(value.items())
            else:
                for item in value.items():
                    if item[0] in keys:
                        out.append(item)
        if static:
            out.extend(static)

    return write_state


_INJECTED = ("config", "writer", "store", "runtime")
# String annotations of a `config` parameter LangGraph passes the config to.
_CONFIG_ANNOTATION_TEXTS = ("RunnableConfig", "Optional[RunnableConfig]")


def _is_runnable_config(annotation: Any) -> bool:
    return getattr(annotation, "__name__", None) == "RunnableConfig" and getattr(
        annotation, "__module__", ""
    ).startswith("langchain_core")


def config_param_typed_right(param: inspect.Parameter) -> bool:
    """Whether a `config` parameter receives the config, as in LangGraph: when it is
    unannotated or annotated `RunnableConfig` or `Optional[RunnableConfig]`."""
    annotation = param.annotation
    if annotation is inspect.Parameter.empty or annotation in _CONFIG_ANNOTATION_TEXTS:
        return True
    if _is_runnable_config(annotation):
        return True
    args = getattr(annotation, "__args__", None)
    return (
        args is not None
        and len(args) == 2
        and type(None) in args
        and any(_is_runnable_config(a) for a in args)
        and type(annotation).__name__ in ("_UnionGenericAlias", "UnionType")
    )


def warn_mistyped_config(func: Any) -> None:
    """UserWarning (as LangGraph's) when a node function's `config` parameter has
    another annotation: it will not be passed the config."""
    try:
        param = inspect.signature(func).parameters.get("config")
    except (TypeError, ValueError):
        return
    if param is not None and not config_param_typed_right(param):
        import warnings

        warnings.warn(
            "The 'config' parameter should be typed as 'RunnableConfig' or "
            f"'RunnableConfig | None', not '{param.annotation}'. ",
            UserWarning,
            stacklevel=3,
        )


def _last_yielded(gen_func: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        last = None
        for last in gen_func(*args, **kwargs):  # noqa: B007 - only the last value is kept
            pass
        return last

    return run


def _alast_yielded(agen_func: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        last = None
        async for last in agen_func(*args, **kwargs):  # noqa: B007 - only the last value
            pass
        return last

    return run


def _async_only(agen_func: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        # LangGraph's error for an async generator node in a sync run.
        raise TypeError("Cannot invoke a coroutine function synchronously.Use `ainvoke` instead.")

    return run


class NodeCall:
    """A user callable, analysed once so calling it per task is cheap.

    Accepts plain functions (sync or async), objects with `invoke`/`ainvoke`
    (runnables, compiled graphs), and callables declaring any of the
    parameters LangGraph injects: `config`, `writer`, `store`, `runtime`.
    """

    __slots__ = ("func", "afunc", "inject", "is_runnable", "name", "target")

    def __init__(self, func: Any, name: str | None = None) -> None:
        if isinstance(func, dict):
            func = _lc.parallel_of(func)
        self.is_runnable = _lc.is_runnable(func)
        self.target = func  # what is called (a builder's node spec exposes it)
        self.name = name or getattr(func, "__name__", None) or type(func).__name__
        self.inject: tuple[str, ...] = ()
        if self.is_runnable:
            self.func = func.invoke if hasattr(func, "invoke") else None
            self.afunc = func.ainvoke if hasattr(func, "ainvoke") else None
            self.inject = ("config",)
            return
        is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
            # The __call__ method itself (an instance with `async def __call__`),
            # not a callable() test.
            getattr(func, "__call__", None)  # noqa: B004
        )
        params: Mapping[str, inspect.Parameter]
        try:
            params = inspect.signature(func).parameters
        except (TypeError, ValueError):
            params = {}
        self.inject = tuple(
            name
            for name in _INJECTED
            if name in params
            and params[name].kind
            in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            and (name != "config" or config_param_typed_right(params[name]))
        )
        if inspect.isgeneratorfunction(func):
            # LangGraph runs a generator node to its end; its output is the
            # last value it yielded (None if it yielded nothing).
            self.func, self.afunc = _last_yielded(func), None
            return
        if inspect.isasyncgenfunction(func):
            self.func, self.afunc = _async_only(func), _alast_yielded(func)
            return
        self.func = None if is_async else func
        self.afunc = func if is_async else None

    def _kwargs(self, task: Any) -> dict[str, Any]:
        kwargs = {}
        for name in self.inject:
            if name == "config":
                kwargs["config"] = task.config
            elif name == "writer":
                from langgraph_jit.config import get_stream_writer

                kwargs["writer"] = get_stream_writer()
            elif name == "store":
                kwargs["store"] = task.run.store
            else:
                kwargs["runtime"] = task.runtime
        return kwargs

    def invoke(self, value: Any, task: Any) -> Any:
        """Call with the node input; `task` supplies what the callable asks for."""
        func = self.func
        if func is None:
            raise TypeError(
                f'No synchronous function provided to "{self.name}".'
                "\nEither initialize with a synchronous function or invoke"
                " via the async API (ainvoke, astream, etc.)"
            )
        if self.inject:
            return func(value, **self._kwargs(task))
        return func(value)

    async def ainvoke(self, value: Any, task: Any) -> Any:
        afunc = self.afunc
        if afunc is None:
            # A sync callable in an async run: keep the event loop free.
            loop = asyncio.get_running_loop()
            import contextvars

            ctx = contextvars.copy_context()
            return await loop.run_in_executor(None, ctx.run, self.invoke, value, task)
        if self.inject:
            return await afunc(value, **self._kwargs(task))
        return await afunc(value)


def _sync_call(call: Any) -> bool:
    """A NodeCall of a plain sync callable (what its ainvoke hands to a pool thread)."""
    return type(call) is NodeCall and call.afunc is None and not call.is_runnable


class PregelNode:
    """A node: the channels it reads, the channels that trigger it, what it
    runs (`bound`) and how its output becomes writes (`writers`)."""

    def __init__(
        self,
        *,
        channels: str | list[str],
        triggers: Sequence[str],
        mapper: Callable[[Any], Any] | None = None,
        writers: list[Any] | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        bound: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        subgraphs: Sequence[Any] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
        trace_policy: TracePolicy | None = None,
        **_ignored: Any,
    ) -> None:
        self.channels = channels
        self.triggers = list(triggers)
        self.mapper = mapper
        self.writers = list(writers or [])
        self.bound = bound
        self.tags = tags
        self.metadata = metadata
        self.cache_policy = cache_policy
        if isinstance(retry_policy, RetryPolicy):
            retry_policy = (retry_policy,)
        self.retry_policy = retry_policy
        # Deadlines of each attempt (async nodes only; see pregel._timeout).
        self.timeout = TimeoutPolicy.coerce(timeout)
        # What tracers record of this node's runs (see pregel._trace).
        self.trace_policy = trace_policy
        # Found on first use (reading a node's code costs compile time).
        self._subgraphs = list(subgraphs) if subgraphs is not None else None
        self._streams_while_running: bool | None = None  # also found on first use
        self.call = NodeCall(bound) if bound is not None else None
        self._foreign_writers: dict[int, NodeCall] = {}
        self._sync_only: tuple[int, bool] | None = None  # see runs_sync_only
        # (writers list, its length, their fused write function): see _fuse.
        self._fused: tuple[list[Any], int, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Caches keyed by object ids or holding planned writes are not shipped: in
        # another process (a cluster worker) they are rebuilt on first use.
        state = dict(self.__dict__)
        state.update(_fused=None, _foreign_writers={}, _sync_only=None)
        return state

    def copy(self, update: dict[str, Any]) -> PregelNode:
        attrs = {
            "channels": self.channels,
            "triggers": self.triggers,
            "mapper": self.mapper,
            "writers": self.writers,
            "tags": self.tags,
            "metadata": self.metadata,
            "bound": self.bound,
            "retry_policy": self.retry_policy,
            "cache_policy": self.cache_policy,
            "subgraphs": self.subgraphs,
            "timeout": self.timeout,
            "trace_policy": self.trace_policy,
        }
        attrs.update(update)
        return PregelNode(**attrs)

    def collect_writes(self, output: Any, task: Any) -> None:
        """Append the writes a node output produces to task.writes, in
        writer order. `writers` may grow after construction (graph builders
        append edge writers), so it is read on every call."""
        writes = task.writes
        writers = self.writers
        fused = self._fused
        if fused is None or fused[0] is not writers or fused[1] != len(writers):
            fused = self._fuse(writers)
        if fused[2] is not None:
            fused[2](output, writes)
            return
        for writer in writers:
            if type(writer) is ChannelWrite:
                writer.collect(output, writes)
            elif hasattr(writer, "write_task"):
                writer.write_task(output, task)
            else:
                call = self._foreign_writers.get(id(writer))
                if call is None:
                    call = self._foreign_writers[id(writer)] = NodeCall(writer)
                call.invoke(output, task)

    def _fuse(self, writers: list[Any]) -> tuple[list[Any], int, Any]:
        """The node's writers as one function (None unless all are plain
        ChannelWrites), kept with the list and count it was made for."""
        write = None
        if writers and all(type(w) is ChannelWrite and not w._reserved for w in writers):
            write = _fused_writer([step for w in writers for step in w.plan()])
        fused = self._fused = (writers, len(writers), write)
        return fused

    async def acollect_writes(self, output: Any, task: Any) -> None:
        """Async twin of collect_writes: awaits writers that are async."""
        writes = task.writes
        for writer in self.writers:
            if type(writer) is ChannelWrite:
                writer.collect(output, writes)
            elif hasattr(writer, "awrite_task"):
                await writer.awrite_task(output, task)
            elif hasattr(writer, "write_task"):
                writer.write_task(output, task)
            else:
                call = self._foreign_writers.get(id(writer))
                if call is None:
                    call = self._foreign_writers[id(writer)] = NodeCall(writer)
                await call.ainvoke(output, task)

    @property
    def runs_sync_only(self) -> bool:
        """Whether an async run would hand every user callable of this node's
        task to a pool thread (a plain sync callable, sync writers and
        conditional edges, no timeout): such a task runs the same wholly in a
        pool thread, as a sync run runs it. `writers` may grow until the graph
        first runs, so the answer is kept with the count it was found for."""
        writers = self.writers
        found = self._sync_only
        if found is not None and found[0] == len(writers):
            return found[1]
        call = self.call
        ok = (
            self.timeout is None
            and (call is None or _sync_call(call))
            and all(
                type(w) is ChannelWrite
                or (
                    hasattr(w, "write_task")
                    and (not hasattr(w, "awrite_task") or _sync_call(getattr(w, "call", None)))
                )
                for w in writers
            )
        )
        self._sync_only = (len(writers), ok)
        return ok

    @property
    def node(self) -> Any:
        return self.bound

    def check_timeout(self, name: str) -> None:
        """A node with a timeout must run async all the way (its writers
        too), since only an await can be cancelled: ValueError otherwise."""
        if self.timeout is None:
            return
        if not runs_async(self.bound) or not all(
            type(w) is ChannelWrite or hasattr(w, "write_task") or runs_async(w)
            for w in self.writers
        ):
            raise sync_timeout_error(name)

    @property
    def subgraphs(self) -> list[Any]:
        """The graphs this node runs as subgraphs (at most one is found)."""
        found = self._subgraphs
        if found is None:
            sub = find_subgraph(self.bound) if self.bound is not None else None
            found = self._subgraphs = [sub] if sub is not None else []
        return found

    @subgraphs.setter
    def subgraphs(self, value: Sequence[Any]) -> None:
        self._subgraphs = list(value)

    @property
    def streams_while_running(self) -> bool:
        """Whether this node may stream a chunk before it returns (a subgraph's, a
        chat model's, a task call's; see `may_stream_while_running`)."""
        found = self._streams_while_running
        if found is None:
            found = self._streams_while_running = bool(self._subgraphs) or (
                self.bound is not None and may_stream_while_running(self.bound)
            )
        return found

    def __repr__(self) -> str:
        return f"PregelNode(channels={self.channels!r}, triggers={self.triggers!r})"


class NodeBuilder:
    """Fluent builder of a `PregelNode`, mirroring LangGraph's NodeBuilder."""

    def __init__(self) -> None:
        self._channels: str | list[str] = []
        self._triggers: list[str] = []
        self._tags: list[str] = []
        self._metadata: dict[str, Any] = {}
        self._writes: list[Any] = []
        self._bound: Any = None
        self._retry_policy: list[RetryPolicy] = []
        self._cache_policy: CachePolicy | None = None
        self._timeout: TimeoutPolicy | None = None

    def subscribe_only(self, channel: str) -> NodeBuilder:
        """Read and be triggered by a single channel; the node gets its value."""
        if not self._channels:
            self._channels = channel
        else:
            raise ValueError(
                "Cannot subscribe to single channels when other channels are already subscribed to"
            )
        self._triggers.append(channel)
        return self

    def subscribe_to(self, *channels: str, read: bool = True) -> NodeBuilder:
        """Be triggered by these channels (and read them, unless read=False)."""
        if isinstance(self._channels, str):
            raise ValueError("Cannot subscribe to channels when subscribed to a single channel")
        if read:
            if not self._channels:
                self._channels = list(channels)
            else:
                self._channels.extend(channels)
        self._triggers.extend(channels)
        return self

    def read_from(self, *channels: str) -> NodeBuilder:
        """Also read these channels, without being triggered by them."""
        assert isinstance(self._channels, list), (
            "Cannot read additional channels when subscribed to single channels"
        )
        self._channels.extend(channels)
        return self

    def do(self, node: Any) -> NodeBuilder:
        """Run `node` on the input; several calls chain them in order."""
        if self._bound is None:
            self._bound = node
        else:
            self._bound = _Sequence(self._bound, node)
        return self

    def write_to(self, *channels: str | ChannelWriteEntry, **kwargs: Any) -> NodeBuilder:
        """Write the node's output to channels; kwargs map a channel to a
        constant or to a function of the output."""
        self._writes.extend(ChannelWriteEntry(c) if isinstance(c, str) else c for c in channels)
        self._writes.extend(
            ChannelWriteEntry(k, mapper=v) if callable(v) else ChannelWriteEntry(k, value=v)
            for k, v in kwargs.items()
        )
        return self

    def meta(self, *tags: str, **metadata: Any) -> NodeBuilder:
        self._tags.extend(tags)
        self._metadata.update(metadata)
        return self

    def add_retry_policies(self, *policies: RetryPolicy) -> NodeBuilder:
        self._retry_policy.extend(policies)
        return self

    def add_cache_policy(self, policy: CachePolicy) -> NodeBuilder:
        self._cache_policy = policy
        return self

    def set_timeout(self, timeout: float | timedelta | TimeoutPolicy | None) -> NodeBuilder:
        """Deadlines for each attempt of the node (a number or timedelta is a
        run timeout); None removes them. Validated now."""
        self._timeout = TimeoutPolicy.coerce(timeout)
        return self

    def build(self) -> PregelNode:
        return PregelNode(
            channels=self._channels,
            triggers=self._triggers,
            tags=self._tags,
            metadata=self._metadata,
            writers=[ChannelWrite(self._writes)],
            bound=self._bound,
            retry_policy=self._retry_policy,
            cache_policy=self._cache_policy,
            timeout=self._timeout,
        )


class _Sequence:
    """Several callables applied one after another (NodeBuilder.do chains)."""

    def __init__(self, *steps: Any) -> None:
        self.steps = [NodeCall(s) for s in steps]
        self.__name__ = self.steps[-1].name
        # Read by node timeouts: cancellable only if every step is async.
        self.runs_async = all(runs_async(s) for s in steps)

    def invoke(self, value: Any, config: dict | None = None) -> Any:
        holder = _ConfigHolder(config)
        for step in self.steps:
            value = step.invoke(value, holder)
        return value

    async def ainvoke(self, value: Any, config: dict | None = None) -> Any:
        holder = _ConfigHolder(config)
        for step in self.steps:
            if step.afunc is not None:
                value = await step.ainvoke(value, holder)
            else:
                value = step.invoke(value, holder)
        return value


class _ConfigHolder:
    __slots__ = ("config",)

    def __init__(self, config: dict | None) -> None:
        self.config = config or {}
