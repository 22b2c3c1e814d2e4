"""`StateGraph`: the builder most LangGraph programs use, compiled onto Pregel.

Compiling lowers the builder to channels and nodes exactly as LangGraph
does (`branch:to:<node>` triggers, `join:a+b:c` barriers, a hidden
`__start__` node), so checkpoints and stream payloads name the same things.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from langgraph_jit._constants import END, NS_END, NS_SEP, START, TASKS
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.channels import (
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)
from langgraph_jit.checkpoint.serde._schema_classes import allow_schema_classes
from langgraph_jit.constants import TAG_HIDDEN
from langgraph_jit.errors import ErrorCode, InvalidUpdateError, ParentCommand, create_error_message
from langgraph_jit.graph._branch import BRANCH_TO, BranchSpec, BranchWriter
from langgraph_jit.graph._schema import _channel_for as _get_channel  # noqa: F401  (LangGraph's name)
from langgraph_jit.graph._schema import (  # noqa: F401  (LangGraph's name)
    _declared_channel as _is_field_channel,
)
from langgraph_jit.graph._schema import (
    annotated_keys,
    channels_of,
    mapper_for,
    model_updates,
    state_jsonschema,
)
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel._migrate import migrate_state_graph_layout
from langgraph_jit.pregel._node import (
    DICT_KEYS,
    DICT_SILENT,
    ChannelWrite,
    ChannelWriteEntry,
    ChannelWriteTupleEntry,
    NodeCall,
    PregelNode,
    warn_mistyped_config,
)
from langgraph_jit.pregel._timeout import runs_async
from langgraph_jit.pregel._typed_v2 import v2_mapper
from langgraph_jit.pregel.main import Pregel
from langgraph_jit.types import (
    CachePolicy,
    Command,
    RetryPolicy,
    Send,
    TimeoutPolicy,
    TracePolicy,
    ensure_valid_checkpointer,
)
from langgraph_jit.warnings import LangGraphDeprecatedSinceV05, warn_renamed

logger = logging.getLogger("langgraph_jit")

__all__ = ("CompiledStateGraph", "StateGraph")


@dataclass
class StateNodeSpec:
    runnable: Any
    metadata: dict[str, Any] | None
    input_schema: Any
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None
    cache_policy: CachePolicy | None
    ends: tuple[str, ...] | dict[str, str] | None = ()
    defer: bool = False
    error_handler: Any = None
    timeout: TimeoutPolicy | None = None
    trace_policy: TracePolicy | None = None
    remote: bool = True  # False: runs in the caller even with a task runner (distributed/)


def _warn_invalid_state_schema(schema: Any) -> None:
    """UserWarning for a schema that is neither a class nor a parameterized type
    (say a dict or model instance passed by mistake): its updates would go wrong."""
    if isinstance(schema, type) or get_args(schema):
        return
    warnings.warn(
        f"Invalid state_schema: {schema!r}. Expected a type or Annotated[type, reducer].",
        stacklevel=4,  # the user's StateGraph(...) or add_node(...) call
    )


def _get_node_name(action: Any) -> str:
    if hasattr(action, "get_name") and not inspect.isfunction(action):
        return action.get_name()
    name = getattr(action, "name", None) if not inspect.isfunction(action) else None
    return name or getattr(action, "__name__", None) or type(action).__name__


class StateGraph:
    """A graph whose nodes read and write a shared state through its schema's channels."""

    def __init__(
        self,
        state_schema: Any,
        context_schema: Any = None,
        *,
        input_schema: Any = None,
        output_schema: Any = None,
        **kwargs: Any,
    ) -> None:
        import warnings

        from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

        if kwargs.get("config_schema") is not None:
            warnings.warn(
                "`config_schema` is deprecated and will be removed. Please use `context_schema` instead.",
                category=LangGraphDeprecatedSinceV10,
                stacklevel=2,
            )
            context_schema = context_schema or kwargs["config_schema"]
        for old, new in (("input", "input_schema"), ("output", "output_schema")):
            if kwargs.get(old) is not None:
                warn_renamed(old, new, LangGraphDeprecatedSinceV05)
        input_schema = input_schema or kwargs.get("input")
        output_schema = output_schema or kwargs.get("output")
        self.nodes: dict[str, StateNodeSpec] = {}
        self.edges: set[tuple[str, str]] = set()
        self.waiting_edges: set[tuple[tuple[str, ...], str]] = set()
        self.branches: defaultdict[str, dict[str, BranchSpec]] = defaultdict(dict)
        self.schemas: dict[Any, dict[str, Any]] = {}
        self.channels: dict[str, Any] = {}
        self.managed: dict[str, Any] = {}
        self.compiled = False
        self._default_retry: Any = None
        self._default_cache: Any = None
        self._default_error_handler: Any = None
        self._default_timeout: TimeoutPolicy | None = None
        self.state_schema = state_schema
        self.input_schema = input_schema or state_schema
        self.output_schema = output_schema or state_schema
        self.context_schema = context_schema
        self._add_schema(self.state_schema)
        self._add_schema(self.input_schema, allow_managed=False)
        self._add_schema(self.output_schema, allow_managed=False)

    def set_node_defaults(
        self,
        *,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: Any = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
    ) -> StateGraph:
        """Policies for every node that does not set its own (applied at compile)."""
        if timeout is not None:
            self._default_timeout = TimeoutPolicy.coerce(timeout)  # validated now
        if retry_policy is not None:
            self._default_retry = retry_policy
        if cache_policy is not None:
            self._default_cache = cache_policy
        if error_handler is not None:
            self._default_error_handler = error_handler
        return self

    def _add_schema(self, schema: Any, allow_managed: bool = True) -> None:
        if schema in self.schemas:
            return
        _warn_invalid_state_schema(schema)
        channels, managed = channels_of(schema)
        if managed and not allow_managed:
            names = ", ".join(managed)
            raise ValueError(
                f"Invalid managed channels detected in {getattr(schema, '__name__', '')}: {names}."
                " Managed channels are not permitted in Input/Output schema."
            )
        self.schemas[schema] = {**channels, **managed}
        for key, channel in channels.items():
            if key in self.channels:
                if self.channels[key] != channel and not isinstance(channel, LastValue):
                    raise ValueError(f"Channel '{key}' already exists with a different type")
            else:
                self.channels[key] = channel
        for key, value in managed.items():
            if key in self.managed:
                if self.managed[key] != value:
                    raise ValueError(f"Managed value '{key}' already exists with a different type")
            else:
                self.managed[key] = value

    @property
    def _all_edges(self) -> set[tuple[str, str]]:
        return self.edges | {(s, end) for starts, end in self.waiting_edges for s in starts}

    def add_node(
        self,
        node: Any,
        action: Any = None,
        *,
        defer: bool = False,
        metadata: dict[str, Any] | None = None,
        input_schema: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        destinations: dict[str, str] | tuple[str, ...] | None = None,
        error_handler: Any = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
        trace_policy: TracePolicy | None = None,
        **kwargs: Any,
    ) -> StateGraph:
        """Add a node: a function (or runnable, or compiled graph) of the state."""
        # Validated now; whether the node can be timed (async) is checked at compile.
        timeout_policy = TimeoutPolicy.coerce(timeout)
        if kwargs.get("retry") is not None:
            warn_renamed("retry", "retry_policy", LangGraphDeprecatedSinceV05)
            if retry_policy is None:
                retry_policy = kwargs["retry"]
        if kwargs.get("input") is not None:
            warn_renamed("input", "input_schema", LangGraphDeprecatedSinceV05)
            if input_schema is None:
                input_schema = kwargs["input"]
        if not isinstance(node, str):
            action = node
            node = _get_node_name(action)
            if node is None:
                raise ValueError("Node name must be provided if action is not a function")
        if self.compiled:
            logger.warning(
                "Adding a node to a graph that has already been compiled. This will "
                "not be reflected in the compiled graph."
            )
        if action is None:
            raise RuntimeError
        if node in self.nodes:
            raise ValueError(f"Node `{node}` already present.")
        if node in (END, START):
            raise ValueError(f"Node `{node}` is reserved.")
        for character in (NS_SEP, NS_END):
            if character in node:
                raise ValueError(
                    f"'{character}' is a reserved character and is not allowed in the node names."
                )
        warn_mistyped_config(action)
        inferred_schema, ends = _infer_from_signature(action, input_schema is None)
        if destinations is not None:
            ends = destinations
        schema = input_schema or inferred_schema or self.state_schema
        self.nodes[node] = StateNodeSpec(
            # LangGraph's spec holds a runnable: a function is wrapped, and
            # `.func` / `.afunc` give it back (NodeCall has both).
            action if _lc.is_runnable(action) or not callable(action) else NodeCall(action, node),
            metadata,
            schema,
            retry_policy,
            cache_policy,
            ends,
            defer,
            error_handler,
            timeout_policy,
            trace_policy,
            kwargs.get("remote", True),
        )
        if input_schema or inferred_schema:
            self._add_schema(schema)
        return self

    def add_edge(self, start_key: str | list[str], end_key: str) -> StateGraph:
        """An edge; a list of starts waits for all of them (a join)."""
        if self.compiled:
            logger.warning(
                "Adding an edge to a graph that has already been compiled. This will "
                "not be reflected in the compiled graph."
            )
        if isinstance(start_key, str):
            if start_key == END:
                raise ValueError("END cannot be a start node")
            if end_key == START:
                raise ValueError("START cannot be an end node")
            self.edges.add((start_key, end_key))
            return self
        for start in start_key:
            if start == END:
                raise ValueError("END cannot be a start node")
            if start not in self.nodes:
                raise ValueError(f"Need to add_node `{start}` first")
        if end_key == START:
            raise ValueError("START cannot be an end node")
        if end_key != END and end_key not in self.nodes:
            raise ValueError(f"Need to add_node `{end_key}` first")
        self.waiting_edges.add((tuple(start_key), end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any] | Any,
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> StateGraph:
        """Route from `source` by what `path(state)` returns."""
        if self.compiled:
            logger.warning(
                "Adding an edge to a graph that has already been compiled. This will "
                "not be reflected in the compiled graph."
            )
        name = getattr(path, "name", None) or getattr(path, "__name__", None)
        if not name or name == "<lambda>":
            name = "condition"
        if name in self.branches[source]:
            raise ValueError(f"Branch with name `{name}` already exists for node `{source}`")
        self.branches[source][name] = BranchSpec.from_path(path, path_map, True)
        if schema := self.branches[source][name].input_schema:
            self._add_schema(schema)
        return self

    def add_sequence(self, nodes: Sequence[Any]) -> StateGraph:
        """Nodes run one after another, in order."""
        if len(nodes) < 1:
            raise ValueError("Sequence requires at least one node.")
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple) and len(item) == 2:
                name, item = item
            else:
                name = _get_node_name(item)
            if name in self.nodes:
                raise ValueError(
                    f"Node names must be unique: node with the name '{name}' already exists. "
                    "If you need to use two different runnables/callables with the same name "
                    "(for example, using `lambda`), please provide them as tuples "
                    "(name, runnable/callable)."
                )
            self.add_node(name, item)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        return self.add_edge(START, key)

    def set_conditional_entry_point(self, path: Any, path_map: Any = None) -> StateGraph:
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph:
        return self.add_edge(key, END)

    def _error_handler_names(self) -> set[str]:
        """The nodes compile adds to run error handlers (interrupts may name them)."""
        names = {f"__error_handler__{key}" for key, n in self.nodes.items() if n.error_handler}
        if self._default_error_handler is not None:
            names.add("__default_error_handler__")
        return names

    def validate(self, interrupt: Sequence[str] | None = None) -> StateGraph:
        sources = {src for src, _ in self._all_edges}
        sources.update(self.branches)
        sources.update(name for name, spec in self.nodes.items() if spec.ends)
        for source in sources:
            if source not in self.nodes and source != START:
                raise ValueError(f"Found edge starting at unknown node '{source}'")
        if START not in sources:
            raise ValueError(
                "Graph must have an entrypoint: add at least one edge from START to another node"
            )
        targets = {end for _, end in self._all_edges}
        for start, branches in self.branches.items():
            for cond, branch in branches.items():
                if branch.ends is not None:
                    for end in branch.ends.values():
                        if end not in self.nodes and end != END:
                            raise ValueError(
                                f"At '{start}' node, '{cond}' branch found unknown target '{end}'"
                            )
                        targets.add(end)
                else:
                    targets.add(END)
                    targets.update(n for n in self.nodes if n != start)
        for spec in self.nodes.values():
            if spec.ends:
                targets.update(spec.ends)
        for target in targets:
            if target not in self.nodes and target != END:
                raise ValueError(f"Found edge ending at unknown node `{target}`")
        if interrupt:
            handlers = self._error_handler_names()
            for node in interrupt:
                if node not in self.nodes and node not in handlers:
                    raise ValueError(f"Interrupt node `{node}` not found")
        self.compiled = True
        return self

    def compile(
        self,
        checkpointer: Any = None,
        *,
        cache: Any = None,
        store: Any = None,
        interrupt_before: Any = None,
        interrupt_after: Any = None,
        debug: bool = False,
        name: str | None = None,
        transformers: Any = None,
        **kwargs: Any,
    ) -> CompiledStateGraph:
        """Lower the builder to a runnable graph."""
        checkpointer = ensure_valid_checkpointer(checkpointer)
        # The schemas name the classes this graph persists: let loading rebuild them.
        allow_schema_classes(schemas=list(self.schemas))
        interrupt_before = interrupt_before or []
        interrupt_after = interrupt_after or []
        self.validate(
            interrupt=(
                (interrupt_before if interrupt_before != "*" else []) + interrupt_after
                if interrupt_after != "*"
                else []
            )
        )
        output_schema_keys = self.schemas[self.output_schema]
        output_channels: str | list[str] = (
            "__root__"
            if len(output_schema_keys) == 1 and "__root__" in output_schema_keys
            else [k for k in output_schema_keys if k not in self.managed]
        )
        stream_channels: str | list[str] = (
            "__root__"
            if len(self.channels) == 1 and "__root__" in self.channels
            else list(self.channels)
        )
        compiled = CompiledStateGraph(
            builder=self,
            nodes={},
            channels={**self.channels, **self.managed, START: EphemeralValue(self.input_schema)},
            managed=dict(self.managed),
            input_channels=START,
            stream_mode="updates",
            output_channels=output_channels,
            stream_channels=stream_channels,
            checkpointer=checkpointer,
            interrupt_before_nodes=interrupt_before,
            interrupt_after_nodes=interrupt_after,
            auto_validate=False,
            debug=debug,
            store=store,
            cache=cache,
            context_schema=self.context_schema,
            name=name or "LangGraph",
            stream_transformers=transformers,
            task_runner=kwargs.get("task_runner"),
        )
        compiled._output_mapper = v2_mapper(output_channels, self.output_schema)
        compiled._state_mapper = v2_mapper(stream_channels, self.state_schema)
        compiled.attach_node(START, None)
        handlers: dict[str, StateNodeSpec] = {}
        default = self._default_error_handler
        if default is not None:
            if "__default_error_handler__" in self.nodes:
                raise ValueError(
                    "Auto-generated default error handler node `__default_error_handler__` already exists."
                )
            handlers["__default_error_handler__"] = StateNodeSpec(
                _ErrorHandlerCall(default), None, self.state_schema, None, None
            )
        for key, node in self.nodes.items():
            if node.error_handler is not None:
                # Runs in the failed node's step, on its input, when it raises.
                name = f"__error_handler__{key}"
                if name in self.nodes:
                    raise ValueError(f"Auto-generated error handler node `{name}` already exists.")
                handlers[name] = StateNodeSpec(
                    _ErrorHandlerCall(node.error_handler), None, node.input_schema, None, None
                )
                compiled.error_handlers[key] = name
            elif default is not None:
                compiled.error_handlers[key] = "__default_error_handler__"
        for key, node in [*self.nodes.items(), *handlers.items()]:
            if node.retry_policy is None and self._default_retry is not None:
                node.retry_policy = self._default_retry
            if node.cache_policy is None and self._default_cache is not None:
                node.cache_policy = self._default_cache
            if node.timeout is None and self._default_timeout is not None:
                node.timeout = self._default_timeout
            compiled.attach_node(key, node)
        for start, end in sorted(self.edges):
            compiled.attach_edge(start, end)
        for starts, end in sorted(self.waiting_edges):
            compiled.attach_edge(starts, end)
        for start, branches in self.branches.items():
            for branch_name, branch in branches.items():
                compiled.attach_branch(start, branch_name, branch)
        compiled.validate()  # checks the graph; returns compiled itself
        return compiled


def _infer_from_signature(action: Any, want_schema: bool) -> tuple[Any, Any]:
    """(input schema from the first parameter's annotation, destinations from
    a `-> Command[Literal[...]]` return annotation)."""
    schema = None
    ends: Any = ()
    target = action
    if not (inspect.isfunction(action) or inspect.ismethod(action)):
        call = getattr(action, "__call__", None)  # noqa: B004 - wants the bound method, not a callable() test
        if not inspect.ismethod(call):
            return None, ends
        target = call
    try:
        hints = get_type_hints(target)
    except (NameError, TypeError):
        return None, ends
    if not hints:
        return None, ends
    if want_schema:
        try:
            first = next(iter(inspect.signature(action).parameters))
        except (StopIteration, TypeError, ValueError):
            first = None
        hint = hints.get(first) if first else None
        if isinstance(hint, type):
            try:
                if get_type_hints(hint):
                    schema = hint
            except Exception:
                pass
    rtn = hints.get("return")
    if rtn is not None:
        if get_origin(rtn) is Union:
            for arg in get_args(rtn):
                if get_origin(arg) is Command:
                    rtn = arg
                    break
        if (
            get_origin(rtn) is Command
            and (args := get_args(rtn))
            and get_origin(args[0]) is Literal
        ):
            ends = get_args(args[0])
    return schema, ends


class CompiledStateGraph(Pregel):
    """A compiled StateGraph: a Pregel graph that remembers its builder."""

    def __init__(self, *, builder: StateGraph, managed: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.builder = builder
        self.managed = managed
        self.schema_to_mapper: dict[Any, Any] = {}
        self._schema_channels: dict[Any, list[str]] = {}
        self.error_handlers: dict[str, str] = {}

    def get_input_jsonschema(self, config: dict | None = None) -> dict[str, Any]:
        builder = self.builder
        return state_jsonschema(builder.input_schema, builder, self.get_name("Input"))

    def get_output_jsonschema(self, config: dict | None = None) -> dict[str, Any]:
        builder = self.builder
        return state_jsonschema(builder.output_schema, builder, self.get_name("Output"))

    def _migrate_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Also renames the trigger channels of StateGraph checkpoint formats 1-2."""
        super()._migrate_checkpoint(checkpoint)
        migrate_state_graph_layout(checkpoint, self.nodes, self.builder.edges)

    def attach_node(self, key: str, node: StateNodeSpec | None) -> None:
        builder = self.builder
        if key == START:
            output_keys = [
                k for k in builder.schemas[builder.input_schema] if k not in builder.managed
            ]
        else:
            output_keys = list(builder.channels) + list(builder.managed)
        updates = _updates_mapper(output_keys)
        entries = (
            ChannelWriteTupleEntry(
                mapper=_root_updates if output_keys == ["__root__"] else updates
            ),
            ChannelWriteTupleEntry(mapper=_control_writes),
        )
        if key == START:
            self.nodes[key] = PregelNode(
                tags=[TAG_HIDDEN],
                triggers=[START],
                channels=START,
                writers=[ChannelWrite(entries)],
            )
            return
        assert node is not None  # only START comes without a node spec
        input_schema = node.input_schema
        # One list per schema, shared by its nodes: the engine keeps node
        # inputs per read set (by identity) and refreshes them incrementally.
        input_channels = self._schema_channels.get(input_schema)
        if input_channels is None:
            input_channels = self._schema_channels[input_schema] = list(
                builder.schemas[input_schema]
            )
        single = len(input_channels) == 1 and "__root__" in input_channels
        if input_schema not in self.schema_to_mapper:
            self.schema_to_mapper[input_schema] = mapper_for(input_channels, input_schema)
        branch_channel = BRANCH_TO.format(key)
        self.channels[branch_channel] = (
            LastValueAfterFinish(Any) if node.defer else EphemeralValue(Any, guard=False)
        )
        self.nodes[key] = PregelNode(
            triggers=[branch_channel],
            channels="__root__" if single else input_channels,
            mapper=self.schema_to_mapper[input_schema],
            writers=[ChannelWrite(entries)],
            metadata=node.metadata,
            retry_policy=node.retry_policy,
            cache_policy=node.cache_policy,
            bound=node.runnable.target if isinstance(node.runnable, NodeCall) else node.runnable,
            timeout=node.timeout,
            trace_policy=node.trace_policy,
        )

    def attach_edge(self, starts: str | Sequence[str], end: str) -> None:
        if isinstance(starts, str):
            if end != END:
                self.nodes[starts].writers.append(
                    ChannelWrite((ChannelWriteEntry(BRANCH_TO.format(end), None),))
                )
            return
        if end == END:
            return
        channel_name = f"join:{'+'.join(starts)}:{end}"
        barrier = (
            NamedBarrierValueAfterFinish if self.builder.nodes[end].defer else NamedBarrierValue
        )
        self.channels[channel_name] = barrier(str, set(starts))
        self.nodes[end].triggers.append(channel_name)
        for start in starts:
            self.nodes[start].writers.append(
                ChannelWrite((ChannelWriteEntry(channel_name, start),))
            )

    def attach_branch(self, start: str, name: str, branch: BranchSpec) -> None:
        builder = self.builder
        schema = branch.input_schema or (
            builder.nodes[start].input_schema if start in builder.nodes else builder.state_schema
        )
        channels = list(builder.schemas[schema])
        if schema not in self.schema_to_mapper:
            self.schema_to_mapper[schema] = mapper_for(channels, schema)
        select = channels[0] if channels == ["__root__"] else channels
        self.nodes[start].writers.append(
            BranchWriter(branch, select, self.schema_to_mapper[schema])
        )


class _ErrorHandlerCall:
    """Calls an error handler with the failed node's input, the NodeError (as
    the parameter named `error` or annotated NodeError) and what else it
    declares of what nodes are given: `config`, `runtime`, `store`, `writer`."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__name__ = getattr(func, "__name__", "error_handler")
        from langgraph_jit.errors import NodeError

        params = inspect.signature(func).parameters
        self.error_param = next(
            (
                n
                for n, p in params.items()
                if p.annotation is NodeError or p.annotation == "NodeError" or n == "error"
            ),
            None,
        )
        self.inject = tuple(
            n
            for n in ("config", "runtime", "store", "writer")
            if n in params and n != self.error_param
        )
        # Read by node timeouts (set_node_defaults(timeout=...) covers handlers).
        self.runs_async = runs_async(func)

    def invoke(self, value: Any, config: dict | None = None) -> Any:
        task = CURRENT_TASK.get()
        kwargs: dict[str, Any] = {}
        if self.error_param is not None:
            kwargs[self.error_param] = task.handled_error
        for name in self.inject:
            if name == "config":
                kwargs["config"] = task.config
            elif name == "runtime":
                kwargs["runtime"] = task.runtime
            elif name == "store":
                kwargs["store"] = task.run.graph.store
            else:
                from langgraph_jit.config import get_stream_writer

                kwargs["writer"] = get_stream_writer()
        return self.func(value, **kwargs)

    async def ainvoke(self, value: Any, config: dict | None = None) -> Any:
        result = self.invoke(value, config)
        if inspect.isawaitable(result):
            result = await result
        return result


def _updates_mapper(output_keys: list[str]) -> Callable[[Any], Any]:
    keys = frozenset(output_keys)

    def updates(value: Any) -> list[tuple[str, Any]] | None:
        if value is None:
            return None
        if isinstance(value, dict):
            return [(k, v) for k, v in value.items() if k in keys]
        if isinstance(value, Command):
            if value.graph == Command.PARENT:
                return None
            return [(k, v) for k, v in value._update_as_tuples() if k in keys]
        if (
            isinstance(value, (list, tuple))
            and value
            and any(isinstance(i, Command) for i in value)
        ):
            out: list[tuple[str, Any]] = []
            for item in value:
                if isinstance(item, Command):
                    if item.graph != Command.PARENT:
                        out.extend((k, v) for k, v in item._update_as_tuples() if k in keys)
                else:
                    out.extend(updates(item) or ())
            return out
        if annotated_keys(type(value)):
            return model_updates(value, output_keys)
        raise InvalidUpdateError(
            create_error_message(
                message=f"Expected dict, got {value}",
                error_code=ErrorCode.INVALID_GRAPH_NODE_RETURN_VALUE,
            )
        )

    # A plain dict's writes are its items whose key is a channel: fused
    # node writers (pregel._node) take them without calling this.
    setattr(updates, DICT_KEYS, keys)
    return updates


def _root_updates(value: Any) -> Sequence[tuple[str, Any]] | None:
    if isinstance(value, Command):
        return [] if value.graph == Command.PARENT else value._update_as_tuples()
    if isinstance(value, (list, tuple)) and value and any(isinstance(i, Command) for i in value):
        out: list[tuple[str, Any]] = []
        for item in value:
            if isinstance(item, Command):
                if item.graph != Command.PARENT:
                    out.extend(item._update_as_tuples())
            else:
                out.append(("__root__", item))
        return out
    if value is not None:
        return [("__root__", value)]
    return None


def _control_writes(value: Any) -> list[tuple[str, Any]]:
    """Writes for the routing part of a node's return: a Send, or the gotos
    of Commands; Command(graph=PARENT) goes up to the parent graph."""
    if type(value) is dict:  # the usual state update: nothing to route
        return []
    if isinstance(value, Send):
        return [(TASKS, value)]
    if isinstance(value, Command):
        commands = [value]
    elif isinstance(value, (list, tuple)):
        commands = [c for c in value if isinstance(c, Command)]
    else:
        return []
    out: list[tuple[str, Any]] = []
    for command in commands:
        if command.graph == Command.PARENT:
            raise ParentCommand(command)
        goto = command.goto
        targets = [goto] if isinstance(goto, (Send, str)) else goto
        for target in targets:
            if isinstance(target, Send):
                out.append((TASKS, target))
            elif isinstance(target, str) and target != END:
                out.append((BRANCH_TO.format(target), None))
    return out


# A plain dict routes nothing (see pregel._node.DICT_SILENT).
setattr(_control_writes, DICT_SILENT, True)
