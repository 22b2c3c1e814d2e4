"""`get_graph()`: a symbolic run of a compiled graph over its nodes' declared
writes, giving the drawable `Graph` LangGraph would give for the same graph.

No user code runs: each node "returns" an empty value, so only its fixed
writes (edges, joins) and its declared conditional writes (branch targets,
Command destinations) reach the channels. A node triggered by a channel
records an edge from whoever wrote that channel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, NamedTuple

from langgraph_jit._constants import (
    END,
    ERROR,
    ERROR_SOURCE_NODE,
    INTERRUPT,
    MISSING,
    NO_WRITES,
    PUSH,
    RESUME,
    RETURN,
    START,
    TASKS,
)
from langgraph_jit._drawing.graph import Edge as GraphEdge
from langgraph_jit._drawing.graph import Graph, Node
from langgraph_jit.channels.last_value import LastValueAfterFinish
from langgraph_jit.pregel._node import (
    PASSTHROUGH,
    ChannelWrite,
    ChannelWriteEntry,
    ChannelWriteTupleEntry,
)
from langgraph_jit.types import Send

__all__ = ("Graph", "GraphEdge", "Node", "draw_graph", "draw_pregel", "pregel_mimebundle")

_BRANCH_TO = "branch:to:{}"
_IGNORED_WRITES = frozenset((NO_WRITES, PUSH, RESUME, INTERRUPT, RETURN, ERROR, ERROR_SOURCE_NODE))


class _Edge(NamedTuple):
    source: str
    target: str
    conditional: bool
    label: str | None


class _Trigger(NamedTuple):
    channel: str
    conditional: bool
    label: str | None


class _Task:
    __slots__ = ("name", "triggers", "writers", "writes", "order")

    def __init__(
        self, name: str, triggers: tuple[str, ...], writers: list[Any], order: tuple
    ) -> None:
        self.name = name
        self.triggers = triggers
        self.writers = writers
        self.writes: list[tuple[str, Any]] = []
        self.order = order


def draw_graph(graph: Any, *, xray: int | bool = False, config: Any = None) -> Graph:
    """The drawable graph of a CompiledStateGraph (or any Pregel)."""
    return draw_pregel(graph, xray)


def draw_pregel(pregel: Any, xray: int | bool = False) -> Graph:
    """The drawable graph of a low-level Pregel; `xray` inlines subgraphs
    (True: all levels, an int: that many levels)."""
    subgraphs: dict[str, Graph] = {}
    if xray:
        deeper = xray if isinstance(xray, bool) or xray <= 0 else xray - 1
        for name, sub in pregel.get_subgraphs():
            getter = getattr(sub, "get_graph", None)
            subgraphs[name] = (
                getter(xray=deeper) if getter is not None else draw_pregel(sub, deeper)
            )
    return _assemble(pregel, subgraphs)


def pregel_mimebundle(pregel: Any) -> dict[str, Any]:
    """Jupyter display of a compiled graph: an SVG drawn here, no network."""
    bundle = draw_pregel(pregel)._repr_mimebundle_()
    bundle["text/plain"] = repr(pregel)
    return bundle


# -- declared writes ------------------------------------------------------------


def _ends_static(ends: Any) -> list[tuple[str, Any, str | None]]:
    """Declared writes of a node's Command destinations (`destinations=` or
    a `-> Command[Literal[...]]` annotation)."""
    if isinstance(ends, dict):
        return [(k if k == END else _BRANCH_TO.format(k), None, label) for k, label in ends.items()]
    return [(e if e == END else _BRANCH_TO.format(e), None, None) for e in ends]


def _static_writes(writer: Any) -> list[tuple[str, Any, str | None]] | None:
    if isinstance(writer, ChannelWrite):
        found = [
            w
            for entry in writer.writes
            if isinstance(entry, ChannelWriteTupleEntry) and entry.static
            for w in entry.static
        ]
        return found or None
    spec = getattr(writer, "spec", None)
    ends = getattr(spec, "ends", None)
    if ends:
        # A conditional edge declares its path map: key is the label, value the target.
        return [
            (target if target == END else _BRANCH_TO.format(target), None, str(key))
            for key, target in ends.items()
        ]
    declared = getattr(writer, "_is_channel_writer", None)
    if declared:
        out: list[tuple[str, Any, str | None]] = []
        for entry, label in declared:
            if isinstance(entry, Send):
                out.append((TASKS, entry, label))
            else:
                out.append(
                    (entry.channel, None if entry.value is PASSTHROUGH else entry.value, label)
                )
        return out
    return None


def _fixed_writes(writer: ChannelWrite, empty: Any) -> list[tuple[str, Any]]:
    """What a ChannelWrite writes when its node returns `empty`."""
    out: list[tuple[str, Any]] = []
    for entry in writer.writes:
        try:
            if isinstance(entry, ChannelWriteEntry):
                value = empty if entry.value is PASSTHROUGH else entry.value
                if entry.mapper is not None:
                    value = entry.mapper(value)
                if value is None and entry.skip_none:
                    continue
                out.append((entry.channel, value))
            elif isinstance(entry, Send):
                out.append((TASKS, entry))
            elif isinstance(entry, ChannelWriteTupleEntry):
                value = empty if entry.value is PASSTHROUGH else entry.value
                out.extend(entry.mapper(value) or ())
        except Exception:
            # A mapper that cannot take an empty value writes nothing here.
            continue
    return out


# -- the symbolic run -----------------------------------------------------------


class _Run:
    """Channels, versions and versions-seen of the symbolic run (ints for versions)."""

    def __init__(self, pregel: Any) -> None:
        self.nodes = pregel.nodes
        self.channels = {
            k: spec.from_checkpoint(MISSING)
            for k, spec in pregel.channels.items()
            if hasattr(spec, "from_checkpoint")  # managed values are not channels
        }
        self.trigger_to_nodes: Mapping[str, Any] = pregel.trigger_to_nodes
        self.versions: dict[str, int] = {}
        self.seen: dict[str, dict[str, int]] = {}

    def apply(self, tasks: list[_Task]) -> set[str]:
        tasks = sorted(tasks, key=lambda t: t.order)
        bump_step = any(t.triggers for t in tasks)
        for t in tasks:
            self.seen.setdefault(t.name, {}).update(
                {c: self.versions[c] for c in t.triggers if c in self.versions}
            )
        version = max(self.versions.values(), default=0) + 1
        channels = self.channels
        for chan in {c for t in tasks for c in t.triggers if c in channels and c != PUSH}:
            if channels[chan].consume():
                self.versions[chan] = version
        pending: dict[str, list[Any]] = defaultdict(list)
        for t in tasks:
            for chan, value in t.writes:
                if chan in _IGNORED_WRITES:
                    continue
                if chan in channels:
                    pending[chan].append(value)
        updated: set[str] = set()
        for chan, values in pending.items():
            if channels[chan].update(values):
                self.versions[chan] = version
                if channels[chan].is_available():
                    updated.add(chan)
        if bump_step:
            for chan, ch in channels.items():
                if ch.is_available() and chan not in updated and ch.update(()):
                    self.versions[chan] = version
                    if ch.is_available():
                        updated.add(chan)
            if updated.isdisjoint(self.trigger_to_nodes):
                for chan, ch in channels.items():
                    if ch.finish():
                        self.versions[chan] = version
                        if ch.is_available():
                            updated.add(chan)
        return updated

    def next_tasks(self, updated: set[str]) -> list[_Task]:
        tasks: list[_Task] = []
        pushes = self.channels.get(TASKS)
        if pushes is not None and pushes.is_available():
            for idx, packet in enumerate(pushes.get()):
                node = self.nodes.get(getattr(packet, "node", None))
                if node is not None:
                    tasks.append(_Task(packet.node, (PUSH,), node.writers, (0, idx)))
        if updated and self.trigger_to_nodes:
            names: Any = sorted({n for c in updated for n in self.trigger_to_nodes.get(c, ())})
        elif not self.versions:
            names = ()
        else:
            names = list(self.nodes)
        for name in names:
            node = self.nodes[name]
            seen = self.seen.get(name)
            for chan in node.triggers:
                ch = self.channels[chan]
                if ch.is_available() and (
                    seen is None or self.versions.get(chan, 0) > seen.get(chan, 0)
                ):
                    tasks.append(_Task(name, tuple(sorted(node.triggers)), node.writers, (1, name)))
                    break
        return tasks


def _assemble(pregel: Any, subgraphs: dict[str, Graph], limit: int = 250) -> Graph:
    run = _Run(pregel)
    builder = getattr(pregel, "builder", None)
    # Command destinations of StateGraph nodes, declared once per node.
    node_static: dict[str, list[tuple[str, Any, str | None]]] = {}
    if builder is not None:
        for name, spec in builder.nodes.items():
            if spec.ends:
                node_static[name] = _ends_static(spec.ends)
    root = pregel.channels.get("__root__")
    edges: set[_Edge] = set()
    static_seen: set[int] = set()
    nodes_declared: set[str] = set()
    sources: dict[str, set[_Trigger]] = {}
    step_sources: dict[str, set[_Trigger]] = {}
    declared_by: dict[str, set[_Trigger]] = defaultdict(set)
    deferred: set[str] = set()

    inputs = pregel.input_channels
    input_task = _Task("__input__", (), [], (-1,))
    if isinstance(inputs, str):
        input_task.writes.append((inputs, {}))
    tasks = run.next_tasks(run.apply([input_task]))
    start_tasks = tasks
    for _ in range(-1, limit):
        if not tasks:
            break
        conditionals: dict[tuple[str, str, Any], str | None] = {}
        for task in tasks:
            declared_lists = []
            if task.name in node_static and task.name not in nodes_declared:
                nodes_declared.add(task.name)
                declared_lists.append(node_static[task.name])
            for w in task.writers:
                if isinstance(w, ChannelWrite):
                    empty = _empty_value(root)
                    task.writes.extend(_fixed_writes(w, empty))
                if id(w) not in static_seen:
                    static_seen.add(id(w))
                    if declared := _static_writes(w):
                        declared_lists.append(declared)
            for declared in declared_lists:
                for chan, _value, label in declared:
                    if chan == END:
                        edges.add(_Edge(task.name, END, True, label))
                rest = [t for t in declared if t[0] != END]
                conditionals.update({(task.name, t[0], t[1] or None): t[2] for t in rest})
                for chan, _value, label in rest:
                    declared_by[task.name].add(_Trigger(chan, True, label))
                task.writes.extend((t[0], t[1]) for t in rest)
        step_sources = {}
        for task in tasks:
            found = set()
            for chan, value in task.writes:
                key = (task.name, chan, _or_none(value))
                found.add(_Trigger(chan, key in conditionals, conditionals.get(key)))
            step_sources[task.name] = found | declared_by.get(task.name, set())
        sources.update(step_sources)
        by_trigger: dict[str, set[_Trigger]] = defaultdict(set)
        for src, triggers in sources.items():
            for chan, cond, label in triggers:
                by_trigger[chan].add(_Trigger(src, cond, label))
        tasks = run.next_tasks(run.apply(tasks))
        deferred = {
            c.split(":", 2)[-1]
            for c, ch in run.channels.items()
            if isinstance(ch, LastValueAfterFinish)
        }
        for task in tasks:
            from_this_step = False
            for trigger in task.triggers:
                for src, cond, label in sorted(by_trigger[trigger], key=_sort_key):
                    edges.add(_Edge(src, task.name, cond, label))
                    if _Trigger(trigger, cond, label) in step_sources.get(src, set()):
                        from_this_step = True
                    else:
                        sources[src].discard(_Trigger(trigger, cond, label))
            if not from_this_step:
                # Triggered by nothing written this step (a Send, a barrier):
                # every task of the step may have caused it.
                for src in step_sources:
                    edges.add(_Edge(src, task.name, True, None))

    graph = Graph()
    interrupt_before = pregel.interrupt_before_nodes
    interrupt_after = pregel.interrupt_after_nodes
    for name, node in pregel.nodes.items():
        metadata = dict(node.metadata or {})
        if name in deferred:
            metadata["defer"] = True
        before, after = name in interrupt_before, name in interrupt_after
        if before and after:
            metadata["__interrupt"] = "before,after"
        elif before:
            metadata["__interrupt"] = "before"
        elif after:
            metadata["__interrupt"] = "after"
        tools = getattr(node.bound, "tools_by_name", None)
        if isinstance(tools, Mapping) and tools:
            metadata["__tools"] = list(tools)
        graph.add_node(_node_data(node), name, metadata=metadata or None)
    if START not in pregel.nodes:
        graph.add_node(None, START)
        for task in start_tasks:
            _add_edge(graph, START, task.name)
    for src, dest, cond, label in sorted(edges, key=_sort_key):
        _add_edge(graph, src, dest, data=label if label != dest else None, conditional=cond)
    termini = {e.target for e in edges if e.target != END} - {e.source for e in edges}
    if termini:
        for src in sorted(termini):
            _add_edge(graph, src, END)
    elif len(step_sources) == 1 and not any(e.target == END for e in edges):
        for src in sorted(step_sources):
            _add_edge(graph, src, END, conditional=True)
    for name, sub in subgraphs.items():
        if len(sub.nodes) > 1 and name in graph.nodes and sub.first_node() and sub.last_node():
            sub.trim_first_node()
            sub.trim_last_node()
            graph.nodes.pop(name)
            first, last = graph.extend(sub, prefix=name)
            for i, edge in enumerate(graph.edges):
                if edge.source == name:
                    edge = edge.copy(source=last.id)  # type: ignore[union-attr]
                if edge.target == name:
                    edge = edge.copy(target=first.id)  # type: ignore[union-attr]
                graph.edges[i] = edge
    return graph


def _or_none(value: Any) -> Any:
    try:
        return value or None
    except Exception:
        return value


def _sort_key(item: tuple) -> tuple:
    # Labels may be None next to strings; order None first, as tuples of (flag, value).
    return tuple((0, "") if v is None else (1, v) for v in item)


def _empty_value(root: Any) -> Any:
    if root is None:
        return None
    try:
        return root.ValueType()
    except Exception:
        return None


def _node_data(node: Any) -> Any:
    bound = node.bound
    return bound if bound is not None else _NoOp()


class _NoOp:
    """Stands for a node that runs nothing (`__start__`, a pure channel
    copier); LangGraph draws its identity callable there."""

    def __call__(self, value: Any) -> Any:
        return value


def _add_edge(
    graph: Graph, source: str, target: str, *, data: Any = None, conditional: bool = False
) -> None:
    for edge in graph.edges:
        if edge.source == source and edge.target == target:
            return
    if target not in graph.nodes and target == END:
        graph.add_node(None, END)
    graph.add_edge(graph.nodes[source], graph.nodes[target], data, conditional)
