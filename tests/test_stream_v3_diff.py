"""v3 event streaming core, compared on both engines: the same graphs streamed with
`stream_events(version="v3")` / `astream_events(version="v3")`, and what a user reads:
`run.values`, `run.output`, interrupts, the data projections (updates, custom, tasks,
checkpoints), `interleave` order, raw events, custom transformers with named channels,
abort, errors, and the typed `version="v2"` parts v3 is built on. Task ids differ
between runs, so they are numbered in order of first appearance.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
import re
import time
import warnings
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"'(timestamp|ts|created_at)': [^,}]+")

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


def _norm(value: Any) -> str:
    """`repr(value)`, task ids numbered by first appearance, timestamps dropped."""
    ids: dict[str, int] = {}
    text = _UUID.sub(lambda m: f"ID{ids.setdefault(m.group(0), len(ids))}", repr(value))
    return _TIMESTAMP.sub(r"'\1': T", text)


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _both(fn: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn("langgraph"), fn("langgraph_jit")


class State(TypedDict):
    items: Annotated[list[str], operator.add]


def _chain(pkg: str, *, checkpointer: Any = None, transformers: Any = None, **kw: Any) -> Any:
    """a -> b: `a` writes a custom chunk, `b` may interrupt (kw['interrupt'])."""
    graph = _mod(pkg, "graph")
    config = _mod(pkg, "config")
    types = _mod(pkg, "types")

    def a(state: State) -> dict[str, Any]:
        config.get_stream_writer()({"progress": "a"})
        return {"items": ["a"]}

    def b(state: State) -> dict[str, Any]:
        if kw.get("interrupt"):
            answer = types.interrupt("question?")
            return {"items": [f"b:{answer}"]}
        return {"items": ["b"]}

    builder = graph.StateGraph(State)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_edge(graph.START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", graph.END)
    return builder.compile(checkpointer=checkpointer, transformers=transformers)


def _data_transformers(pkg: str) -> list[Any]:
    t = _mod(pkg, "stream.transformers")
    return [t.UpdatesTransformer, t.CustomTransformer, t.TasksTransformer]


def test_values_output_and_interrupts() -> None:
    def run(pkg: str) -> Any:
        r = _chain(pkg).stream_events({"items": []}, version="v3")
        return list(r.values), r.output, r.interrupted, r.interrupts

    lg, jit = _both(run)
    assert jit == lg


def test_interrupt_then_resume() -> None:
    def run(pkg: str) -> Any:
        saver = _mod(pkg, "checkpoint.memory").InMemorySaver()
        graph = _chain(pkg, checkpointer=saver, interrupt=True)
        config = {"configurable": {"thread_id": "t"}}
        first = graph.stream_events({"items": []}, config, version="v3")
        seen = (first.output, first.interrupted, [i.value for i in first.interrupts])
        second = graph.stream_events(_mod(pkg, "types").Command(resume="yes"), config, version="v3")
        return seen, list(second.values), second.output, second.interrupted

    lg, jit = _both(run)
    assert jit == lg


def test_data_projections_in_compile_and_per_call() -> None:
    def run(pkg: str, per_call: bool) -> Any:
        transformers = _data_transformers(pkg)
        graph = _chain(pkg, transformers=None if per_call else transformers)
        r = graph.stream_events(
            {"items": []}, version="v3", transformers=transformers if per_call else None
        )
        return _norm(list(r.interleave("values", "updates", "custom", "tasks")))

    for per_call in (False, True):
        lg, jit = _both(lambda pkg, p=per_call: run(pkg, p))
        assert jit == lg


def test_checkpoints_projection() -> None:
    def run(pkg: str) -> Any:
        saver = _mod(pkg, "checkpoint.memory").InMemorySaver()
        t = _mod(pkg, "stream.transformers")
        graph = _chain(pkg, checkpointer=saver, transformers=[t.CheckpointsTransformer])
        r = graph.stream_events({"items": []}, {"configurable": {"thread_id": "c"}}, version="v3")
        return [(c["values"], c["next"], c["metadata"]["step"]) for c in r.checkpoints]

    lg, jit = _both(run)
    assert jit == lg


def test_raw_events_methods_namespaces_and_seq() -> None:
    def run(pkg: str) -> Any:
        r = _chain(pkg, transformers=_data_transformers(pkg)).stream_events(
            {"items": []}, version="v3"
        )
        return [(e["method"], e["params"]["namespace"], e["seq"]) for e in r]

    lg, jit = _both(run)
    assert jit == lg


def _named_channel_transformer(pkg: str) -> Any:
    stream = _mod(pkg, "stream")

    class Counter(stream.StreamTransformer):
        required_stream_modes = ("updates",)

        def __init__(self, scope: tuple[str, ...] = ()) -> None:
            super().__init__(scope)
            self.steps = stream.StreamChannel("steps")
            self.quiet = stream.StreamChannel()

        def init(self) -> dict[str, Any]:
            return {"steps": self.steps, "quiet": self.quiet}

        def process(self, event: Any) -> bool:
            if event["method"] == "updates":
                self.steps.push(sorted(event["params"]["data"]))
                self.quiet.push(len(event["params"]["data"]))
            return event["method"] != "custom"  # custom events kept out of the log

    return Counter


def test_custom_transformer_named_channel_forwarding() -> None:
    def run(pkg: str) -> Any:
        counter = _named_channel_transformer(pkg)
        r = _chain(pkg).stream_events({"items": []}, version="v3", transformers=[counter])
        events = [(e["method"], e["params"]["data"]) for e in r]
        return events, sorted(r.extensions), hasattr(r, "steps")

    lg, jit = _both(run)
    assert _norm(jit) == _norm(lg)


def test_custom_transformer_interleave_and_tee() -> None:
    def run(pkg: str) -> Any:
        counter = _named_channel_transformer(pkg)
        r = _chain(pkg).stream_events({"items": []}, version="v3", transformers=[counter])
        first, second = r.extensions["quiet"].tee(2)
        tagged = list(r.interleave("values", "steps"))
        return tagged, list(first), list(second)

    lg, jit = _both(run)
    assert jit == lg


def test_prebuilt_instance_and_owned_kwargs_rejected() -> None:
    def run(pkg: str) -> Any:
        graph = _chain(pkg)
        errors = []
        counter = _named_channel_transformer(pkg)
        for kwargs in (
            {"stream_mode": "values"},
            {"subgraphs": True},
            {"transformers": [counter(())]},
        ):
            try:
                graph.stream_events({"items": []}, version="v3", **kwargs)
            except TypeError as err:
                errors.append(type(err).__name__)
        return errors

    lg, jit = _both(run)
    assert jit == lg == ["TypeError"] * 3


def test_node_error_reaches_output_and_projections() -> None:
    def run(pkg: str) -> Any:
        graph = _mod(pkg, "graph")

        def boom(state: State) -> dict[str, Any]:
            raise ValueError("boom")

        builder = graph.StateGraph(State)
        builder.add_node("boom", boom)
        builder.add_edge(graph.START, "boom")
        r = builder.compile().stream_events({"items": []}, version="v3")
        seen = []
        try:
            for v in r.values:
                seen.append(v)
        except ValueError as err:
            seen.append(f"values raised {err}")
        try:
            _ = r.output
        except ValueError as err:
            seen.append(f"output raised {err}")
        return seen

    lg, jit = _both(run)
    assert jit == lg


def test_context_manager_abort_stops_the_run() -> None:
    def run(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        ran: list[str] = []

        def step(name: str) -> Any:
            def node(state: State) -> dict[str, Any]:
                ran.append(name)
                return {"items": [name]}

            return node

        builder = graph.StateGraph(State)
        for name, nxt in (("a", "b"), ("b", "c"), ("c", graph.END)):
            builder.add_node(name, step(name))
            builder.add_edge(name, nxt)
        builder.add_edge(graph.START, "a")
        with builder.compile().stream_events({"items": []}, version="v3") as r:
            first = next(iter(r.values))
        return first, ran, r._exhausted

    lg, jit = _both(run)
    assert jit == lg


def _looping_subgraph_parent(pkg: str, runs: list[int]) -> Any:
    graph = _mod(pkg, "graph")

    class Count(TypedDict):
        count: int

    async def sub_node(state: Count) -> dict[str, Any]:
        runs.append(state["count"] + 1)
        await asyncio.sleep(0.02)
        return {"count": state["count"] + 1}

    sub = (
        graph.StateGraph(Count)
        .add_node("sub_node", sub_node)
        .add_edge(graph.START, "sub_node")
        .add_conditional_edges("sub_node", lambda s: graph.END if s["count"] >= 10 else "sub_node")
        .compile()
    )

    async def main_node(state: Count) -> None:
        await sub.ainvoke({"count": 0})

    return (
        graph.StateGraph(Count)
        .add_node("main_node", main_node)
        .add_edge(graph.START, "main_node")
        .compile()
    )


def test_async_subgraph_events_arrive_live_and_abort_cancels() -> None:
    """A subgraph invoked inside a node streams its values while the node runs, so a
    reader can stop the run part-way (and the subgraph stops with it)."""

    async def run(pkg: str) -> Any:
        runs: list[int] = []
        r = await _looping_subgraph_parent(pkg, runs).astream_events({"count": 0}, version="v3")
        async for e in r:
            params = e["params"]
            if e["method"] == "values" and params["namespace"] and params["data"]["count"] >= 2:
                break
        await r.abort()
        at_abort = len(runs)
        await asyncio.sleep(0.1)
        return at_abort < 10, len(runs) == at_abort

    lg, jit = _both(lambda pkg: asyncio.run(run(pkg)))
    assert jit == lg == (True, True)


def test_sync_subgraph_values_stream_while_the_node_runs() -> None:
    def run(pkg: str) -> Any:
        graph = _mod(pkg, "graph")

        class Count(TypedDict):
            count: int

        def sub_node(state: Count) -> dict[str, Any]:
            time.sleep(0.03)
            return {"count": state["count"] + 1}

        sub = (
            graph.StateGraph(Count)
            .add_node("sub_node", sub_node)
            .add_edge(graph.START, "sub_node")
            .add_conditional_edges(
                "sub_node", lambda s: graph.END if s["count"] >= 4 else "sub_node"
            )
            .compile()
        )

        def main_node(state: Count) -> None:
            sub.invoke({"count": 0})

        parent = (
            graph.StateGraph(Count)
            .add_node("main_node", main_node)
            .add_edge(graph.START, "main_node")
            .compile()
        )
        start = time.monotonic()
        arrivals = []
        for part in parent.stream({"count": 0}, stream_mode="values", subgraphs=True):
            if part[0]:
                arrivals.append(time.monotonic() - start)
        # live: the subgraph's first state arrives well before its last
        return len(arrivals), arrivals[-1] - arrivals[0] > 0.05

    lg, jit = _both(run)
    assert jit == lg == (5, True)


def test_async_projections_concurrently() -> None:
    async def run(pkg: str) -> Any:
        r = await _chain(pkg, transformers=_data_transformers(pkg)).astream_events(
            {"items": []}, version="v3"
        )

        async def drain(channel: Any) -> list[Any]:
            return [item async for item in channel]

        values, updates, custom = await asyncio.gather(
            drain(r.values), drain(r.updates), drain(r.custom)
        )
        return values, updates, custom, await r.output(), await r.interrupted()

    lg, jit = _both(lambda pkg: asyncio.run(run(pkg)))
    assert jit == lg


def test_nested_stream_events_in_a_node_scopes_to_its_namespace() -> None:
    def run(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        inner = _chain(pkg)

        def outer_node(state: State) -> dict[str, Any]:
            r = inner.stream_events({"items": ["x"]}, version="v3")
            return {"items": [f"inner saw {len(list(r.values))} states"]}

        builder = graph.StateGraph(State)
        builder.add_node("outer", outer_node)
        builder.add_edge(graph.START, "outer")
        r = builder.compile().stream_events({"items": []}, version="v3")
        return r.output

    lg, jit = _both(run)
    assert jit == lg


class PState(BaseModel):
    value: str
    items: list[str] = []


@dataclass
class DState:
    value: str
    items: list[str]


@pytest.mark.parametrize("schema", [PState, DState], ids=["pydantic", "dataclass"])
def test_typed_v2_parts_and_v3_values(schema: Any) -> None:
    def run(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        saver = _mod(pkg, "checkpoint.memory").InMemorySaver()

        def node(state: Any) -> dict[str, Any]:
            return {"value": state.value + "!", "items": ["n"]}

        builder = graph.StateGraph(schema)
        builder.add_node("node", node)
        builder.add_edge(graph.START, "node")
        compiled = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "typed"}}
        parts = [
            (p["type"], type(p["data"]).__name__)
            if p["type"] == "values"
            else (p["type"], type(p["data"].get("values")).__name__)
            for p in compiled.stream(
                {"value": "x", "items": []},
                config,
                stream_mode=["values", "checkpoints"],
                version="v2",
            )
        ]
        out = compiled.invoke({"value": "y", "items": []}, config, version="v2")
        v3 = compiled.stream_events({"value": "z", "items": []}, config, version="v3")
        return parts, type(out.value).__name__, repr(v3.output)

    lg, jit = _both(run)
    assert jit == lg


@pytest.mark.parametrize("child_thread", ["child", "parent"])
def test_child_graph_with_its_own_thread_streams_only_to_its_caller(child_thread: str) -> None:
    """A graph given a thread of its own inside a node is a root run: the parent's
    `messages`/`tools` handlers (no subgraphs) must not take its events for the
    parent's own."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.tools import tool

    @tool
    def echo(text: str) -> str:
        """Echo the text."""
        return text

    def run(pkg: str) -> Any:
        graph = _mod(pkg, "graph")

        def chat_and_echo(state: Any) -> dict[str, Any]:
            echo.invoke({"text": "done"})
            model = GenericFakeChatModel(messages=iter(["one two"]))
            return {"messages": [model.invoke("hi")]}

        def one_node(node: Any) -> Any:
            return (
                graph.StateGraph(graph.MessagesState)
                .add_node(node)
                .add_edge(graph.START, node.__name__)
                .compile()
            )

        child = one_node(chat_and_echo)
        received: list[Any] = []

        def node(state: Any) -> dict[str, Any]:
            received.extend(
                mode
                for mode, _ in child.stream(
                    {"messages": []},
                    {"configurable": {"thread_id": child_thread}},
                    stream_mode=["messages", "tools"],
                )
            )
            return {}

        parts = one_node(node).stream(
            {"messages": []},
            {"configurable": {"thread_id": "parent"}},
            stream_mode=["messages", "tools"],
        )
        return [mode for mode, _ in parts], received

    lg, jit = _both(run)
    assert jit == lg


_BETA_SCRIPT = """
import asyncio, sys, warnings
from typing import TypedDict
graph = __import__(sys.argv[1] + ".graph", fromlist=["StateGraph"])

class S(TypedDict):
    x: int

b = graph.StateGraph(S)
b.add_node("a", lambda s: {"x": 1})
b.add_edge(graph.START, "a")
g = b.compile()

def seen(caught):
    return [(w.category.__name__, str(w.message)) for w in caught]

async def consume():
    run = await g.astream_events({"x": 0}, version="v3")
    async for _ in run:
        pass

for _ in range(2):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(g.stream_events({"x": 0}, version="v3"))
    print(seen(caught))
for _ in range(2):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(consume())
    print(seen(caught))
"""


def test_beta_warnings_as_langgraph() -> None:
    """v3 streaming warns it is beta as LangGraph does: on a process's first sync and
    first async stream (twice each, entry point and run handle), never again."""
    import subprocess
    import sys

    outputs = [
        subprocess.run(
            [sys.executable, "-c", _BETA_SCRIPT, pkg], capture_output=True, text=True, check=True
        ).stdout
        for pkg in PKGS
    ]
    assert "LangChainBetaWarning" in outputs[0]
    assert outputs[1] == outputs[0]
