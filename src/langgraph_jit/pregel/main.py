"""`Pregel`: a graph of nodes and channels, and its public run/inspect API.

The graph itself holds only the declaration and its integer lowering; each
call builds a `PregelRun` and hands it to the sync or async driver.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from langgraph_jit._config_merge import merge_callbacks, merge_metadata
from langgraph_jit._constants import (
    CACHE_NS_WRITES,
    CHECKPOINT_COORDINATES,
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_DURABILITY,
    CONFIG_KEY_PARENT_TASK,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_TASK_ID,
    INTERRUPT,
    NS_SEP,
    RESERVED_NAMES,
    RESERVED_WRITES,
    TASKS,
)
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.channels import BaseChannel, Topic
from langgraph_jit.pregel import _lc, _trace
from langgraph_jit.pregel._core.task import _identifier
from langgraph_jit.pregel._core.topology import Topology
from langgraph_jit.pregel._drive import (
    chunk_formatter,
    drive_async,
    drive_quiet,
    drive_sync,
    quiet,
)
from langgraph_jit.pregel._emit import stream_mode_set
from langgraph_jit.pregel._migrate import migrate_pending_sends
from langgraph_jit.pregel._node import ChannelWrite, ChannelWriteEntry, NodeBuilder, PregelNode
from langgraph_jit.pregel._run import PregelRun, root_config
from langgraph_jit.pregel._runnable_surface import RunnableSurface
from langgraph_jit.pregel._runner import shared_pool
from langgraph_jit.pregel._snapshot import (
    SnapshotReader,
    astate_snapshot,
    own_checkpoint_config,
    state_snapshot,
    subgraph_for_namespace,
)
from langgraph_jit.pregel._typed_v2 import typed_formatter
from langgraph_jit.pregel._update import adrive_io, drive_io, update_steps
from langgraph_jit.pregel.protocol import PregelProtocol
from langgraph_jit.types import (
    GraphOutput,
    RetryPolicy,
    Send,
    StateSnapshot,
    StateUpdate,
    ensure_valid_checkpointer,
)
from langgraph_jit.warnings import (
    LangGraphDeprecatedSinceV10,
    checkpoint_during_as_durability,
    warn_renamed,
)

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable


def _v3() -> Any:
    """v3 event streaming (`pregel._stream_v3`), imported on first use: it loads the
    whole `stream` package, which a program that never asks for v3 does not need."""
    from langgraph_jit.pregel import _stream_v3

    return _stream_v3


def _normalize_stream_transformer_factories(transformers: Any) -> list[Any]:
    """LangGraph's name for it (tests of subgraph scopes import it from here)."""
    return _v3().normalize_factories(transformers)


class Pregel(RunnableSurface, PregelProtocol):
    """A Pregel graph: nodes subscribe to channels and write to channels,
    and run in bulk-synchronous supersteps."""

    # Node -> its error handler node (a compiled StateGraph fills its own); the
    # engine reads it every run, so a plain Pregel answers without a lookup miss.
    error_handlers: Mapping[str, str] = MappingProxyType({})

    def __init__(
        self,
        *,
        nodes: dict[str, PregelNode | NodeBuilder],
        channels: dict[str, BaseChannel] | None,
        auto_validate: bool = True,
        stream_mode: str = "values",
        stream_eager: bool = False,
        output_channels: str | Sequence[str],
        stream_channels: str | Sequence[str] | None = None,
        interrupt_after_nodes: Sequence[str] | str = (),
        interrupt_before_nodes: Sequence[str] | str = (),
        input_channels: str | Sequence[str],
        step_timeout: float | None = None,
        debug: bool | None = None,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] = (),
        cache_policy: Any = None,
        context_schema: Any = None,
        config: dict | None = None,
        trigger_to_nodes: Mapping[str, Sequence[str]] | None = None,
        name: str = "LangGraph",
        stream_transformers: Sequence[Any] | None = None,
        task_runner: Any = None,
        **deprecated_kwargs: Any,
    ) -> None:
        if (config_type := deprecated_kwargs.get("config_type")) is not None:
            warn_renamed("config_type", "context_schema", LangGraphDeprecatedSinceV10)
            if context_schema is None:
                context_schema = config_type
        checkpointer = ensure_valid_checkpointer(checkpointer)
        _lc.langchain_loaded()  # adopts LangChain's Runnable/ToolOutputMixin if loaded
        self.nodes = {k: v.build() if isinstance(v, NodeBuilder) else v for k, v in nodes.items()}
        self.channels = channels or {}
        if TASKS in self.channels and not isinstance(self.channels[TASKS], Topic):
            raise ValueError(f"Channel '{TASKS}' is reserved and cannot be used in the graph.")
        self.channels[TASKS] = Topic(Send, accumulate=False)
        self.stream_mode = stream_mode
        self.stream_eager = stream_eager
        self.output_channels = output_channels
        self.stream_channels = stream_channels
        self.interrupt_after_nodes = interrupt_after_nodes
        self.interrupt_before_nodes = interrupt_before_nodes
        self.input_channels = input_channels
        self.step_timeout = step_timeout
        self.debug = bool(debug)
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.retry_policy = (
            (retry_policy,) if isinstance(retry_policy, RetryPolicy) else tuple(retry_policy)
        )
        self.cache_policy = cache_policy
        self.context_schema = context_schema
        self.config = config
        self.name = name
        # v3 streaming's transformer factories (compile(transformers=...))
        self.stream_transformers: tuple[Any, ...] = tuple(stream_transformers or ())
        # Runs node calls on a cluster (distributed/): adopts the topology once built.
        self.task_runner = task_runner
        self.managed: dict[str, Any] = {}
        self._force_compiled: bool | None = None
        self._topology_cache: Topology | None = None
        self._trigger_to_nodes = trigger_to_nodes
        if auto_validate:
            self.validate()

    @property
    def trigger_to_nodes(self) -> Mapping[str, Sequence[str]]:
        return self._trigger_to_nodes or self._topology.trigger_to_nodes

    # -- structure ------------------------------------------------------------

    @property
    def _topology(self) -> Topology:
        topo = self._topology_cache
        if topo is None:
            topo = Topology(self.nodes, self.channels)
            runner = getattr(self, "task_runner", None)
            if runner is not None:
                runner.adopt(self, topo)  # remote twins of the nodes it runs
            self._topology_cache = topo
        return topo

    def validate(self) -> Pregel:
        channels = self.channels
        known = repr(sorted(channels))[:100]
        for chan in channels:
            if chan in RESERVED_NAMES:
                raise ValueError(f"Channel name '{chan}' is reserved")
        subscribed: set[str] = set()
        for name, node in self.nodes.items():
            if name in RESERVED_NAMES:
                raise ValueError(f"Node name '{name}' is reserved")
            if not isinstance(node, PregelNode):
                raise TypeError(
                    f"Invalid node type {type(node)}, expected PregelNode or NodeBuilder"
                )
            subscribed.update(node.triggers)
            node.check_timeout(name)
            reads = [node.channels] if isinstance(node.channels, str) else node.channels
            for chan in reads:
                if chan not in channels and chan not in self.managed:
                    raise ValueError(
                        f"Node {name} reads channel '{chan}' not in known channels: '{known}'"
                    )
            # LangGraph drops writes to unknown channels at run time with a
            # log line; a static write target that does not exist is a bug,
            # so it is reported when the graph is built.
            for writer in node.writers:
                if isinstance(writer, ChannelWrite):
                    for entry in writer.writes:
                        if (
                            isinstance(entry, ChannelWriteEntry)
                            and entry.channel not in channels
                            and entry.channel not in RESERVED_WRITES
                        ):
                            raise ValueError(
                                f"Node {name} writes to channel '{entry.channel}' "
                                f"not in known channels: '{known}'"
                            )
        for chan in subscribed:
            if chan not in channels:
                raise ValueError(f"Subscribed channel '{chan}' not in known channels: '{known}'")
        inputs = self.input_channels
        if isinstance(inputs, str):
            if inputs not in channels:
                raise ValueError(f"Input channel '{inputs}' not in known channels: '{known}'")
            if inputs not in subscribed:
                raise ValueError(f"Input channel {inputs} is not subscribed to by any node")
        else:
            for chan in inputs:
                if chan not in channels:
                    raise ValueError(f"Input channel '{chan}' not in '{known}'")
            if all(chan not in subscribed for chan in inputs):
                raise ValueError(
                    f"None of the input channels {inputs} are subscribed to by any node"
                )
        outputs: set[str] = set()
        for spec in (self.output_channels, self.stream_channels):
            if isinstance(spec, str):
                outputs.add(spec)
            elif spec is not None:
                outputs.update(spec)
        for chan in outputs:
            if chan not in channels:
                raise ValueError(f"Output channel '{chan}' not in known channels: '{known}'")
        for nodes in (self.interrupt_after_nodes, self.interrupt_before_nodes):
            if nodes != "*":
                for n in nodes:
                    if n not in self.nodes:
                        raise ValueError(f"Node {n} not in nodes")
        self._topology_cache = None
        return self

    @property
    def stream_channels_list(self) -> Sequence[str]:
        sc = self.stream_channels_asis
        return [sc] if isinstance(sc, str) else sc

    @property
    def stream_channels_asis(self) -> str | Sequence[str]:
        if self.stream_channels:
            return self.stream_channels
        # Every run asks: kept with the topology, which is rebuilt whenever
        # the graph's channels may have changed.
        topo = self._topology_cache or self._topology
        keys = topo.default_stream_keys
        if keys is None:
            keys = topo.default_stream_keys = [
                k for k in self.channels if isinstance(self.channels[k], BaseChannel)
            ]
        return keys

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        name = name or self.name
        return f"{name}{suffix}" if suffix else name

    # Composition with LangChain runnables (`f | graph | g`), as a
    # LangChain-based graph allows; needs langchain_core.
    def __or__(self, other: Any) -> Any:
        from langchain_core.runnables.base import RunnableSequence, coerce_to_runnable

        return RunnableSequence(cast("Runnable[Any, Any]", self), coerce_to_runnable(other))

    def __ror__(self, other: Any) -> Any:
        from langchain_core.runnables.base import RunnableSequence, coerce_to_runnable

        return RunnableSequence(coerce_to_runnable(other), cast("Runnable[Any, Any]", self))

    def __getstate__(self) -> dict[str, Any]:
        # The topology (and what runs cached on it) is rebuilt where the graph lands.
        state = dict(self.__dict__)
        state["_topology_cache"] = None
        state["task_runner"] = None  # a graph shipped to a worker runs its nodes there
        return state

    def copy(self, update: dict[str, Any] | None = None) -> Pregel:
        attrs = {**self.__dict__, **(update or {})}
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(attrs)
        new._topology_cache = None
        return new

    def with_config(self, config: dict | None = None, **kwargs: Any) -> Pregel:
        merged = {**(self.config or {}), **(config or {}), **kwargs}
        return self.copy({"config": merged})

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Forget cached node results (all nodes, or the named ones)."""
        if self.cache is None:
            raise ValueError("No cache is set for this graph. Cannot clear cache.")
        self.cache.clear(self._cache_namespaces(nodes))

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        if self.cache is None:
            raise ValueError("No cache is set for this graph. Cannot clear cache.")
        await self.cache.aclear(self._cache_namespaces(nodes))

    def _cache_namespaces(self, nodes: Sequence[str] | None) -> list[tuple[str, ...]]:
        names = nodes or list(self.nodes)
        return [
            (CACHE_NS_WRITES, _identifier(self.nodes[n].bound) or "__dynamic__", n)
            for n in names
            if n in self.nodes
        ]

    def get_graph(self, config: dict | None = None, *, xray: int | bool = False) -> Any:
        """The graph's drawable structure (nodes and edges), built offline."""
        # Imported on use: drawing is rare and its modules cost import time.
        from langgraph_jit.pregel._draw import draw_pregel

        return draw_pregel(self, xray)

    async def aget_graph(self, config: dict | None = None, *, xray: int | bool = False) -> Any:
        return self.get_graph(config, xray=xray)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # Jupyter shows the drawing; rendered locally, never over the network.
        from langgraph_jit.pregel._draw import pregel_mimebundle

        return pregel_mimebundle(self)

    def _migrate_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Bring a checkpoint saved by an older LangGraph to today's layout."""
        migrate_pending_sends(checkpoint)

    def get_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> Iterator[tuple[str, PregelProtocol]]:
        """(namespace, subgraph) of each node that runs a subgraph; with
        `recurse`, their subgraphs too (as "node|child"). `namespace` keeps
        only the subgraph at exactly that path of node names (a nested one
        needs `recurse`)."""
        if namespace is not None:
            head, _, rest = namespace.partition(NS_SEP)
            node = self.nodes.get(head)
            sub = node.subgraphs[0] if node is not None and node.subgraphs else None
            if sub is None:
                return
            if not rest:
                yield head, sub
            elif recurse and isinstance(sub, Pregel):
                for path, found in sub.get_subgraphs(namespace=rest, recurse=True):
                    yield f"{head}{NS_SEP}{path}", found
            return
        for name, node in self.nodes.items():
            if not node.subgraphs:
                continue
            sub = node.subgraphs[0]
            yield name, sub
            if recurse and isinstance(sub, Pregel):
                for path, found in sub.get_subgraphs(recurse=True):
                    yield f"{name}{NS_SEP}{path}", found

    async def aget_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> AsyncIterator[tuple[str, PregelProtocol]]:
        """Async twin of `get_subgraphs` (nothing here waits)."""
        for found in self.get_subgraphs(namespace=namespace, recurse=recurse):
            yield found

    # -- running --------------------------------------------------------------

    def _checkpointer_for(self, config: dict) -> Any:
        if self.checkpointer is False:
            return None
        conf = config.get(CONF, {})
        if CONFIG_KEY_CHECKPOINTER in conf:
            return conf[CONFIG_KEY_CHECKPOINTER]
        if self.checkpointer is True:
            raise RuntimeError("checkpointer=True cannot be used for root graphs.")
        return self.checkpointer

    def _merge_config(self, config: dict | None) -> dict:
        base = self.config
        # Called from inside a running task (a graph invoked in a node): like
        # LangGraph, inherit that task's config, so the call becomes a
        # subgraph of it (namespace, checkpointer, streaming).
        task = CURRENT_TASK.get()
        # Else, called by LangChain code (a RunnableLambda, a chain): its
        # config, so the graph's run is a child of the caller's run.
        ambient = task.config if task is not None else _lc.ambient_config()
        if ambient is config:
            # A subgraph node is called with its task's config: merge it once.
            ambient = None
        elif ambient is not None and _addresses_checkpoints(base, config):
            # Given a thread (or checkpoint) of its own, the graph is a root
            # run: the task's namespace, saver and ids are not inherited.
            ambient = {k: v for k, v in ambient.items() if k != CONF}
        if not base and not ambient:
            if not config:
                return {CONF: {}}
            if config.keys().isdisjoint(_MERGED_KEYS):
                # Only keys the merge copies as they are (a recursion limit, a run
                # name): what the loop below makes of them.
                copied = {k: v for k, v in config.items() if v is not None}
                copied[CONF] = {}
                return copied
        merged: dict[str, Any] = {}
        for source in (ambient, base, config):
            if not source:
                continue
            for k, v in source.items():
                if k == CONF and isinstance(v, dict):
                    merged[k] = {**merged.get(k, {}), **v}
                elif k == "metadata" and isinstance(v, dict):
                    merged[k] = merge_metadata(merged.get(k), v)
                elif k == "callbacks" and v is not None:
                    # e.g. a handler bound with with_config and one astream_events adds
                    merged[k] = merge_callbacks(merged.get(k), v)
                elif k == "tags" and v:
                    merged[k] = [*merged.get(k, []), *v]
                elif v is not None:
                    # As LangChain's ensure_config: None means "not set"
                    # (recursion_limit=None runs with the default).
                    merged[k] = v
        merged.setdefault(CONF, {})
        return merged

    def _new_run(
        self,
        input: Any,
        config: dict | None,
        *,
        stream_mode: Any,
        output_keys: Any,
        interrupt_before: Any,
        interrupt_after: Any,
        durability: Any,
        subgraphs: bool = False,
        context: Any = None,
        control: Any = None,
        version: str = "v1",
    ) -> PregelRun:
        config = self._merge_config(config)
        if config.get("recursion_limit", 1) < 1:
            raise ValueError("recursion_limit must be at least 1")
        checkpointer = self.checkpointer
        if checkpointer is not None or config[CONF]:
            checkpointer = self._checkpointer_for(config)
        if checkpointer is not None and not config.get(CONF):
            raise ValueError(
                "Checkpointer requires one or more of the following 'configurable' keys: "
                "thread_id, checkpoint_ns, checkpoint_id"
            )
        modes = stream_mode_set(stream_mode, self.debug)
        conf = config[CONF]
        if conf.get(CONFIG_KEY_CHECKPOINT_NS):  # (an empty conf: a root run's usual config)
            if CONFIG_KEY_TASK_ID not in conf:
                config = root_config(config)
                conf = config[CONF]
            if self.checkpointer is True and conf.get(CONFIG_KEY_CHECKPOINT_NS):
                # A subgraph with its own history: one namespace per node, not
                # per task, so each run continues the last one.
                conf[CONFIG_KEY_CHECKPOINT_NS] = "|".join(
                    part.split(":")[0] for part in conf[CONFIG_KEY_CHECKPOINT_NS].split("|")
                )
            parent_task = conf.get(CONFIG_KEY_PARENT_TASK)
            if parent_task is not None and conf.get(CONFIG_KEY_CHECKPOINT_NS):
                # The second and later graphs one task runs are numbered: each
                # keeps its own checkpoints.
                calls = parent_task.scratchpad.next_graph_run()
                if calls:
                    conf[CONFIG_KEY_CHECKPOINT_NS] = (
                        f"{conf[CONFIG_KEY_CHECKPOINT_NS]}{NS_SEP}{calls}"
                    )
        checkpoint_ns = conf.get(CONFIG_KEY_CHECKPOINT_NS, "") if conf else ""
        namespace = tuple(checkpoint_ns.split("|")) if checkpoint_ns else ()
        parent_stream = conf.get(CONFIG_KEY_STREAM) if conf else None
        run = (_trace.run_class(PregelRun) if _trace.profiling else PregelRun)(
            self,
            input,
            config,
            stream_modes=modes,
            output_keys=output_keys if output_keys is not None else self.stream_channels_asis,
            stream_keys=self.stream_channels_asis,
            interrupt_before=interrupt_before
            if interrupt_before is not None
            else self.interrupt_before_nodes,
            interrupt_after=interrupt_after
            if interrupt_after is not None
            else self.interrupt_after_nodes,
            checkpointer=checkpointer,
            durability=durability or conf.get(CONFIG_KEY_DURABILITY) or "async",
            namespace=namespace,
            parent_stream=parent_stream,
            control=control,
        )
        if subgraphs and parent_stream is None:
            run.emitter.stream_down = (
                run.emitter.out,
                run.emitter.own_modes,
                _CurrentWakeup(run.emitter),
            )
            # Subgraph chunks arrive while their parent task runs: the
            # updates of sibling tasks are streamed as they finish too.
            run.emitter.eager = bool(run.emitter.own_modes)
        if context is not None:
            run.context = _coerce_context(self.context_schema, context)
        if run.context is None and conf:
            # A subgraph sees its parent's context (and a root, that of a
            # runtime its host seeded in the config). Imported on use.
            from langgraph_jit.runtime import inherited_context

            run.context = inherited_context(conf)
        if version == "v2" or config.get("callbacks"):
            _lc.set_messages_version(run, version)  # before the trace takes the callbacks
            _lc.drop_callers_graph_handlers(run)
        if run.lc_context:
            run.trace = _trace.for_run(run)  # LangChain callbacks (None: none listen)
        return run

    def stream(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        stream_mode: Any = None,
        print_mode: Any = (),
        output_keys: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        durability: Any = None,
        subgraphs: bool = False,
        debug: bool | None = None,
        version: str = "v1",
        control: Any = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Run the graph, yielding chunks of the requested stream mode(s)."""
        if (during := kwargs.get("checkpoint_during")) is not None:
            durability = checkpoint_during_as_durability(during, durability)
        if stream_mode is None:
            stream_mode = self._default_stream_mode(config)
        run = self._new_run(
            input,
            config,
            stream_mode=stream_mode,
            output_keys=output_keys,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            subgraphs=subgraphs,
            context=context,
            control=control,
            version=version,
        )
        return _trace.wrap(
            run, drive_sync(run, self._formatter(stream_mode, subgraphs, version, run.namespace))
        )

    def astream(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        stream_mode: Any = None,
        print_mode: Any = (),
        output_keys: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        durability: Any = None,
        subgraphs: bool = False,
        debug: bool | None = None,
        version: str = "v1",
        control: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Async twin of `stream`."""
        if (during := kwargs.get("checkpoint_during")) is not None:
            durability = checkpoint_during_as_durability(during, durability)
        if stream_mode is None:
            stream_mode = self._default_stream_mode(config)
        run = self._new_run(
            input,
            config,
            stream_mode=stream_mode,
            output_keys=output_keys,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            subgraphs=subgraphs,
            context=context,
            control=control,
            version=version,
        )
        return _trace.awrap(
            run, drive_async(run, self._formatter(stream_mode, subgraphs, version, run.namespace))
        )

    def stream_events(
        self,
        input: Any,
        config: dict | None = None,
        *,
        version: str = "v2",
        transformers: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """With version="v3", a `GraphRunStream` over this run (see `langgraph_jit.stream`);
        other versions are LangChain's event streams."""
        if version == "v3":
            _stream_v3 = _v3()
            _stream_v3.reject_owned_kwargs(kwargs)
            return _stream_v3.stream_events_v3(
                self, input, config, transformers=transformers, **kwargs
            )
        return self._runnable_method("stream_events")(input, config, version=version, **kwargs)

    def astream_events(
        self,
        input: Any,
        config: dict | None = None,
        *,
        version: str = "v2",
        transformers: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """With version="v3", an awaitable of an `AsyncGraphRunStream`; other versions
        are LangChain's event streams."""
        if version == "v3":
            _stream_v3 = _v3()
            _stream_v3.reject_owned_kwargs(kwargs)
            return _stream_v3.astream_events_v3(
                self, input, config, transformers=transformers, **kwargs
            )
        return self._runnable_method("astream_events")(input, config, version=version, **kwargs)

    def _runnable_method(self, name: str) -> Any:
        # LangChain's Runnable method of that name, bound to this graph
        return vars(RunnableSurface)["__getattr__"](self, name)

    # v2 parts as schema instances (pydantic/dataclass state; set by StateGraph.compile)
    _output_mapper: Callable[[dict[str, Any]], Any] | None = None
    _state_mapper: Callable[[dict[str, Any]], Any] | None = None

    def _formatter(
        self, stream_mode: Any, subgraphs: bool, version: str, namespace: tuple[str, ...]
    ) -> Callable[[tuple], Any]:
        fmt = chunk_formatter(stream_mode, subgraphs, version, namespace)
        if version == "v2" and (self._output_mapper or self._state_mapper):
            fmt = typed_formatter(fmt, self._output_mapper, self._state_mapper)
        return fmt

    def _default_stream_mode(self, config: dict | None) -> Any:
        # Inside a task (a subgraph) the default is the state, as in LangGraph.
        if config and CONFIG_KEY_TASK_ID in (config.get(CONF) or {}):
            return "values"
        return self.stream_mode

    def _invoke_run(
        self,
        input,
        config,
        stream_mode,
        output_keys,
        interrupt_before,
        interrupt_after,
        durability,
        context=None,
        version="v1",
        control=None,
    ):
        if output_keys is None:
            output_keys = self.output_channels
        if stream_mode == "values":
            # invoke only needs the last values chunk: keep it incrementally
            # instead of materialising one per step.
            run = self._new_run(
                input,
                config,
                stream_mode=(),
                output_keys=output_keys,
                interrupt_before=interrupt_before,
                interrupt_after=interrupt_after,
                durability=durability,
                context=context,
                control=control,
            )
            run.emitter.track_latest_values()
            return run, None  # see _values_formatter: made only if it streams
        run = self._new_run(
            input,
            config,
            stream_mode=stream_mode,
            output_keys=output_keys,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            context=context,
            control=control,
        )
        return run, self._formatter(stream_mode, False, version, run.namespace)

    def _invoke_result(self, run: PregelRun, stream_mode: Any, chunks: list, version: str) -> Any:
        if stream_mode != "values":
            return chunks
        latest = run.emitter.latest_values()
        interrupts = run.interrupts
        if version == "v2":
            if self._output_mapper is not None and isinstance(latest, dict):
                latest = self._output_mapper(latest)
            return GraphOutput(value=latest, interrupts=tuple(interrupts))
        if interrupts:
            return (
                {**latest, INTERRUPT: interrupts}
                if isinstance(latest, dict)
                else {INTERRUPT: interrupts}
            )
        return latest

    def invoke(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        stream_mode: Any = "values",
        print_mode: Any = (),
        output_keys: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        durability: Any = None,
        version: str = "v1",
        control: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Run the graph to completion and return its output."""
        if (during := kwargs.get("checkpoint_during")) is not None:
            durability = checkpoint_during_as_durability(during, durability)
        run, emit = self._invoke_run(
            input,
            config,
            stream_mode,
            output_keys,
            interrupt_before,
            interrupt_after,
            durability,
            context,
            version,
            control,
        )
        if run.trace is None and quiet(run):
            # Nothing streamed: no chunks to gather (a profiled run is timed around it).
            if _trace.profiling:
                _trace.drive_profiled(run, drive_quiet)
            else:
                drive_quiet(run)
            return self._invoke_result(run, stream_mode, [], version)
        emit = emit or _values_formatter(run)
        chunks = list(_trace.wrap(run, drive_sync(run, emit)))
        return self._invoke_result(run, stream_mode, chunks, version)

    async def ainvoke(
        self,
        input: Any,
        config: dict | None = None,
        *,
        context: Any = None,
        stream_mode: Any = "values",
        print_mode: Any = (),
        output_keys: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        durability: Any = None,
        version: str = "v1",
        control: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Async twin of `invoke`."""
        if (during := kwargs.get("checkpoint_during")) is not None:
            durability = checkpoint_during_as_durability(during, durability)
        run, emit = self._invoke_run(
            input,
            config,
            stream_mode,
            output_keys,
            interrupt_before,
            interrupt_after,
            durability,
            context,
            version,
            control,
        )
        emit = emit or _values_formatter(run)
        chunks = [c async for c in _trace.awrap(run, drive_async(run, emit))]
        return self._invoke_result(run, stream_mode, chunks, version)

    def batch(
        self,
        inputs: Sequence[Any],
        config: dict | Sequence[dict] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """invoke() over several inputs concurrently, results in input order."""
        if not inputs:
            return []
        if self.task_runner is not None:  # whole runs on the cluster, if it can
            out = self.task_runner.graph_batch(self, inputs, config, return_exceptions, kwargs)
            if out is not None:
                return out
        configs = _config_list(config, len(inputs))
        if len(inputs) == 1:
            return [self._invoke_or_exc(inputs[0], configs[0], return_exceptions, kwargs)]

        futures = [
            shared_pool().submit(self._invoke_or_exc, i, c, return_exceptions, kwargs)
            for i, c in zip(inputs, configs)
        ]
        return [f.result() for f in futures]

    def _invoke_or_exc(self, input, config, return_exceptions, kwargs):
        try:
            return self.invoke(input, config, **kwargs)
        except Exception as exc:
            if return_exceptions:
                return exc
            raise

    async def abatch(
        self,
        inputs: Sequence[Any],
        config: dict | Sequence[dict] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Async twin of `batch`."""
        if self.task_runner is not None and inputs:
            out = await self.task_runner.agraph_batch(
                self, inputs, config, return_exceptions, kwargs
            )
            if out is not None:
                return out
        configs = _config_list(config, len(inputs))
        return list(
            await asyncio.gather(
                *(self.ainvoke(i, c, **kwargs) for i, c in zip(inputs, configs)),
                return_exceptions=return_exceptions,
            )
        )

    # -- inspecting state -----------------------------------------------------

    def _state_saver(self, config: dict) -> Any:
        return self._state_reader(self._merge_config(config))

    def _state_reader(self, merged: dict) -> Any:
        """The saver a state method reads with, for an already merged config."""
        saver = self._checkpointer_for(merged)
        if saver is None:
            raise ValueError("No checkpointer set")
        return saver

    def bulk_update_state(self, config: dict, supersteps: Sequence[Sequence[Any]]) -> dict:
        """Apply several supersteps of updates; returns the last checkpoint's config."""
        saver = self._state_saver(config)
        if sub := subgraph_for_namespace(self, config, saver, for_update=bool(supersteps)):
            return sub[0].bulk_update_state(sub[1], supersteps)
        merged = own_checkpoint_config(self, self._merge_config(config))
        return drive_io(update_steps(self, saver, merged, supersteps))

    async def abulk_update_state(self, config: dict, supersteps: Sequence[Sequence[Any]]) -> dict:
        saver = self._state_saver(config)
        if sub := subgraph_for_namespace(self, config, saver, for_update=bool(supersteps)):
            return await sub[0].abulk_update_state(sub[1], supersteps)
        merged = own_checkpoint_config(self, self._merge_config(config))
        return await adrive_io(update_steps(self, saver, merged, supersteps))

    def update_state(
        self, config: dict, values: Any, as_node: str | None = None, task_id: str | None = None
    ) -> dict:
        """Write `values` to the thread as if node `as_node` returned them."""
        return self.bulk_update_state(config, [[StateUpdate(values, as_node, task_id)]])

    async def aupdate_state(
        self, config: dict, values: Any, as_node: str | None = None, task_id: str | None = None
    ) -> dict:
        return await self.abulk_update_state(config, [[StateUpdate(values, as_node, task_id)]])

    def get_state(self, config: dict, *, subgraphs: bool = False) -> StateSnapshot:
        """The graph's state at the latest (or the given) checkpoint."""
        merged = self._merge_config(config)
        saver = self._state_reader(merged)
        if sub := subgraph_for_namespace(self, config, saver):
            return sub[0].get_state(sub[1], subgraphs=subgraphs)
        merged = own_checkpoint_config(self, merged)
        saved = saver.get_tuple(merged)
        return state_snapshot(
            self,
            merged,
            saved,
            saver,
            live=CONFIG_KEY_CHECKPOINT_ID not in merged[CONF],
            recurse=subgraphs,
        )

    async def aget_state(self, config: dict, *, subgraphs: bool = False) -> StateSnapshot:
        merged = self._merge_config(config)
        saver = self._state_reader(merged)
        if sub := subgraph_for_namespace(self, config, saver):
            return await sub[0].aget_state(sub[1], subgraphs=subgraphs)
        merged = own_checkpoint_config(self, merged)
        saved = await saver.aget_tuple(merged)
        return await astate_snapshot(
            self,
            merged,
            saved,
            saver,
            live=CONFIG_KEY_CHECKPOINT_ID not in merged[CONF],
            recurse=subgraphs,
        )

    def get_state_history(
        self,
        config: dict,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Snapshots of the thread, newest first."""
        merged = self._merge_config(config)
        saver = self._state_reader(merged)
        if sub := subgraph_for_namespace(self, config, saver):
            yield from sub[0].get_state_history(sub[1], filter=filter, before=before, limit=limit)
            return
        merged = own_checkpoint_config(self, merged)
        conf = {
            **merged[CONF],
            CONFIG_KEY_CHECKPOINT_NS: merged[CONF].get(CONFIG_KEY_CHECKPOINT_NS, ""),
        }
        reader = SnapshotReader(self, live=False)
        if getattr(saver, "reads_history", False):
            # Entries decoded as they are reached (a page's rows read at once).
            for entry in saver.history({CONF: conf}, filter=filter, before=before, limit=limit):
                yield reader.entry_snapshot(entry, saver)
            return
        # Listed first: rebuilding a snapshot's values reads the saver again.
        listed = list(saver.list({CONF: conf}, filter=filter, before=before, limit=limit))
        for saved in listed:
            yield reader.snapshot(saved, saver)

    async def aget_state_history(
        self,
        config: dict,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        merged = self._merge_config(config)
        saver = self._state_reader(merged)
        if sub := subgraph_for_namespace(self, config, saver):
            history = sub[0].aget_state_history(sub[1], filter=filter, before=before, limit=limit)
            async for snapshot in history:
                yield snapshot
            return
        merged = own_checkpoint_config(self, merged)
        conf = {
            **merged[CONF],
            CONFIG_KEY_CHECKPOINT_NS: merged[CONF].get(CONFIG_KEY_CHECKPOINT_NS, ""),
        }
        listed = [
            s async for s in saver.alist({CONF: conf}, filter=filter, before=before, limit=limit)
        ]
        reader = SnapshotReader(self, live=False)
        for saved in listed:
            # Most snapshots are read without awaiting anything.
            snapshot = reader.lean(saved)
            yield snapshot if snapshot is not None else await reader.afull(saved, saver)


class _CurrentWakeup:
    """The wake slot of a `subgraphs=True` stream (`stream_down[2]`): `[0]` is the
    driver's wakeup of the moment (set while tasks run), so chunks a subgraph pushes
    from inside a running task reach the caller then, not when the task ends."""

    __slots__ = ("emitter",)

    def __init__(self, emitter: Any) -> None:
        self.emitter = emitter

    def __getitem__(self, index: int) -> Any:
        return self.emitter.wakeup


# Config keys `_merge_config` merges (any other is copied as it is, unless None): a
# config without them, with nothing to merge it with, is merged by one comprehension.
_MERGED_KEYS = frozenset({CONF, "metadata", "callbacks", "tags"})


def _values_formatter(run: PregelRun) -> Callable[[tuple], Any]:
    """What invoke's run (stream mode "values", kept as latest values, see
    _invoke_run) shows of a chunk: none of its own."""
    return chunk_formatter([], False, "v1", run.namespace)


def _addresses_checkpoints(*configs: dict | None) -> bool:
    """Whether a caller's config names a thread or checkpoint of its own."""
    for config in configs:
        conf = config.get(CONF) if config else None
        if conf and any(conf.get(k) not in (None, "", {}) for k in CHECKPOINT_COORDINATES):
            return True
    return False


def _config_list(config: Any, n: int) -> list[dict | None]:
    if config is None or isinstance(config, dict):
        return [config] * n
    configs = list(config)
    if len(configs) != n:
        raise ValueError(f"Expected {n} configs, got {len(configs)}")
    return configs


def _coerce_context(schema: Any, context: Any) -> Any:
    """A dict given as `context=` becomes the context schema's type."""
    if schema is None or context is None or not isinstance(context, dict):
        return context

    if dataclasses.is_dataclass(schema) or hasattr(schema, "model_validate"):
        return schema(**context)
    return context
