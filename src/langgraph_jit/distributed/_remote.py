"""One task's node call on a cluster worker, and the caller's side of it.

The engine stays in the caller: it plans the step, builds the task, and calls the node
through a `RemoteCall` that ships the node's function (pickled once per node), the task's
input and a picklable view of the task (config, ids, interrupt answers) to a worker. The
worker runs the call under a `WorkerTask` standing in for the task, and sends back the
output (or the error), the writes made while it ran (interrupt answers) and the stream
chunks it produced, which the caller replays in order. Writers, branches, commits and
checkpoints run in the caller, so a result that arrives once is applied once, whichever
worker computed it and however many times.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import threading
from collections.abc import Callable
from typing import Any

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_DURABILITY,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_SEND,
    CONFIG_KEY_TASK_ID,
    PREVIOUS,
)
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel._core.interrupt import ask

# configurable keys of the engine that mean something on a worker (the others hold
# the run's own objects: its saver, store, send function, parent task...).
_SHIPPED_ENGINE_KEYS = frozenset(
    {
        CONFIG_KEY_CHECKPOINT_NS,
        CONFIG_KEY_TASK_ID,
        CONFIG_KEY_CHECKPOINT_MAP,
        CONFIG_KEY_RESUMING,
        CONFIG_KEY_DURABILITY,
    }
)
_UNSUPPORTED = (
    "is not available to a node running on a cluster worker (its run stays in the "
    "caller); compile the node to run locally: add_node(..., remote=False), or name it "
    "in the runner's local_nodes"
)


class ShippingError(TypeError):
    """A node's function, input or output cannot be pickled for a cluster worker."""


class NotOnWorkerError(AttributeError):
    """A node running on a cluster worker asked for something only the caller's run
    has (its store, its channels, task calls, subgraphs)."""


class RemoteTaskError(RuntimeError):
    """The cluster lost a task (its workers kept dying, or the connection to the
    scheduler broke): the task did not finish, and the run fails with this error.
    A checkpointed thread resumes later from its last saved step."""


def pickler() -> Any:
    """cloudpickle (the [dask]/[ray] extras; untyped, so imported by name)."""
    return importlib.import_module("cloudpickle")


# -- the caller's side ----------------------------------------------------------------


class RemoteCall:
    """Stands in for a node's call (`NodeCall`, a task call's invoker) in the caller:
    `invoke`/`ainvoke` run the call on a worker through `transport` and replay what it
    produced on the real task. It pickles as the local call, so a graph shipped whole
    (`batch`) runs its nodes in place on the worker."""

    def __init__(self, local: Any, node: str, transport: Any, dumps: Callable[[Any], bytes]):
        self.local = local
        self.node = node
        self.transport = transport
        self._dumps = dumps
        try:
            self.blob = dumps(local)
        except Exception as exc:
            raise ShippingError(
                f"Cannot send node '{node}' to the cluster workers: its function does not "
                f"pickle ({exc!r}). Define it at module level, avoid capturing open "
                "resources (connections, locks, clients), or keep the node local: "
                "add_node(..., remote=False)."
            ) from exc
        self.key = hashlib.sha1(self.blob).hexdigest()

    def __getattr__(self, name: str) -> Any:
        # What the engine reads of a call (is_runnable, is_async, name, ...).
        return getattr(self.local, name)

    def __reduce__(self) -> Any:
        return (_identity, (self.local,))

    def _payload(self, value: Any, task: Any, loop: bool) -> bytes:
        try:
            return self._dumps((value, task_view(task), loop))
        except Exception as exc:
            raise ShippingError(
                f"Cannot send the input of node '{self.node}' to the cluster workers: it "
                f"does not pickle ({exc!r})."
            ) from exc

    def invoke(self, value: Any, task: Any) -> Any:
        payload = self._payload(value, task, False)
        handle = self.transport.submit(run_on_worker, self.key, self.blob, payload)
        return settle(task, self.transport.wait(handle, self.node))

    async def ainvoke(self, value: Any, task: Any) -> Any:
        payload = self._payload(value, task, True)
        handle = self.transport.submit(run_on_worker, self.key, self.blob, payload)
        return settle(task, await self.transport.await_(handle, self.node))


def _identity(value: Any) -> Any:
    return value


def _shippable(config: dict[str, Any], dumps: Callable[[Any], bytes]) -> dict[str, Any]:
    """The task config without the run's objects (callbacks, saver, store, send...),
    and without user values in `configurable` that do not pickle (they stay local)."""
    configurable = {
        k: v
        for k, v in (config.get(CONF) or {}).items()
        if not k.startswith("__pregel_") or k in _SHIPPED_ENGINE_KEYS
    }
    try:
        dumps(configurable)
    except Exception:
        kept = {}
        for k, v in configurable.items():
            try:
                dumps(v)
            except Exception:
                continue
            kept[k] = v
        configurable = kept
    out = {k: v for k, v in config.items() if k not in ("callbacks", CONF)}
    out["callbacks"] = None
    out[CONF] = configurable
    return out


def task_view(task: Any) -> dict[str, Any]:
    """What a worker needs to know of `task` to run its node as it would run here."""
    dumps = pickler().dumps
    run = task.run
    pad = task.scratchpad
    previous = run.channel_map.get(PREVIOUS)
    emitter = run.emitter
    messages = _messages_handler(task)
    return {
        "name": task.name,
        "id": task.id,
        "path": task.path,
        "ns": task.checkpoint_ns,
        "attempt": task.attempt,
        "first_attempt_time": task.first_attempt_time,
        "config": _shippable(task.config, dumps),
        "custom": "custom" in emitter.stream_modes,
        "messages": None if messages is None else (messages.subgraphs, messages.namespace),
        "lc": bool(run.lc_context),
        "context": run.context,
        "store": run.store is not None,
        "previous": previous.get() if previous is not None and previous.is_available() else None,
        "thread_id": run.configurable.get("thread_id"),
        "run_id": str(run.config["run_id"]) if run.config.get("run_id") else None,
        "checkpoint_id": run.state.current_id(),
        "resume": list(pad.resume),
        "null_resume": pad.get_null_resume(False),
    }


def _messages_handler(task: Any) -> Any:
    """The run's handler of chat-model tokens (`messages` chunks), if it streams them
    as chunks (a v3 event stream's protocol events stay local: unsupported remotely)."""
    handler = getattr(task.run.emitter, "messages_handler", None)
    if not handler or type(handler).__name__ != "StreamMessagesHandler":
        return None
    return handler


def settle(task: Any, result: bytes) -> Any:
    """Replay a worker's result on the real task: its stream chunks, its writes, the
    interrupt answers it took; then return its output or raise its error."""
    ok, value, writes, chunks, resume, took_null, seen = pickler().loads(result)
    run = task.run
    emitter = run.emitter
    for mode, chunk in chunks:
        if mode == "messages":
            emitter.out.append(chunk)
            if emitter.wakeup is not None:
                emitter.wakeup()
        else:
            emitter.emit(mode, chunk)
    if seen:
        handler = _messages_handler(task)
        if handler is not None:
            handler.seen.update(seen)
    task.writes.extend(writes)
    pad = task.scratchpad
    pad.resume = resume
    if took_null:
        pad.get_null_resume(True)
    if ok:
        return value
    raise value


# -- the worker's side ----------------------------------------------------------------

# Node calls this worker has unpickled, by the hash of their pickle.
_calls: dict[str, Any] = {}
_calls_lock = threading.Lock()
_CALLS_KEPT = 512


def _call_for(key: str, blob: bytes) -> Any:
    call = _calls.get(key)
    if call is None:
        call = pickler().loads(blob)
        with _calls_lock:
            if len(_calls) >= _CALLS_KEPT:
                _calls.clear()
            _calls[key] = call
    return call


class _WorkerEmitter:
    __slots__ = ("chunks", "stream_modes")

    def __init__(self, custom: bool) -> None:
        self.chunks: list[tuple[str, Any]] = []
        self.stream_modes = frozenset({"custom"}) if custom else frozenset()

    def emit(self, mode: str, chunk: Any) -> None:
        self.chunks.append((mode, chunk))

    def stream_writer(self) -> Callable[[Any], None]:
        if "custom" not in self.stream_modes:
            return _no_op
        chunks = self.chunks
        return lambda chunk: chunks.append(("custom", chunk))


def _no_op(chunk: Any) -> None:
    pass


class _WorkerRun:
    """The task's run as a worker sees it: a stream to record chunks in, and a clear
    error for what needs the engine (its store, task calls, the graph's channels)."""

    __slots__ = ("emitter", "context", "_has_store")

    def __init__(self, emitter: _WorkerEmitter, context: Any, has_store: bool) -> None:
        self.emitter = emitter
        self.context = context
        self._has_store = has_store

    @property
    def store(self) -> Any:
        if self._has_store:
            raise NotOnWorkerError(f"The graph's store {_UNSUPPORTED}.")
        return None

    def __getattr__(self, name: str) -> Any:
        raise NotOnWorkerError(f"The run's '{name}' {_UNSUPPORTED}.")


class _WorkerPad:
    """Interrupt answers on a worker: those the task had, and the run's single resume
    value, which the caller hands over (once) if this task takes it."""

    __slots__ = ("counter", "resume", "null", "took_null")

    def __init__(self, resume: list[Any], null: Any) -> None:
        self.counter = 0
        self.resume = resume
        self.null = null
        self.took_null = False

    def get_null_resume(self, consume: bool = False) -> Any:
        value = self.null
        if consume and value is not None:
            self.null = None
            self.took_null = True
        return value


class WorkerTask:
    """Stands in for the caller's task while its node runs on a worker (what
    get_config, get_stream_writer, get_runtime and interrupt ask the current task)."""

    def __init__(self, view: dict[str, Any], value: Any) -> None:
        self.name = view["name"]
        self.id = view["id"]
        self.path = view["path"]
        self.checkpoint_ns = view["ns"]
        self.attempt = view["attempt"]
        self.first_attempt_time = view["first_attempt_time"]
        self.input = value
        self.writes: list[tuple[str, Any]] = []
        self.handled_error = None
        self.timeout = None
        self._view = view
        self.emitter = _WorkerEmitter(view["custom"])
        self.run = _WorkerRun(self.emitter, view["context"], view["store"])
        self.scratchpad = _WorkerPad(view["resume"], view["null_resume"])
        config = view["config"]
        config[CONF][CONFIG_KEY_SEND] = self.send
        self.messages = None
        if view["messages"] is not None:
            from langgraph_jit.pregel._messages import StreamMessagesHandler

            subgraphs, namespace = view["messages"]
            chunks = self.emitter.chunks
            self.messages = StreamMessagesHandler(
                lambda chunk: chunks.append(("messages", chunk)), subgraphs, namespace=namespace
            )
            config["callbacks"] = [self.messages]
        self.config = config
        self._runtime: Any = None

    def send(self, writes: Any) -> None:
        self.writes.extend(writes)

    def interrupt(self, value: Any, response_schema: Any = None) -> Any:
        return ask(self, value, response_schema)

    @property
    def runtime(self) -> Any:
        if self._runtime is None:
            from langgraph_jit.runtime import ExecutionInfo, Runtime, server_info_from

            view = self._view
            self._runtime = Runtime(
                context=view["context"],
                store=None,  # the graph's store stays in the caller (get_store() says so)
                stream_writer=self.emitter.stream_writer(),
                previous=view["previous"],
                execution_info=ExecutionInfo(
                    checkpoint_id=view["checkpoint_id"],
                    checkpoint_ns=self.checkpoint_ns,
                    task_id=self.id,
                    thread_id=view["thread_id"],
                    run_id=view["run_id"],
                    node_attempt=self.attempt,
                    node_first_attempt_time=self.first_attempt_time,
                ),
                server_info=server_info_from(self.config[CONF]),
            )
        return self._runtime

    def __getattr__(self, name: str) -> Any:
        # call_futures, calls, read, proc...: the engine's, not here.
        raise NotOnWorkerError(f"The task's '{name}' {_UNSUPPORTED}.")


def _needs_loop(call: Any, loop: bool) -> bool:
    """Whether to run the call in an event loop on the worker: the caller's run is
    async and the call has no sync function (an async node or task function)."""
    if not loop:
        return False
    if hasattr(call, "is_async") and not hasattr(call, "afunc"):
        return bool(call.is_async)  # a task call's invoker
    return getattr(call, "func", None) is None


def run_on_worker(key: str, blob: bytes, payload: bytes) -> bytes:
    """Run one node call on this worker; returns the pickled result `settle` replays:
    (ok, output or error, writes, stream chunks, interrupt answers, took the run's
    resume value, message ids streamed)."""
    dumps = pickler().dumps
    call = _call_for(key, blob)
    value, view, loop = pickler().loads(payload)
    task = WorkerTask(view, value)
    token = CURRENT_TASK.set(task)
    lc_token = _lc.enter_task(task) if view["lc"] else None
    try:
        if _needs_loop(call, loop):
            out = asyncio.run(call.ainvoke(value, task))
        else:
            out = call.invoke(value, task)
        ok = True
    except BaseException as exc:
        ok, out = False, exc
    finally:
        _lc.exit_task(lc_token)
        CURRENT_TASK.reset(token)
    pad = task.scratchpad
    seen = task.messages.seen if task.messages is not None else None
    result = (ok, out, task.writes, task.emitter.chunks, pad.resume, pad.took_null, seen)
    try:
        return dumps(result)
    except Exception as exc:
        what = "output" if ok else f"error ({out!r})"
        error = ShippingError(
            f"Cannot send the {what} of node '{task.name}' back from the cluster worker: "
            f"it does not pickle ({exc!r})."
        )
        return dumps((False, error, [], task.emitter.chunks, pad.resume, pad.took_null, None))
