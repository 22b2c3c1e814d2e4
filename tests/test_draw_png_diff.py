"""draw_png() and draw_mermaid_png() errors, compared with LangGraph.

LangGraph draws PNGs with pygraphviz and raises ImportError without it; we render with a
local Graphviz (pygraphviz, else its `dot` program) and raise the same ImportError with
neither. draw_mermaid_png() never goes to the network here: its error without a local
mermaid renderer is a ValueError, as LangGraph's when its web renderer is unreachable.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from typing import Any

import pytest
from typing_extensions import TypedDict


class State(TypedDict):
    n: int


def _graph(pkg: str) -> Any:
    g = importlib.import_module(f"{pkg}.graph")
    b = g.StateGraph(State)
    b.add_node("a", lambda s: s)
    b.add_node("b", lambda s: s)
    b.add_edge(g.START, "a")
    b.add_conditional_edges("a", lambda s: "b" if s["n"] else g.END, ["b", g.END])
    b.add_edge("b", g.END)
    return b.compile().get_graph()


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import raises ImportError
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)


def test_draw_png_without_graphviz_is_an_import_error_on_both(no_renderer):
    errors = []
    for pkg in ("langgraph", "langgraph_jit"):
        with pytest.raises(ImportError) as info:
            _graph(pkg).draw_png()
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1]) is ImportError
    assert "pygraphviz" in str(errors[1])


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot program is not installed here"
)
def test_draw_png_with_dot(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # the `dot` program path
    graph = _graph("langgraph_jit")
    png = graph.draw_png()
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")
    out = tmp_path / "g.png"
    assert graph.draw_png(str(out), fontname="Helvetica", labels={"nodes": {"a": "A!"}}) is None
    assert out.read_bytes().startswith(b"\x89PNG")


def test_dot_text():
    from langgraph_jit._drawing.dot import to_dot

    graph = _graph("langgraph_jit")
    text = to_dot([(n.id, n.name) for n in graph.nodes.values()], graph.edges, "Courier")
    assert text.startswith("digraph {")
    assert '"__start__" [label="__start__" shape=oval];' in text
    assert '"a" [label="a" shape=box];' in text
    assert '"a" -> "b" [style=dashed];' in text
    assert '"__start__" -> "a";' in text
    assert 'fontname="Courier"' in text


def test_mermaid_png_offline_error_is_a_value_error(monkeypatch):
    monkeypatch.setenv("PATH", "")  # no local mermaid CLI
    with pytest.raises(ValueError, match="offline"):
        _graph("langgraph_jit").draw_mermaid_png()
