"""get_state_history on the whole-namespace read paths (issue 16, session 8) against
LangGraph with its own saver of the same kind: PostgreSQL's one-round-trip read of a
namespace's rows, writes and blobs (sync and async savers), InMemorySaver's loop per
namespace (small graphs' plain version maps and large graphs' layered ones), lz4-stored
values of 512 bytes or more on PostgreSQL, Send fan-outs (several tasks' writes on one
checkpoint), a subgraph's namespace, `before`, `limit` and `filter`."""

import asyncio
import operator
import os
import uuid
from contextlib import AsyncExitStack, ExitStack
from typing import Annotated

import pytest
from typing_extensions import TypedDict

from diff_helpers import Impl, assert_same, capture, cfg
from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)

needs_postgres = pytest.mark.skipif(
    not os.environ.get("LANGGRAPH_JIT_TEST_PG_DSN") and os.system("which pg_ctl >/dev/null") != 0,
    reason="no PostgreSQL",
)

BIG = "a reply long enough to be stored compressed " * 20  # ~900 bytes


class St(TypedDict):
    i: int
    log: Annotated[list, operator.add]
    text: str


class SubSt(TypedDict):
    i: int
    log: Annotated[list, operator.add]


def _module(lg: Impl, kind: str, name: str):
    pkg = "langgraph" if lg.name == "lg" else "langgraph_jit"
    return __import__(f"{pkg}.checkpoint.{kind}", fromlist=[name])


def _saver(lg: Impl, kind: str, stack: ExitStack, where: str):
    if kind == "memory":
        return lg.InMemorySaver()
    if kind == "sqlite":
        path = os.path.join(where, f"{lg.name}-{uuid.uuid4().hex[:8]}.sqlite")
        saver = stack.enter_context(
            _module(lg, "sqlite", "SqliteSaver").SqliteSaver.from_conn_string(path)
        )
    else:
        dsn = stack.enter_context(fresh_database(where))
        saver = stack.enter_context(
            _module(lg, "postgres", "PostgresSaver").PostgresSaver.from_conn_string(dsn)
        )
    saver.setup()
    return saver


def _graph(lg: Impl, saver, steps: int = 6):
    """A loop with a Send fan-out, a subgraph that interrupts, and ~900-byte values."""

    def inner(state):
        if state["i"] == 1:
            lg.types.interrupt("inside")
        return {"log": [f"inner{state['i']}"]}

    sb = lg.StateGraph(SubSt)
    sb.add_node("inner", inner)
    sb.add_edge(lg.START, "inner")
    sub = sb.compile()

    def step(state):
        return {"i": state["i"] + 1, "log": [state["i"], BIG], "text": f"{BIG}{state['i']}"}

    def route(state):
        if state["i"] >= steps:
            return lg.END
        if state["i"] == 2:
            return [lg.Send("side", {"i": k, "log": [], "text": ""}) for k in range(3)]
        if state["i"] == 4:
            return "sub"
        return "step"

    b = lg.StateGraph(St)
    b.add_node("step", step)
    b.add_node("side", lambda s: {"log": [f"side{s['i']}", BIG]})
    b.add_node("sub", sub)
    b.add_edge(lg.START, "step")
    b.add_conditional_edges("step", route, ["step", "side", "sub", lg.END])
    b.add_edge("side", "step")
    b.add_edge("sub", "step")
    return b.compile(checkpointer=saver)


def _reads(lg: Impl, app, config) -> dict:
    history = list(app.get_state_history(config))
    middle = history[len(history) // 2].config
    state = app.get_state(config, subgraphs=True)
    sub_configs = [t.state for t in state.tasks if t.state is not None]
    return {
        "history": history,
        "before": list(app.get_state_history(config, before=middle)),
        "before_limit": list(app.get_state_history(config, before=middle, limit=2)),
        "limit": list(app.get_state_history(config, limit=3)),
        "filter": list(app.get_state_history(config, filter={"source": "loop"})),
        "state": state,
        "sub_history": [list(app.get_state_history(c.config)) for c in sub_configs],
        "middle": capture(lambda: app.get_state(middle)),
    }


def _program(kind: str, where: str):
    def program(lg: Impl):
        with ExitStack() as stack:
            app = _graph(lg, _saver(lg, kind, stack, where))
            config = cfg("whole")
            app.invoke({"i": 0, "log": [], "text": ""}, config)
            first = _reads(lg, app, config)
            app.invoke(lg.Command(resume="go"), config)
            return {"interrupted": first, "done": _reads(lg, app, config)}

    return program


def test_memory_history_matches_langgraph():
    assert_same(_program("memory", ""), exact_ids=False)


def test_sqlite_history_matches_langgraph(tmp_path):
    assert_same(_program("sqlite", str(tmp_path)), exact_ids=False)


@needs_postgres
def test_postgres_history_matches_langgraph(pg_dsn):  # noqa: F811
    assert_same(_program("postgres", pg_dsn), exact_ids=False)


@needs_postgres
def test_async_postgres_history_matches_langgraph(pg_dsn):  # noqa: F811
    def program(lg: Impl):
        async def main():
            async with AsyncExitStack() as stack:
                dsn = stack.enter_context(fresh_database(pg_dsn))
                mod = _module(lg, "postgres.aio", "AsyncPostgresSaver")
                saver = await stack.enter_async_context(
                    mod.AsyncPostgresSaver.from_conn_string(dsn)
                )
                await saver.setup()
                app = _graph(lg, saver)
                config = cfg("async")
                await app.ainvoke({"i": 0, "log": [], "text": ""}, config)
                await app.ainvoke(lg.Command(resume="go"), config)
                history = [s async for s in app.aget_state_history(config)]
                middle = history[len(history) // 2].config
                before = [s async for s in app.aget_state_history(config, before=middle)]
                limit = [s async for s in app.aget_state_history(config, limit=2)]
                return {"history": history, "before": before, "limit": limit}

        return asyncio.run(main())

    assert_same(program, exact_ids=False)


def test_memory_history_of_a_wide_graph_matches_langgraph():
    """More channels than the deferred records copy whole (layered version maps)."""

    def program(lg: Impl):
        n = 24
        fields = {f"k{j}": int for j in range(n)}
        Wide = TypedDict("Wide", fields)  # type: ignore[misc]
        b = lg.StateGraph(Wide)
        for j in range(n):
            b.add_node(f"n{j}", lambda s, j=j: {f"k{j}": s[f"k{j}"] + 1})
            b.add_edge(lg.START if j == 0 else f"n{j - 1}", f"n{j}")
        app = b.compile(checkpointer=lg.InMemorySaver())
        config = cfg("wide")
        app.invoke({f"k{j}": 0 for j in range(n)}, config)
        app.invoke({f"k{j}": 10 for j in range(n)}, config)
        history = list(app.get_state_history(config))
        middle = history[len(history) // 2].config
        return {
            "history": history,
            "before": list(app.get_state_history(config, before=middle)),
            "state": app.get_state(middle),
        }

    assert_same(program, exact_ids=False)


@needs_postgres
def test_postgres_stores_large_values_compressed_and_reads_them(pg_dsn):  # noqa: F811
    """Values of 512 bytes or more are lz4-compressed in checkpoint_writes and in the
    row documents (when lz4 is installed), and read back as written."""
    pytest.importorskip("lz4")
    import psycopg

    from diff_helpers import JIT

    with ExitStack() as stack:
        from langgraph_jit.checkpoint.postgres import PostgresSaver

        dsn = stack.enter_context(fresh_database(pg_dsn))
        saver = stack.enter_context(PostgresSaver.from_conn_string(dsn))
        saver.setup()
        app = _graph(JIT, saver)
        config = cfg("lz4")
        app.invoke({"i": 0, "log": [], "text": ""}, config)
        app.invoke(JIT.Command(resume="go"), config)
        assert app.get_state(config).values["text"] == f"{BIG}5"
        assert [s.values.get("text") for s in app.get_state_history(config)][:2] == [
            f"{BIG}5",
            f"{BIG}4",
        ]
        with psycopg.connect(dsn) as conn:
            types = {r[0] for r in conn.execute("SELECT type FROM checkpoint_writes")}
        assert "msgpack+lz4" in types and "msgpack" in types
