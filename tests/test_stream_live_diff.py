"""Chunks that a node's calls produce reach the caller while the node still runs, on both
engines: tokens of a chat model the node calls, a subgraph's chunks, a `@task` call's
update, `push_message`, custom writes. Each node waits, after the call, until the caller
has seen the chunk (an event the consumer sets), so "live" is checked without timing;
a chunk held back until the node returns shows as the node timing out on its wait.

langgraph_jit runs a step's only task on the caller's thread when nothing it calls can
stream before it returns (see pregel._drive._runs_quietly); these tests pin that the
nodes that can stream are not run so.
"""

from __future__ import annotations

import importlib
import operator
import threading
import warnings
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")
WAIT_S = 5.0

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


class State(TypedDict):
    items: Annotated[list, operator.add]


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _consume(stream: Any, seen_live: threading.Event, is_live: Any) -> list[str]:
    """Read every chunk; set `seen_live` at the first one `is_live` picks."""
    kinds = []
    for chunk in stream:
        if not seen_live.is_set() and is_live(chunk):
            seen_live.set()
        kinds.append(chunk[1] if isinstance(chunk, tuple) and len(chunk) == 3 else "")
    return kinds


def _waits(seen_live: threading.Event) -> dict[str, Any]:
    """What the node returns: whether the caller had seen the chunk in time."""
    return {"items": ["live" if seen_live.wait(WAIT_S) else "late"]}


def _chat_model_graph(pkg: str, seen_live: threading.Event) -> Any:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    graph = _mod(pkg, "graph")
    model = GenericFakeChatModel(messages=iter([AIMessage(content="one two three")]))

    def ask(state: State) -> dict[str, Any]:
        model.invoke("hi")
        return _waits(seen_live)

    builder = graph.StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(graph.START, "ask")
    return builder.compile()


def _subgraph_graph(pkg: str, seen_live: threading.Event) -> Any:
    graph = _mod(pkg, "graph")
    inner = graph.StateGraph(State)
    inner.add_node("work", lambda s: {"items": ["inner"]})
    inner.add_edge(graph.START, "work")
    child = inner.compile()

    def outer_node(state: State) -> dict[str, Any]:
        child.invoke({"items": []})
        return _waits(seen_live)

    builder = graph.StateGraph(State)
    builder.add_node("outer", outer_node)
    builder.add_edge(graph.START, "outer")
    return builder.compile()


def _task_graph(pkg: str, seen_live: threading.Event) -> Any:
    func = _mod(pkg, "func")

    @func.task
    def double(x: int) -> int:
        return 2 * x

    @func.entrypoint()
    def workflow(x: int) -> dict[str, Any]:
        double(x).result()
        return _waits(seen_live)

    return workflow


@pytest.mark.parametrize("pkg", PKGS)
def test_chat_model_tokens_are_live(pkg: str) -> None:
    seen = threading.Event()
    app = _chat_model_graph(pkg, seen)
    kinds = _consume(
        app.stream({"items": []}, stream_mode=["messages", "updates"], subgraphs=True),
        seen,
        lambda c: c[1] == "messages",
    )
    assert "messages" in kinds
    assert seen.is_set()


def _final_items(pkg: str, build: Any, inp: Any, modes: list[str], is_live: Any) -> Any:
    seen = threading.Event()
    app = build(pkg, seen)
    last = None
    for chunk in app.stream(inp, stream_mode=modes, subgraphs=True):
        if not seen.is_set() and is_live(chunk):
            seen.set()
        if chunk[1] == "updates":
            last = chunk[2]
    return last


# Without "messages" among the modes, whether a LangChain model is loaded in this process
# (other tests load them) does not decide: what the node reaches does.
_NO_MESSAGES = ["updates", "values", "tasks"]


@pytest.mark.parametrize(
    ("build", "inp", "is_live", "modes"),
    [
        (
            _chat_model_graph,
            {"items": []},
            lambda c: c[1] == "messages",
            ["messages", "updates", "values", "tasks"],
        ),
        (_subgraph_graph, {"items": []}, lambda c: bool(c[0]), _NO_MESSAGES),
        (_task_graph, 3, lambda c: c[1] == "updates" and "double" in c[2], _NO_MESSAGES),
    ],
    ids=["chat-model", "subgraph-called", "task-call"],
)
def test_calls_stream_while_the_node_runs(
    build: Any, inp: Any, is_live: Any, modes: list[str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [_final_items(pkg, build, inp, modes, is_live) for pkg in PKGS]
    assert results[0] == results[1]
    assert "live" in repr(results[1])


@pytest.mark.parametrize("pkg", PKGS)
def test_v3_stream_of_a_called_subgraph_is_live(pkg: str) -> None:
    seen = threading.Event()
    app = _subgraph_graph(pkg, seen)
    run = app.stream_events({"items": []}, version="v3")
    for event in run:
        if event["params"]["namespace"]:
            seen.set()
    assert run.output == {"items": ["live"]}


def test_quiet_chain_streams_as_langgraph() -> None:
    """A chain whose nodes call nothing (run on the caller's thread by langgraph_jit)
    streams the same chunks in the same order as LangGraph, v1 and v3."""

    def chunks(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        builder = graph.StateGraph(State)
        for i in range(5):
            builder.add_node(f"n{i}", lambda s, i=i: {"items": [i]})
            builder.add_edge(graph.START if i == 0 else f"n{i - 1}", f"n{i}")
        app = builder.compile()
        v1 = [
            (ns, mode, data if mode != "tasks" else sorted(data))
            for ns, mode, data in app.stream(
                {"items": []},
                stream_mode=["messages", "updates", "values", "tasks"],
                subgraphs=True,
            )
        ]
        run = app.stream_events({"items": []}, version="v3")
        v3 = [(e["method"], e["params"]["namespace"]) for e in run]
        return v1, v3, run.output

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert chunks("langgraph") == chunks("langgraph_jit")
