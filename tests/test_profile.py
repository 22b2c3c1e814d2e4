"""The profiler's numbers (issue 20): nodes that sleep a known time show up with it, the
engine's time excludes the nodes', the breakdown adds up to the wall clock, async runs,
subgraphs, parallel steps, checkpointing, streaming, and nothing left on when off.

Sleep-based, on a shared machine: lower bounds are generous, upper bounds only where a
sum or an ordering is checked, never a tight one on a single measurement.
"""

from __future__ import annotations

import asyncio
import json
import operator
import sqlite3
import time
from typing import Annotated, TypedDict

import pytest

import langgraph_jit
from langgraph_jit.checkpoint.memory import InMemorySaver
from langgraph_jit.checkpoint.sqlite import SqliteSaver
from langgraph_jit.graph import END, START, StateGraph
from langgraph_jit.pregel import _profile, _trace
from langgraph_jit.profiling import CATEGORIES, Profile, profile


class S(TypedDict):
    x: int


class P(TypedDict):
    x: Annotated[int, operator.add]


def sleeper(seconds: float):
    def node(state: S) -> dict:
        time.sleep(seconds)
        return {"x": state["x"] + 1}

    return node


def asleeper(seconds: float):
    async def node(state: S) -> dict:
        await asyncio.sleep(seconds)
        return {"x": state["x"] + 1}

    return node


def chain(*nodes: tuple[str, object], checkpointer=None):
    g = StateGraph(S)
    previous = START
    for name, fn in nodes:
        g.add_node(name, fn)
        g.add_edge(previous, name)
        previous = name
    g.add_edge(previous, END)
    return g.compile(checkpointer=checkpointer)


def engine_seconds(prof: Profile) -> float:
    b = prof.breakdown
    return b["plan"] + b["commit"] + b["kernel"] + b["input"] + b["engine"]


def test_a_sleeping_node_shows_its_time():
    app = chain(("slow", sleeper(0.06)), ("fast", sleeper(0.0)))
    with profile() as prof:
        assert app.invoke({"x": 0}) == {"x": 2}
    slow = prof.node("slow")
    assert slow["calls"] == 1
    assert slow["total_s"] >= 0.055
    assert slow["mean_s"] == slow["total_s"] == slow["p95_s"] == slow["max_s"]
    assert prof.node("fast")["total_s"] < slow["total_s"]
    assert prof.breakdown["nodes"] >= 0.055


def test_engine_time_excludes_node_time():
    app = chain(("a", sleeper(0.05)), ("b", sleeper(0.05)))
    with profile() as prof:
        app.invoke({"x": 0})
    assert prof.breakdown["nodes"] >= 0.09
    # The engine's own share is what is left once the nodes' 100 ms are taken out.
    assert engine_seconds(prof) < prof.breakdown["nodes"] / 2
    assert prof.to_dict()["engine_s"] == pytest.approx(engine_seconds(prof))
    assert prof.breakdown["kernel"] > 0  # the channel table's step kernels, timed apart


def test_the_breakdown_adds_up_to_the_wall_clock():
    app = chain(("a", sleeper(0.04)), ("b", sleeper(0.03)), ("c", sleeper(0.02)))
    with profile() as prof:
        t0 = time.perf_counter()
        app.invoke({"x": 0})
        app.invoke({"x": 1})
        wall = time.perf_counter() - t0
    total = sum(prof.breakdown.values())
    assert total == pytest.approx(prof.wall, rel=1e-6)  # the categories cover the runs
    assert total == pytest.approx(wall, rel=0.05)  # ... and the runs the caller's clock
    assert prof.to_dict()["steps"] == 8  # the input step and three nodes, twice
    assert [r["calls"] for r in prof.nodes()] == [2, 2, 2]


def test_async_runs():
    app = chain(("a", asleeper(0.04)), ("b", asleeper(0.02)))

    async def main() -> Profile:
        async with profile() as prof:
            t0 = time.perf_counter()
            assert await app.ainvoke({"x": 0}) == {"x": 2}
            chunks = [c async for c in app.astream({"x": 0})]
            prof.elapsed = time.perf_counter() - t0  # type: ignore[attr-defined]
        assert len(chunks) == 2
        return prof

    prof = asyncio.run(main())
    assert prof.node("a")["calls"] == 2
    assert prof.node("a")["total_s"] >= 0.075
    assert prof.node("b")["total_s"] >= 0.035
    assert sum(prof.breakdown.values()) == pytest.approx(prof.elapsed, rel=0.05)
    assert engine_seconds(prof) < prof.breakdown["nodes"] / 2


def test_subgraph_time_is_the_inner_nodes_not_the_outer_one():
    inner = chain(("inner", sleeper(0.05)))

    def outer(state: S) -> dict:
        time.sleep(0.02)
        return {"x": inner.invoke(state)["x"]}

    app = chain(("outer", outer))
    with profile() as prof:
        app.invoke({"x": 0})
    outer_row = prof.node("outer")
    inner_row = prof.node("outer/inner")
    assert inner_row["total_s"] >= 0.045
    assert outer_row["total_s"] >= 0.018
    assert outer_row["total_s"] < inner_row["total_s"]  # its own 20 ms, not the subgraph's
    assert outer_row["with_subgraphs_s"] >= outer_row["total_s"] + inner_row["total_s"] * 0.99
    assert prof.to_dict()["top_level_runs"] == 1 and prof.to_dict()["runs"] == 2
    assert sum(prof.breakdown.values()) == pytest.approx(prof.wall, rel=1e-6)


def test_async_subgraph_added_as_a_node():
    sub = StateGraph(S)
    sub.add_node("inner", asleeper(0.04))
    sub.add_edge(START, "inner")
    app = chain(("sub", sub.compile()))
    with profile() as prof:
        asyncio.run(app.ainvoke({"x": 0}))
    assert prof.node("sub/inner")["total_s"] >= 0.035
    assert prof.node("sub")["total_s"] < prof.node("sub/inner")["total_s"]


def test_parallel_tasks_count_once_on_the_wall_clock():
    g = StateGraph(P)
    for name in ("a", "b", "c"):

        def node(state: P, name: str = name) -> dict:
            time.sleep(0.05)
            return {"x": 1}

        g.add_node(name, node)
        g.add_edge(START, name)
    app = g.compile()
    with profile() as prof:
        t0 = time.perf_counter()
        assert app.invoke({"x": 0}) == {"x": 3}
        wall = time.perf_counter() - t0
    rows = prof.nodes()
    assert sorted(r["node"] for r in rows) == ["a", "b", "c"]
    assert all(r["total_s"] >= 0.045 for r in rows)  # each node's own time, in full
    # On the wall clock, the step's three nodes overlapped.
    assert prof.breakdown["nodes"] < sum(r["total_s"] for r in rows)
    assert sum(prof.breakdown.values()) == pytest.approx(wall, rel=0.05)


def test_checkpointing_is_split_into_serialization_and_database(tmp_path):
    conn = sqlite3.connect(tmp_path / "p.db", check_same_thread=False)
    saver = SqliteSaver(conn)
    app = chain(("a", sleeper(0.0)), ("b", sleeper(0.0)), checkpointer=saver)
    serde = saver.serde
    with profile() as prof:
        for i in range(3):
            app.invoke({"x": i}, {"configurable": {"thread_id": "t"}}, durability="sync")
    b = prof.breakdown
    assert b["checkpoint_db"] > 0
    assert b["checkpoint_serialize"] > 0
    assert "dumps_typed" not in vars(serde) and "loads_typed" not in vars(serde)  # restored
    assert app.get_state({"configurable": {"thread_id": "t"}}).values == {"x": 4}
    conn.close()


def test_streaming_time_is_the_callers():
    app = chain(("a", sleeper(0.0)), ("b", sleeper(0.0)), ("c", sleeper(0.0)))
    with profile() as prof:
        for _ in app.stream({"x": 0}, stream_mode="updates"):
            time.sleep(0.02)
    assert prof.breakdown["stream"] >= 0.05
    assert prof.breakdown["nodes"] < prof.breakdown["stream"]


def test_a_failing_node_is_recorded():
    def boom(state: S) -> dict:
        raise ValueError("boom")

    app = chain(("boom", boom))
    with profile() as prof, pytest.raises(ValueError):
        app.invoke({"x": 0})
    assert prof.node("boom")["errors"] == 1
    assert sum(prof.breakdown.values()) == pytest.approx(prof.wall, rel=1e-6)


def test_callbacks_and_profiler_together():
    from langchain_core.callbacks import BaseCallbackHandler

    class Names(BaseCallbackHandler):
        def __init__(self) -> None:
            self.names: list[str] = []

        def on_chain_start(self, serialized, inputs, **kwargs):
            self.names.append(kwargs.get("name"))

    handler = Names()
    app = chain(("a", sleeper(0.01)))
    with profile() as prof:
        app.invoke({"x": 0}, {"callbacks": [handler]})
    assert "a" in handler.names
    assert prof.node("a")["total_s"] >= 0.008


def test_report_table_rows_dict_and_pictures(tmp_path):
    app = chain(("agent", sleeper(0.01)), ("tools", sleeper(0.0)))
    with profile() as prof:
        app.invoke({"x": 0}, {"configurable": {"thread_id": "1"}})
    text = str(prof)
    assert "where the runs spent their time" in text
    for _key, label in CATEGORIES:
        assert label in text
    assert "agent" in text and "tools" in text
    rows = prof.rows()
    assert {r["kind"] for r in rows} == {"category", "node"}
    assert len({tuple(sorted(r)) for r in rows}) == 1  # the same keys in every row
    json.dumps(prof.to_dict())
    for suffix in (".txt", ".json", ".html", ".svg", ".png"):
        path = prof.save(tmp_path / f"report{suffix}")
        assert path.stat().st_size > 100
    assert "<svg" in prof._repr_html_()
    with pytest.raises(ValueError):
        prof.save(tmp_path / "report.xyz")


def test_rows_make_a_dataframe():
    pandas = pytest.importorskip("pandas")
    app = chain(("a", sleeper(0.0)))
    with profile() as prof:
        app.invoke({"x": 0})
    frame = pandas.DataFrame(prof.rows())
    assert set(frame["kind"]) == {"category", "node"}


def test_off_leaves_nothing_behind():
    saver = InMemorySaver()
    app = chain(("a", sleeper(0.0)), checkpointer=saver)
    prof = langgraph_jit.profile()
    assert repr(prof) == "<Profile (not started)>"
    with prof:
        assert _trace.profiling and _profile.ACTIVE is not None
        with pytest.raises(RuntimeError):
            profile().start()  # one at a time
        app.invoke({"x": 0}, {"configurable": {"thread_id": "1"}})
    assert not _trace.profiling and _profile.ACTIVE is None
    assert "dumps_typed" not in vars(saver.serde)
    runs = len(prof._recorder.runs)
    app.invoke({"x": 0}, {"configurable": {"thread_id": "2"}})  # not recorded
    assert len(prof._recorder.runs) == runs
    assert prof.node("a")["calls"] == 1


def test_summary_while_recording():
    app = chain(("a", sleeper(0.0)))
    with profile() as prof:
        app.invoke({"x": 0})
        assert prof.recording
        assert prof.node("a")["calls"] == 1
        app.invoke({"x": 0})
        assert prof.node("a")["calls"] == 2
    assert not prof.recording


def test_async_run_of_sync_nodes():
    # An async run may run a stretch of sync steps in a pool thread (pregel/_drive.py).
    app = chain(("a", sleeper(0.03)), ("b", sleeper(0.02)))

    async def main() -> tuple[Profile, float]:
        with profile() as prof:
            t0 = time.perf_counter()
            await app.ainvoke({"x": 0})
            return prof, time.perf_counter() - t0

    prof, wall = asyncio.run(main())
    assert prof.node("a")["total_s"] >= 0.025
    assert prof.node("b")["total_s"] >= 0.015
    assert sum(prof.breakdown.values()) == pytest.approx(wall, rel=0.05)


def test_fast_steps_are_sampled_and_still_add_up():
    # 60 steps of nodes doing nothing: their planning and commit are timed on a sample
    # (pregel/_profile.py), the rest estimated; nodes are timed on every call.
    app = chain(*((f"n{i}", sleeper(0.0)) for i in range(60)))
    with profile() as prof:
        for _ in range(5):
            app.invoke({"x": 0})
    d = prof.to_dict()
    assert d["steps"] == 5 * 61
    assert 0 < d["timed_steps"] < d["steps"]
    assert "are sampled" in str(prof)
    assert all(r["calls"] == 5 for r in prof.nodes())
    b = prof.breakdown
    assert b["plan"] > 0 and b["commit"] > 0 and b["kernel"] > 0 and b["engine"] >= 0
    assert sum(b.values()) == pytest.approx(prof.wall, rel=1e-6)


def test_slow_steps_are_all_timed():
    app = chain(("a", sleeper(0.002)), ("b", sleeper(0.002)), ("c", sleeper(0.002)))
    with profile() as prof:
        app.invoke({"x": 0})
    d = prof.to_dict()
    # The input step's task ends before the first sample starts; every step after it
    # takes over _profile.TIMED_STEP and stays timed.
    assert d["timed_steps"] >= d["steps"] - 1
    assert "are sampled" not in str(prof) or d["timed_steps"] < d["steps"]


def test_a_profiled_run_keeps_its_attribute_layout():
    # Step methods live in slots of the profiled run's class: a run's __dict__ keeps the
    # keys every run shares (a new key would give it a dict of its own, slower to read),
    # and after the profile, runs are plain again with no timing left on their parts.
    from langgraph_jit._context import CURRENT_TASK
    from langgraph_jit.pregel import _run

    made = []

    def node(state: S) -> dict:
        made.append(CURRENT_TASK.get().run)
        return {"x": state["x"] + 1}

    app = chain(("a", node), checkpointer=InMemorySaver())
    app.invoke({"x": 0}, {"configurable": {"thread_id": "1"}})
    with profile():
        app.invoke({"x": 0}, {"configurable": {"thread_id": "2"}})
    app.invoke({"x": 0}, {"configurable": {"thread_id": "3"}})
    plain, profiled, after = made
    assert type(profiled) is not _run.PregelRun and isinstance(profiled, _run.PregelRun)
    assert set(vars(profiled)) == set(vars(plain))
    assert set(vars(profiled.persist)) == set(vars(plain.persist))
    assert type(after) is _run.PregelRun
    assert type(profiled.table.kernels) is type(plain.table.kernels)


def test_retried_attempts_are_each_recorded():
    # The runner times a profiled run's attempts itself (pregel/_runner.run_task).
    from langgraph_jit.types import RetryPolicy

    calls = []

    def flaky(state: S) -> dict:
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("again")
        return {"x": state["x"] + 1}

    g = StateGraph(S)
    policy = RetryPolicy(initial_interval=0.001, jitter=False, retry_on=ValueError)
    g.add_node("flaky", flaky, retry_policy=policy)
    g.add_edge(START, "flaky")
    app = g.compile()
    with profile() as prof:
        assert app.invoke({"x": 0}) == {"x": 1}
    row = prof.node("flaky")
    assert row["calls"] == 3 and row["errors"] == 2


def test_profiled_invokes_take_the_quiet_driver_and_leave_no_cycles(monkeypatch):
    # An invoke that streams nothing is driven as it is unprofiled (drive_quiet), and
    # its run, once released, holds no reference cycle (freed when dropped, not left
    # for the garbage collector).
    import gc

    from langgraph_jit.pregel import _drive

    app = chain(*((f"n{i}", sleeper(0.0)) for i in range(10)))
    driven = []

    def spy(run):
        driven.append(type(run).__name__)
        return _drive.drive_quiet(run)

    monkeypatch.setattr("langgraph_jit.pregel.main.drive_quiet", spy)
    gc.collect()
    gc.disable()
    try:
        with profile() as prof:
            for _ in range(3):
                app.invoke({"x": 0})
        driven_count = len(driven)
        driven.clear()
        garbage = gc.collect()
    finally:
        gc.enable()
    assert driven_count == 3
    assert garbage == 0
    assert prof.to_dict()["steps"] == 3 * 11
    assert all(r["calls"] == 3 for r in prof.nodes())
