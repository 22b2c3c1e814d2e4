"""A caller that stops reading a sync stream mid-run (breaks out of its loop,
closes the stream), compared on both engines: the step's running tasks are
waited for and their writes saved, the step is not committed, and the thread
resumes from there. Each case returns what a user sees: the chunks read, the
saved state and history, and the result of resuming.
"""

from __future__ import annotations

import importlib
import operator
import threading
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict


class State(TypedDict):
    value: Annotated[int, operator.add]


def _graph(pkg: str, slow_done: threading.Event) -> Any:
    """START -> quick, START -> slow (waits until `slow_done`), slow -> after."""
    graph = importlib.import_module(f"{pkg}.graph")
    memory = importlib.import_module(f"{pkg}.checkpoint.memory")

    def slow(state: State) -> Any:
        slow_done.wait(2)
        return {"value": 5}

    builder = graph.StateGraph(State)
    builder.add_node("quick", lambda s: {"value": 2})
    builder.add_node("slow", slow)
    builder.add_node("after", lambda s: {"value": 100})
    builder.add_edge(graph.START, "quick")
    builder.add_edge(graph.START, "slow")
    builder.add_edge("slow", "after")
    return builder.compile(checkpointer=memory.InMemorySaver())


def _stop_after(pkg: str, stream_mode: str, durability: str, read: int) -> Any:
    slow_done = threading.Event()
    app = _graph(pkg, slow_done)
    config = {"configurable": {"thread_id": "t"}}
    chunks = []
    stream = app.stream({"value": 1}, config, stream_mode=stream_mode, durability=durability)
    for chunk in stream:
        chunks.append(chunk)
        if len(chunks) == read:
            # The slow node finishes only once the caller has stopped reading.
            threading.Timer(0.05, slow_done.set).start()
            break
    stream.close()
    state = app.get_state(config)
    history = [(h.metadata["step"], h.values, h.next) for h in app.get_state_history(config)]
    resumed = app.invoke(None, config)
    return chunks, state.values, state.next, history, resumed


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
@pytest.mark.parametrize(("stream_mode", "read"), [("updates", 1), ("updates", 2), ("values", 1)])
def test_stopping_a_sync_stream_keeps_the_step_writes(
    stream_mode: str, read: int, durability: str
) -> None:
    expected = _stop_after("langgraph", stream_mode, durability, read)
    assert _stop_after("langgraph_jit", stream_mode, durability, read) == expected
