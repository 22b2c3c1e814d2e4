"""get_state_history through the savers' `history` ops (InMemorySaver, SqliteSaver,
PostgresSaver): the snapshots, with filter/before/limit, equal LangGraph's with its own
saver of the same kind, for a thread with loops, an interrupt and resume, an update, a
fork and Send tasks; and the snapshots are the caller's own (mutating one changes no other)."""

import operator
import os
import uuid
from contextlib import ExitStack
from typing import Annotated

import pytest
from typing_extensions import TypedDict

from diff_helpers import JIT, Impl, assert_same, capture, cfg
from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)


class St(TypedDict):
    i: int
    log: Annotated[list, operator.add]
    note: str


def _saver(lg: Impl, kind: str, stack: ExitStack, where: str):
    if kind == "memory":
        return lg.InMemorySaver()
    pkg = "langgraph" if lg.name == "lg" else "langgraph_jit"
    if kind == "sqlite":
        mod = __import__(f"{pkg}.checkpoint.sqlite", fromlist=["SqliteSaver"])
        path = os.path.join(where, f"{lg.name}-{uuid.uuid4().hex[:8]}.sqlite")
        saver = stack.enter_context(mod.SqliteSaver.from_conn_string(path))
    else:
        mod = __import__(f"{pkg}.checkpoint.postgres", fromlist=["PostgresSaver"])
        dsn = stack.enter_context(fresh_database(where))
        saver = stack.enter_context(mod.PostgresSaver.from_conn_string(dsn))
    saver.setup()
    return saver


def _graph(lg: Impl, saver, steps: int = 5):
    def step(state):
        if state["i"] == 2 and state["note"] != "resumed":
            answer = lg.types.interrupt("more?")
            return {"note": answer}
        return {"i": state["i"] + 1, "log": [state["i"]]}

    def route(state):
        if state["i"] >= steps:
            return lg.END
        if state["i"] == 3:
            return [lg.Send("side", {"i": k, "log": [], "note": "s"}) for k in range(2)]
        return "step"

    b = lg.StateGraph(St)
    b.add_node("step", step)
    b.add_node("side", lambda s: {"log": [f"side{s['i']}"]})
    b.add_edge(lg.START, "step")
    b.add_conditional_edges("step", route, ["step", "side", lg.END])
    b.add_edge("side", "step")
    return b.compile(checkpointer=saver)


def _program(kind: str, where: str):
    def program(lg: Impl):
        with ExitStack() as stack:
            app = _graph(lg, _saver(lg, kind, stack, where))
            config = cfg("h")
            app.invoke({"i": 0, "log": [], "note": ""}, config)
            app.invoke(lg.Command(resume="resumed"), config)
            app.update_state(config, {"note": "edited"})
            history = list(app.get_state_history(config))
            fork = app.update_state(history[4].config, {"log": ["forked"]})
            app.invoke(None, fork)
            history = list(app.get_state_history(config))
            middle = history[len(history) // 2].config
            return {
                "history": history,
                "limit": list(app.get_state_history(config, limit=3)),
                "before": list(app.get_state_history(config, before=middle)),
                "before_limit": list(app.get_state_history(config, before=middle, limit=2)),
                "filter": list(app.get_state_history(config, filter={"source": "update"})),
                "filter_step": list(app.get_state_history(config, filter={"step": 3})),
                "none": list(app.get_state_history(config, filter={"source": "nope"})),
                "state": capture(lambda: app.get_state(middle)),
            }

    return program


def test_memory_history_matches_langgraph():
    assert_same(_program("memory", ""), exact_ids=False)


def test_sqlite_history_matches_langgraph(tmp_path):
    assert_same(_program("sqlite", str(tmp_path)), exact_ids=False)


@pytest.mark.skipif(
    not os.environ.get("LANGGRAPH_JIT_TEST_PG_DSN") and os.system("which pg_ctl >/dev/null") != 0,
    reason="no PostgreSQL",
)
def test_postgres_history_matches_langgraph(pg_dsn):  # noqa: F811
    assert_same(_program("postgres", pg_dsn), exact_ids=False)


def test_memory_history_snapshots_are_the_callers_own():
    from langgraph_jit.checkpoint.memory import InMemorySaver
    from langgraph_jit.types import Command

    app = _graph(JIT, InMemorySaver())
    config = cfg("own")
    app.invoke({"i": 0, "log": [], "note": ""}, config)
    app.invoke(Command(resume="resumed"), config)
    first = list(app.get_state_history(config))
    for snap in first:
        snap.values.get("log", []).append("mutated")
        snap.metadata["mutated"] = True
        snap.config["configurable"]["mutated"] = True
        for task in snap.tasks:
            if isinstance(task.result, dict) and "log" in task.result:
                task.result["log"].append("mutated")
    again = list(app.get_state_history(config))
    assert all("mutated" not in s.values.get("log", []) for s in again)
    assert all("mutated" not in s.metadata for s in again)
    assert all("mutated" not in s.config["configurable"] for s in again)
    for snap in again:
        for task in snap.tasks:
            if isinstance(task.result, dict) and "log" in task.result:
                assert "mutated" not in task.result["log"]
