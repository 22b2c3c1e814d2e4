"""Wide fan-outs (many Send packets, many writes a step) give what LangGraph gives.

The paths these exercise group a step's writes in C (pregel/_core/write_groups.py), turn a
router's list of Sends into writes in one pass (graph/_branch.py) and append many packets
to the tasks Topic at once (channels/topic.py).
"""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import langgraph.channels.topic as lg_topic
import langgraph.graph as lg_graph
import langgraph.types as lg_types
import pytest

import langgraph_jit.channels.topic as jit_topic
import langgraph_jit.graph as jit_graph
import langgraph_jit.types as jit_types

ENGINES = [(lg_graph, lg_types), (jit_graph, jit_types)]


class State(TypedDict, total=False):
    n: int
    log: Annotated[list, operator.add]
    total: Annotated[float, operator.add]
    count: Annotated[int, operator.add]
    last: str


def _run(g, t, route, work, n=20):
    b = g.StateGraph(State)
    b.add_node("start", lambda s: {})
    b.add_node("work", work)
    b.add_node("other", lambda s: {"log": ["other"]})
    b.add_edge(g.START, "start")
    b.add_conditional_edges("start", lambda s: route(t, s), ["work", "other", g.END])
    graph = b.compile()
    try:
        return ("ok", graph.invoke({"n": n}))
    except Exception as exc:  # compared by type and message
        return ("error", type(exc).__name__, str(exc))


def _both(route, work, n=20):
    return [_run(g, t, route, work, n) for g, t in ENGINES]


def _same_keys(s):
    x = s["x"]
    return {"log": [x], "total": x * 0.5, "count": 1}


def _varying_keys(s):
    x = s["x"]
    if x % 3 == 0:
        return {"log": [x], "count": 1}
    if x % 3 == 1:
        return {"total": float(x), "log": [-x]}
    return {"count": 2, "last": str(x)}


@pytest.mark.parametrize("n", [5, 9, 40, 300])
@pytest.mark.parametrize("work", [_same_keys, _varying_keys])
def test_fanout_values(n, work):
    def route(t, s):
        return [t.Send("work", {"x": i}) for i in range(s["n"])]

    lg, ours = _both(route, work, n)
    assert ours == lg


def test_sends_with_node_names():
    def route(t, s):
        return [t.Send("work", {"x": i}) for i in range(12)] + ["other"]

    lg, ours = _both(route, _same_keys)
    assert ours == lg


def test_send_to_end_raises_as_langgraph():
    def route(t, s):
        out = [t.Send("work", {"x": i}) for i in range(12)]
        out.append(t.Send("__end__", {"x": 0}))
        return out

    lg, ours = _both(route, _same_keys)
    assert lg[0] == "error"
    assert ours == lg


def test_sends_as_tuple():
    def route(t, s):
        return tuple(t.Send("work", {"x": i}) for i in range(15))

    lg, ours = _both(route, _same_keys)
    assert ours == lg


@pytest.mark.parametrize("accumulate", [False, True])
def test_topic_many_values(accumulate):
    writes = [1, [2, 3], 4, [], 5, 6, 7, 8, 9, [10], 11, 12]
    plain = list(range(20))
    for values in (writes, plain, [[1], [2]] * 6):
        ours = jit_topic.Topic(int, accumulate=accumulate)
        theirs = lg_topic.Topic(int, accumulate=accumulate)
        for _ in range(2):
            assert ours.update(list(values)) == theirs.update(list(values))
            assert ours.get() == theirs.get()


def test_sends_to_two_nodes():
    def route(t, s):
        return [t.Send("work" if i % 2 else "other", {"x": i}) for i in range(14)]

    lg, ours = _both(route, _same_keys)
    assert ours == lg
