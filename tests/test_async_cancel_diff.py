"""Stopping an async run early, compared on both engines: the caller closes the
stream or cancels its task, a node fails while its siblings run, a step times
out while the caller is slow to read. Each case builds the same graph against
`langgraph` and `langgraph_jit` (imported by name) and returns what a user
sees: which nodes started and were cancelled, the error, the saved state.

Long-running nodes sleep far past any wait here and are cancelled, so a loaded
machine changes no outcome; nothing waits for them to finish.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
from contextlib import aclosing
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")
LONG = 30.0  # a node that never finishes unless cancelled


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _same(case: Any) -> None:
    expected = asyncio.run(case("langgraph"))
    actual = asyncio.run(case("langgraph_jit"))
    assert actual == expected


class State(TypedDict):
    value: Annotated[int, operator.add]


def _fork(pkg: str, log: list[str], *, first: Any, checkpointer: bool = True) -> Any:
    """START -> first, START -> slow (never ends), first -> after."""
    graph = _mod(pkg, "graph")

    async def slow(state: State) -> Any:
        log.append("slow started")
        try:
            await asyncio.sleep(LONG)
        except asyncio.CancelledError:
            log.append("slow cancelled")
            raise

    async def after(state: State) -> Any:
        log.append("after started")
        return {"value": 100}

    builder = graph.StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("slow", slow)
    builder.add_node("after", after)
    builder.add_edge(graph.START, "first")
    builder.add_edge(graph.START, "slow")
    builder.add_edge("first", "after")
    saver = _mod(pkg, "checkpoint.memory").InMemorySaver() if checkpointer else None
    return builder.compile(checkpointer=saver)


async def _first(state: State) -> Any:
    await asyncio.sleep(0.05)
    return {"value": 2}


async def _saved(graph: Any, config: Any) -> Any:
    state = await graph.aget_state(config)
    return (
        state.values,
        state.next,
        state.metadata,
        sorted((t.name, repr(t.error)) for t in state.tasks),
    )


def _leftover_tasks() -> list[str]:
    return sorted(
        repr(t.get_coro())
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and not t.done()
    )


def test_closing_the_stream_cancels_running_nodes_and_saves_finished_writes() -> None:
    async def case(pkg: str) -> Any:
        log: list[str] = []
        graph = _fork(pkg, log, first=_first)
        config = {"configurable": {"thread_id": "1"}}
        chunks = []
        async with aclosing(graph.astream({"value": 1}, config)) as stream:
            async for chunk in stream:
                chunks.append(chunk)
                break
        # Cancellation has run its course by the time the stream is closed.
        return chunks, list(log), _leftover_tasks(), await _saved(graph, config)

    _same(case)


@pytest.mark.parametrize("stream_mode", ["updates", "messages", ["updates", "custom"]])
def test_cancelling_the_consumer_cancels_running_nodes(stream_mode: Any) -> None:
    async def case(pkg: str) -> Any:
        log: list[str] = []
        graph = _fork(pkg, log, first=_first)
        config = {"configurable": {"thread_id": "1"}}
        chunks: list[Any] = []

        async def consume() -> None:
            async for chunk in graph.astream({"value": 1}, config, stream_mode=stream_mode):
                chunks.append(chunk)

        consumer = asyncio.create_task(consume())
        while "slow started" not in log or (not chunks and stream_mode != "messages"):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # "first" has finished too
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        # Nothing the run started (nodes, waiters for stream chunks) is left.
        await asyncio.sleep(0)
        return chunks, list(log), _leftover_tasks(), await _saved(graph, config)

    _same(case)


def test_a_failing_node_cancels_its_running_siblings() -> None:
    async def case(pkg: str) -> Any:
        log: list[str] = []

        async def bad(state: State) -> Any:
            await asyncio.sleep(0.02)
            raise ValueError("I am bad")

        graph = _fork(pkg, log, first=bad)
        config = {"configurable": {"thread_id": "1"}}
        try:
            # Fails long before the sibling would end.
            await asyncio.wait_for(graph.ainvoke({"value": 1}, config), 5.0)
        except ValueError as exc:
            error = repr(exc)
        return error, list(log), _leftover_tasks(), await _saved(graph, config)

    _same(case)


def test_a_failing_node_cancels_siblings_when_streaming() -> None:
    async def case(pkg: str) -> Any:
        log: list[str] = []

        async def bad(state: State) -> Any:
            await asyncio.sleep(0.02)
            raise ValueError("I am bad")

        graph = _fork(pkg, log, first=bad, checkpointer=False)
        chunks = []
        try:
            async for chunk in graph.astream({"value": 1}, stream_mode=["updates", "tasks"]):
                chunks.append((chunk[0], sorted(chunk[1]) if chunk[0] == "tasks" else chunk[1]))
        except ValueError as exc:
            error = repr(exc)
        return error, chunks, list(log)

    _same(case)


def test_an_interrupt_does_not_cancel_siblings() -> None:
    async def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        graph = _mod(pkg, "graph")
        log: list[str] = []

        async def asks(state: State) -> Any:
            types.interrupt("why?")
            return {"value": 10}

        async def works(state: State) -> Any:
            await asyncio.sleep(0.1)
            log.append("works finished")
            return {"value": 2}

        builder = graph.StateGraph(State)
        builder.add_node("asks", asks)
        builder.add_node("works", works)
        builder.add_edge(graph.START, "asks")
        builder.add_edge(graph.START, "works")
        app = builder.compile(checkpointer=_mod(pkg, "checkpoint.memory").InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        result = await app.ainvoke({"value": 1}, config)
        state = await app.aget_state(config)
        return (
            result["value"],
            [i.value for i in result["__interrupt__"]],
            log,
            state.next,
            state.values,
        )

    _same(case)


@pytest.mark.parametrize("checkpointer", [False, True])
@pytest.mark.parametrize("hang", [0.1, 0.4])
def test_step_timeout_while_the_consumer_is_slow(hang: float, checkpointer: bool) -> None:
    async def case(pkg: str) -> Any:
        log: list[str] = []

        async def quick(state: State) -> Any:
            await asyncio.sleep(0.05)
            return {"value": 2}

        graph = _fork(pkg, log, first=quick, checkpointer=checkpointer)
        graph.step_timeout = 0.3
        config = {"configurable": {"thread_id": "1"}}
        chunks = []
        try:
            async for chunk in graph.astream(
                {"value": 1}, config, stream_mode=["updates", "tasks"]
            ):
                chunks.append((chunk[0], sorted(chunk[1]) if chunk[0] == "tasks" else chunk[1]))
                await asyncio.sleep(hang)
        except asyncio.TimeoutError:
            error = "timeout"
        # The sibling's cancellation ran before the error reached us.
        saved = await _saved(graph, config) if checkpointer else None
        return error, chunks, list(log), _leftover_tasks(), saved

    _same(case)
