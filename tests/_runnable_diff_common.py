"""What the differential tests of graphs as LangChain Runnables share: both packages'
names side by side, and runs recorded by a tracer as comparable data."""

import operator
import types
from typing import Annotated, Any

import pytest
from langchain_core.tracers import BaseTracer
from typing_extensions import TypedDict

import langgraph_jit.channels as jit_channels
import langgraph_jit.checkpoint.memory as jit_memory
import langgraph_jit.func as jit_func
import langgraph_jit.graph as jit_graph
import langgraph_jit.pregel as jit_pregel
import langgraph_jit.types as jit_types

lg_channels = pytest.importorskip("langgraph.channels")
import langgraph.checkpoint.memory as lg_memory  # noqa: E402
import langgraph.func as lg_func  # noqa: E402
import langgraph.graph as lg_graph  # noqa: E402
import langgraph.pregel as lg_pregel  # noqa: E402
import langgraph.types as lg_types  # noqa: E402


def _backend(graph: Any, pregel: Any, channels: Any, types_: Any, memory: Any, func: Any) -> Any:
    return types.SimpleNamespace(
        StateGraph=graph.StateGraph,
        START=graph.START,
        END=graph.END,
        MessagesState=graph.MessagesState,
        Pregel=pregel.Pregel,
        NodeBuilder=pregel.NodeBuilder,
        LastValue=channels.LastValue,
        EphemeralValue=channels.EphemeralValue,
        Send=types_.Send,
        Command=types_.Command,
        interrupt=types_.interrupt,
        TracePolicy=types_.TracePolicy,
        InMemorySaver=memory.InMemorySaver,
        entrypoint=func.entrypoint,
        task=func.task,
    )


LG = _backend(lg_graph, lg_pregel, lg_channels, lg_types, lg_memory, lg_func)
JIT = _backend(jit_graph, jit_pregel, jit_channels, jit_types, jit_memory, jit_func)


def both(build: Any) -> tuple[Any, Any]:
    return build(LG), build(JIT)


class State(TypedDict):
    v: Annotated[list, operator.add]


class Recorder(BaseTracer):
    """Keeps finished root runs."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[Any] = []

    def _persist_run(self, run: Any) -> None:
        self.runs.append(run)


_METADATA_SHOWN = ("langgraph_step", "langgraph_node", "thread_id", "ls_integration")


def tree(run: Any) -> tuple:
    """A run as comparable data (children in start order)."""
    metadata = (run.extra or {}).get("metadata", {})
    children = sorted(run.child_runs, key=lambda c: (c.start_time, c.name))
    return (
        run.name,
        run.run_type,
        list(run.tags or ()),
        {k: metadata[k] for k in _METADATA_SHOWN if k in metadata},
        # By repr: Send, Command and Interrupt of the two packages never compare equal.
        repr(run.inputs),
        repr(run.outputs),
        (run.error or "").split("(")[0],
        [tree(c) for c in children],
    )


def traced_trees(run: Any) -> list[tuple]:
    recorder = Recorder()
    run({"callbacks": [recorder]})
    return [tree(r) for r in recorder.runs]


def _counter(b: Any) -> Any:
    g = b.StateGraph(State)
    g.add_node("a", lambda s: {"v": ["a"]})
    g.add_edge(b.START, "a")
    return g.compile()


def _routed(b: Any) -> Any:
    def route(s: State) -> str:
        return "b" if len(s["v"]) < 3 else b.END

    sub = b.StateGraph(State)
    sub.add_node("sa", lambda s: {"v": ["sa"]})
    sub.add_edge(b.START, "sa")
    g = b.StateGraph(State)
    g.add_node("a", lambda s: {"v": ["a"]})
    g.add_node("b", lambda s: {"v": ["b"]})
    g.add_node("sub", sub.compile())
    g.add_edge(b.START, "a")
    g.add_conditional_edges("a", route)
    g.add_edge("b", "sub")
    g.add_edge("sub", "a")
    return g.compile()
