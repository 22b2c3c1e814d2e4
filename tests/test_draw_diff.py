"""get_graph() drawings vs real LangGraph: same mermaid text, nodes, edges and
to_json for the same StateGraph; ASCII/SVG/Jupyter display work offline."""

from __future__ import annotations

import json
import operator
import socket
import subprocess
import sys
from typing import Annotated, Literal

import langgraph.graph as lg_graph
import langgraph.types as lg_types
import pytest
from typing_extensions import TypedDict

import langgraph_jit.graph as jit_graph
import langgraph_jit.types as jit_types

IMPLS = {"lg": (lg_graph, lg_types), "jit": (jit_graph, jit_types)}


class S(TypedDict):
    x: int
    items: Annotated[list, operator.add]


def a(s):
    return {}


def b(s):
    return {}


def c(s):
    return {}


def d(s):
    return {}


def route_literal(s) -> Literal["b", "c", "__end__"]:
    return "b"


# Each case builds a graph with one implementation and returns (compiled, get_graph kwargs).
def chain(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_edge(G.START, "a").add_edge("a", "b")
    return g.compile(), {}


def sequence_finish(G, T):
    g = G.StateGraph(S)
    g.add_sequence([a, b, c]).set_entry_point("a").set_finish_point("c")
    return g.compile(), {}


def branch_unknown_targets(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_edge(G.START, "a")
    g.add_conditional_edges("a", lambda s: "b")
    return g.compile(), {}


def branch_path_map(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_node("c", c).add_edge(G.START, "a")
    g.add_conditional_edges("a", lambda s: "yes", {"yes": "b", "no": "c", "stop": G.END})
    g.add_edge("b", "c")
    return g.compile(), {}


def branch_path_list(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_node("c", c).add_edge(G.START, "a")
    g.add_conditional_edges("a", lambda s: "b", ["b", "c"])
    g.add_edge("b", G.END)
    return g.compile(), {}


def branch_literal(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_node("c", c).add_edge(G.START, "a")
    g.add_conditional_edges("a", route_literal)
    return g.compile(), {}


def loop_with_label(G, T):
    g = G.StateGraph(S)
    g.add_node("agent", a).add_node("tools", b).add_edge(G.START, "agent")
    g.add_conditional_edges("agent", lambda s: "end", {"continue": "tools", "end": G.END})
    g.add_edge("tools", "agent")
    return g.compile(), {}


def conditional_entry(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b)
    g.set_conditional_entry_point(lambda s: "a", {"left": "a", "right": "b"})
    return g.compile(), {}


def send_fanout(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_edge(G.START, "a")
    g.add_conditional_edges("a", lambda s: [T.Send("b", s)], ["b"])
    g.add_edge("b", G.END)
    return g.compile(), {}


def send_fanout_unmapped(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_node("c", c).add_edge(G.START, "a")
    g.add_conditional_edges("a", lambda s: [T.Send("b", s)])
    g.add_edge("b", "c")
    return g.compile(), {}


def goer_lg(s) -> lg_types.Command[Literal["b", "c"]]:
    return lg_types.Command(goto="b")


def goer_jit(s) -> jit_types.Command[Literal["b", "c"]]:
    return jit_types.Command(goto="b")


def command_destinations(G, T):
    # The return annotation names each implementation's own Command.
    goer = goer_lg if T is lg_types else goer_jit
    g = G.StateGraph(S)
    g.add_node("a", goer).add_node("b", b).add_node(
        "c", c, destinations={"b": "back", G.END: "done"}
    )
    g.add_edge(G.START, "a")
    return g.compile(), {}


def command_destinations_tuple(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a, destinations=("b", "c")).add_node("b", b).add_node("c", c)
    g.add_edge(G.START, "a").add_edge("b", G.END)
    return g.compile(), {}


def join(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b).add_node("c", c).add_node("d", d)
    g.add_edge(G.START, "a").add_edge(G.START, "b").add_edge(["a", "b"], "c").add_edge("c", "d")
    return g.compile(), {}


def defer_and_interrupts(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("b", b, metadata={"team": "x", "tags": ["p", "q"]})
    g.add_node("c", c, defer=True)
    g.add_edge(G.START, "a").add_edge(G.START, "b").add_edge("a", "c").add_edge("b", "c")
    return g.compile(interrupt_before=["b"], interrupt_after=["b", "c"]), {}


def special_names(G, T):
    g = G.StateGraph(S)
    g.add_node("my node (1)", a).add_node("_b_", b)
    g.add_edge(G.START, "my node (1)").add_edge("my node (1)", "_b_")
    return g.compile(), {}


def _sub(G, inner=("p", "q")):
    sub = G.StateGraph(S)
    sub.add_node(inner[0], a).add_node(inner[1], b)
    sub.add_edge(G.START, inner[0]).add_edge(inner[0], inner[1])
    return sub.compile()


def subgraph_plain(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("sub", _sub(G)).add_edge(G.START, "a").add_edge("a", "sub")
    g.add_edge("sub", G.END)
    return g.compile(), {}


def subgraph_xray(G, T):
    g = G.StateGraph(S)
    g.add_node("a", a).add_node("sub", _sub(G)).add_edge(G.START, "a").add_edge("a", "sub")
    g.add_edge("sub", G.END)
    return g.compile(), {"xray": True}


def subgraph_nested_xray(G, T):
    mid = G.StateGraph(S)
    mid.add_node("m", a).add_node("inner", _sub(G, ("r", "s")))
    mid.add_edge(G.START, "m").add_edge("m", "inner")
    outer = G.StateGraph(S)
    outer.add_node("a", a).add_node("mid", mid.compile())
    outer.add_edge(G.START, "a").add_edge("a", "mid")
    return outer.compile(), {"xray": True}


def subgraph_xray_depth_1(G, T):
    compiled, _ = subgraph_nested_xray(G, T)
    return compiled, {"xray": 1}


def subgraph_branching(G, T):
    sub = G.StateGraph(S)
    sub.add_node("p", a).add_node("q", b).add_node("r", c).add_edge(G.START, "p")
    sub.add_conditional_edges("p", lambda s: "q", {"go": "q", "alt": "r"})
    g = G.StateGraph(S)
    g.add_node("sub", sub.compile()).add_node("z", d).add_edge(G.START, "sub").add_edge("sub", "z")
    return g.compile(), {"xray": True}


CASES = [
    chain,
    sequence_finish,
    branch_unknown_targets,
    branch_path_map,
    branch_path_list,
    branch_literal,
    loop_with_label,
    conditional_entry,
    send_fanout,
    send_fanout_unmapped,
    command_destinations,
    command_destinations_tuple,
    join,
    defer_and_interrupts,
    special_names,
    subgraph_plain,
    subgraph_xray,
    subgraph_nested_xray,
    subgraph_xray_depth_1,
    subgraph_branching,
]


def _drawn(case, impl):
    G, T = IMPLS[impl]
    compiled, kwargs = case(G, T)
    return compiled.get_graph(**kwargs)


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_mermaid_matches_langgraph(case):
    ours, theirs = _drawn(case, "jit"), _drawn(case, "lg")
    assert ours.draw_mermaid() == theirs.draw_mermaid()
    assert ours.draw_mermaid(with_styles=False) == theirs.draw_mermaid(with_styles=False)
    kw = dict(wrap_label_n_words=1, frontmatter_config={"config": {"theme": "neutral"}})
    assert ours.draw_mermaid(**kw) == theirs.draw_mermaid(**kw)


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_nodes_edges_json_match_langgraph(case):
    ours, theirs = _drawn(case, "jit"), _drawn(case, "lg")
    assert [(n.id, n.name, n.metadata) for n in ours.nodes.values()] == [
        (n.id, n.name, n.metadata) for n in theirs.nodes.values()
    ]
    assert [tuple(e) for e in ours.edges] == [tuple(e) for e in theirs.edges]
    assert json.dumps(ours.to_json()) == json.dumps(theirs.to_json())
    first, last = ours.first_node(), ours.last_node()
    assert (first and first.id) == (theirs.first_node() and theirs.first_node().id)
    assert (last and last.id) == (theirs.last_node() and theirs.last_node().id)


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_ascii_and_svg_show_every_node(case):
    graph = _drawn(case, "jit")
    art = graph.draw_ascii()
    svg = graph.draw_svg()
    for node in graph.nodes.values():
        assert node.name in art
    import xml.etree.ElementTree as ET

    ET.fromstring(svg)  # well-formed, so a notebook renders it
    assert svg.count('class="node"') == len(graph.nodes)
    assert svg.count("marker-end=") == len(graph.edges)


def test_command_annotation_case_declares_destinations():
    edges = {(e.source, e.target) for e in _drawn(command_destinations, "jit").edges}
    assert {("a", "b"), ("a", "c"), ("c", "b"), ("c", "__end__")} <= edges


def test_ascii_shows_every_edge():
    graph = _drawn(loop_with_label, "jit")
    art = graph.draw_ascii()
    # The back edge tools -> agent is not drawn downwards, so it is listed.
    assert "tools ---> agent" in art
    assert "+-------+" in art and "| agent |" in art


def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("drawing tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_drawing_makes_no_network_call(monkeypatch):
    from langgraph_jit._drawing.graph import OfflineRenderingError

    _no_network(monkeypatch)
    monkeypatch.setenv("PATH", "")  # no local mermaid CLI either
    compiled, _ = subgraph_branching(jit_graph, jit_types)
    graph = compiled.get_graph(xray=True)
    graph.draw_mermaid()
    graph.draw_ascii()
    bundle = graph._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")
    assert bundle["text/markdown"].startswith("```mermaid\n")
    assert graph._repr_markdown_().startswith("```mermaid")
    with pytest.raises(OfflineRenderingError, match="offline"):
        graph.draw_mermaid_png()
    from langgraph_jit.pregel._draw import pregel_mimebundle

    assert "image/svg+xml" in pregel_mimebundle(compiled)


def test_low_level_pregel_matches_langgraph():
    from langgraph.channels import LastValue as LgLastValue
    from langgraph.pregel import NodeBuilder as LgNodeBuilder
    from langgraph.pregel import Pregel as LgPregel

    from langgraph_jit.channels import LastValue as JitLastValue
    from langgraph_jit.pregel import NodeBuilder as JitNodeBuilder
    from langgraph_jit.pregel import Pregel as JitPregel
    from langgraph_jit.pregel._draw import draw_pregel

    def build(NB, LV, P):
        one = NB().subscribe_only("a").do(lambda x: x).write_to("b")
        two = NB().subscribe_only("b").do(lambda x: x).write_to("c")
        three = NB().subscribe_to("b", "c").do(lambda x: x).write_to("d")
        return P(
            nodes={"one": one, "two": two, "three": three},
            channels={k: LV(object) for k in "abcd"},
            input_channels="a",
            output_channels="d",
        )

    theirs = build(LgNodeBuilder, LgLastValue, LgPregel).get_graph()
    ours = draw_pregel(build(JitNodeBuilder, JitLastValue, JitPregel))
    assert ours.draw_mermaid() == theirs.draw_mermaid()
    assert [tuple(e) for e in ours.edges] == [tuple(e) for e in theirs.edges]
    assert json.dumps(ours.to_json()) == json.dumps(theirs.to_json())


def test_drawing_needs_no_langchain_core():
    code = (
        "import sys\n"
        "from langgraph_jit.graph import StateGraph, START\n"
        "from typing_extensions import TypedDict\n"
        "class S(TypedDict):\n    x: int\n"
        "g = StateGraph(S); g.add_node('a', lambda s: {}); g.add_edge(START, 'a')\n"
        "gr = g.compile().get_graph()\n"
        "gr.draw_mermaid(); gr.draw_ascii(); gr.to_json(); gr._repr_mimebundle_()\n"
        "assert 'langchain_core' not in sys.modules, 'langchain_core imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
