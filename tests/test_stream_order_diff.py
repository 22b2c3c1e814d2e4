"""Chunk order of eagerly streamed runs (subgraphs=True, custom, v3), compared on both
engines: a task's own chunks (its update, its task result) come when it finishes,
after what its siblings streamed before and before what they stream after, as in
LangGraph. Covers parallel subgraphs, a Send fan-out into a subgraph, a custom
writer in parallel nodes, v1 `stream(subgraphs=True)` and v3 `run.subgraphs`, sync
and async. Async cases order their tasks with sleeps: without them the order of
concurrent coroutines is the event loop's business, not the engine's.

A sync order is decided by which thread takes the GIL first, which both engines
leave to the scheduler: on a busy machine either may (rarely) start the second
task first, so a case that differs is run again before it counts as a failure.
Our graphs run on the Python step kernels here: the compiled ones release the GIL
at every call (numba `nogil`), which lets sibling tasks' threads take turns at
each step of their subgraphs, where LangGraph's run on until the interpreter
switches threads.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
import time
import warnings
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytestmark = pytest.mark.filterwarnings("ignore::Warning")

ATTEMPTS = 3


class State(TypedDict):
    items: Annotated[list[str], operator.add]


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _same_on_both(case: Callable[[str], Any]) -> None:
    """Runs `case` on both engines until they agree (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(ATTEMPTS):
            theirs, ours = case("langgraph"), case("langgraph_jit")
            if theirs == ours:
                return
    assert ours == theirs


def _ns(ns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.split(":")[0] for part in ns)


def _brief(data: Any) -> Any:
    """What a chunk says, without task ids: a dict's keys (the node of an
    update, the fields of a task event, ...), a custom chunk itself."""
    if isinstance(data, dict):
        if "name" in data:  # a task event
            return (data["name"], "result" in data)
        return tuple(data)
    return data


def _compile(pkg: str, builder: Any) -> Any:
    app = builder.compile()
    if pkg == "langgraph_jit":
        app._force_compiled = False  # see the module docstring
    return app


def _node(name: str, delay: float = 0.0, *, is_async: bool = False) -> Callable[..., Any]:
    if is_async:

        async def anode(state: State) -> dict[str, Any]:
            await asyncio.sleep(delay)
            return {"items": [name]}

        return anode

    def node(state: State) -> dict[str, Any]:
        if delay:
            time.sleep(delay)
        return {"items": [name]}

    return node


def _sub(pkg: str, prefix: str, delay: float = 0.0, *, is_async: bool = False) -> Any:
    """A two-node subgraph x -> y; `x` waits `delay` seconds first."""
    graph = _mod(pkg, "graph")
    builder = graph.StateGraph(State)
    builder.add_node("x", _node(prefix + "x", delay, is_async=is_async))
    builder.add_node("y", _node(prefix + "y", is_async=is_async))
    builder.add_edge(graph.START, "x")
    builder.add_edge("x", "y")
    return _compile(pkg, builder)


def _parallel(pkg: str, delays: tuple[float, float] = (0.0, 0.0), *, is_async: bool = False) -> Any:
    """Subgraph nodes A and B in one step."""
    graph = _mod(pkg, "graph")
    builder = graph.StateGraph(State)
    builder.add_node("A", _sub(pkg, "A", delays[0], is_async=is_async))
    builder.add_node("B", _sub(pkg, "B", delays[1], is_async=is_async))
    builder.add_edge(graph.START, "A")
    builder.add_edge(graph.START, "B")
    return _compile(pkg, builder)


def _fan_out(pkg: str) -> Any:
    """A router Sends three packets to a subgraph node."""
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")
    builder = graph.StateGraph(State)
    builder.add_node("route", lambda state: {})
    builder.add_node("work", _sub(pkg, "W"))
    builder.add_edge(graph.START, "route")
    builder.add_conditional_edges(
        "route", lambda state: [types.Send("work", {"items": [str(i)]}) for i in range(3)]
    )
    return _compile(pkg, builder)


def _writers(pkg: str, delays: dict[str, float] | None = None, *, is_async: bool = False) -> Any:
    """p and q write custom chunks in one step, then z."""
    graph = _mod(pkg, "graph")
    config = _mod(pkg, "config")
    delays = delays or {}

    def writer(name: str) -> Callable[..., Any]:
        if is_async:

            async def anode(state: State) -> dict[str, Any]:
                write = config.get_stream_writer()
                await asyncio.sleep(delays.get(name, 0.0))
                write(name + "1")
                await asyncio.sleep(0)
                write(name + "2")
                return {"items": [name]}

            return anode

        def node(state: State) -> dict[str, Any]:
            write = config.get_stream_writer()
            if delays.get(name):
                time.sleep(delays[name])
            write(name + "1")
            write(name + "2")
            return {"items": [name]}

        return node

    builder = graph.StateGraph(State)
    for name in ("p", "q", "z"):
        builder.add_node(name, writer(name))
    builder.add_edge(graph.START, "p")
    builder.add_edge(graph.START, "q")
    builder.add_edge(["p", "q"], "z")
    return _compile(pkg, builder)


def _v1(app: Any, modes: list[str]) -> list[Any]:
    return [
        (_ns(ns), mode, _brief(data))
        for ns, mode, data in app.stream({"items": []}, stream_mode=modes, subgraphs=True)
    ]


def _av1(app: Any, modes: list[str]) -> list[Any]:
    async def collect() -> list[Any]:
        return [
            (_ns(ns), mode, _brief(data))
            async for ns, mode, data in app.astream(
                {"items": []}, stream_mode=modes, subgraphs=True
            )
        ]

    return asyncio.run(collect())


def _v3_subgraphs(app: Any) -> list[Any]:
    run = app.stream_events({"items": []}, version="v3")
    return [(_ns(tuple(sub.path)), [v["items"] for v in sub.values]) for sub in run.subgraphs]


def _av3_subgraphs(app: Any) -> list[Any]:
    async def collect() -> list[Any]:
        run = await app.astream_events({"items": []}, version="v3")
        seen = []
        async for sub in run.subgraphs:
            seen.append((_ns(tuple(sub.path)), [v["items"] async for v in sub.values]))
        return seen

    return asyncio.run(collect())


# -- sync -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "modes", [["updates"], ["updates", "values", "tasks"]], ids=["updates", "three_modes"]
)
def test_parallel_subgraphs_stream_each_task_with_its_own_chunks(modes: list[str]) -> None:
    # A's subgraph chunks, then the parent's update for A, then B's.
    _same_on_both(lambda pkg: _v1(_parallel(pkg), modes))


def test_parallel_subgraphs_the_slower_one_last() -> None:
    # A's subgraph waits: B's whole task streams first.
    _same_on_both(lambda pkg: _v1(_parallel(pkg, (0.05, 0.0)), ["updates", "tasks"]))


def test_send_fan_out_into_a_subgraph() -> None:
    _same_on_both(lambda pkg: _v1(_fan_out(pkg), ["updates"]))


def test_send_fan_out_into_a_subgraph_v2_parts() -> None:
    def case(pkg: str) -> list[Any]:
        app = _fan_out(pkg)
        return [
            (_ns(part["ns"]), part["type"], _brief(part["data"]))
            for part in app.stream(
                {"items": []}, stream_mode=["updates", "values"], subgraphs=True, version="v2"
            )
        ]

    _same_on_both(case)


def test_custom_writer_in_parallel_nodes() -> None:
    # Each node's custom chunks, then its update, then the next node's.
    _same_on_both(lambda pkg: _v1(_writers(pkg), ["updates", "custom"]))


def test_custom_writer_the_slower_node_last() -> None:
    _same_on_both(lambda pkg: _v1(_writers(pkg, {"p": 0.05}), ["updates", "custom"]))


def test_v3_subgraph_handles_each_get_their_values() -> None:
    # The second subgraph's chunks come after the first one's task ended, so
    # its handle still sees its values.
    _same_on_both(lambda pkg: _v3_subgraphs(_parallel(pkg)))


# -- async ------------------------------------------------------------------------


def test_async_parallel_subgraphs_ordered_by_sleeps() -> None:
    _same_on_both(
        lambda pkg: _av1(_parallel(pkg, (0.0, 0.05), is_async=True), ["updates", "tasks"])
    )
    _same_on_both(
        lambda pkg: _av1(_parallel(pkg, (0.05, 0.0), is_async=True), ["updates", "values"])
    )


def test_async_custom_writer_ordered_by_sleeps() -> None:
    _same_on_both(
        lambda pkg: _av1(_writers(pkg, {"q": 0.05}, is_async=True), ["updates", "custom"])
    )


def test_async_v3_subgraph_handles_ordered_by_sleeps() -> None:
    _same_on_both(lambda pkg: _av3_subgraphs(_parallel(pkg, (0.0, 0.05), is_async=True)))


def test_eager_stream_runs_nodes_off_the_callers_thread() -> None:
    """A custom chunk reaches the caller while its node still runs."""
    import threading

    graph = _mod("langgraph_jit", "graph")
    config = _mod("langgraph_jit", "config")
    release = threading.Event()

    def node(state: State) -> dict[str, Any]:
        config.get_stream_writer()("started")
        assert release.wait(5), "the caller never saw the chunk"
        return {"items": ["n"]}

    builder = graph.StateGraph(State)
    builder.add_node("n", node)
    builder.add_edge(graph.START, "n")
    seen = []
    for mode, data in builder.compile().stream({"items": []}, stream_mode=["custom", "updates"]):
        seen.append((mode, data))
        if data == "started":
            release.set()
    assert seen == [("custom", "started"), ("updates", {"n": {"items": ["n"]}})]


# -- a step that fails or times out -------------------------------------------------


def _failing(pkg: str, *, slow_b: float | None = None) -> Any:
    """a (slow) and b in one step: b fails at once, or with `slow_b`, outlasts a
    step timeout. A checkpointer keeps what the tasks wrote."""
    graph = _mod(pkg, "graph")
    config = _mod(pkg, "config")
    memory = _mod(pkg, "checkpoint.memory")

    def a(state: State) -> dict[str, Any]:
        config.get_stream_writer()("a started")
        time.sleep(0.05)
        return {"items": ["a"]}

    def b(state: State) -> dict[str, Any]:
        config.get_stream_writer()("b started")
        if slow_b is None:
            raise ValueError("b failed")
        time.sleep(slow_b)
        return {"items": ["b"]}

    builder = graph.StateGraph(State)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_edge(graph.START, "a")
    builder.add_edge(graph.START, "b")
    app = builder.compile(checkpointer=memory.InMemorySaver())
    if slow_b is not None:
        app.step_timeout = 0.15
    if pkg == "langgraph_jit":
        app._force_compiled = False
    return app


def _until_error(app: Any, modes: list[str]) -> list[Any]:
    config = {"configurable": {"thread_id": "t"}}
    seen: list[Any] = []
    try:
        for mode, data in app.stream({"items": []}, config, stream_mode=modes):
            seen.append((mode, _brief(data)))
    except Exception as exc:
        seen.append(type(exc).__name__)
    time.sleep(0.3)  # a task still running ends and saves its writes
    state = app.get_state(config)
    seen.append(sorted((t.name, t.result, type(t.error).__name__) for t in state.tasks))
    return seen


@pytest.mark.parametrize(
    "modes", [["updates"], ["custom", "updates"], ["tasks", "updates"]], ids=str
)
def test_a_failure_ends_the_stream_of_its_step(modes: list[str]) -> None:
    # b fails while a still runs: a's update is saved but not streamed.
    _same_on_both(lambda pkg: _until_error(_failing(pkg), modes))


def test_a_step_timeout_ends_the_stream_of_its_step() -> None:
    _same_on_both(lambda pkg: _until_error(_failing(pkg, slow_b=0.3), ["custom", "updates"]))
