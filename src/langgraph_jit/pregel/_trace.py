"""LangChain callbacks of a graph run (tracing): one chain run for the graph, under
it a run per task attempt, and under that one per conditional-edge function, with
LangGraph's names, tags (`graph:step:N`, `seq:step:N`), inputs and outputs.

A run builds a `GraphTrace` only when its config has callbacks or LangSmith
tracing is on; otherwise nothing here runs and tasks take their plain path.
The profiler (`langgraph_jit.profile()`, recorded by `_profile`) comes in here too,
only while `profiling` is set: the runner sends tasks here when either is on.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from time import perf_counter as _clock  # _profile.clock: attempts and sections on one clock
from typing import Any

from langgraph_jit.pregel import _lc, _profile
from langgraph_jit.pregel._core.output import read_channels

logger = logging.getLogger("langgraph_jit")

__all__ = (
    "GraphTrace",
    "aend_run",
    "arun_attempt",
    "astart_run",
    "atraced",
    "atraced_call",
    "attempt_failed",
    "awrap",
    "begin_profile",
    "call_arguments",
    "drive_profiled",
    "end_profile",
    "end_run",
    "for_run",
    "profiling",
    "recorded_payload",
    "run_attempt",
    "run_class",
    "sample_next_step",
    "start_run",
    "traced",
    "traced_call",
    "wrap",
)

# Keys of `configurable` the graph's run records in its metadata (as LangGraph).
_IDS_IN_METADATA = (
    "thread_id",
    "checkpoint_id",
    "checkpoint_ns",
    "task_id",
    "run_id",
    "assistant_id",
    "graph_id",
)


# A profile is recording: runs and task attempts are timed (see _profile).
profiling = False


def begin_profile() -> Any:
    """Start recording a profile (`_profile.Recorder`); one at a time."""
    global profiling
    recorder = _profile.begin()
    profiling = True
    return recorder


def end_profile(recorder: Any) -> None:
    global profiling
    profiling = False
    _profile.end(recorder)


def drive_profiled(run: Any, drive: Callable[[Any], None]) -> None:
    """`drive(run)` (the quiet driver of an invoke) while a profile records."""
    _profile.profiled_quiet(run, drive)


def run_class(base: type) -> type:
    """The class of a run made while a profile records (see `_profile.run_class`)."""
    return _profile.run_class(base)


def for_run(run: Any) -> GraphTrace | None:
    """The trace of a run whose config asks for callbacks, else None."""
    if not run.lc_context:  # no callbacks, no tracing (see _lc.context_needed)
        return None
    if not run.config.get("callbacks") and not _lc.tracing_enabled():
        return None  # only a stream mode wanted the config
    return GraphTrace(run)


def _is_stream_handler(handler: Any) -> bool:
    # By inheritance: only LangChain's streaming tracers (astream_events,
    # astream_log) see node outputs as streamed chunks.
    # Our own stream-mode handlers (messages, tools) take nodes' outputs from
    # the engine instead.
    from langchain_core.tracers._streaming import _StreamingCallbackHandler

    # Inheritance, not the runtime-checkable protocol, which any handler with
    # tap methods would match.
    cls = type(handler)
    return _StreamingCallbackHandler in cls.__mro__ and not cls.__module__.startswith(
        "langgraph_jit."
    )


class GraphTrace:
    """The graph's own chain run, and the callbacks its tasks start from."""

    __slots__ = ("run", "config", "manager")

    def __init__(self, run: Any) -> None:
        self.run = run
        config = run.config
        metadata = dict(config.get("metadata") or {})
        configurable = run.configurable
        for key in _IDS_IN_METADATA:
            if key not in metadata and configurable.get(key):
                metadata[key] = configurable[key]
        self.config: Any = {**config, "metadata": metadata}
        self.manager: Any = None  # the run manager, once started

    def _start_args(self) -> tuple[Any, dict[str, Any]]:
        config = self.config
        graph = self.run.graph
        run_id = config.get("run_id")
        lifecycle = getattr(self.run, "graph_callbacks", None)
        if run_id is None and lifecycle is not None:
            run_id = lifecycle.run_id  # one id for the run and its lifecycle events
        kwargs = {"name": config.get("run_name") or graph.get_name(), "run_id": run_id}
        return self.run.input, kwargs

    def _configured(self, manager: Any) -> Any:
        if "ls_integration" not in manager.metadata:
            manager.add_metadata({"ls_integration": "langgraph"})
        return manager

    def _adopt(self, run_manager: Any) -> None:
        # The `messages` handler reaches every task's callbacks from here.
        run_manager.inheritable_handlers.extend(self.run.stream_callbacks() or ())
        self.manager = run_manager

    def start(self) -> None:
        from langchain_core.runnables.config import get_callback_manager_for_config

        manager = self._configured(get_callback_manager_for_config(self.config))
        input, kwargs = self._start_args()
        self._adopt(manager.on_chain_start(None, input, **kwargs))

    async def astart(self) -> None:
        from langchain_core.runnables.config import get_async_callback_manager_for_config

        manager = self._configured(get_async_callback_manager_for_config(self.config))
        input, kwargs = self._start_args()
        self._adopt(await manager.on_chain_start(None, input, **kwargs))

    def output(self) -> Any:
        """What the graph's run records as output: its output channels' values."""
        run = self.run
        channels = getattr(run, "channel_map", None)
        if channels is None:
            return None
        return read_channels(channels, run.emitter.output_keys)

    def step_callbacks(self, step: int) -> Any:
        """The callbacks of a task of `step` (a child of the graph's run)."""
        manager = self.manager
        return None if manager is None else manager.get_child(f"graph:step:{step}")


def wrap(run: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """A run's chunks, inside the graph's chain run when the run is traced
    (and timed while a profile records)."""
    if run.trace is not None:
        chunks = traced(run, chunks)
    return _profile.profiled(run, chunks) if profiling else chunks


def awrap(run: Any, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    if run.trace is not None:
        chunks = atraced(run, chunks)
    return _profile.aprofiled(run, chunks) if profiling else chunks


def traced(run: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """`chunks` of a run, inside the graph's chain run."""
    trace: GraphTrace = run.trace
    trace.start()
    manager = trace.manager
    try:
        yield from chunks
    except BaseException as exc:
        manager.on_chain_error(exc)
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    manager.on_chain_end(trace.output())


async def atraced(run: Any, chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Async twin of `traced`."""
    trace: GraphTrace = run.trace
    await trace.astart()
    manager = trace.manager
    try:
        async for chunk in chunks:
            yield chunk
    except BaseException as exc:
        import asyncio

        await asyncio.shield(manager.on_chain_error(exc))
        raise
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    await manager.on_chain_end(trace.output())


# -- runs of tasks ------------------------------------------------------------


def recorded_payload(value: Any, process: Callable[[Any], Any] | None) -> Any:
    """What a run records for `value`: `process(value)` when a processor is
    set; a processor that fails records the value itself (execution goes on)."""
    if process is None:
        return value
    try:
        return process(value)
    except Exception:
        logger.exception("trace input/output processor raised; recording untransformed payload")
        return value


def _split(manager: Any) -> tuple[Any, Any]:
    """(manager of the other handlers, manager of the tracers): a TracePolicy's
    processed payloads are for tracers only (not for astream_events/astream_log)."""
    import copy

    from langchain_core.tracers.base import BaseTracer

    tracers = [
        h for h in manager.handlers if isinstance(h, BaseTracer) and not _is_stream_handler(h)
    ]
    real, only_tracers = copy.copy(manager), copy.copy(manager)
    only_tracers.handlers = tracers
    real.handlers = [h for h in manager.handlers if h not in tracers]
    return real, only_tracers


def _flat_writer_count(writers: Any) -> int:
    """How many steps the writers make (trailing ChannelWrites count as one)."""
    from langgraph_jit.pregel._node import ChannelWrite

    n = len(writers)
    trailing = 0
    for writer in reversed(writers):
        if type(writer) is not ChannelWrite:
            break
        trailing += 1
    return n - trailing + 1 if trailing > 1 else n


def _node_traced(proc: Any) -> bool:
    """Whether a task attempt is a run of its own: a node that runs something,
    or writers that make several steps (LangGraph's node sequence)."""
    return proc.call is not None or _flat_writer_count(proc.writers) >= 2


def _start_inputs(task: Any, proc: Any) -> Any:
    trace_inputs = getattr(proc, "trace_inputs", None)
    return task.input if trace_inputs is None else trace_inputs(task.input)


def _node_config(task: Any) -> Any:
    config = task.config
    if "run_id" in config:
        config = {k: v for k, v in config.items() if k != "run_id"}
    return config


def _child_config(config: Any, callbacks: Any) -> Any:
    child = {**config, "callbacks": callbacks}
    child.pop("run_name", None)
    child.pop("run_id", None)
    return child


def start_run(config: Any, payload: Any, policy: Any, name: str | None, run_id: Any = None) -> Any:
    """Start a chain run under `config`'s callbacks; tracers record what the
    TracePolicy's `process_inputs` makes of `payload`, other handlers `payload`."""
    from langchain_core.runnables.config import get_callback_manager_for_config

    manager = get_callback_manager_for_config(config)
    recorded = recorded_payload(payload, policy.process_inputs if policy is not None else None)
    if recorded is payload:
        return manager.on_chain_start(None, payload, name=name, run_id=run_id)
    real, tracers = _split(manager)
    run_manager = real.on_chain_start(None, payload, name=name, run_id=run_id)
    tracers.on_chain_start(None, recorded, name=name, run_id=run_manager.run_id)
    run_manager.handlers = manager.handlers
    return run_manager


async def astart_run(
    config: Any, payload: Any, policy: Any, name: str | None, run_id: Any = None
) -> Any:
    """Async twin of `start_run`."""
    from langchain_core.runnables.config import get_async_callback_manager_for_config

    manager = get_async_callback_manager_for_config(config)
    recorded = recorded_payload(payload, policy.process_inputs if policy is not None else None)
    if recorded is payload:
        return await manager.on_chain_start(None, payload, name=name, run_id=run_id)
    real, tracers = _split(manager)
    # Tracers start last: a cancellation before leaves no tracer run open.
    run_manager = await real.on_chain_start(None, payload, name=name, run_id=run_id)
    await tracers.on_chain_start(None, recorded, name=name, run_id=run_manager.run_id)
    run_manager.handlers = manager.handlers
    return run_manager


def end_run(run_manager: Any, output: Any, policy: Any, *, tap: bool = True) -> None:
    """End a run started by `start_run` (streaming tracers see the output as
    its one chunk first); tracers record `process_outputs` of it."""
    for handler in run_manager.handlers if tap else ():
        if _is_stream_handler(handler):
            for _ in handler.tap_output_iter(run_manager.run_id, iter((output,))):
                pass
    recorded = recorded_payload(output, policy.process_outputs if policy is not None else None)
    if recorded is output:
        run_manager.on_chain_end(output)
        return
    real, tracers = _split(run_manager)
    tracers.on_chain_end(recorded)
    real.on_chain_end(output)


async def aend_run(run_manager: Any, output: Any, policy: Any, *, tap: bool = True) -> None:
    for handler in run_manager.handlers if tap else ():
        if _is_stream_handler(handler):
            async for _ in handler.tap_output_aiter(run_manager.run_id, _one(output)):
                pass
    recorded = recorded_payload(output, policy.process_outputs if policy is not None else None)
    if recorded is output:
        await run_manager.on_chain_end(output)
        return
    real, tracers = _split(run_manager)
    # Tracers end first, so a cancellation cannot leave a tracer run open.
    await tracers.on_chain_end(recorded)
    await real.on_chain_end(output)


async def _one(value: Any) -> AsyncIterator[Any]:
    yield value


def _enter_context(config: Any) -> tuple[Any, Any]:
    """Make `config` the one LangChain code run now sees; with LangSmith
    tracing, the run it names is also LangSmith's current run (what
    `get_current_run_tree()` returns in a node)."""
    from langchain_core.runnables.config import _set_config_context

    return _set_config_context(config)


def _exit_context(entered: tuple[Any, Any]) -> None:
    from langchain_core.runnables.config import var_child_runnable_config

    token, previous = entered
    var_child_runnable_config.reset(token)
    if previous is not None:
        from langsmith.run_helpers import _set_tracing_context

        _set_tracing_context(previous)


def _sequence_steps(proc: Any) -> list[Any] | None:
    """The steps of a node that runs a LangChain sequence: LangGraph makes them
    steps of the node's own sequence (each a child run of the node's run)."""
    if not getattr(proc.call, "is_runnable", False):
        return None
    bound = proc.bound
    from langchain_core.runnables import RunnableSequence

    if isinstance(bound, RunnableSequence) or type(bound).__name__ == "RunnableSeq":
        return list(bound.steps)
    return None


def _writer_offset(proc: Any) -> int:
    return 2 if proc.call is not None else 1


def _collect(writer: Any, output: Any, task: Any) -> None:
    """One writer's writes (PregelNode.collect_writes, a writer at a time)."""
    from langgraph_jit.pregel._node import ChannelWrite, NodeCall

    if type(writer) is ChannelWrite:
        writer.collect(output, task.writes)
    elif hasattr(writer, "write_task"):
        writer.write_task(output, task)
    else:
        NodeCall(writer).invoke(output, task)


async def _acollect(writer: Any, output: Any, task: Any) -> None:
    from langgraph_jit.pregel._node import ChannelWrite, NodeCall

    if type(writer) is ChannelWrite:
        writer.collect(output, task.writes)
    elif hasattr(writer, "awrite_task"):
        await writer.awrite_task(output, task)
    elif hasattr(writer, "write_task"):
        writer.write_task(output, task)
    else:
        await NodeCall(writer).ainvoke(output, task)


def attempt_failed(rec: Any, task: Any, t0: float) -> None:
    """Record a failed attempt the runner timed itself (a profiled run's
    `_profile_fast`, see `_profile.run_class`)."""
    rec.attempts.extend((task.name, task.path, task.run.step, t0, _clock(), _profile.FAILED))


# An attempt the runner timed ended after its record's next_sample: time the next step.
sample_next_step = _profile.sample_next_step


def run_attempt(task: Any) -> None:
    """One attempt of a task, recorded as a run (sync runs); timed while profiling.

    The timing is written out here rather than in a wrapper from `_profile`: this runs
    once per task, where each extra call costs a noticeable share of a fast step.
    The record's fields: `_profile.RunRecord.attempts`."""
    if not profiling:
        _run_attempt(task)
        return
    run = task.run
    try:
        rec = run._profile_rec
    except AttributeError:  # its run started before the profile
        _run_attempt(task)
        return
    t0 = _clock()
    try:
        if rec.plain_calls:  # only the profiler sent the task here: its plain path
            proc = task.proc
            call = proc.call
            proc.collect_writes(call.invoke(task.input, task) if call else task.input, task)
        else:
            _run_attempt(task)
    except BaseException:
        rec.attempts.extend((task.name, task.path, run.step, t0, _clock(), _failed(rec, task)))
        raise
    t1 = _clock()
    rec.attempts.extend(
        (task.name, task.path, run.step, t0, t1, _profile.remote(task) if rec.task_runner else 0)
    )
    if t1 >= rec.next_sample:
        _profile.sample_next_step(run)


async def arun_attempt(task: Any) -> None:
    """Async twin of `run_attempt`."""
    if not profiling:
        await _arun_attempt(task)
        return
    run = task.run
    try:
        rec = run._profile_rec
    except AttributeError:
        await _arun_attempt(task)
        return
    t0 = _clock()
    try:
        await _arun_attempt(task)
    except BaseException:
        rec.attempts.extend((task.name, task.path, run.step, t0, _clock(), _failed(rec, task)))
        raise
    t1 = _clock()
    rec.attempts.extend(
        (task.name, task.path, run.step, t0, t1, _profile.remote(task) if rec.task_runner else 0)
    )
    if t1 >= rec.next_sample:
        _profile.sample_next_step(run)


def _failed(rec: Any, task: Any) -> int:
    return _profile.FAILED | (_profile.remote(task) if rec.task_runner else 0)


def _run_attempt(task: Any) -> None:
    if task.run.trace is None:  # only the profiler sent the task here: its plain path
        call = task.proc.call
        task.proc.collect_writes(call.invoke(task.input, task) if call else task.input, task)
        return
    proc = task.proc
    call = proc.call
    if not _node_traced(proc):
        output = call.invoke(task.input, task) if call else task.input
        proc.collect_writes(output, task)
        return
    from langchain_core.runnables.config import var_child_runnable_config

    base = _node_config(task)
    policy = getattr(proc, "trace_policy", None)
    run_manager = start_run(base, _start_inputs(task, proc), policy, base.get("run_name"))
    token = None
    try:
        steps = _sequence_steps(proc)
        output = task.input
        for i, step in enumerate(steps or (call,) if call else ()):
            child = task._config = _child_config(base, run_manager.get_child(f"seq:step:{i + 1}"))
            # Each step runs in its config's context (a config without the
            # node's run name, which LangChain would take for its own run).
            if token is None:
                token = _enter_context(child)
            else:
                var_child_runnable_config.set(child)
            if i == 0 and not steps:
                output = call.invoke(output, task)
            else:
                output = step.invoke(output, child)
        offset = len(steps) + 1 if steps else _writer_offset(proc)
        for i, writer in enumerate(proc.writers):
            if hasattr(writer, "write_task"):
                task._config = _child_config(base, run_manager.get_child(f"seq:step:{i + offset}"))
            _collect(writer, output, task)
        if not proc.writers:
            proc.collect_writes(output, task)  # a task call: its return value
    except BaseException as exc:
        run_manager.on_chain_error(exc)
        raise
    finally:
        if token is not None:
            _exit_context(token)
        task._config = base
    end_run(run_manager, output, policy)


async def _arun_attempt(task: Any) -> None:
    if task.run.trace is None:
        call = task.proc.call
        output = await call.ainvoke(task.input, task) if call else task.input
        await task.proc.acollect_writes(output, task)
        return
    proc = task.proc
    call = proc.call
    if not _node_traced(proc):
        output = await call.ainvoke(task.input, task) if call else task.input
        await proc.acollect_writes(output, task)
        return
    from langchain_core.runnables.config import var_child_runnable_config

    base = _node_config(task)
    policy = getattr(proc, "trace_policy", None)
    run_manager = await astart_run(base, _start_inputs(task, proc), policy, base.get("run_name"))
    token = None
    try:
        steps = _sequence_steps(proc)
        output = task.input
        for i, step in enumerate(steps or (call,) if call else ()):
            child = task._config = _child_config(base, run_manager.get_child(f"seq:step:{i + 1}"))
            if token is None:
                token = _enter_context(child)
            else:
                var_child_runnable_config.set(child)
            if i == 0 and not steps:
                output = await call.ainvoke(output, task)
            else:
                output = await step.ainvoke(output, child)
        offset = len(steps) + 1 if steps else _writer_offset(proc)
        for i, writer in enumerate(proc.writers):
            if hasattr(writer, "awrite_task") or hasattr(writer, "write_task"):
                task._config = _child_config(base, run_manager.get_child(f"seq:step:{i + offset}"))
            await _acollect(writer, output, task)
        if not proc.writers:
            await proc.acollect_writes(output, task)
    except BaseException as exc:
        import asyncio

        await asyncio.shield(run_manager.on_chain_error(exc))
        raise
    finally:
        if token is not None:
            _exit_context(token)
        task._config = base
    await aend_run(run_manager, output, policy)


# -- runs of conditional edges and task calls ------------------------------------


def _call_name(call: Any) -> str:
    name = call.name
    # A lambda has no name of its own: LangGraph's wrapper class names its run.
    return "RunnableCallable" if name == "<lambda>" else name


def traced_call(call: Any, value: Any, task: Any) -> Any:
    """`call.invoke(value, task)` as a run of its own under the task's current
    callbacks (a conditional edge's path function); runnables trace themselves."""
    if call.is_runnable:
        return call.invoke(value, task)
    from langchain_core.runnables.config import get_callback_manager_for_config

    config: Any = task.config
    run_manager = get_callback_manager_for_config(config).on_chain_start(
        None, value, name=_call_name(call)
    )
    child = task._config = _child_config(config, run_manager.get_child())
    token = _enter_context(child)
    try:
        result = call.invoke(value, task)
    except BaseException as exc:
        run_manager.on_chain_error(exc)
        raise
    finally:
        _exit_context(token)
        task._config = config
    run_manager.on_chain_end(result)
    return result


async def atraced_call(call: Any, value: Any, task: Any) -> Any:
    """Async twin of `traced_call`."""
    if call.is_runnable:
        return await call.ainvoke(value, task)
    from langchain_core.runnables.config import get_async_callback_manager_for_config

    config: Any = task.config
    run_manager = await get_async_callback_manager_for_config(config).on_chain_start(
        None, value, name=_call_name(call)
    )
    child = task._config = _child_config(config, run_manager.get_child())
    token = _enter_context(child)
    try:
        result = await call.ainvoke(value, task)
    except BaseException as exc:
        await run_manager.on_chain_error(exc)
        raise
    finally:
        _exit_context(token)
        task._config = config
    await run_manager.on_chain_end(result)
    return result


def call_arguments(func: Callable[..., Any]) -> Callable[[Any], dict[str, Any]]:
    """For a task function: what its run records as input, its arguments by
    name (defaults applied, **kwargs spread), from the call's (args, kwargs)."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return lambda value: {"args": value[0], "kwargs": value[1]}
    var_kw = [n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.VAR_KEYWORD]

    def arguments(value: Any) -> dict[str, Any]:
        args, kwargs = value
        bound = sig.bind_partial(*args, **kwargs)
        bound.apply_defaults()
        out = dict(bound.arguments)
        out.pop("self", None)
        out.pop("cls", None)
        for name in var_kw:
            if name in out:
                out.update(out.pop(name))
        return out

    return arguments
