"""The drawable graph `get_graph()` returns: nodes by id, edges in order.

Its surface follows langchain_core's `Graph` (nodes, edges, to_json,
draw_mermaid, draw_ascii) so code written against LangGraph keeps working.
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from langgraph_jit._drawing.dot import render_png, to_dot


class Edge(NamedTuple):
    source: str
    target: str
    data: Any = None
    conditional: bool = False

    def copy(self, *, source: str | None = None, target: str | None = None) -> Edge:
        return Edge(source or self.source, target or self.target, self.data, self.conditional)


class Node(NamedTuple):
    id: str
    name: str
    data: Any
    metadata: dict[str, Any] | None

    def copy(self, *, id: str | None = None, name: str | None = None) -> Node:
        return Node(id or self.id, name or self.name, self.data, self.metadata)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _data_name(id_: str, data: Any) -> str:
    # Only anonymous (uuid) nodes are named after what they hold.
    if data is None or not _is_uuid(id_):
        return id_
    name = (
        data.get_name()
        if hasattr(data, "get_name")
        else getattr(data, "__name__", type(data).__name__)
    )
    return name[8:] if name.startswith("Runnable") else name


# Our classes stand in for LangGraph's in serialised ids, so a consumer of
# to_json() (LangGraph Studio, snapshot tests) sees the paths it knows.
_RUNNABLE_CALLABLE = ["langgraph", "_internal", "_runnable", "RunnableCallable"]
_LANGGRAPH_CLASS_PATHS = {
    "CompiledStateGraph": ["langgraph", "graph", "state", "CompiledStateGraph"],
    "Pregel": ["langgraph", "pregel", "main", "Pregel"],
}


def _public_module(module: str) -> list[str]:
    """A module path as LangGraph's: ours mirror its paths (prebuilt.tool_node...)."""
    parts = module.split(".")
    if parts[0] == "langgraph_jit":
        parts[0] = "langgraph"
    return parts


def _serialised_id(data: Any) -> list[str]:
    cls = type(data)
    if cls.__module__.startswith("langgraph_jit"):
        for klass in cls.__mro__:
            if klass.__name__ in _LANGGRAPH_CLASS_PATHS and klass.__module__.startswith(
                "langgraph_jit"
            ):
                return list(_LANGGRAPH_CLASS_PATHS[klass.__name__])
    lc_id = getattr(data, "lc_id", None)
    if callable(lc_id) and getattr(cls, "is_lc_serializable", None) is not None:
        try:
            return list(lc_id())
        except Exception:
            pass
    if hasattr(data, "invoke") and not inspect.isfunction(data) and not inspect.ismethod(data):
        if hasattr(data, "__name__"):
            return [*_public_module(data.__module__), data.__name__]
        return [*_public_module(cls.__module__), cls.__name__]
    # Plain callables: LangGraph wraps them, and reports the wrapper.
    return list(_RUNNABLE_CALLABLE)


def _node_json(node: Node) -> dict[str, Any]:
    data = node.data
    if data is None:
        out: dict[str, Any] = {}
    elif inspect.isclass(data):
        out = {"type": "schema", "data": _data_name(node.id, data)}
    else:
        out = {
            "type": "runnable",
            "data": {"id": _serialised_id(data), "name": _data_name(node.id, data)},
        }
    if node.metadata is not None:
        out["metadata"] = node.metadata
    return out


@dataclass
class Graph:
    """Nodes (id -> Node) and edges (a list of Edge) of a drawn graph."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes)

    # -- building -------------------------------------------------------------

    def next_id(self) -> str:
        return uuid.uuid4().hex

    def add_node(
        self, data: Any, id: str | None = None, *, metadata: dict[str, Any] | None = None
    ) -> Node:
        if id is not None and id in self.nodes:
            raise ValueError(f"Node with id {id} already exists")
        id_ = id or self.next_id()
        node = Node(id_, _data_name(id_, data), data, metadata)
        self.nodes[id_] = node
        return node

    def remove_node(self, node: Node) -> None:
        self.nodes.pop(node.id)
        self.edges = [e for e in self.edges if node.id not in (e.source, e.target)]

    def add_edge(
        self, source: Node, target: Node, data: Any = None, conditional: bool = False
    ) -> Edge:
        for end, label in ((source, "Source"), (target, "Target")):
            if end.id not in self.nodes:
                raise ValueError(f"{label} node {end.id} not in graph")
        edge = Edge(source.id, target.id, data, conditional)
        self.edges.append(edge)
        return edge

    def extend(self, graph: Graph, *, prefix: str = "") -> tuple[Node | None, Node | None]:
        """Copy in another graph's nodes and edges, ids prefixed `prefix:`."""
        if all(_is_uuid(n.id) for n in graph.nodes.values()):
            prefix = ""

        def pid(id_: str) -> str:
            return f"{prefix}:{id_}" if prefix else id_

        self.nodes.update({pid(k): v.copy(id=pid(k)) for k, v in graph.nodes.items()})
        self.edges.extend(e.copy(source=pid(e.source), target=pid(e.target)) for e in graph.edges)
        first, last = graph.first_node(), graph.last_node()
        return (
            first.copy(id=pid(first.id)) if first else None,
            last.copy(id=pid(last.id)) if last else None,
        )

    def reid(self) -> Graph:
        """Anonymous (uuid) nodes renamed after their names, numbered when shared."""
        by_name: dict[str, list[str]] = defaultdict(list)
        for node in self.nodes.values():
            by_name[node.name].append(node.id)
        labels = {
            nid: name if len(ids) == 1 else f"{name}_{i + 1}"
            for name, ids in by_name.items()
            for i, nid in enumerate(ids)
        }

        def new_id(nid: str) -> str:
            return labels[nid] if _is_uuid(nid) else nid

        return Graph(
            nodes={new_id(k): n.copy(id=new_id(k)) for k, n in self.nodes.items()},
            edges=[e.copy(source=new_id(e.source), target=new_id(e.target)) for e in self.edges],
        )

    def first_node(self) -> Node | None:
        """The only node no edge enters, if there is exactly one."""
        return _sole_node(self, "target")

    def last_node(self) -> Node | None:
        """The only node no edge leaves, if there is exactly one."""
        return _sole_node(self, "source")

    def trim_first_node(self) -> None:
        first = self.first_node()
        if (
            first
            and _sole_node(self, "target", exclude=(first.id,))
            and len({e for e in self.edges if e.source == first.id}) == 1
        ):
            self.remove_node(first)

    def trim_last_node(self) -> None:
        last = self.last_node()
        if (
            last
            and _sole_node(self, "source", exclude=(last.id,))
            and len({e for e in self.edges if e.target == last.id}) == 1
        ):
            self.remove_node(last)

    # -- output ---------------------------------------------------------------

    def to_json(self, *, with_schemas: bool = False) -> dict[str, list[dict[str, Any]]]:
        ids = {n.id: i if _is_uuid(n.id) else n.id for i, n in enumerate(self.nodes.values())}
        edges = []
        for e in self.edges:
            item: dict[str, Any] = {"source": ids[e.source], "target": ids[e.target]}
            if e.data is not None:
                item["data"] = e.data
            if e.conditional:
                item["conditional"] = True
            edges.append(item)
        return {
            "nodes": [{"id": ids[n.id], **_node_json(n)} for n in self.nodes.values()],
            "edges": edges,
        }

    def draw_mermaid(
        self,
        *,
        with_styles: bool = True,
        curve_style: Any = "linear",
        node_colors: Any = None,
        wrap_label_n_words: int = 9,
        frontmatter_config: dict[str, Any] | None = None,
    ) -> str:
        from langgraph_jit._drawing.mermaid import render_mermaid

        graph = self.reid()
        first, last = graph.first_node(), graph.last_node()
        return render_mermaid(
            graph.nodes,
            graph.edges,
            first=first.id if first else None,
            last=last.id if last else None,
            with_styles=with_styles,
            curve=getattr(curve_style, "value", curve_style),
            node_colors=node_colors,
            wrap_label_n_words=wrap_label_n_words,
            frontmatter_config=frontmatter_config,
        )

    def draw_ascii(self) -> str:
        from langgraph_jit._drawing.layout import render_ascii

        return render_ascii({n.id: n.name for n in self.nodes.values()}, self.edges)

    def print_ascii(self) -> None:
        print(self.draw_ascii())

    def draw_svg(self, output_file_path: str | None = None) -> str:
        """An SVG picture made here, in pure Python (no renderer, no network)."""
        from langgraph_jit._drawing.layout import render_svg

        g = self.reid()
        first, last = g.first_node(), g.last_node()
        svg = render_svg(
            {n.id: n.name.split(":")[-1] for n in g.nodes.values()},
            g.edges,
            first=first.id if first else None,
            last=last.id if last else None,
        )
        if output_file_path is not None:
            Path(output_file_path).write_text(svg, encoding="utf-8")
        return svg

    def draw_mermaid_png(
        self,
        *,
        curve_style: Any = "linear",
        node_colors: Any = None,
        wrap_label_n_words: int = 9,
        output_file_path: str | None = None,
        draw_method: Any = None,
        background_color: str = "white",
        padding: int = 10,
        frontmatter_config: dict[str, Any] | None = None,
        **_ignored: Any,
    ) -> bytes:
        """PNG via a locally installed mermaid CLI (`mmdc`); never over the network."""
        text = self.draw_mermaid(
            curve_style=curve_style,
            node_colors=node_colors,
            wrap_label_n_words=wrap_label_n_words,
            frontmatter_config=frontmatter_config,
        )
        return render_png_locally(text, output_file_path, background_color, padding)

    def draw_png(
        self, output_file_path: str | None = None, fontname: str | None = None, labels: Any = None
    ) -> bytes | None:
        """PNG through a local Graphviz (pygraphviz, else the `dot` program); ImportError
        without either. Returns the bytes, or None when written to `output_file_path`.
        `labels` maps node ids to labels ({"nodes": {...}} as LangGraph takes it)."""
        names = (labels or {}).get("nodes", {}) if isinstance(labels, dict) else {}
        nodes = [(n.id, names.get(n.id, n.name)) for n in self.nodes.values()]
        return render_png(to_dot(nodes, self.edges, fontname), output_file_path)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        # A picture made here, plus the mermaid source; nothing leaves the machine.
        mermaid = self.draw_mermaid()
        return {
            "text/plain": f"<Graph: {len(self.nodes)} nodes, {len(self.edges)} edges>",
            "image/svg+xml": self.draw_svg(),
            "text/markdown": f"```mermaid\n{mermaid}```\n",
        }

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.draw_mermaid()}```\n"


def _sole_node(graph: Graph, end: str, exclude: Sequence[str] = ()) -> Node | None:
    # end="target": nodes no kept edge points at; end="source": nodes no kept edge leaves.
    other = "source" if end == "target" else "target"
    touched = {getattr(e, end) for e in graph.edges if getattr(e, other) not in exclude}
    found = [n for n in graph.nodes.values() if n.id not in exclude and n.id not in touched]
    return found[0] if len(found) == 1 else None


class OfflineRenderingError(RuntimeError, ValueError):
    """PNG rendering needs a local renderer; langgraph_jit never calls a web service. A
    ValueError too: what LangGraph raises when its web renderer cannot be reached, so code
    catching that keeps working."""


def render_png_locally(
    mermaid: str, output_file_path: str | None, background_color: str = "white", padding: int = 10
) -> bytes:
    mmdc = shutil.which("mmdc")
    if mmdc is None:
        raise OfflineRenderingError(
            "draw_mermaid_png() renders offline only and no local mermaid renderer was found "
            "(install the mermaid CLI so that `mmdc` is on PATH). langgraph_jit never sends a "
            "graph to a web service. Alternatives that need nothing: draw_svg(), draw_mermaid(), "
            "draw_ascii()."
        )
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "graph.mmd"), Path(tmp, "graph.png")
        src.write_text(mermaid, encoding="utf-8")
        subprocess.run(
            [mmdc, "-i", str(src), "-o", str(out), "-b", background_color, "-q"],
            check=True,
            capture_output=True,
        )
        png = out.read_bytes()
    if output_file_path is not None:
        Path(output_file_path).write_bytes(png)
    return png
