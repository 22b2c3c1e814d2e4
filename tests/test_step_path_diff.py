"""The lean per-step paths compared with LangGraph: what a user sees is the same.

An async run whose single-task steps run sync nodes runs a stretch of them in one
pool thread (pregel/_drive.py `_SyncStretch`): nodes still run off the loop's
thread, each in its own copy of the caller's context; errors, interrupts, the
recursion limit, conditional edges, an async node in the middle, a fan-out and
a cancelled caller end or interrupt the stretch as they end a step. Each case
builds the same graph on `langgraph` and `langgraph_jit` (imported by name).
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import operator
import threading
import time
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("step_path_var", default="unset")


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _same(case: Any) -> Any:
    expected = asyncio.run(case("langgraph"))
    actual = asyncio.run(case("langgraph_jit"))
    assert actual == expected
    return actual


class State(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def _chain(pkg: str, nodes: list[Any], checkpointer: Any = None) -> Any:
    graph = _mod(pkg, "graph")
    b = graph.StateGraph(State)
    prev = graph.START
    for i, fn in enumerate(nodes):
        b.add_node(f"n{i}", fn)
        b.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    b.add_edge(prev, graph.END)
    return b.compile(checkpointer=checkpointer)


def _inc(s: State) -> dict:
    return {"x": s["x"] + 1, "log": [s["x"]]}


def test_async_sync_chain_result_and_threads() -> None:
    async def case(pkg: str) -> Any:
        loop_thread = threading.get_ident()
        seen: list[bool] = []

        def node(s: State) -> dict:
            seen.append(threading.get_ident() != loop_thread)
            return _inc(s)

        g = _chain(pkg, [node] * 12)
        out = await g.ainvoke({"x": 0, "log": []})
        return out, seen

    _out, seen = _same(case)
    assert all(seen)  # every node ran off the event loop's thread


def test_async_sync_chain_contextvars_do_not_leak() -> None:
    async def case(pkg: str) -> Any:
        seen: list[str] = []

        def node(s: State) -> dict:
            seen.append(VAR.get())
            VAR.set(f"set by {s['x']}")
            return _inc(s)

        VAR.set("caller")
        g = _chain(pkg, [node] * 4)
        out = await g.ainvoke({"x": 0, "log": []})
        return out, seen, VAR.get()

    _same(case)


@pytest.mark.parametrize("failing", [0, 3])
def test_async_sync_chain_error(failing: int) -> None:
    async def case(pkg: str) -> Any:
        ran: list[int] = []

        def node(s: State) -> dict:
            ran.append(s["x"])
            if s["x"] == failing:
                raise ValueError(f"boom at {failing}")
            return _inc(s)

        g = _chain(pkg, [node] * 6)
        try:
            await g.ainvoke({"x": 0, "log": []})
        except ValueError as exc:
            return str(exc), ran
        return None, ran

    _same(case)


def test_async_sync_chain_interrupt_and_resume() -> None:
    async def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        saver = _mod(pkg, "checkpoint.memory").InMemorySaver()

        def ask(s: State) -> dict:
            answer = types.interrupt("why?")
            return {"x": s["x"] + 1, "log": [answer]}

        g = _chain(pkg, [_inc, _inc, ask, _inc], checkpointer=saver)
        cfg = {"configurable": {"thread_id": "t"}}
        first = await g.ainvoke({"x": 0, "log": []}, cfg)
        first = {k: v for k, v in first.items() if k != "__interrupt__"}
        second = await g.ainvoke(types.Command(resume="because"), cfg)
        return first, second

    _same(case)


def test_async_sync_interrupt_without_saver_errors_alike() -> None:
    async def case(pkg: str) -> Any:
        types = _mod(pkg, "types")

        def ask(s: State) -> dict:
            types.interrupt("why?")
            return {}

        g = _chain(pkg, [_inc, ask])
        try:
            out = await g.ainvoke({"x": 0, "log": []})
        except Exception as exc:
            return type(exc).__name__
        return {k: v for k, v in out.items() if k != "__interrupt__"}

    _same(case)


def test_async_sync_chain_recursion_limit() -> None:
    async def case(pkg: str) -> Any:
        errors = _mod(pkg, "errors")
        g = _chain(pkg, [_inc] * 8)
        try:
            await g.ainvoke({"x": 0, "log": []}, {"recursion_limit": 5})
        except errors.GraphRecursionError:
            return "recursion"
        return "finished"

    _same(case)


def test_async_conditional_loop_with_async_node_inside() -> None:
    async def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        b = graph.StateGraph(State)
        order: list[str] = []

        def sync_node(s: State) -> dict:
            order.append(f"sync {s['x']}")
            return _inc(s)

        async def async_node(s: State) -> dict:
            order.append(f"async {s['x']}")
            await asyncio.sleep(0)
            return _inc(s)

        def route(s: State) -> str:
            if s["x"] >= 9:
                return graph.END
            return "a" if s["x"] % 3 == 2 else "s"

        b.add_node("s", sync_node)
        b.add_node("a", async_node)
        b.add_edge(graph.START, "s")
        b.add_conditional_edges("s", route, ["a", "s", graph.END])
        b.add_conditional_edges("a", route, ["a", "s", graph.END])
        out = await b.compile().ainvoke({"x": 0, "log": []})
        return out, order

    _same(case)


def test_async_sync_chain_then_fanout() -> None:
    async def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        types = _mod(pkg, "types")
        b = graph.StateGraph(State)

        def fan(s: State) -> list:
            return [types.Send("w", {"x": i, "log": []}) for i in range(5)]

        def worker(s: State) -> dict:
            return {"log": [s["x"] * 10]}

        b.add_node("a", _inc)
        b.add_node("b", _inc)
        b.add_node("w", worker)
        b.add_node("c", _inc)
        b.add_edge(graph.START, "a")
        b.add_edge("a", "b")
        b.add_conditional_edges("b", fan, ["w"])
        b.add_edge("w", "c")
        out = await b.compile().ainvoke({"x": 0, "log": []})
        return out["x"], sorted(out["log"])

    _same(case)


def test_async_sync_chain_cancelled_caller() -> None:
    """The caller is cancelled while a sync node of the chain runs: the node
    finishes in its thread (nothing stops a thread), no later node starts, and
    the caller sees CancelledError."""

    async def case(pkg: str) -> Any:
        started: list[int] = []
        entered = threading.Event()

        def node(s: State) -> dict:
            started.append(s["x"])
            if s["x"] == 2:
                entered.set()
                time.sleep(0.3)
            return _inc(s)

        g = _chain(pkg, [node] * 6)
        task = asyncio.ensure_future(g.ainvoke({"x": 0, "log": []}))
        while not entered.is_set():
            await asyncio.sleep(0.005)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            outcome = "cancelled"
        else:
            outcome = "finished"
        await asyncio.sleep(0.5)  # the running node ends; nothing after it starts
        return outcome, started

    _same(case)


def test_async_pregel_chain_low_level() -> None:
    async def case(pkg: str) -> Any:
        pregel = _mod(pkg, "pregel")
        channels = _mod(pkg, "channels")
        nb = pregel.NodeBuilder
        n = 20
        nodes = {
            f"n{i}": nb().subscribe_only(f"c{i}").do(lambda x: x + 1).write_to(f"c{i + 1}")
            for i in range(n)
        }
        chans = {f"c{i}": channels.LastValue(int) for i in range(n + 1)}
        g = pregel.Pregel(nodes=nodes, channels=chans, input_channels="c0", output_channels=f"c{n}")
        return await g.ainvoke(1), [c async for c in g.astream(1, stream_mode="updates")][-2:]

    _same(case)


def _fanout_graph(pkg: str, worker: Any) -> Any:
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")
    b = graph.StateGraph(State)

    def fan(s: State) -> list:
        return [types.Send("w", {"x": i, "log": []}) for i in range(6)]

    b.add_node("a", _inc)
    b.add_node("w", worker)
    b.add_edge(graph.START, "a")
    b.add_conditional_edges("a", fan, ["w"])
    return b.compile()


@pytest.mark.parametrize("max_concurrency", [None, 1, 2])
def test_async_sync_fanout(max_concurrency: int | None) -> None:
    async def case(pkg: str) -> Any:
        loop_thread = threading.get_ident()
        off_loop: list[bool] = []

        def worker(s: State) -> dict:
            off_loop.append(threading.get_ident() != loop_thread)
            return {"log": [s["x"]]}

        g = _fanout_graph(pkg, worker)
        out = await g.ainvoke({"x": 0, "log": []}, {"max_concurrency": max_concurrency})
        return sorted(out["log"]), all(off_loop), len(off_loop)

    _same(case)


@pytest.mark.parametrize("max_concurrency", [None, 1])
def test_async_sync_fanout_failure(max_concurrency: int | None) -> None:
    """One Send task fails: the step's error is the caller's; with one task at a
    time, tasks start in order (whether the next one starts before the failure
    ends the step is a race in LangGraph too)."""

    async def case(pkg: str) -> Any:
        started: list[int] = []

        def worker(s: State) -> dict:
            started.append(s["x"])
            if s["x"] == 2:
                raise KeyError("bad packet")
            return {"log": [s["x"]]}

        g = _fanout_graph(pkg, worker)
        try:
            await g.ainvoke({"x": 0, "log": []}, {"max_concurrency": max_concurrency})
        except KeyError as exc:
            error = repr(exc)
        return error, started[:3] if max_concurrency == 1 else 2 in started

    _same(case)


# -- commits of graphs without self-clearing channels (ChannelTable._apply_plain) --


def _plain_graph(pkg: str, reducer: Any) -> Any:
    """Low-level graph with only LastValue / BinaryOperatorAggregate channels: two
    nodes write one reducer channel in the same step, one also an unknown channel."""
    pregel = _mod(pkg, "pregel")
    channels = _mod(pkg, "channels")
    nb = pregel.NodeBuilder
    tuple_entry = (
        _mod("langgraph", "pregel._write").ChannelWriteTupleEntry
        if pkg == "langgraph"
        else _mod(pkg, "pregel._node").ChannelWriteTupleEntry
    )
    return pregel.Pregel(
        nodes={
            "a": nb().subscribe_only("inp").do(lambda x: x + 1).write_to("total", "mid"),
            "b": nb()
            .subscribe_only("inp")
            .do(lambda x: [("total", x * 10), ("nowhere", 1)])
            .write_to(tuple_entry(mapper=lambda x: x)),
            "c": nb().subscribe_only("mid").do(lambda x: x * 2).write_to("out"),
        },
        channels={
            "inp": channels.LastValue(int),
            "mid": channels.LastValue(int),
            "out": channels.LastValue(int),
            "total": channels.BinaryOperatorAggregate(int, reducer),
        },
        input_channels="inp",
        output_channels=["out", "total", "mid"],
    )


def test_plain_commit_values_and_unknown_channel(caplog: pytest.LogCaptureFixture) -> None:
    results = []
    for pkg in PKGS:
        caplog.clear()
        g = _plain_graph(pkg, operator.add)
        out = g.invoke(3)
        warned = ["nowhere" in r.getMessage() for r in caplog.records]
        results.append((out, list(g.stream(3, stream_mode="updates")), any(warned)))
    assert results[0] == results[1]


def test_plain_commit_failing_reducer() -> None:
    def bad(a: int, b: int) -> int:
        raise ZeroDivisionError("reducer failed")

    results = []
    for pkg in PKGS:
        g = _plain_graph(pkg, bad)
        with pytest.raises(ZeroDivisionError) as info:
            g.invoke(3)
        results.append(str(info.value))
    assert results[0] == results[1]


def test_plain_commit_two_writes_to_last_value() -> None:
    results = []
    for pkg in PKGS:
        pregel = _mod(pkg, "pregel")
        channels = _mod(pkg, "channels")
        errors = _mod(pkg, "errors")
        nb = pregel.NodeBuilder
        g = pregel.Pregel(
            nodes={
                "a": nb().subscribe_only("inp").do(lambda x: x).write_to("out"),
                "b": nb().subscribe_only("inp").do(lambda x: -x).write_to("out"),
            },
            channels={"inp": channels.LastValue(int), "out": channels.LastValue(int)},
            input_channels="inp",
            output_channels="out",
        )
        with pytest.raises(errors.InvalidUpdateError) as info:
            g.invoke(1)
        results.append(str(info.value).split("\n")[0])
    assert results[0] == results[1]
