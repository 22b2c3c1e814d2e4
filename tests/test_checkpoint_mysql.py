"""The MySQL savers against a real MariaDB: the same graphs run by LangGraph on
langgraph-checkpoint-mysql and by langgraph_jit on ours give what a user sees
alike (outputs, state, history, interrupts and resume), on the three drivers,
the shallow savers and every durability; threads written by
langgraph-checkpoint-mysql continue on ours; MySQL's edge cases (4-byte
characters, large values, strict mode, a connection the server killed)."""

from __future__ import annotations

import asyncio
import operator
import os
from typing import Annotated, TypedDict

import pytest

from _mysql_fixtures import DSN_ENV, admin_connection, fresh_mysql_database

pytestmark = pytest.mark.skipif(
    not os.environ.get(DSN_ENV),
    reason=f"{DSN_ENV} is unset: no MariaDB server for the MySQL saver tests "
    '(scripts/test.sh starts one: eval "$(bash scripts/mysql.sh start)")',
)


@pytest.fixture
def db():
    with fresh_mysql_database(os.environ[DSN_ENV]) as dsn:
        yield dsn


class State(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def _graph(lib: str, saver, interrupt: bool = False):
    if lib == "langgraph":
        from langgraph.graph import END, START, StateGraph
        from langgraph.types import interrupt as ask
    else:
        from langgraph_jit.graph import END, START, StateGraph
        from langgraph_jit.types import interrupt as ask

    def a(s):
        return {"x": s["x"] + 1, "log": ["a" * 120]}  # a value large enough for a blob

    def b(s):
        answer = ask("ok?") if interrupt else "-"
        return {"x": s["x"] * 2, "log": [f"b{answer}"]}

    g = StateGraph(State)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)
    return g.compile(checkpointer=saver)


def _plain(out: dict) -> dict:
    """An output with its interrupts as their values (ids hash the thread's ids)."""
    if "__interrupt__" in out:
        out = {**out, "__interrupt__": [i.value for i in out["__interrupt__"]]}
    return out


def _seen(app, config, lib: str, interrupt: bool, durability: str | None = None):
    if lib == "langgraph":
        from langgraph.types import Command
    else:
        from langgraph_jit.types import Command
    kw = {"durability": durability} if durability else {}
    out = [_plain(app.invoke({"x": 1, "log": []}, config, **kw))]
    if interrupt:
        out.append(_plain(app.invoke(Command(resume="yes"), config, **kw)))
    out.append(_plain(app.invoke({"x": 5, "log": ["again"]}, config, **kw)))
    state = app.get_state(config)
    history = [
        (h.values, h.next, h.metadata.get("step"), h.metadata.get("source"), len(h.tasks))
        for h in app.get_state_history(config)
    ]
    return out, (state.values, state.next, state.metadata.get("step")), history


def _langgraph_sees(dsn: str, thread: str, interrupt: bool, durability: str | None = None):
    from langgraph.checkpoint.mysql.pymysql import PyMySQLSaver

    with PyMySQLSaver.from_conn_string(dsn) as saver:
        saver.setup()
        app = _graph("langgraph", saver, interrupt)
        return _seen(
            app, {"configurable": {"thread_id": thread}}, "langgraph", interrupt, durability
        )


@pytest.mark.parametrize("interrupt", [False, True])
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_pymysql_matches_langgraph_checkpoint_mysql(db, interrupt, durability):
    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

    thread = "t-\U0001f600-" + durability
    expected = _langgraph_sees(db, "lg" + thread, interrupt, durability)
    with PyMySQLSaver.from_conn_string(db) as saver:
        saver.setup()
        app = _graph("langgraph_jit", saver, interrupt)
        got = _seen(
            app, {"configurable": {"thread_id": thread}}, "langgraph_jit", interrupt, durability
        )
    assert got == expected


@pytest.mark.parametrize("driver", ["aio", "asyncmy"])
def test_async_drivers_match_langgraph_checkpoint_mysql(db, driver):
    from langgraph_jit.checkpoint.mysql.aio import AIOMySQLSaver
    from langgraph_jit.checkpoint.mysql.asyncmy import AsyncMySaver
    from langgraph_jit.types import Command

    cls = AIOMySQLSaver if driver == "aio" else AsyncMySaver
    expected = _langgraph_sees(db, "lg", True)

    async def run():
        async with cls.from_conn_string(db) as saver:
            await saver.setup()
            app = _graph("langgraph_jit", saver, True)
            config = {"configurable": {"thread_id": "ours-\U0001f600"}}
            out = [_plain(await app.ainvoke({"x": 1, "log": []}, config))]
            out.append(_plain(await app.ainvoke(Command(resume="yes"), config)))
            out.append(_plain(await app.ainvoke({"x": 5, "log": ["again"]}, config)))
            state = await app.aget_state(config)
            history = [
                (h.values, h.next, h.metadata.get("step"), h.metadata.get("source"), len(h.tasks))
                async for h in app.aget_state_history(config)
            ]
            return out, (state.values, state.next, state.metadata.get("step")), history

    assert asyncio.run(run()) == expected


@pytest.mark.parametrize("driver", ["pymysql", "aio", "asyncmy"])
def test_shallow_savers_match_langgraph(db, driver):
    from langgraph.checkpoint.mysql.pymysql import ShallowPyMySQLSaver as LGShallow

    from langgraph_jit.checkpoint.mysql.aio import ShallowAIOMySQLSaver
    from langgraph_jit.checkpoint.mysql.asyncmy import ShallowAsyncMySaver
    from langgraph_jit.checkpoint.mysql.pymysql import ShallowPyMySQLSaver

    config = {"configurable": {"thread_id": "s"}}
    # Their shallow tables differ from their full ones: a database of its own.
    with (
        fresh_mysql_database(os.environ[DSN_ENV]) as other,
        LGShallow.from_conn_string(other) as lg,
    ):
        lg.setup()
        app = _graph("langgraph", lg)
        app.invoke({"x": 1, "log": []}, config)
        app.invoke({"x": 2, "log": []}, config)
        expected = (app.get_state(config).values, len(list(app.get_state_history(config))))

    if driver == "pymysql":
        with ShallowPyMySQLSaver.from_conn_string(db) as saver:
            saver.setup()
            app = _graph("langgraph_jit", saver)
            app.invoke({"x": 1, "log": []}, config)
            app.invoke({"x": 2, "log": []}, config)
            state = app.get_state(config)
            got = (state.values, len(list(app.get_state_history(config))))
            assert state.parent_config is None
    else:
        cls = ShallowAIOMySQLSaver if driver == "aio" else ShallowAsyncMySaver

        async def run():
            async with cls.from_conn_string(db) as saver:
                await saver.setup()
                app = _graph("langgraph_jit", saver)
                await app.ainvoke({"x": 1, "log": []}, config)
                await app.ainvoke({"x": 2, "log": []}, config)
                state = await app.aget_state(config)
                return state.values, len([h async for h in app.aget_state_history(config)])

        got = asyncio.run(run())
    assert got == expected
    with admin_connection(db) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM `{db.rpartition('/')[2]}`.checkpoints")
        assert cur.fetchone()[0] == 1


def test_thread_written_by_langgraph_checkpoint_mysql_continues_on_ours(db):
    from langgraph.checkpoint.mysql.pymysql import PyMySQLSaver as LGSaver

    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver
    from langgraph_jit.types import Command

    config = {"configurable": {"thread_id": "moved-\U0001f680"}}
    with LGSaver.from_conn_string(db) as lg:
        lg.setup()
        _graph("langgraph", lg, True).invoke({"x": 1, "log": []}, config)  # stops at b
    with LGSaver.from_conn_string(db) as lg:
        reference = _graph("langgraph", lg, True)
        lg_state = reference.get_state(config)
        lg_history = len(list(reference.get_state_history(config)))
    with PyMySQLSaver.from_conn_string(db) as saver:
        saver.setup()  # their complete schema is used as it is
        app = _graph("langgraph_jit", saver, True)
        state = app.get_state(config)
        assert (state.values, state.next) == (lg_state.values, lg_state.next)
        assert [i.value for i in state.interrupts] == ["ok?"]
        out = app.invoke(Command(resume="yes"), config)
        assert out == {"x": 4, "log": ["a" * 120, "byes"]}
        assert len(list(app.get_state_history(config))) == lg_history + 1


def test_four_byte_characters_large_values_and_strict_mode(db):
    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

    thread = "\U0001f9ea" * 40  # 40 characters, 160 bytes
    ns_config = {"configurable": {"thread_id": thread, "checkpoint_ns": "n\U0001f30d"}}
    big = os.urandom(5 * 1024 * 1024)  # beyond a BLOB's 64 KiB: LONGBLOB
    with PyMySQLSaver.from_conn_string(db) as saver:
        saver.setup()
        with saver.conn.cursor() as cur:
            cur.execute("SELECT @@SESSION.sql_mode, @@SESSION.tx_isolation")
            mode, isolation = cur.fetchone()
        assert "STRICT_TRANS_TABLES" in mode and isolation == "READ-COMMITTED"
        from langgraph_jit.checkpoint.base import empty_checkpoint

        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"big": big, "emoji": "\U0001f600 ok"}
        checkpoint["channel_versions"] = {"big": "1", "emoji": "1"}
        saved = saver.put(
            ns_config, checkpoint, {"source": "input", "step": -1}, {"big": "1", "emoji": "1"}
        )
        saver.put_writes(saved, [("emoji", "\U0001f600")], "task-\U0001f600")
        found = saver.get_tuple(saved)
        assert found.checkpoint["channel_values"] == {"big": big, "emoji": "\U0001f600 ok"}
        assert found.pending_writes == [("task-\U0001f600", "emoji", "\U0001f600")]
        assert found.config["configurable"]["checkpoint_ns"] == "n\U0001f30d"
        assert [t.config for t in saver.list({"configurable": {"thread_id": thread}})] == [
            found.config
        ]
        # Thread ids that differ only in case stay apart (binary collation).
        other = {"configurable": {"thread_id": "Abc", "checkpoint_ns": ""}}
        saver.put(other, empty_checkpoint(), {}, {})
        assert saver.get_tuple({"configurable": {"thread_id": "abc"}}) is None
        # A thread id beyond the column's 150 characters is an error (strict mode), not cut.
        with pytest.raises(Exception, match=r"(?i)too long|data"):
            saver.put(
                {"configurable": {"thread_id": "x" * 151, "checkpoint_ns": ""}},
                empty_checkpoint(),
                {},
                {},
            )


def _kill(dsn: str, connection_id: int) -> None:
    with admin_connection(dsn) as admin, admin.cursor() as cur:
        cur.execute(f"KILL {int(connection_id)}")


def test_pymysql_saver_reconnects_after_the_server_kills_its_connection(db):
    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

    config = {"configurable": {"thread_id": "k"}}
    with PyMySQLSaver.from_conn_string(db) as saver:
        saver.setup()
        app = _graph("langgraph_jit", saver)
        app.invoke({"x": 1, "log": []}, config)
        _kill(db, saver.conn.thread_id())
        assert app.get_state(config).values["x"] == 4  # a read reopens it
        with saver.conn.cursor() as cur:
            cur.execute("SELECT @@SESSION.tx_isolation")
            assert cur.fetchone()[0] == "READ-COMMITTED"  # session settings re-applied
        _kill(db, saver.conn.thread_id())
        assert app.invoke({"x": 2, "log": []}, config)["x"] == 6  # and so does a write
        assert len(list(app.get_state_history(config))) == 8


@pytest.mark.parametrize("driver", ["aio", "asyncmy"])
def test_async_savers_reconnect_after_the_server_kills_their_connection(db, driver):
    from langgraph_jit.checkpoint.mysql.aio import AIOMySQLSaver
    from langgraph_jit.checkpoint.mysql.asyncmy import AsyncMySaver

    cls = AIOMySQLSaver if driver == "aio" else AsyncMySaver
    config = {"configurable": {"thread_id": "k"}}

    async def run():
        async with cls.from_conn_string(db) as saver:
            await saver.setup()
            app = _graph("langgraph_jit", saver)
            await app.ainvoke({"x": 1, "log": []}, config)
            async with saver.conn.cursor() as cur:
                await cur.execute("SELECT CONNECTION_ID()")
                (conn_id,) = await cur.fetchone()
            _kill(db, conn_id)
            await asyncio.sleep(0.1)
            return (await app.aget_state(config)).values["x"], (
                await app.ainvoke({"x": 2, "log": []}, config)
            )["x"]

    assert asyncio.run(run()) == (4, 6)


def test_user_connection_without_autocommit_and_a_dict_cursor(db):
    import pymysql
    from pymysql.cursors import DictCursor

    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

    params = PyMySQLSaver.parse_conn_string(db)
    conn = pymysql.connect(**params, autocommit=False, charset="utf8mb4", cursorclass=DictCursor)
    try:
        saver = PyMySQLSaver(conn)
        saver.setup()
        app = _graph("langgraph_jit", saver)
        config = {"configurable": {"thread_id": "u"}}
        assert app.invoke({"x": 1, "log": []}, config)["x"] == 4
        # Another connection sees it: every write was committed.
        with PyMySQLSaver.from_conn_string(db) as other:
            assert other.get_tuple(config).checkpoint["channel_values"]["x"] == 4
        assert app.invoke({"x": 1, "log": []}, config)["x"] == 4
        assert len(list(app.get_state_history(config))) == 8
    finally:
        conn.close()


def test_importing_langgraph_jit_does_not_import_the_drivers():
    import subprocess
    import sys

    code = (
        "import sys, langgraph_jit, langgraph_jit.checkpoint.mysql.pymysql, "
        "langgraph_jit.checkpoint.mysql.aio, langgraph_jit.checkpoint.mysql.asyncmy\n"
        "print([m for m in ('pymysql', 'aiomysql', 'asyncmy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pools_and_connection_factories(db):
    import aiomysql
    import pymysql

    from langgraph_jit.checkpoint.mysql.aio import AIOMySQLSaver
    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

    params = PyMySQLSaver.parse_conn_string(db)
    config = {"configurable": {"thread_id": "pooled"}}
    # A callable that hands out a new connection per operation.
    saver = PyMySQLSaver(lambda: pymysql.connect(**params, autocommit=True, charset="utf8mb4"))
    saver.setup()
    assert _graph("langgraph_jit", saver).invoke({"x": 1, "log": []}, config)["x"] == 4

    async def run():
        pool = await aiomysql.create_pool(
            **AIOMySQLSaver.parse_conn_string(db), autocommit=True, charset="utf8mb4", maxsize=3
        )
        try:
            saver = AIOMySQLSaver(pool)
            app = _graph("langgraph_jit", saver)
            outs = await asyncio.gather(
                *(
                    app.ainvoke({"x": i, "log": []}, {"configurable": {"thread_id": f"p{i}"}})
                    for i in range(6)
                )
            )
            state = await app.aget_state(config)  # the thread the sync saver wrote
            return [o["x"] for o in outs], state.values["x"]
        finally:
            pool.close()
            await pool.wait_closed()

    assert asyncio.run(run()) == ([(i + 1) * 2 for i in range(6)], 4)
