"""One unreadable checkpoint row: a clear error naming it, other threads readable."""

from __future__ import annotations

import sqlite3

import pytest

from langgraph_jit.checkpoint._sql import UnreadableCheckpointError
from langgraph_jit.checkpoint.sqlite import SqliteSaver
from langgraph_jit.graph import START, StateGraph


def test_a_garbage_row_is_named_and_other_threads_stay_readable() -> None:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    saver = SqliteSaver(conn)
    builder = StateGraph(dict)
    builder.add_node("a", lambda state: {"x": 1})
    builder.add_edge(START, "a")
    graph = builder.compile(checkpointer=saver)
    for thread in ("good", "bad"):
        graph.invoke({"x": 0}, {"configurable": {"thread_id": thread}})
    (bad_id,) = conn.execute(
        "SELECT checkpoint_id FROM checkpoints WHERE thread_id = 'bad' "
        "ORDER BY checkpoint_id DESC LIMIT 1"
    ).fetchone()
    conn.execute(
        "UPDATE checkpoints SET checkpoint = ? WHERE thread_id = 'bad' AND checkpoint_id = ?",
        (b"\x00not msgpack", bad_id),
    )
    conn.commit()

    with pytest.raises(UnreadableCheckpointError) as info:
        list(saver.list(None))
    assert (info.value.thread_id, info.value.checkpoint_id) == ("bad", bad_id)
    assert "'bad'" in str(info.value) and bad_id in str(info.value)
    assert isinstance(info.value, ValueError) and info.value.__cause__ is not None

    good = {"configurable": {"thread_id": "good"}}
    assert len(list(saver.list(good))) == 3
    assert graph.get_state(good).values == {"x": 1}
