"""A drawable graph as Graphviz DOT text, and its PNG from a local Graphviz.

`draw_png()` renders through pygraphviz when it is installed (what LangGraph uses), else
through Graphviz's `dot` program; with neither it raises ImportError, as LangGraph does
without pygraphviz. Nothing is sent over the network.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

START_END = ("__start__", "__end__")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(nodes: Iterable[tuple[str, str]], edges: Iterable[Any], fontname: str | None) -> str:
    """DOT for (id, label) nodes and edges with .source, .target, .data, .conditional:
    start and end as ovals like LangGraph's pictures, conditional edges dashed."""
    font = f" fontname={_quote(fontname)}" if fontname else ""
    lines = ["digraph {", f"  graph [{font.strip() or 'rankdir=TB'}];"]
    if font:
        lines.append(f"  node [{font.strip()}]; edge [{font.strip()}];")
    for node_id, label in nodes:
        shape = "oval" if node_id in START_END else "box"
        lines.append(f"  {_quote(node_id)} [label={_quote(label)} shape={shape}];")
    for edge in edges:
        attrs = []
        if edge.data is not None:
            attrs.append(f"label={_quote(str(edge.data))}")
        if edge.conditional:
            attrs.append("style=dashed")
        suffix = f" [{' '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


NO_RENDERER = (
    "Install pygraphviz to draw graphs: `pip install pygraphviz` (or install Graphviz so "
    "that its `dot` program is on PATH)."
)


def render_png(dot: str, output_file_path: str | None) -> bytes | None:
    """PNG bytes of `dot` (None when written to `output_file_path`)."""
    png = _with_pygraphviz(dot)
    if png is None:
        program = shutil.which("dot")
        if program is None:
            raise ImportError(NO_RENDERER)
        png = subprocess.run(
            [program, "-Tpng"], input=dot.encode(), capture_output=True, check=True
        ).stdout
    if output_file_path is None:
        return png
    Path(output_file_path).write_bytes(png)
    return None


def _with_pygraphviz(dot: str) -> bytes | None:
    try:
        import pygraphviz  # type: ignore[import-not-found]
    except ImportError:
        return None
    graph = pygraphviz.AGraph(string=dot)
    graph.layout(prog="dot")
    return graph.draw(format="png")
