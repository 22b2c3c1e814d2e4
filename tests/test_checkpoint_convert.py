"""`convert` / `python -m langgraph_jit checkpoints convert`: threads moved between
LangGraph's savers and ours, in both directions, on SQLite files and PostgreSQL.

Each case runs the first part of a scenario on one engine with its own saver,
converts the data for the other engine, and then finishes the scenario twice: on
the other engine from the converted data, and on the first engine from the
original data (the reference, as if nothing had been converted). Right after
the conversion both sides must show the same checkpoints (ids, timestamps,
metadata, parents, pending writes in order) and the same states; after the
second part, the same outputs, states and histories (new ids aside).
"""

import dataclasses
import operator
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import pytest

pytest.importorskip("langgraph.checkpoint.sqlite")
pytest.importorskip("langchain_core")

import langgraph.channels.delta as lg_delta
import langgraph.graph as lg_graph
import langgraph.graph.message as lg_message
import langgraph.types as lg_types
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver as LGSqliteSaver
from typing_extensions import NotRequired, TypedDict

import langgraph_jit.channels.delta as jit_delta
import langgraph_jit.graph as jit_graph
import langgraph_jit.graph.message as jit_message
import langgraph_jit.types as jit_types
from langgraph_jit._checkpoint_convert import ConvertError, convert
from langgraph_jit.checkpoint._sql import langgraph_version
from langgraph_jit.checkpoint.sqlite import SqliteSaver as JitSqliteSaver
from saver_fixtures import DSN_ENV, fresh_database

ROOT = Path(__file__).resolve().parents[1]


def _pg_savers():
    try:
        from langgraph.checkpoint.postgres import PostgresSaver as LGPostgresSaver
    except ImportError:  # pragma: no cover
        LGPostgresSaver = None
    from langgraph_jit.checkpoint.postgres import PostgresSaver as JitPostgresSaver

    return LGPostgresSaver, JitPostgresSaver


ENGINES = {
    "langgraph": SimpleNamespace(
        graph=lg_graph, types=lg_types, delta=lg_delta, message=lg_message, sqlite=LGSqliteSaver
    ),
    "langgraph_jit": SimpleNamespace(
        graph=jit_graph,
        types=jit_types,
        delta=jit_delta,
        message=jit_message,
        sqlite=JitSqliteSaver,
    ),
}
OTHER = {"langgraph": "langgraph_jit", "langgraph_jit": "langgraph"}


@contextmanager
def open_saver(engine: str, location: str):
    if location.startswith("postgresql://"):
        cls = _pg_savers()[0 if engine == "langgraph" else 1]
        with cls.from_conn_string(location) as saver:
            saver.setup()
            yield saver
    else:
        with ENGINES[engine].sqlite.from_conn_string(location) as saver:
            yield saver


# ---------------------------------------------------------------- scenarios


def main_graph(engine: str, checkpointer: Any):
    """Send fan-out, a subgraph that interrupts, then a parent node that interrupts."""
    E = ENGINES[engine]
    StateGraph, START, END = E.graph.StateGraph, E.graph.START, E.graph.END
    types = E.types

    class S(TypedDict):
        items: Annotated[list, operator.add]
        answer: NotRequired[str]

    class Child(TypedDict):
        items: Annotated[list, operator.add]

    def approve(s: Child):
        ok = types.interrupt({"approve": len(s["items"])})
        return {"items": [f"approved:{ok}"]}

    child = StateGraph(Child)
    child.add_node("approve", approve)
    child.add_edge(START, "approve")
    child.add_edge("approve", END)

    def plan(s: S):
        return {"items": ["plan"]}

    def fan(s: S):
        return [types.Send("work", {"items": [f"job{i}"]}) for i in range(3)]

    def work(s: S):
        return {"items": [s["items"][0] + ":done"]}

    def ask(s: S):
        answer = types.interrupt("question?")
        return {"answer": answer, "items": ["asked"]}

    g = StateGraph(S)
    g.add_node("plan", plan)
    g.add_node("work", work)
    g.add_node("review", child.compile())
    g.add_node("ask", ask)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", fan, ["work"])
    g.add_edge("work", "review")
    g.add_edge("review", "ask")
    g.add_edge("ask", END)
    return g.compile(checkpointer=checkpointer)


def _first(history, next_nodes):
    """The oldest snapshot of `history` about to run `next_nodes`."""
    return [s for s in history if s.next == next_nodes][-1]


def main_part1(engine: str, app) -> list:
    Command = ENGINES[engine].types.Command
    a = {"configurable": {"thread_id": "a"}}
    b = {"configurable": {"thread_id": "b"}}
    out = [app.invoke({"items": ["start"]}, a)]  # stops inside the subgraph
    out.append(app.invoke({"items": ["start"]}, b))
    out.append(app.invoke(Command(resume="yes"), b))
    out.append(app.invoke(Command(resume="42"), b))  # thread b is done
    # A fork before the subgraph ran, stopped inside it again.
    old = _first(list(app.get_state_history(b)), ("review",))
    forked = app.update_state(old.config, {"items": ["edited"]})
    out.append(app.invoke(None, forked, durability="sync"))
    return out


def main_part2(engine: str, app) -> list:
    Command = ENGINES[engine].types.Command
    a = {"configurable": {"thread_id": "a"}}
    b = {"configurable": {"thread_id": "b"}}
    out = [app.invoke(Command(resume="ok"), a), app.invoke(Command(resume="fine"), a)]
    out.append(app.invoke(Command(resume="again"), b))
    # Time travel: replay from the oldest checkpoint stopped at `ask`.
    old = _first(list(app.get_state_history(b)), ("ask",))
    out.append(app.invoke(None, old.config))
    out.append(app.invoke(Command(resume="late"), b))
    return out


def list_reducer(state: list, writes: list) -> list:
    return [*state, *writes]


def delta_graph(engine: str, checkpointer: Any):
    """DeltaChannels (a list and messages) written by parallel nodes, one of which
    interrupts each round while the other finishes: the finished one's writes
    are saved on the checkpoint and must keep their order after conversion."""
    E = ENGINES[engine]
    StateGraph, START, END = E.graph.StateGraph, E.graph.START, E.graph.END
    types, delta, message = E.types, E.delta, E.message

    class D(TypedDict):
        log: Annotated[list, delta.DeltaChannel(list_reducer, snapshot_frequency=4)]
        messages: Annotated[
            list, delta.DeltaChannel(message._messages_delta_reducer, snapshot_frequency=3)
        ]

    def start(s: D):
        n = len(s.get("log") or [])
        return {"log": [f"s{n}"], "messages": [HumanMessage(f"round {n}", id=f"h{n}")]}

    def a_ask(s: D):
        answer = types.interrupt(f"a at {len(s['log'])}?")
        return {"log": [f"a:{answer}"], "messages": [AIMessage(answer, id=f"ai-{answer}")]}

    def b_work(s: D):
        return {"log": [f"b{len(s['log'])}"]}

    def join(s: D):
        return {"log": ["join"]}

    def again(s: D):
        return "start" if len(s["log"]) < 18 else END

    g = StateGraph(D)
    for name, fn in (("start", start), ("a_ask", a_ask), ("b_work", b_work), ("join", join)):
        g.add_node(name, fn)
    g.add_edge(START, "start")
    g.add_edge("start", "a_ask")
    g.add_edge("start", "b_work")
    g.add_edge(["a_ask", "b_work"], "join")
    g.add_conditional_edges("join", again, ["start", END])
    return g.compile(checkpointer=checkpointer)


def delta_part1(engine: str, app) -> list:
    Command = ENGINES[engine].types.Command
    d = {"configurable": {"thread_id": "d"}}
    out = [app.invoke({"log": [], "messages": []}, d, durability="sync")]
    for answer in ("x1", "x2"):
        out.append(app.invoke(Command(resume=answer), d, durability="sync"))
    return out  # stopped in the third round


def delta_part2(engine: str, app) -> list:
    Command = ENGINES[engine].types.Command
    d = {"configurable": {"thread_id": "d"}}
    out = []
    for answer in ("y1", "y2", "y3", "y4"):
        out.append(app.invoke(Command(resume=answer), d, durability="sync"))
    # Fork from the second round's interrupt, with an edit, and finish it.
    old = _first(list(app.get_state_history(d)), ("a_ask", "b_work"))
    forked = app.update_state(old.config, {"log": ["edit"]})
    out.append(app.invoke(None, forked, durability="sync"))
    out.append(app.invoke(Command(resume="z"), d, durability="sync"))
    return out


SCENARIOS = {
    "main": (main_graph, main_part1, main_part2, ("a", "b")),
    "delta": (delta_graph, delta_part1, delta_part2, ("d",)),
}


# ---------------------------------------------------------------- what a user sees


def plain(x: Any) -> Any:
    """Values of either engine as plain data (their classes differ, their fields do not)."""
    name = type(x).__name__
    if isinstance(x, dict):  # in key order: PostgreSQL's JSONB does not keep theirs
        return {k: plain(x[k]) for k in sorted(x, key=repr)}
    if type(x) in (list, tuple):
        return [plain(v) for v in x]
    if name == "_DeltaSnapshot":
        return ["_DeltaSnapshot", plain(x.value)]
    if name == "Send":
        return ["Send", x.node, plain(x.arg)]
    if hasattr(x, "model_dump"):
        return [name, plain(x.model_dump())]
    if hasattr(x, "_asdict"):
        return [name, plain(x._asdict())]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return [name, plain({f.name: getattr(x, f.name) for f in dataclasses.fields(x)})]
    if isinstance(x, BaseException):
        return [name, str(x)]
    return x


def observe(app, threads) -> dict:
    out = {}
    for thread_id in threads:
        cfg = {"configurable": {"thread_id": thread_id}}
        out[thread_id] = {
            "state": plain(app.get_state(cfg, subgraphs=True)),
            "history": [plain(s) for s in app.get_state_history(cfg)],
        }
    return out


def stored(saver, threads) -> dict:
    """Every checkpoint tuple of `threads`, as the saver returns it."""
    return {
        t: [
            plain(
                {
                    "config": c.config,
                    "parent": c.parent_config,
                    "metadata": c.metadata,
                    "checkpoint": c.checkpoint,
                    "writes": c.pending_writes,
                }
            )
            for c in saver.list({"configurable": {"thread_id": t}})
        ]
        for t in threads
    }


def assert_same_stored(got: dict, want: dict) -> None:
    """Equal, except that `got` may also hold a DeltaChannel snapshot where `want`
    has none: LangGraph's SQLite rows keep one only on the checkpoint that made it,
    ours keep it per channel version (so checkpoints sharing it show it too).
    Versions compare in LangGraph's form."""
    for thread, checkpoints in got.items():
        for one in (*checkpoints, *want[thread]):
            # Our compact versions reach LangGraph's savers in their form.
            ckpt = one["checkpoint"]
            ckpt["channel_versions"] = {
                c: langgraph_version(v) for c, v in ckpt["channel_versions"].items()
            }
            ckpt["versions_seen"] = {
                n: {c: langgraph_version(v) for c, v in seen.items()}
                for n, seen in ckpt["versions_seen"].items()
            }
        for got_one, want_one in zip(checkpoints, want[thread]):
            values = got_one["checkpoint"]["channel_values"]
            wanted = want_one["checkpoint"]["channel_values"]
            for k in [k for k in values if k not in wanted]:
                if isinstance(values[k], list) and values[k][:1] == ["_DeltaSnapshot"]:
                    del values[k]
    assert got == want


_IDS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*\+00:00"
)


def without_new_ids(obs: Any, known: set[str]) -> str:
    """`obs` as text with ids and timestamps made after the conversion renamed by
    order of appearance (they differ between any two runs); known ones stay."""
    names: dict[str, str] = {}

    def rename(m: re.Match) -> str:
        s = m.group(0)
        if s in known:
            return s
        return names.setdefault(s, f"<new{len(names)}>")

    return _IDS.sub(rename, repr(obs))


# ---------------------------------------------------------------- the round trip


def run_round_trip(scenario: str, src_engine: str, src: str, dst: str) -> None:
    build, part1, part2, threads = SCENARIOS[scenario]
    dst_engine = OTHER[src_engine]
    with open_saver(src_engine, src) as saver:
        app = build(src_engine, saver)
        part1(src_engine, app)
        before = observe(app, threads)
        before_stored = stored(saver, threads)

    reported = []
    report = convert(src, dst, to=dst_engine, progress=reported.append)
    assert [r.thread_id for r in reported] == sorted(threads)
    assert report.checkpoints == sum(len(v) for v in before_stored.values())

    with open_saver(dst_engine, dst) as saver:
        app = build(dst_engine, saver)
        # The same checkpoints and writes, in the same order, and the same states.
        assert_same_stored(stored(saver, threads), before_stored)
        assert observe(app, threads) == before
        got = part2(dst_engine, app)
        after = observe(app, threads)
    with open_saver(src_engine, src) as saver:
        app = build(src_engine, saver)
        want = part2(src_engine, app)
        want_after = observe(app, threads)
    known = set(_IDS.findall(repr(before)))
    assert without_new_ids(plain(got), known) == without_new_ids(plain(want), known)
    assert without_new_ids(after, known) == without_new_ids(want_after, known)


DIRECTIONS = [("langgraph", "langgraph_jit"), ("langgraph_jit", "langgraph")]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("src_engine", [d[0] for d in DIRECTIONS])
def test_sqlite_round_trip(tmp_path, scenario, src_engine):
    run_round_trip(scenario, src_engine, str(tmp_path / "src.sqlite"), str(tmp_path / "dst.sqlite"))


@pytest.fixture
def pg_url():
    dsn = os.environ.get(DSN_ENV)
    if not dsn:
        pytest.skip(f"{DSN_ENV} is not set (scripts/postgres.sh start; CI sets it)")
    if _pg_savers()[0] is None:  # pragma: no cover
        pytest.skip("langgraph-checkpoint-postgres is not installed")
    return dsn


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("src_engine", [d[0] for d in DIRECTIONS])
def test_postgres_round_trip(pg_url, scenario, src_engine):
    with fresh_database(pg_url) as src, fresh_database(pg_url) as dst:
        run_round_trip(scenario, src_engine, src, dst)


@pytest.mark.parametrize("src_engine", [d[0] for d in DIRECTIONS])
def test_sqlite_to_postgres(tmp_path, pg_url, src_engine):
    with fresh_database(pg_url) as dst:
        run_round_trip("main", src_engine, str(tmp_path / "src.sqlite"), dst)


def test_there_and_back_again(tmp_path):
    """LangGraph -> ours -> LangGraph gives LangGraph back what it wrote."""
    src, mid, back = (str(tmp_path / f"{n}.sqlite") for n in ("src", "mid", "back"))
    with open_saver("langgraph", src) as saver:
        app = main_graph("langgraph", saver)
        main_part1("langgraph", app)
        want = stored(saver, ("a", "b"))
    convert(src, mid, to="langgraph_jit")
    convert(mid, back, to="langgraph")
    with open_saver("langgraph", back) as saver:
        assert stored(saver, ("a", "b")) == want


def test_task_paths_are_kept(tmp_path):
    """Writes keep the task path they were saved with (savers order by it) and
    their order. (Not always their index: LangGraph numbers a task's writes by
    their place in one put_writes call, which the savers' API does not tell.)"""
    src, dst = str(tmp_path / "src.sqlite"), str(tmp_path / "dst.sqlite")
    with open_saver("langgraph", src) as saver:
        delta_part1("langgraph", delta_graph("langgraph", saver))
    convert(src, dst, to="langgraph_jit")
    query = (
        "SELECT checkpoint_ns, checkpoint_id, task_id, channel, task_path FROM writes "
        "ORDER BY checkpoint_ns, checkpoint_id, task_id, idx"
    )
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        want = a.execute(query).fetchall()
        assert want and any(row[4] for row in want)
        assert b.execute(query).fetchall() == want


# ---------------------------------------------------------------- options and errors


def _lg_thread(path: str, *threads: str) -> None:
    with open_saver("langgraph", path) as saver:
        app = main_graph("langgraph", saver)
        for t in threads:
            app.invoke({"items": [t]}, {"configurable": {"thread_id": t}})


def test_some_threads_and_append(tmp_path):
    src, dst = str(tmp_path / "src.sqlite"), str(tmp_path / "dst.sqlite")
    _lg_thread(src, "t1", "t2", "t3")
    report = convert(src, dst, to="langgraph_jit", threads=["t3", "t1"])
    assert [t.thread_id for t in report.threads] == ["t3", "t1"]
    with pytest.raises(ConvertError, match=r"already holds checkpoints.*--append"):
        convert(src, dst, to="langgraph_jit", threads=["t2"])
    convert(src, dst, to="langgraph_jit", threads=["t2"], append=True)
    with open_saver("langgraph_jit", dst) as saver:
        threads = {c.config["configurable"]["thread_id"] for c in saver.list(None)}
    assert threads == {"t1", "t2", "t3"}
    with pytest.raises(ConvertError, match="no thread 'nope'"):
        convert(src, str(tmp_path / "x.sqlite"), to="langgraph_jit", threads=["nope"])


def test_saver_instances(tmp_path):
    """The Python API also takes savers (of either engine) already opened."""
    src = str(tmp_path / "src.sqlite")
    _lg_thread(src, "t1")
    with open_saver("langgraph", src) as lg_saver:
        from langgraph_jit.checkpoint.memory import InMemorySaver

        mem = InMemorySaver()
        convert(lg_saver, mem, to="langgraph_jit")
        app = main_graph("langgraph_jit", mem)
        cfg = {"configurable": {"thread_id": "t1"}}
        assert app.get_state(cfg).next == ("review",)
        assert plain(app.get_state(cfg).interrupts) == plain(
            main_graph("langgraph", lg_saver).get_state(cfg).interrupts
        )


def test_errors(tmp_path):
    lg_file = str(tmp_path / "lg.sqlite")
    _lg_thread(lg_file, "t1")
    ours = str(tmp_path / "ours.sqlite")
    convert(lg_file, ours, to="langgraph_jit")
    with pytest.raises(ConvertError, match="no such file"):
        convert(str(tmp_path / "missing.sqlite"), str(tmp_path / "o.sqlite"), to="langgraph")
    with pytest.raises(ConvertError, match="unknown format 'sqlite'"):
        convert(lg_file, str(tmp_path / "o.sqlite"), to="sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConvertError, match="not a SQLite database"):
        convert(str(junk), str(tmp_path / "o.sqlite"), to="langgraph")
    empty = str(tmp_path / "empty.sqlite")
    sqlite3.connect(empty).close()
    with pytest.raises(ConvertError, match="no `checkpoints` table"):
        convert(empty, str(tmp_path / "o.sqlite"), to="langgraph")
    # Our file read as LangGraph's would lose every value: refused, with a hint.
    with pytest.raises(ConvertError, match=r"written by langgraph_jit.*--to langgraph"):
        convert(ours, str(tmp_path / "o2.sqlite"), to="langgraph_jit")
    with pytest.raises(ConvertError, match="are the same database"):
        convert(lg_file, str(tmp_path / "." / "lg.sqlite"), to="langgraph_jit", append=True)
    with (
        open_saver("langgraph", str(tmp_path / "lg2.sqlite")) as lg_saver,
        pytest.raises(ConvertError, match="DST is a langgraph saver"),
    ):
        convert(lg_file, lg_saver, to="langgraph_jit")
    with pytest.raises(ConvertError, match=r"directory .* does not exist"):
        convert(lg_file, str(tmp_path / "no" / "dir.sqlite"), to="langgraph_jit")
    with pytest.raises(ConvertError, match=r"cannot connect to postgresql://u:\*\*\*@"):
        convert(lg_file, "postgresql://u:secret@127.0.0.1:1/db", to="langgraph_jit")
    # The source is never changed, not even by our saver's setup.
    tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
    assert {r[0] for r in sqlite3.connect(lg_file).execute(tables)} == {"checkpoints", "writes"}


def test_missing_langgraph_package(tmp_path, monkeypatch):
    lg_file = str(tmp_path / "lg.sqlite")
    _lg_thread(lg_file, "t1")
    monkeypatch.setitem(sys.modules, "langgraph.checkpoint.sqlite", None)
    with pytest.raises(ConvertError, match="pip install langgraph-checkpoint-sqlite"):
        convert(lg_file, str(tmp_path / "o.sqlite"), to="langgraph_jit")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "langgraph_jit", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "LANGGRAPH_JIT_DISABLE_JIT": "1"},
        timeout=120,
    )


def test_cli(tmp_path):
    src, dst = str(tmp_path / "src.sqlite"), str(tmp_path / "dst.sqlite")
    _lg_thread(src, "t1", "t2")
    done = _cli("checkpoints", "convert", "--to", "langgraph_jit", "--thread", "t2", src, dst)
    assert done.returncode == 0, done.stderr
    assert "t2" in done.stdout and "t1" not in done.stdout
    refused = _cli("checkpoints", "convert", "--to", "langgraph_jit", src, dst)
    assert refused.returncode == 1
    assert "--append" in refused.stderr
    done = _cli("checkpoints", "convert", "--to", "langgraph_jit", "--append", src, dst)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("thread") >= 2
    back = str(tmp_path / "back.sqlite")
    assert _cli("checkpoints", "convert", "--to", "langgraph", dst, back).returncode == 0
    with open_saver("langgraph", back) as saver:
        assert main_graph("langgraph", saver).get_state(
            {"configurable": {"thread_id": "t1"}}
        ).next == ("review",)
    bad = _cli("checkpoints", "convert", "--to", "nosuch", src, dst)
    assert bad.returncode == 2 and "nosuch" in bad.stderr
    missing = _cli("checkpoints", "convert", "--to", "langgraph", str(tmp_path / "no.db"), back)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert _cli("checkpoints").returncode == 2


def test_cli_postgres(tmp_path, pg_url):
    src = str(tmp_path / "src.sqlite")
    _lg_thread(src, "t1")
    with (
        fresh_database(pg_url) as ours,
        fresh_database(pg_url) as back,
        fresh_database(pg_url) as empty,
    ):
        done = _cli("checkpoints", "convert", "--to", "langgraph_jit", src, ours)
        assert done.returncode == 0, done.stderr
        done = _cli("checkpoints", "convert", "--to", "langgraph", ours, back)
        assert done.returncode == 0, done.stderr
        with open_saver("langgraph", back) as saver:
            state = main_graph("langgraph", saver).get_state({"configurable": {"thread_id": "t1"}})
            assert state.next == ("review",)
        no_tables = _cli("checkpoints", "convert", "--to", "langgraph", empty, back)
        assert no_tables.returncode == 1 and "no `checkpoints` table" in no_tables.stderr
    bad = _cli(
        "checkpoints", "convert", "--to", "langgraph", "postgresql://nobody@127.0.0.1:1/x", src
    )
    assert bad.returncode == 1 and "cannot connect" in bad.stderr
