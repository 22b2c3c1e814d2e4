"""Checkpoints stored as changes (issue 16): what a user reads back from our SQL
savers equals what LangGraph's own savers give, across snapshots, appended
lists, forks, pruning, and rows written before the format."""

from __future__ import annotations

import operator
import sqlite3
import uuid
from typing import Annotated, TypedDict

import pytest

from langgraph_jit.checkpoint import _delta_rows
from saver_fixtures import fresh_database, pg_dsn, sync_saver  # noqa: F401

KINDS = ("sqlite", "postgres")
STEPS = 2 * _delta_rows.MAX_DEPTH + 7  # past two snapshots


@pytest.fixture
def db_factory(request):
    def factory():
        return fresh_database(request.getfixturevalue("pg_dsn"))

    return factory


def _graph(pkg: str, saver, steps: int = STEPS):
    g = __import__(f"{pkg}.graph", fromlist=["StateGraph"])

    State = TypedDict(  # noqa: UP013
        "State",
        {
            "i": int,
            "log": Annotated[list, operator.add],
            "big": str,
            "msgs": Annotated[list, g.add_messages],
        },
    )

    def step(state):
        i = state["i"] + 1
        out = {"i": i, "log": [i % 5]}
        if i % 3 == 0:
            out["msgs"] = [{"role": "ai", "content": f"m{i} " * 20, "id": f"m{i}"}]
        if i % 40 == 0:
            out["big"] = f"{i}:" + "y" * 300
        return out

    def route(state):
        return g.END if state["i"] >= steps else "step"

    builder = g.StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(g.START, "step")
    builder.add_conditional_edges("step", route)
    return builder.compile(checkpointer=saver)


def _langgraph_history(steps: int = STEPS, fork: bool = False):
    from langgraph.checkpoint.memory import InMemorySaver

    graph = _graph("langgraph", InMemorySaver(), steps)
    return _run(graph, steps, fork)


def _seen(snap) -> tuple:
    values = dict(snap.values)
    values["msgs"] = [(m.id, m.content) for m in values.get("msgs", [])]
    return values, snap.next, snap.metadata["step"], snap.metadata["source"]


def _run(graph, steps: int, fork: bool) -> dict:
    cfg = {"configurable": {"thread_id": "t"}, "recursion_limit": steps + 20}
    graph.invoke({"i": 0, "log": [], "big": "b" * 200, "msgs": []}, cfg)
    history = list(graph.get_state_history(cfg))
    out = {"history": [_seen(s) for s in history]}
    if fork:
        middle = history[len(history) // 2].config
        forked = graph.update_state(middle, {"i": 1000, "log": [-1]})
        graph.invoke(None, {**forked, "recursion_limit": 20})
        out["after_fork"] = [_seen(s) for s in graph.get_state_history(cfg)]
    picks = history[:: max(1, len(history) // 9)]
    out["get_state"] = [_seen(graph.get_state(s.config)) for s in picks]
    out["limit"] = [_seen(s) for s in graph.get_state_history(cfg, limit=5)]
    out["before"] = [
        _seen(s) for s in graph.get_state_history(cfg, before=picks[2].config, limit=7)
    ]
    out["filter"] = [_seen(s) for s in graph.get_state_history(cfg, filter={"step": 30})]
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_history_matches_langgraph(kind, tmp_path, db_factory):
    expected = _langgraph_history(fork=True)
    with sync_saver(kind, tmp_path, db_factory) as saver:
        got = _run(_graph("langgraph_jit", saver), STEPS, fork=True)
        if kind == "sqlite":  # snapshots at most MAX_DEPTH rows apart
            kinds = [t[0] for (t,) in saver.conn.execute("SELECT type FROM checkpoints")]
            assert kinds.count(_delta_rows.SNAPSHOT) >= 2
            assert kinds.count(_delta_rows.DELTA) > STEPS // 2
    assert got == expected


@pytest.mark.parametrize("kind", KINDS)
def test_history_without_the_writer_cache(kind, tmp_path, db_factory):
    """Another process continuing the thread (nothing remembered) reads it back
    from the database, and its rows stay deltas."""
    expected = _langgraph_history(fork=True)
    with sync_saver(kind, tmp_path, db_factory) as saver:
        graph = _graph("langgraph_jit", saver)
        real = _delta_rows.remember
        _delta_rows.forget()
        try:
            _delta_rows_remember_off(True)
            got = _run(graph, STEPS, fork=True)
        finally:
            _delta_rows_remember_off(False, real)
    assert got == expected


def _delta_rows_remember_off(off: bool, real=None):
    import langgraph_jit.checkpoint._sql_ops as sql_ops
    import langgraph_jit.checkpoint.postgres._ops as pg_ops
    import langgraph_jit.checkpoint.sqlite._ops as sqlite_ops

    for mod in (sqlite_ops, pg_ops, sql_ops):
        mod.remember = (lambda *a, **k: None) if off else real


def _ckpt(cid: str, values: dict, versions: dict, seen: dict | None = None) -> dict:
    return {
        "v": 4,
        "id": cid,
        "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": seen or {},
        "updated_channels": list(values),
    }


def _put_chain(saver, thread: str, tag: str, n: int) -> list[dict]:
    config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    configs = []
    for k in range(n):
        version = f"{k + 1:032}.0.{tag}"  # versions name values: unique per content
        values = {"a": f"{tag}{k}", "lst": [f"{tag}{j}" for j in range(k + 1)]}
        versions = {"a": version, "lst": version, "fixed": "1"}
        if k == 0:
            values["fixed"] = tag * 100
        config = saver.put(
            config,
            _ckpt(f"{k + 1:04}", values, versions, {"n": {"a": version}}),
            {"k": k},
            {c: versions[c] for c in values},
        )
        configs.append(config)
    return configs


def _values(saver, config) -> dict:
    return saver.get_tuple(config).checkpoint["channel_values"]


@pytest.mark.parametrize("kind", KINDS)
def test_same_ids_in_two_databases(kind, tmp_path, db_factory):
    """Checkpoint ids that repeat across databases with other contents: a state
    remembered from one database is never the base of a delta in the other."""
    with (
        sync_saver(kind, tmp_path, db_factory) as one,
        sync_saver(kind, tmp_path, db_factory) as two,
    ):
        a = _put_chain(one, "t", "a", 3)
        b = _put_chain(two, "t", "b", 3)
        a += _put_chain(one, "t", "A", 3)[1:]  # rewrites ids 2, 3 in `one`
        assert _values(two, b[-1]) == {"a": "b2", "lst": ["b0", "b1", "b2"], "fixed": "b" * 100}
        assert _values(one, a[-1])["lst"] == ["A0", "A1", "A2"]


@pytest.mark.parametrize("kind", KINDS)
def test_long_appended_list(kind, tmp_path, db_factory):
    """More appends than a list keeps as pieces: stored whole again, read back right."""
    n = _delta_rows.PIECES_MAX * 2 + 5
    with sync_saver(kind, tmp_path, db_factory) as saver:
        configs = _put_chain(saver, "t", "x", n)
        for k in (0, 1, _delta_rows.PIECES_MAX, n - 1):
            assert _values(saver, configs[k])["lst"] == [f"x{j}" for j in range(k + 1)]
        listed = list(saver.list({"configurable": {"thread_id": "t"}}))
        assert [t.checkpoint["channel_values"]["lst"][-1] for t in listed] == [
            f"x{k}" for k in reversed(range(n))
        ]


@pytest.mark.parametrize("kind", KINDS)
def test_prune_and_delete_for_runs_keep_the_rest_readable(kind, tmp_path, db_factory):
    with sync_saver(kind, tmp_path, db_factory) as saver:
        graph = _graph("langgraph_jit", saver, steps=10)
        cfg = {"configurable": {"thread_id": "t"}}
        run_ids = []
        for _turn in range(3):
            run_id = uuid.uuid4()
            run_ids.append(str(run_id))
            state = graph.get_state(cfg).values
            start = {"i": 0, "log": [], "big": "b", "msgs": []} if not state else {"i": 0}
            graph.invoke(start, {**cfg, "metadata": {"run_id": str(run_id)}})
        before = {
            s.config["configurable"]["checkpoint_id"]: _seen(s)
            for s in graph.get_state_history(cfg)
        }
        saver.delete_for_runs([run_ids[1]])
        after = {
            s.config["configurable"]["checkpoint_id"]: _seen(s)
            for s in graph.get_state_history(cfg)
        }
        assert after and len(after) < len(before)
        assert all(before[k] == v for k, v in after.items())
        latest = _seen(graph.get_state(cfg))
        saver.prune(["t"], strategy="keep_latest")
        assert [_seen(s) for s in graph.get_state_history(cfg)] == [latest]
        graph.invoke({"i": 0}, cfg)  # the thread continues on the pruned row
        assert graph.get_state(cfg).values["i"] == 10


def test_rows_of_the_earlier_format_continue(tmp_path):
    """A file whose rows keep whole skeletons (our earlier SqliteSaver) reads as
    before, and a thread in it continues in the new format."""
    from langgraph_jit.checkpoint._sql import skeleton
    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    path = str(tmp_path / "old.sqlite")
    with SqliteSaver.from_conn_string(path) as saver:
        configs = _put_chain(saver, "t", "o", 5)
        expected = [_values(saver, c) for c in configs]
        # Rewrite every row the way the earlier saver stored it.
        for tup in list(saver.list(None)):
            cid = tup.config["configurable"]["checkpoint_id"]
            values = tup.checkpoint["channel_values"]
            for c, v in values.items():
                saver.conn.execute(
                    "INSERT OR REPLACE INTO checkpoint_blobs VALUES ('t', '', ?, ?, ?, ?)",
                    (c, str(tup.checkpoint["channel_versions"][c]), *saver.serde.dumps_typed(v)),
                )
            type_, data = saver.serde.dumps_typed(skeleton(tup.checkpoint))
            saver.conn.execute(
                "UPDATE checkpoints SET type = ?, checkpoint = ? WHERE checkpoint_id = ?",
                (type_, data, cid),
            )
        saver.conn.commit()
    _delta_rows.forget()
    with SqliteSaver.from_conn_string(path) as saver:
        assert [_values(saver, c) for c in configs] == expected
        more = _put_chain(saver, "t", "o", 7)[5:]
        assert _values(saver, more[-1])["lst"] == [f"o{j}" for j in range(7)]
        assert _values(saver, configs[2]) == expected[2]
    conn = sqlite3.connect(path)
    kinds = [
        t[0]
        for (t,) in conn.execute(
            "SELECT type FROM checkpoints WHERE checkpoint_id IN ('0006', '0007')"
        )
    ]
    conn.close()
    assert _delta_rows.DELTA in kinds


def _copy_fork(pkg: str, saver) -> list:
    """update_state(as_node="__copy__") on the input checkpoint, then continue:
    a checkpoint with no parent whose values were stored inline elsewhere."""
    g = __import__(f"{pkg}.graph", fromlist=["StateGraph"])
    types = __import__(f"{pkg}.types", fromlist=["Command"])
    State = TypedDict(  # noqa: UP013
        "State", {"name": Annotated[str, lambda a, b: " > ".join([a, b]) if a else b]}
    )

    def one(state):
        return types.Command(goto=[types.Send("two", {})], update={"name": "one"})

    graph = (
        g.StateGraph(State)
        .add_node("one", one)
        .add_node("two", lambda s: {"name": "two"})
        .add_node("three", lambda s: {"name": "three"})
        .add_edge(g.START, "one")
        .add_edge("one", "two")
        .add_edge("two", "three")
        .compile(checkpointer=saver)
    )
    config = {"configurable": {"thread_id": "1"}}
    graph.invoke({"name": "start"}, config)
    first = list(graph.get_state_history(config))[-1].config
    update = types.StateUpdate(values={"name": "start*"}, as_node="__start__")
    graph.invoke(None, graph.update_state(first, values=[update], as_node="__copy__"))
    return [
        (s.values, [(t.name, t.result) for t in s.tasks], s.next, s.metadata["source"])
        for s in graph.get_state_history(config)
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_copy_fork_matches_langgraph(kind, tmp_path, db_factory):
    from langgraph.checkpoint.memory import InMemorySaver

    expected = _copy_fork("langgraph", InMemorySaver())
    with sync_saver(kind, tmp_path, db_factory) as saver:
        assert _copy_fork("langgraph_jit", saver) == expected
