"""PostgreSQL's guarded put (issue 16): a step written by the write pipeline
without first looking at its parent row (one round trip per step with
durability="sync"). The database keeps the delta when the parent row has the
digest the writer remembers, else the inheriting row sent with it; either
way the checkpoint reads back as written."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from langgraph_jit.checkpoint import _delta_rows
from saver_fixtures import fresh_database, pg_dsn, sync_saver  # noqa: F401


@pytest.fixture
def db_factory(request):
    def factory():
        return fresh_database(request.getfixturevalue("pg_dsn"))

    return factory


def _ckpt(k: int, tag: str) -> tuple[dict, dict]:
    version = f"{k + 1:032}.0.{tag}"
    values = {"a": f"{tag}{k}", "lst": [f"{tag}{j}" for j in range(k + 1)]}
    if k == 0:
        values["fixed"] = tag * 100
    versions = {"a": version, "lst": version, "fixed": "1"}
    checkpoint = {
        "v": 4,
        "id": f"{k + 1:04}",
        "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": {"n": {"a": version}},
        "updated_channels": list(values),
    }
    return checkpoint, {c: versions[c] for c in values}


def _pipeline_put(saver, thread: str, parent: str | None, k: int, tag: str) -> dict:
    """One step as a run's write pipeline commits it (its own op)."""
    config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    if parent:
        config["configurable"]["checkpoint_id"] = parent
    checkpoint, new_versions = _ckpt(k, tag)
    saver._commit_calls([("put", (config, checkpoint, {"k": k}, new_versions))])
    return {
        "configurable": {"thread_id": thread, "checkpoint_ns": "", "checkpoint_id": f"{k + 1:04}"}
    }


def _chain(saver, thread: str, tag: str, n: int, start: int = 0) -> list[dict]:
    configs = []
    parent = f"{start:04}" if start else None
    for k in range(start, n):
        configs.append(_pipeline_put(saver, thread, parent, k, tag))
        parent = f"{k + 1:04}"
    return configs


def _kinds(saver) -> list[str]:
    with saver._connection() as conn:
        rows = conn.execute("SELECT type FROM checkpoints ORDER BY checkpoint_id").fetchall()
    return [(r["type"] if isinstance(r, dict) else r[0])[0] for r in rows]


def _values(saver, config) -> dict:
    return saver.get_tuple(config).checkpoint["channel_values"]


def _expected(tag: str, k: int) -> dict:
    return {"a": f"{tag}{k}", "lst": [f"{tag}{j}" for j in range(k + 1)], "fixed": tag * 100}


def test_parent_as_remembered_keeps_the_delta(tmp_path, db_factory):
    with sync_saver("postgres", tmp_path, db_factory) as saver:
        configs = _chain(saver, "t", "a", 5)
        assert _kinds(saver) == ["=", "+", "+", "+", "+"]
        _delta_rows.forget()
        for k, config in enumerate(configs):
            assert _values(saver, config) == _expected("a", k)


def test_parent_of_another_database_writes_the_inheriting_row(tmp_path, db_factory):
    """The same checkpoint ids in two databases: the state remembered last is
    the other database's, so the delta is refused and the fallback kept."""
    with (
        sync_saver("postgres", tmp_path, db_factory) as one,
        sync_saver("postgres", tmp_path, db_factory) as two,
    ):
        _chain(one, "t", "a", 1)
        _chain(two, "t", "b", 1)  # remembered now: two's row 0001
        configs = _chain(one, "t", "a", 4, start=1)
        # Until a read of the thread remembers its state again, its steps are
        # inheriting rows (each valid on its parent).
        assert _kinds(one) == ["=", "~", "~", "~"]
        assert _kinds(two) == ["="]
        for forget in (False, True):
            if forget:
                _delta_rows.forget()
            for k, config in enumerate(configs, start=1):
                assert _values(one, config) == _expected("a", k)
            listed = list(one.list({"configurable": {"thread_id": "t"}}))
            assert [t.checkpoint["channel_values"] for t in listed] == [
                _expected("a", k) for k in reversed(range(4))
            ]


def test_parent_row_gone_keeps_what_the_step_wrote(tmp_path, db_factory):
    with sync_saver("postgres", tmp_path, db_factory) as saver:
        _chain(saver, "t", "a", 1)
        with saver._connection() as conn:
            conn.execute("DELETE FROM checkpoints")
        (config,) = _chain(saver, "t", "a", 2, start=1)
        assert _kinds(saver) == ["~"]
        _delta_rows.forget()
        # Its own values (the new versions), and the blobs of the others'
        # versions that are still there.
        assert _values(saver, config) == _expected("a", 1)
        with saver._connection() as conn:
            conn.execute("DELETE FROM checkpoint_blobs")
        assert _values(saver, config) == {"a": "a1", "lst": ["a0", "a1"]}


def _graph(pkg: str, saver):
    g = __import__(f"{pkg}.graph", fromlist=["StateGraph"])
    State = TypedDict("State", {"i": int, "log": Annotated[list, operator.add]})  # noqa: UP013

    def step(state):
        return {"i": state["i"] + 1, "log": [state["i"]]}

    builder = g.StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(g.START, "step")
    builder.add_conditional_edges("step", lambda s: g.END if s["i"] >= 12 else "step")
    return builder.compile(checkpointer=saver)


def _history(graph) -> list:
    cfg = {"configurable": {"thread_id": "h"}}
    graph.invoke({"i": 0, "log": []}, cfg, durability="sync")
    graph.invoke({"i": 0, "log": [-1]}, cfg, durability="sync")
    return [
        (s.values, s.next, s.metadata["step"], s.metadata["source"])
        for s in graph.get_state_history(cfg)
    ]


def test_sync_durability_history_matches_langgraph(tmp_path, db_factory):
    from langgraph.checkpoint.memory import InMemorySaver

    expected = _history(_graph("langgraph", InMemorySaver()))
    with sync_saver("postgres", tmp_path, db_factory) as saver:
        assert _history(_graph("langgraph_jit", saver)) == expected
        assert "~" not in _kinds(saver)


def test_async_sync_durability_history_matches_langgraph(tmp_path, db_factory):
    import asyncio

    from langgraph.checkpoint.memory import InMemorySaver

    from saver_fixtures import async_saver

    expected = _history(_graph("langgraph", InMemorySaver()))

    async def main():
        async with async_saver("postgres", tmp_path, db_factory) as saver:
            graph = _graph("langgraph_jit", saver)
            cfg = {"configurable": {"thread_id": "h"}}
            await graph.ainvoke({"i": 0, "log": []}, cfg, durability="sync")
            await graph.ainvoke({"i": 0, "log": [-1]}, cfg, durability="sync")
            _delta_rows.forget()
            return [
                (s.values, s.next, s.metadata["step"], s.metadata["source"])
                async for s in graph.aget_state_history(cfg)
            ]

    assert asyncio.run(main()) == expected
