"""Threads checkpointed by real LangGraph savers, continued by ours (and back, for PostgreSQL).

Each case runs LangGraph until it stops (a breakpoint, or a node that fails
after its sibling's writes were saved), then finishes the thread twice: with
LangGraph on a copy of the data (the reference) and with langgraph_jit's
saver + engine on the original. Outputs and final state must be the same.
"""

from __future__ import annotations

import operator
import shutil
from contextlib import ExitStack

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401


def _impl(which):
    if which == "lg":
        import langgraph.channels as ch
        from langgraph.pregel import NodeBuilder, Pregel
    else:
        import langgraph_jit.channels as ch
        from langgraph_jit.pregel import NodeBuilder, Pregel
    return ch, NodeBuilder, Pregel


def breakpoint_app(which, checkpointer):
    ch, NodeBuilder, Pregel = _impl(which)
    return Pregel(
        nodes={
            "inc": NodeBuilder()
            .subscribe_only("a")
            .do(lambda x: x + 1)
            .write_to("b", log=lambda x: f"inc{x}"),
            "dbl": NodeBuilder()
            .subscribe_only("b")
            .do(lambda x: x * 2)
            .write_to("c", log=lambda x: f"dbl{x}"),
            "fin": NodeBuilder()
            .subscribe_only("c")
            .do(lambda x: {"v": x, "tags": ["t"]})
            .write_to("out"),
        },
        channels={
            "a": ch.LastValue(int),
            "b": ch.LastValue(int),
            "c": ch.LastValue(int),
            "out": ch.LastValue(dict),
            "log": ch.Topic(str, accumulate=True),
            "total": ch.BinaryOperatorAggregate(int, operator.add),
        },
        input_channels="a",
        output_channels=["out", "log", "a"],
        interrupt_before_nodes=["dbl"],
        checkpointer=checkpointer,
    )


def failing_app(which, checkpointer, calls, fail):
    """`p` and `q` run in one step; `q` fails while `fail` is set."""
    ch, NodeBuilder, Pregel = _impl(which)

    def p(x):
        calls.append("p")
        return x * 10

    def q(x):
        calls.append("q")
        if fail:
            raise RuntimeError("q failed")
        return x + 1

    return Pregel(
        nodes={
            "p": NodeBuilder().subscribe_only("a").do(p).write_to("pa"),
            "q": NodeBuilder().subscribe_only("a").do(q).write_to("qa"),
            "sum": NodeBuilder()
            .subscribe_to("pa", "qa")
            .do(lambda s: s["pa"] + s["qa"])
            .write_to("out"),
        },
        channels={
            "a": ch.LastValue(int),
            "pa": ch.LastValue(int),
            "qa": ch.LastValue(int),
            "out": ch.LastValue(int),
        },
        input_channels="a",
        output_channels=["out", "pa", "qa"],
        checkpointer=checkpointer,
    )


def _finish_breakpoint(app, cfg):
    # The state read back after the first resume has `a`, which only the
    # writer's checkpoints hold a value for.
    first = app.invoke(None, cfg)
    return [
        first,
        app.get_state(cfg).values,
        app.invoke(7, cfg),
        app.invoke(None, cfg),
        app.get_state(cfg).values,
    ]


# ---------------------------------------------------------------- SQLite


def test_sqlite_breakpoint_thread_written_by_langgraph(tmp_path):
    from langgraph.checkpoint.sqlite import SqliteSaver as LGSqliteSaver

    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    path, ref_path = tmp_path / "lg.sqlite", tmp_path / "ref.sqlite"
    cfg = {"configurable": {"thread_id": "t"}}
    with LGSqliteSaver.from_conn_string(str(path)) as saver:
        breakpoint_app("lg", saver).invoke(1, cfg)
    shutil.copy(path, ref_path)
    with LGSqliteSaver.from_conn_string(str(ref_path)) as saver:
        expected = _finish_breakpoint(breakpoint_app("lg", saver), cfg)
    with SqliteSaver.from_conn_string(str(path)) as saver:
        app = breakpoint_app("jit", saver)
        assert app.get_state(cfg).next == ("dbl",)
        got = _finish_breakpoint(app, cfg)
        history = list(app.get_state_history(cfg))
    assert got == expected
    assert expected[0]["out"] == {"v": 4, "tags": ["t"]}
    assert [s.metadata["step"] for s in history] == list(range(len(history) - 2, -2, -1))


def test_sqlite_pending_writes_written_by_langgraph(tmp_path):
    from langgraph.checkpoint.sqlite import SqliteSaver as LGSqliteSaver

    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    path, ref_path = tmp_path / "lg.sqlite", tmp_path / "ref.sqlite"
    cfg = {"configurable": {"thread_id": "t"}}
    with (
        LGSqliteSaver.from_conn_string(str(path)) as saver,
        pytest.raises(RuntimeError, match="q failed"),
    ):
        failing_app("lg", saver, [], fail=True).invoke(3, cfg)
    shutil.copy(path, ref_path)
    ref_calls: list = []
    with LGSqliteSaver.from_conn_string(str(ref_path)) as saver:
        expected = failing_app("lg", saver, ref_calls, fail=False).invoke(None, cfg)
    calls: list = []
    with SqliteSaver.from_conn_string(str(path)) as saver:
        pending = saver.get_tuple(cfg).pending_writes
        assert sorted(w[1] for w in pending) == [
            "__error__",
            "pa",
        ]  # p saved its write before q failed
        got = failing_app("jit", saver, calls, fail=False).invoke(None, cfg)
    assert got == expected == {"out": 34, "pa": 30, "qa": 4}
    assert calls == ref_calls == ["q"]  # p is not run again


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_db(pg_dsn):  # noqa: F811
    with fresh_database(pg_dsn) as dsn:
        yield dsn


def _copy_pg_thread(dsn, source, target):
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO checkpoints SELECT %s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, "
            "checkpoint, metadata FROM checkpoints WHERE thread_id = %s",
            (target, source),
        )
        conn.execute(
            "INSERT INTO checkpoint_blobs SELECT %s, checkpoint_ns, channel, version, type, blob "
            "FROM checkpoint_blobs WHERE thread_id = %s",
            (target, source),
        )
        conn.execute(
            "INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, "
            "channel, type, blob) SELECT %s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, "
            "type, blob FROM checkpoint_writes WHERE thread_id = %s",
            (target, source),
        )


@pytest.mark.parametrize("writer,reader", [("lg", "jit"), ("jit", "lg")])
def test_postgres_threads_move_between_savers(pg_dsn, pg_db, writer, reader):  # noqa: F811
    from langgraph.checkpoint.postgres import PostgresSaver as LGPostgresSaver

    from langgraph_jit.checkpoint.postgres import PostgresSaver

    savers = {"lg": LGPostgresSaver, "jit": PostgresSaver}
    with savers[writer].from_conn_string(pg_db) as saver:
        saver.setup()
        breakpoint_app(writer, saver).invoke(1, {"configurable": {"thread_id": "t"}})
        with pytest.raises(RuntimeError):
            failing_app(writer, saver, [], fail=True).invoke(
                3, {"configurable": {"thread_id": "f"}}
            )
    _copy_pg_thread(pg_db, "t", "t-ref")
    _copy_pg_thread(pg_db, "f", "f-ref")
    with savers[writer].from_conn_string(pg_db) as saver:
        saver.setup()  # the other saver's migrations are recognised: nothing to do
        expected = _finish_breakpoint(
            breakpoint_app(writer, saver), {"configurable": {"thread_id": "t-ref"}}
        )
        ref_calls: list = []
        expected_f = failing_app(writer, saver, ref_calls, fail=False).invoke(
            None, {"configurable": {"thread_id": "f-ref"}}
        )
    with ExitStack() as stack:
        where = pg_db
        if writer == "jit":
            # Our PostgreSQL rows store what changed, which LangGraph's saver cannot
            # read: threads move to it through the converter.
            from langgraph_jit._checkpoint_convert import convert

            where = stack.enter_context(fresh_database(pg_dsn))
            convert(pg_db, where, to="langgraph", threads=["t", "f"])
        saver = stack.enter_context(savers[reader].from_conn_string(where))
        got = _finish_breakpoint(
            breakpoint_app(reader, saver), {"configurable": {"thread_id": "t"}}
        )
        calls: list = []
        got_f = failing_app(reader, saver, calls, fail=False).invoke(
            None, {"configurable": {"thread_id": "f"}}
        )
    assert got == expected
    assert got_f == expected_f == {"out": 34, "pa": 30, "qa": 4}
    assert calls == ref_calls == ["q"]


def test_postgres_json_integers_beyond_64_bits(pg_db):
    """JSON columns (metadata) with an integer beyond 64 bits, which the fast
    JSON parser would read as a float, are read exactly."""
    import json

    import psycopg

    from langgraph_jit.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(pg_db) as saver:
        saver.setup()
    checkpoint = {
        "v": 1,
        "id": "1ef00000-0000-6000-8000-000000000001",
        "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": {"x": 5},
        "channel_versions": {"x": 1},
        "versions_seen": {},
    }
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
            "parent_checkpoint_id, type, checkpoint, metadata) "
            "VALUES ('big', '', %s, NULL, NULL, %s::jsonb, %s::jsonb)",
            (checkpoint["id"], json.dumps(checkpoint), json.dumps({"n": 2**70 + 1})),
        )
    cfg = {"configurable": {"thread_id": "big"}}
    with PostgresSaver.from_conn_string(pg_db) as saver:
        found = saver.get_tuple(cfg)
        assert found.checkpoint["channel_values"] == {"x": 5}
        assert found.metadata == {"n": 2**70 + 1}
        (listed,) = saver.list(cfg)
        assert listed.checkpoint["channel_values"] == {"x": 5}
        assert listed.metadata == {"n": 2**70 + 1}


def test_sqlite_metadata_integers_beyond_64_bits(tmp_path):
    from langgraph_jit.checkpoint.base import empty_checkpoint
    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(tmp_path / "m.sqlite")) as saver:
        config = saver.put(
            {"configurable": {"thread_id": "m", "checkpoint_ns": ""}},
            empty_checkpoint(),
            {"n": 2**70 + 1, "f": 0.1},
            {},
        )
        assert saver.get_tuple(config).metadata == {"n": 2**70 + 1, "f": 0.1}
        (listed,) = saver.list({"configurable": {"thread_id": "m"}})
        assert listed.metadata == {"n": 2**70 + 1, "f": 0.1}
