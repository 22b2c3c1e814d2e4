"""Durability with real savers, on both engines: what a program sees when a
step cannot be saved, when a node fails or the run is interrupted, and when
many threads share one saver (our SQL savers queue steps on a write pipeline
under durability "async"; see checkpoint/_pipeline.py)."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import operator
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, TypedDict

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)

PKGS = ("langgraph", "langgraph_jit")
DURABILITIES = ("async", "sync", "exit")


class Unsaveable:
    """No serializer encodes it: saving a state that holds one fails."""


class S(TypedDict, total=False):
    x: int
    log: Annotated[list, operator.add]
    junk: object


def _chain(pkg: str, saver, bodies: dict):
    g_mod = importlib.import_module(f"{pkg}.graph")
    g = g_mod.StateGraph(S)
    names = list(bodies)
    for name in names:
        g.add_node(name, bodies[name])
    g.add_edge(g_mod.START, names[0])
    for a, b in itertools.pairwise(names):
        g.add_edge(a, b)
    g.add_edge(names[-1], g_mod.END)
    return g.compile(checkpointer=saver)


def _logger(name: str, ran: list, **extra):
    def node(state):
        ran.append(name)
        return {"log": [name], **extra}

    return node


@contextmanager
def _sync_saver(pkg: str, kind: str, tmp_path, dsn_of_cluster: str):
    if kind == "sqlite":
        mod = importlib.import_module(f"{pkg}.checkpoint.sqlite")
        with mod.SqliteSaver.from_conn_string(str(tmp_path / f"{uuid.uuid4().hex}.db")) as saver:
            yield saver
    else:
        mod = importlib.import_module(f"{pkg}.checkpoint.postgres")
        with (
            fresh_database(dsn_of_cluster) as dsn,
            mod.PostgresSaver.from_conn_string(dsn) as saver,
        ):
            saver.setup()
            yield saver


@asynccontextmanager
async def _async_saver(pkg: str, kind: str, tmp_path, dsn_of_cluster: str):
    if kind == "sqlite":
        mod = importlib.import_module(f"{pkg}.checkpoint.sqlite.aio")
        async with mod.AsyncSqliteSaver.from_conn_string(
            str(tmp_path / f"{uuid.uuid4().hex}.db")
        ) as saver:
            yield saver
    else:
        mod = importlib.import_module(f"{pkg}.checkpoint.postgres.aio")
        with fresh_database(dsn_of_cluster) as dsn:
            async with mod.AsyncPostgresSaver.from_conn_string(dsn) as saver:
                await saver.setup()
                yield saver


def _history(app, config) -> list:
    return [
        (snap.metadata.get("step"), snap.next, snap.values.get("log"))
        for snap in app.get_state_history(config)
    ]


async def _ahistory(app, config) -> list:
    return [
        (snap.metadata.get("step"), snap.next, snap.values.get("log"))
        async for snap in app.aget_state_history(config)
    ]


def _outcome(call) -> tuple:
    try:
        return ("ok", call())
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("durability", DURABILITIES)
def test_a_step_that_cannot_be_saved(kind, durability, tmp_path, pg_dsn):  # noqa: F811
    """The run raises the serializer's error; the steps after it still ran
    (async/exit) or not (sync) as in LangGraph; the history keeps no step
    after the one that failed to save."""
    seen = {}
    for pkg in PKGS:
        ran: list = []
        bodies = {
            "a": _logger("a", ran),
            "b": _logger("b", ran, junk=Unsaveable()),
            "c": _logger("c", ran),
            "d": _logger("d", ran),
        }
        with _sync_saver(pkg, kind, tmp_path, pg_dsn) as saver:
            app = _chain(pkg, saver, bodies)
            config = {"configurable": {"thread_id": "t"}}
            outcome = _outcome(
                lambda app=app, config=config: app.invoke({"x": 0}, config, durability=durability)
            )
            seen[pkg] = (outcome, ran, _history(app, config))
    assert seen["langgraph_jit"] == seen["langgraph"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("durability", DURABILITIES)
@pytest.mark.parametrize("stop", [ValueError, KeyboardInterrupt])
def test_a_failing_node_keeps_what_was_saved(kind, durability, stop, tmp_path, pg_dsn):  # noqa: F811
    seen = {}
    for pkg in PKGS:
        ran: list = []

        def fail(state, ran=ran):
            ran.append("c")
            raise stop("stop here")

        bodies = {"a": _logger("a", ran), "b": _logger("b", ran), "c": fail, "d": _logger("d", ran)}
        with _sync_saver(pkg, kind, tmp_path, pg_dsn) as saver:
            app = _chain(pkg, saver, bodies)
            config = {"configurable": {"thread_id": "t"}}
            try:
                app.invoke({"x": 0}, config, durability=durability)
                outcome: tuple = ("ok",)
            except BaseException as exc:
                outcome = (type(exc).__name__,)
            snap = app.get_state(config)
            seen[pkg] = (outcome, ran, _history(app, config), snap.next, snap.values)
    assert seen["langgraph_jit"] == seen["langgraph"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_many_threads_on_one_saver(kind, tmp_path, pg_dsn):  # noqa: F811
    """Threads run at once on one saver (their steps share transactions on
    ours); each thread's state and history are as on LangGraph."""
    seen = {}
    for pkg in PKGS:
        bodies = {n: _logger(n, []) for n in ("a", "b", "c", "d", "e")}
        with _sync_saver(pkg, kind, tmp_path, pg_dsn) as saver:
            app = _chain(pkg, saver, bodies)

            def one(i: int, app=app) -> tuple:
                config = {"configurable": {"thread_id": f"t{i}"}}
                out = app.invoke({"x": i, "log": [f"in{i}"]}, config)
                return out, _history(app, config)

            with ThreadPoolExecutor(8) as pool:
                seen[pkg] = list(pool.map(one, range(24)))
    assert seen["langgraph_jit"] == seen["langgraph"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("durability", DURABILITIES)
def test_async_threads_at_once(kind, durability, tmp_path, pg_dsn):  # noqa: F811
    seen = {}
    for pkg in PKGS:

        async def main(pkg=pkg) -> list:
            bodies = {n: _logger(n, []) for n in ("a", "b", "c")}
            async with _async_saver(pkg, kind, tmp_path, pg_dsn) as saver:
                app = _chain(pkg, saver, bodies)
                configs = [{"configurable": {"thread_id": f"t{i}"}} for i in range(20)]
                outs = await asyncio.gather(
                    *(
                        app.ainvoke({"x": i, "log": []}, c, durability=durability)
                        for i, c in enumerate(configs)
                    )
                )
                return [(o, await _ahistory(app, c)) for o, c in zip(outs, configs)]

        seen[pkg] = asyncio.run(main())
    assert seen["langgraph_jit"] == seen["langgraph"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_async_step_that_cannot_be_saved(kind, tmp_path, pg_dsn):  # noqa: F811
    seen = {}
    for pkg in PKGS:

        async def main(pkg=pkg) -> tuple:
            ran: list = []
            bodies = {
                "a": _logger("a", ran),
                "b": _logger("b", ran, junk=Unsaveable()),
                "c": _logger("c", ran),
            }
            async with _async_saver(pkg, kind, tmp_path, pg_dsn) as saver:
                app = _chain(pkg, saver, bodies)
                config = {"configurable": {"thread_id": "t"}}
                try:
                    await app.ainvoke({"x": 0}, config)
                    outcome: tuple = ("ok",)
                except Exception as exc:
                    outcome = (type(exc).__name__, str(exc))
                return outcome, ran, await _ahistory(app, config)

        seen[pkg] = asyncio.run(main())
    assert seen["langgraph_jit"] == seen["langgraph"]


def test_a_connection_bound_to_its_thread_is_written_in_the_run():
    """sqlite3's default check_same_thread=True forbids the writer thread:
    the saver writes in the caller instead (LangGraph's fails with
    sqlite3.ProgrammingError here)."""
    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(":memory:")
    saver = SqliteSaver(conn)
    assert saver.write_pipeline is None
    app = _chain("langgraph_jit", saver, {"a": _logger("a", []), "b": _logger("b", [])})
    config = {"configurable": {"thread_id": "t"}}
    assert app.invoke({"x": 1}, config) == {"x": 1, "log": ["a", "b"]}
    assert [h[0] for h in _history(app, config)] == [2, 1, 0, -1]
