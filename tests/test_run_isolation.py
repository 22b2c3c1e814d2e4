"""Runs of one compiled graph share its topology, specs and caches; nothing a
run writes may reach another run, sequential or concurrent."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph_jit.graph import END, START, StateGraph
from langgraph_jit.types import Send


class State(TypedDict, total=False):
    x: int
    log: Annotated[list, operator.add]
    fan: Annotated[list, operator.add]


def _graph():
    def a(s):
        return {"x": s.get("x", 0) + 1, "log": ["a"]}

    def b(s):
        return {"log": ["b"]}

    def c(s):
        return {"log": ["c"]}

    def join(s):
        return {"log": [f"join:{s['x']}"]}

    def work(s):
        return {"fan": [s["i"]]}

    def route(s):
        return [Send("work", {"i": i}) for i in range(s["x"])]

    builder = StateGraph(State)
    for name, fn in (("a", a), ("b", b), ("c", c), ("join", join), ("work", work)):
        builder.add_node(name, fn)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("a", "c")
    builder.add_edge(["b", "c"], "join")  # a barrier channel
    builder.add_conditional_edges("join", route, ["work"])  # Topic of sends
    builder.add_edge("work", END)
    return builder.compile()


def _expected(x):
    return {"x": x + 1, "log": ["a", "b", "c", f"join:{x + 1}"], "fan": list(range(x + 1))}


def test_consecutive_runs_do_not_share_written_channels():
    graph = _graph()
    for x in (0, 3, 1, 5):
        assert graph.invoke({"x": x}) == _expected(x)
    # The graph's channel specs never hold a run's values.
    assert not any(
        spec.is_available()
        for spec in graph.channels.values()
        if hasattr(spec, "is_available") and type(spec).__name__ != "BinaryOperatorAggregate"
    )


def test_concurrent_runs_are_isolated():
    graph = _graph()
    inputs = [{"x": x} for x in range(12)]
    assert graph.batch(inputs) == [_expected(x) for x in range(12)]
    assert graph.invoke({"x": 2}) == _expected(2)


def test_node_mutating_its_input_does_not_reach_the_next_run():
    class S(TypedDict, total=False):
        items: list
        log: Annotated[list, operator.add]

    def grab(s):
        s.setdefault("items", []).append("leak")  # mutates the node's input
        s.get("log", []).append("leak")
        return {"log": ["grab"]}

    builder = StateGraph(S)
    builder.add_node("grab", grab)
    builder.add_edge(START, "grab")
    graph = builder.compile()
    first = graph.invoke({})
    second = graph.invoke({})
    # LangGraph 1.2.22 returns this too: the mutation stays in its own run.
    assert first == second == {"log": ["leak", "grab"]}
