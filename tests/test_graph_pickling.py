"""Compiled graphs survive pickling (cloudpickle, as a cluster ships them): a graph pickled
before or after it ran gives what the original gives. Caches built on first use (topology,
planned writes, id-keyed maps) are rebuilt where the graph lands, and the engine's
sentinels stay the objects its `is` checks compare with."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

cloudpickle = pytest.importorskip("cloudpickle", reason="the [dask] extra is not installed")

from langgraph_jit.channels import LastValue  # noqa: E402
from langgraph_jit.graph import END, START, MessagesState, StateGraph  # noqa: E402
from langgraph_jit.pregel import NodeBuilder, Pregel  # noqa: E402
from langgraph_jit.types import Command, RetryPolicy, Send  # noqa: E402


class Fan(TypedDict):
    n: int
    log: Annotated[list, operator.add]
    total: Annotated[float, operator.add]


class Model(BaseModel):
    x: int = 0
    y: list[int] = []


def fan_graph() -> Any:
    b = StateGraph(Fan)
    b.add_node("fan", lambda s: {})
    b.add_node("w", lambda p: {"log": [p["i"]], "total": 0.5}, retry_policy=RetryPolicy())
    b.add_conditional_edges("fan", lambda s: [Send("w", {"i": i}) for i in range(s["n"])])
    b.add_edge(START, "fan")
    return b.compile(), {"n": 40, "log": [], "total": 0.0}


def command_graph() -> Any:
    b = StateGraph(Model)
    b.add_node("a", lambda s: {"x": s.x + 1})
    b.add_node("b", lambda s: Command(goto=END, update={"y": [s.x]}))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    return b.compile(), {"x": 1}


def subgraph_graph() -> Any:
    sub = StateGraph(MessagesState)
    sub.add_node("s", lambda s: {"messages": [("ai", "hi")]})
    sub.add_edge(START, "s")
    outer = StateGraph(MessagesState)
    outer.add_node("sub", sub.compile())
    outer.add_edge(START, "sub")
    return outer.compile(), {"messages": [("user", "yo")]}


def pregel_chain() -> Any:
    nodes = {
        f"n{i}": NodeBuilder().subscribe_only(f"c{i}").do(lambda x: x + 1).write_to(f"c{i + 1}")
        for i in range(5)
    }
    channels = {f"c{i}": LastValue(int) for i in range(6)}
    return Pregel(nodes=nodes, channels=channels, input_channels="c0", output_channels="c5"), 1


def _seen(out: Any) -> Any:
    # Message ids are random per run: compare what else a user sees.
    if isinstance(out, dict) and "messages" in out:
        return [(type(m).__name__, m.content) for m in out["messages"]]
    return out


@pytest.mark.parametrize("build", [fan_graph, command_graph, subgraph_graph, pregel_chain])
@pytest.mark.parametrize("after_a_run", [False, True])
def test_a_pickled_graph_runs_as_the_original(build, after_a_run):
    app, inp = build()
    expected = _seen(app.invoke(inp))
    if not after_a_run:
        app, inp = build()
    shipped = cloudpickle.loads(cloudpickle.dumps(app))
    assert _seen(shipped.invoke(inp)) == expected
    assert _seen(shipped.invoke(inp)) == expected  # and again, with its caches rebuilt
