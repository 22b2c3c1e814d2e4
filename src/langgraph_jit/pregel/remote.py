"""`RemoteGraph`: a graph served by a LangGraph server (LangSmith Deployment),
called through `langgraph-sdk` and usable wherever a local graph is, a node
included. The SDK is an optional extra: this module imports without it, and
a RemoteGraph built without it raises ImportError saying what to install.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from uuid import UUID

from langgraph_jit._config_merge import DefaultRecursionLimit
from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_STRICT_RESUME,
    CONFIG_KEY_TASK_ID,
    INTERRUPT,
    NS_SEP,
    PRIVATE_CONFIG_PREFIX,
)
from langgraph_jit._drawing.graph import Edge as DrawableEdge
from langgraph_jit._drawing.graph import Graph as DrawableGraph
from langgraph_jit._drawing.graph import Node as DrawableNode
from langgraph_jit._internal._config import merge_configs
from langgraph_jit.errors import GraphInterrupt, ParentCommand
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel._remote_run_stream import (
    _AsyncRemoteGraphRunStream,
    _RemoteGraphRunStream,
)
from langgraph_jit.pregel._runnable_surface import RUNNABLE_PUBLIC_NAMES
from langgraph_jit.pregel.protocol import PregelProtocol
from langgraph_jit.types import Command, GraphOutput, Interrupt, PregelTask, StateSnapshot

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("RemoteException", "RemoteGraph")

logger = logging.getLogger(__name__)

_SDK_MISSING = (
    "RemoteGraph needs the LangGraph server client `langgraph-sdk`: "
    "pip install 'langgraph-jit[remote]' (or pip install langgraph-sdk)"
)

# Engine keys of a caller's `configurable` that would address the caller's own
# checkpoints, never the remote thread's: not sent.
_CONF_DROPLIST = frozenset(
    (
        CONFIG_KEY_CHECKPOINT_MAP,
        CONFIG_KEY_CHECKPOINT_ID,
        CONFIG_KEY_CHECKPOINT_NS,
        CONFIG_KEY_TASK_ID,
        CONFIG_KEY_STRICT_RESUME,
    )
)

# Keyword arguments `stream_events(version="v3")` forwards (the rest it refuses).
_V3_SUPPORTED_KWARGS = frozenset({"metadata", "headers"})

_SKIP = object()  # a server chunk the caller did not ask for


class RemoteException(Exception):
    """An error event streamed by the remote run (its payload is the argument)."""


def _is_engine_key(name: str, value: Any) -> bool:
    """Our engine's own configurable entries (the running task's stream,
    durability, ...): they belong to the local run, never to the server's,
    and LangGraph gives a node none with a JSON value. The one exception is
    the resuming flag, set when the caller resumes: with it the server
    resumes the remote thread instead of starting over."""
    if name == CONFIG_KEY_RESUMING:
        return not value
    return name.startswith(PRIVATE_CONFIG_PREFIX)


def _sdk_client_module() -> Any:
    try:
        from langgraph_sdk import client
    except ImportError as exc:
        raise ImportError(_SDK_MISSING) from exc
    return client


def _sanitize_config_value(value: Any) -> Any:
    """`value` reduced to what JSON carries (primitives, str-keyed dicts, lists);
    None for anything else, which the caller then drops."""
    if isinstance(value, (str, int, float, bool, UUID)):
        return value
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if isinstance(key, str):
                item = _sanitize_config_value(item)
                if item is not None:
                    kept[key] = item
        return kept
    if isinstance(value, (list, tuple)):
        items = (_sanitize_config_value(item) for item in value)
        return [item for item in items if item is not None]
    return None


def _merge_tracing_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """`headers` plus the current LangSmith run's (so the remote run traces as
    its child); LangSmith's baggage is appended to the caller's."""
    try:
        from langsmith.run_helpers import get_current_run_tree
    except ImportError:  # pragma: no cover - langsmith comes with langgraph-sdk
        return headers
    run_tree = get_current_run_tree()
    if not run_tree:
        return headers
    tracing = run_tree.to_headers()
    if not headers:
        return tracing
    if "baggage" in headers:
        tracing["baggage"] = f"{headers['baggage']},{tracing['baggage']}"
    # The caller's dict is updated in place, as LangGraph does.
    headers.update(tracing)
    return headers


class _ParentStream(NamedTuple):
    """The stream of a local graph running this one as a node."""

    push: Callable[[tuple[tuple[str, ...], str, Any]], None]
    modes: Any  # the modes the parent streams (a set)


def _parent_stream(conf: dict[str, Any]) -> _ParentStream | None:
    stream = conf.get(CONFIG_KEY_STREAM)
    if stream is None:
        return None
    if isinstance(stream, tuple):
        # Our engine's: (chunk queue, modes[, [wakeup]]), see pregel._emit.
        queue, modes = stream[0], stream[1]
        wake = stream[2] if len(stream) > 2 else None

        def push(chunk: tuple[tuple[str, ...], str, Any]) -> None:
            queue.append(chunk)
            if wake is not None and wake[0] is not None:
                wake[0]()

        return _ParentStream(push, modes)
    # LangGraph's StreamProtocol shape: a callable with `.modes`.
    return _ParentStream(stream, stream.modes)


class _RemoteRun:
    """One `stream`/`astream` call: what is sent to `client.runs.stream`, and
    what each chunk the server streams back becomes for the caller (sync and
    async streams share it)."""

    def __init__(
        self,
        graph: RemoteGraph,
        input: Any,
        config: dict[str, Any] | None,
        *,
        stream_mode: Any,
        subgraphs: bool,
        version: str,
        client_kwargs: dict[str, Any],
    ) -> None:
        caller_conf = (config or {}).get(CONF, {})
        sanitized = graph._sanitize_config(merge_configs(graph.config, config))
        parent = _parent_stream(caller_conf)
        sent, self.requested, self.single_mode = _stream_modes(stream_mode, parent)
        command = None
        if isinstance(input, Command):
            command, input = asdict(input), None
        thread_id = sanitized.get(CONF, {}).pop("thread_id", None)
        headers = client_kwargs.pop("headers", None)
        self.client_kwargs = {
            "thread_id": thread_id,
            "assistant_id": graph.assistant_id,
            "input": input,
            "command": command,
            "config": sanitized,
            "context": client_kwargs.pop("context", None),
            "stream_mode": sent,
            "interrupt_before": client_kwargs.pop("interrupt_before", None),
            "interrupt_after": client_kwargs.pop("interrupt_after", None),
            # A streaming parent shows the remote graph's subgraphs too.
            "stream_subgraphs": subgraphs or parent is not None,
            "if_not_exists": "create",
            "headers": _merge_tracing_headers(headers) if graph.distributed_tracing else headers,
            "params": client_kwargs.pop("params", None),
        }
        for key, value in client_kwargs.items():
            # Extra keywords go to the client as given, but cannot replace
            # what the graph sends (a TypeError, as a duplicate keyword is).
            if key in self.client_kwargs:
                raise TypeError(f"RemoteGraph.stream() got multiple values for argument '{key}'")
            self.client_kwargs[key] = value
        self.parent = parent
        self.subgraphs = subgraphs
        self.version = version
        # The remote run does not know where it sits in the caller's graph:
        # its namespaces are prefixed with the caller's.
        caller_ns = caller_conf.get(CONFIG_KEY_CHECKPOINT_NS)
        self.caller_ns: tuple[str, ...] = tuple(caller_ns.split(NS_SEP)) if caller_ns else ()

    def shown(self, chunk: Any) -> Any:
        """What the caller sees of a server chunk (`_SKIP`: nothing). Errors,
        interrupts of a graph run as a node, and commands to the parent graph
        are raised here."""
        event: str = chunk.event
        data = chunk.data
        mode, has_ns, ns_text = event.partition(NS_SEP)
        ns = tuple(ns_text.split(NS_SEP)) if has_ns else ()
        if mode == "command" and data.get("graph") == Command.PARENT:
            raise ParentCommand(Command(**data))
        if self.caller_ns:
            ns = self.caller_ns + ns
        parent = self.parent
        if parent is not None and mode in parent.modes:
            parent.push((ns, mode, data))
        if event.startswith("updates"):
            # Run as a node, the remote graph's interrupt is the caller's.
            if self.caller_ns and isinstance(data, dict) and INTERRUPT in data:
                raise GraphInterrupt([Interrupt(**item) for item in data[INTERRUPT]])
        elif event.startswith("error"):
            raise RemoteException(data)
        if mode not in self.requested:
            return _SKIP
        # Subgraph chunks asked for only on a streaming parent's behalf; the
        # server sends each message once, so messages are kept whatever their
        # namespace.
        if has_ns and not self.subgraphs and mode != "messages":
            return _SKIP
        if event.startswith("messages"):
            data = tuple(data)
            chunk = chunk._replace(data=data)
        if self.version == "v2":
            interrupts: tuple[Any, ...] = ()
            if mode == "values" and isinstance(data, dict):
                interrupts = tuple(
                    Interrupt(**item) if isinstance(item, dict) else item
                    for item in data.pop(INTERRUPT, ())
                )
            return {"type": mode, "ns": ns, "data": data, "interrupts": interrupts}
        if self.subgraphs:
            return (ns, data) if self.single_mode else (ns, mode, data)
        return data if self.single_mode else chunk


def _stream_modes(
    stream_mode: Any, parent: _ParentStream | None, default: str = "updates"
) -> tuple[list[str], list[str], bool]:
    """(modes sent to the server, modes the caller asked for, whether the
    caller asked for a single mode). `updates` is always sent, since the
    interrupts of the remote run arrive in it; the server streams messages as
    `messages-tuple`, and knows no `events`."""
    if not stream_mode:
        sent, single = [default], True
    elif isinstance(stream_mode, str):
        sent, single = [stream_mode], True
    else:
        sent, single = list(stream_mode), False
    requested = sent.copy()
    if parent is not None:
        sent.extend(parent.modes)
    if "messages" in sent:
        sent.remove("messages")
        sent.append("messages-tuple")
    if "messages-tuple" in requested:
        requested.remove("messages-tuple")
        requested.append("messages")
    if "updates" not in sent:
        sent.append("updates")
    if "events" in sent:
        sent.remove("events")
    return sent, requested, single


def _run_kwargs(
    context: Any,
    interrupt_before: Any,
    interrupt_after: Any,
    headers: dict[str, str] | None,
    params: Any,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The keywords `stream`/`astream` hand to the sdk's `runs.stream` with the run."""
    return {
        "context": context,
        "interrupt_before": interrupt_before,
        "interrupt_after": interrupt_after,
        "headers": headers,
        "params": params,
        **extra,
    }


def _last_output(chunk: Any, version: str) -> Any:
    if chunk is _SKIP:
        logger.warning("No events received from remote graph")
        return None
    if version == "v2":
        return GraphOutput(value=chunk["data"], interrupts=tuple(chunk.get("interrupts", ())))
    return chunk


class RemoteGraph(PregelProtocol):
    """A graph deployed on a LangGraph server, with a local graph's methods.

    Give `url` (with `api_key`, `headers`) to have clients built, or pass
    `client` (async) and/or `sync_client` yourself. Added to a local graph
    as a node, it runs as a subgraph: its interrupts interrupt the caller,
    and it streams into the caller's stream.
    """

    assistant_id: str
    name: str | None

    def __init__(
        self,
        assistant_id: str,
        /,
        *,
        url: str | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        client: Any = None,
        sync_client: Any = None,
        config: dict[str, Any] | None = None,
        name: str | None = None,
        distributed_tracing: bool = False,
    ) -> None:
        sdk = _sdk_client_module()
        # The SDK loads langchain_core: from now on graphs are Runnables.
        _lc.langchain_loaded()
        self.assistant_id = assistant_id
        self.name = assistant_id if name is None else name
        self.config = config
        self.distributed_tracing = distributed_tracing
        if client is None and url is not None:
            client = sdk.get_client(url=url, api_key=api_key, headers=headers)
        self.client = client
        if sync_client is None and url is not None:
            sync_client = sdk.get_sync_client(url=url, api_key=api_key, headers=headers)
        self.sync_client = sync_client

    # -- LangChain's Runnable -------------------------------------------------

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Runnable's methods this class does not define (batch, pipe,
            # get_name, ...), bound to this graph, as on a LangGraph graph.
            if name in RUNNABLE_PUBLIC_NAMES:
                runnable = _langchain_runnable()
                if runnable is not None:
                    member = inspect.getattr_static(runnable, name)
                    if hasattr(member, "__get__"):
                        return member.__get__(self, type(self))
                    return member
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # Composition (`graph | f`): dunders are looked up on the class, never
    # through __getattr__.
    def __or__(self, other: Any) -> Any:
        return _langchain_runnable().__or__(self, other)

    def __ror__(self, other: Any) -> Any:
        return _langchain_runnable().__ror__(self, other)

    # -- clients and config ---------------------------------------------------

    def _validate_client(self) -> Any:
        if self.client is None:
            raise ValueError(
                "RemoteGraph has no async client: pass `url` or `client` when creating it."
            )
        return self.client

    def _validate_sync_client(self) -> Any:
        if self.sync_client is None:
            raise ValueError(
                "RemoteGraph has no sync client: pass `url` or `sync_client` when creating it."
            )
        return self.sync_client

    def copy(self, update: dict[str, Any]) -> Self:
        attrs = {**self.__dict__, **update}
        return self.__class__(attrs.pop("assistant_id"), **attrs)

    def with_config(self, config: dict | None = None, **kwargs: Any) -> Self:
        return self.copy({"config": merge_configs(self.config, config, kwargs)})

    def _sanitize_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The part of a config a server can take: recursion limit, string
        tags, JSON-able metadata and configurable values (minus the engine's
        checkpoint keys)."""
        sanitized: dict[str, Any] = {}
        limit = config.get("recursion_limit")
        # The limit our engine fills in when nobody chose one is not sent:
        # the server applies its own default.
        if "recursion_limit" in config and not isinstance(limit, DefaultRecursionLimit):
            sanitized["recursion_limit"] = limit
        if "tags" in config:
            sanitized["tags"] = [tag for tag in config["tags"] if isinstance(tag, str)]
        for key, drop in (("metadata", frozenset()), (CONF, _CONF_DROPLIST)):
            if key in config:
                kept = sanitized[key] = {}
                for name, value in config[key].items():
                    if (
                        isinstance(name, str)
                        and name not in drop
                        and not _is_engine_key(name, value)
                    ):
                        value = _sanitize_config_value(value)
                        if value is not None:
                            kept[name] = value
        return sanitized

    # -- drawing --------------------------------------------------------------

    def get_graph(
        self,
        config: dict | None = None,
        *,
        xray: int | bool = False,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> DrawableGraph:
        """The assistant's graph as the server draws it (`config` is unused)."""
        graph = self._validate_sync_client().assistants.get_graph(
            assistant_id=self.assistant_id, xray=xray, headers=headers, params=params
        )
        return _drawable(graph)

    async def aget_graph(
        self,
        config: dict | None = None,
        *,
        xray: int | bool = False,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> DrawableGraph:
        graph = await self._validate_client().assistants.get_graph(
            assistant_id=self.assistant_id, xray=xray, headers=headers, params=params
        )
        return _drawable(graph)

    # -- state ----------------------------------------------------------------

    def _state_request(self, config: dict, headers: Any, params: Any) -> dict[str, Any]:
        merged = merge_configs(self.config, config)
        return {
            "thread_id": merged[CONF]["thread_id"],
            "checkpoint": _checkpoint_of(merged),
            "headers": headers,
            "params": params,
        }

    def get_state(
        self,
        config: dict,
        *,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> StateSnapshot:
        """The thread's state (at the config's checkpoint, if it names one)."""
        client = self._validate_sync_client()
        request = self._state_request(config, headers, params)
        state = client.threads.get_state(
            thread_id=request["thread_id"],
            checkpoint=request["checkpoint"],
            subgraphs=subgraphs,
            headers=headers,
            params=params,
        )
        return _snapshot(state)

    async def aget_state(
        self,
        config: dict,
        *,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> StateSnapshot:
        client = self._validate_client()
        request = self._state_request(config, headers, params)
        state = await client.threads.get_state(
            thread_id=request["thread_id"],
            checkpoint=request["checkpoint"],
            subgraphs=subgraphs,
            headers=headers,
            params=params,
        )
        return _snapshot(state)

    def _history_request(
        self, config: dict, filter: Any, before: Any, limit: Any, headers: Any, params: Any
    ) -> dict[str, Any]:
        request = self._state_request(config, headers, params)
        return {
            "thread_id": request["thread_id"],
            "limit": limit or 10,  # the server's page size when none is given
            "before": _checkpoint_of(before),
            "metadata": filter,
            "checkpoint": request["checkpoint"],
            "headers": headers,
            "params": params,
        }

    def get_state_history(
        self,
        config: dict,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> Iterator[StateSnapshot]:
        """The thread's checkpoints, newest first (10 unless `limit` says)."""
        client = self._validate_sync_client()
        request = self._history_request(config, filter, before, limit, headers, params)
        for state in client.threads.get_history(**request):
            yield _snapshot(state)

    async def aget_state_history(
        self,
        config: dict,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> AsyncIterator[StateSnapshot]:
        client = self._validate_client()
        request = self._history_request(config, filter, before, limit, headers, params)
        for state in await client.threads.get_history(**request):
            yield _snapshot(state)

    def bulk_update_state(self, config: dict, supersteps: Sequence[Sequence[Any]]) -> dict:
        raise NotImplementedError

    async def abulk_update_state(self, config: dict, supersteps: Sequence[Sequence[Any]]) -> dict:
        raise NotImplementedError

    def _update_request(
        self, config: dict, values: Any, as_node: str | None, headers: Any, params: Any
    ) -> dict[str, Any]:
        request = self._state_request(config, headers, params)
        return {
            "thread_id": request["thread_id"],
            "values": values,
            "as_node": as_node,
            "checkpoint": request["checkpoint"],
            "headers": headers,
            "params": params,
        }

    def update_state(
        self,
        config: dict,
        values: Any,
        as_node: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> dict:
        """Write `values` to the thread (as node `as_node`); the new checkpoint's config."""
        client = self._validate_sync_client()
        response = client.threads.update_state(
            **self._update_request(config, values, as_node, headers, params)
        )
        return _config_of(response["checkpoint"])

    async def aupdate_state(
        self,
        config: dict,
        values: Any,
        as_node: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> dict:
        client = self._validate_client()
        response = await client.threads.update_state(
            **self._update_request(config, values, as_node, headers, params)
        )
        return _config_of(response["checkpoint"])

    # -- runs -----------------------------------------------------------------

    def stream(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        stream_mode: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Start a run on the server (on the config's thread, created if
        missing) and stream it, shaped as a local graph's stream."""
        client = self._validate_sync_client()
        run = _RemoteRun(
            self,
            input,
            config,
            stream_mode=stream_mode,
            subgraphs=subgraphs,
            version=version,
            client_kwargs=_run_kwargs(
                context, interrupt_before, interrupt_after, headers, params, kwargs
            ),
        )
        shown = run.shown
        for chunk in client.runs.stream(**run.client_kwargs):
            out = shown(chunk)
            if out is not _SKIP:
                yield out

    async def astream(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        stream_mode: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        subgraphs: bool = False,
        headers: dict[str, str] | None = None,
        params: Any = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        client = self._validate_client()
        run = _RemoteRun(
            self,
            input,
            config,
            stream_mode=stream_mode,
            subgraphs=subgraphs,
            version=version,
            client_kwargs=_run_kwargs(
                context, interrupt_before, interrupt_after, headers, params, kwargs
            ),
        )
        shown = run.shown
        async for chunk in client.runs.stream(**run.client_kwargs):
            out = shown(chunk)
            if out is not _SKIP:
                yield out

    def invoke(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        headers: dict[str, str] | None = None,
        params: Any = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> Any:
        """Run on the server until the run ends; its final state."""
        last: Any = _SKIP
        for chunk in self.stream(
            input,
            config=config,
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            headers=headers,
            stream_mode="values",
            params=params,
            version=version,
            **kwargs,
        ):
            last = chunk
        return _last_output(last, version)

    async def ainvoke(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        headers: dict[str, str] | None = None,
        params: Any = None,
        version: Literal["v1", "v2"] = "v1",
        **kwargs: Any,
    ) -> Any:
        last: Any = _SKIP
        async for chunk in self.astream(
            input,
            config=config,
            context=context,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            headers=headers,
            stream_mode="values",
            params=params,
            version=version,
            **kwargs,
        ):
            last = chunk
        return _last_output(last, version)

    # -- streaming v3 ---------------------------------------------------------

    def _reject_v3_unsupported(
        self,
        *,
        control: Any,
        transformers: Any,
        interrupt_before: Any,
        interrupt_after: Any,
        extra_kwargs: dict[str, Any],
    ) -> None:
        """Refuse what a v3 run on a server cannot honour (before any request)."""
        for name, value in (
            ("control", control),
            ("transformers", transformers),
            ("interrupt_before", interrupt_before),
            ("interrupt_after", interrupt_after),
        ):
            if value:
                raise NotImplementedError(
                    f"`{name}=` is not available with RemoteGraph.stream_events(version='v3')"
                )
        unknown = set(extra_kwargs) - _V3_SUPPORTED_KWARGS
        if unknown:
            raise NotImplementedError(
                "RemoteGraph.stream_events(version='v3') cannot forward "
                f"{sorted(unknown)!r}; it accepts {sorted(_V3_SUPPORTED_KWARGS)!r}"
            )

    def _v3_thread_stream(
        self, client: Any, config: dict | None, headers: dict[str, str] | None
    ) -> tuple[Any, dict[str, Any]]:
        """The SDK thread stream of a v3 run and the config sent with its start."""
        sanitized = self._sanitize_config(merge_configs(self.config, config))
        thread_id = sanitized.get(CONF, {}).pop("thread_id", None)
        sdk_thread = client.threads.stream(
            thread_id=thread_id,
            assistant_id=self.assistant_id,
            headers=_merge_tracing_headers(headers) if self.distributed_tracing else headers,
        )
        return sdk_thread, sanitized

    def stream_events(
        self,
        input: Any,
        config: dict | None = None,
        *,
        version: Literal["v1", "v2", "v3"] = "v2",
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        control: Any = None,
        transformers: Sequence[Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """`version="v3"`: the run handle of a remote run (enter it with `with`
        to start the run). Other versions are LangChain's (which has no sync
        v1/v2 events)."""
        if version != "v3":
            runnable = _langchain_runnable()
            if runnable is None:
                raise NotImplementedError(
                    f"stream_events(version={version!r}) is not available; "
                    "use astream_events() or version='v3'"
                )
            return runnable.stream_events(self, input, config, version=version, **kwargs)
        self._reject_v3_unsupported(
            control=control,
            transformers=transformers,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            extra_kwargs=kwargs,
        )
        client = self._validate_sync_client()
        sdk_thread, sanitized = self._v3_thread_stream(client, config, headers)
        return _RemoteGraphRunStream(
            sync_client=client,
            sdk_thread=sdk_thread,
            input=input,
            config=sanitized,
            metadata=kwargs.get("metadata"),
        )

    async def astream_events(
        self,
        input: Any,
        config: dict | None = None,
        *,
        version: Literal["v1", "v2", "v3"] = "v2",
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        control: Any = None,
        transformers: Sequence[Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """`version="v3"`: awaits to the async run handle of a remote run
        (`async with await graph.astream_events(..., version="v3") as run`).
        v1/v2 events are not implemented for remote graphs: use `astream`."""
        if version != "v3":
            raise NotImplementedError(
                f"RemoteGraph.astream_events(version={version!r}) is not implemented: "
                "use astream() for v1/v2 streams, or version='v3'"
            )
        self._reject_v3_unsupported(
            control=control,
            transformers=transformers,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            extra_kwargs=kwargs,
        )
        client = self._validate_client()
        sdk_thread, sanitized = self._v3_thread_stream(client, config, headers)
        return _AsyncRemoteGraphRunStream(
            client=client,
            sdk_thread=sdk_thread,
            input=input,
            config=sanitized,
            metadata=kwargs.get("metadata"),
        )


def _langchain_runnable() -> Any:
    """langchain_core's Runnable (None without langchain_core)."""
    try:
        from langchain_core.runnables import Runnable
    except ImportError:
        return None
    return Runnable


# -- server payloads -> local types ---------------------------------------------


def _drawable(graph: dict[str, Any]) -> DrawableGraph:
    nodes = {}
    for node in graph["nodes"]:
        node_id = str(node["id"])
        data = node.get("data", {})
        name = node.get("name")
        if name is None:
            name = data.get("name", node_id) if isinstance(data, dict) else node_id
        nodes[node_id] = DrawableNode(
            id=node_id, name=name, data=data, metadata=node.get("metadata")
        )
    return DrawableGraph(nodes=nodes, edges=[DrawableEdge(**edge) for edge in graph["edges"]])


def _checkpoint_of(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The checkpoint a config addresses, as the server takes it (None: latest)."""
    if config is None:
        return None
    conf = config[CONF]
    keys = ("thread_id", "checkpoint_ns", "checkpoint_id", "checkpoint_map")
    checkpoint = {key: conf[key] for key in keys if key in conf}
    return checkpoint or None


def _config_of(checkpoint: dict[str, Any]) -> dict[str, Any]:
    return {
        CONF: {
            "thread_id": checkpoint["thread_id"],
            "checkpoint_ns": checkpoint["checkpoint_ns"],
            "checkpoint_id": checkpoint["checkpoint_id"],
            "checkpoint_map": checkpoint.get("checkpoint_map", {}),
        }
    }


def _snapshot(state: dict[str, Any]) -> StateSnapshot:
    """A server's thread state as a local StateSnapshot (subgraph states nested)."""
    tasks = []
    for task in state["tasks"]:
        if task["state"]:
            task_state: Any = _snapshot(task["state"])
        elif task["checkpoint"]:
            task_state = {CONF: task["checkpoint"]}
        else:
            task_state = None
        tasks.append(
            PregelTask(
                id=task["id"],
                name=task["name"],
                path=(),
                error=Exception(task["error"]) if task["error"] else None,
                interrupts=tuple(Interrupt(**item) for item in task["interrupts"]),
                state=task_state,
                result=task.get("result"),
            )
        )
    parent = state["parent_checkpoint"]
    return StateSnapshot(
        values=state["values"],
        next=tuple(state["next"]) if state["next"] else (),
        config=_config_of(state["checkpoint"]),
        metadata=dict(state["metadata"]),
        created_at=state["created_at"],
        parent_config=_config_of(parent) if parent else None,
        tasks=tuple(tasks),
        interrupts=tuple(item for task in tasks for item in task.interrupts),
    )
