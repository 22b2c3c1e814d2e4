"""get_state_history on our SQL savers' history path (issue 16: a saver's
`history` op hands the snapshot reader decoded entries, not CheckpointTuples)
compared with LangGraph on its own SQLite and PostgreSQL savers: every
snapshot field (values, next, tasks with results, errors and interrupts,
metadata, created_at, configs), with filter/before/limit, subgraph namespaces,
pending writes, a long thread of delta rows, and a cold read (a fresh saver
object, nothing remembered) on the same database. Also: a subclass that
overrides `list` is read through its `list`, and `limit=1` reads one row."""

from __future__ import annotations

import contextlib
import operator
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from diff_helpers import JIT, LG, IdMap, Impl, cfg, normalise
from langgraph_jit.checkpoint import _delta_rows
from saver_fixtures import fresh_database, pg_dsn  # noqa: F401
from test_state_history_diff import CASES, _read_back

KINDS = ["sqlite", "postgres"]


@pytest.fixture
def where(request, tmp_path) -> Iterator[Any]:
    """A factory of fresh databases of the test's kind: a SQLite path or a DSN."""

    @contextlib.contextmanager
    def make(kind: str) -> Iterator[str]:
        if kind == "sqlite":
            yield str(tmp_path / f"{uuid.uuid4().hex}.sqlite")
        else:
            with fresh_database(request.getfixturevalue("pg_dsn")) as dsn:
                yield dsn

    return make


@contextlib.contextmanager
def _saver(lg: Impl, kind: str, at: str) -> Iterator[Any]:
    pkg = "langgraph" if lg is LG else "langgraph_jit"
    if kind == "sqlite":
        mod = __import__(f"{pkg}.checkpoint.sqlite", fromlist=["SqliteSaver"])
        with mod.SqliteSaver.from_conn_string(at) as saver:
            yield saver
    else:
        mod = __import__(f"{pkg}.checkpoint.postgres", fromlist=["PostgresSaver"])
        with mod.PostgresSaver.from_conn_string(at) as saver:
            saver.setup()
            yield saver


def _observe(case: Any, lg: Impl, kind: str, where: Any, *, cold: bool = False) -> Any:
    with where(kind) as at:
        with _saver(lg, kind, at) as saver:
            app, configs = case(lg, saver)
            seen = [_read_back(app, c, subgraphs=True) for c in configs]
            if lg is JIT:
                assert saver.reads_history
        if cold:
            _delta_rows.forget()
            with _saver(lg, kind, at) as fresh:
                app.checkpointer = fresh
                seen = [_read_back(app, c, subgraphs=True) for c in configs]
    return normalise(seen, IdMap())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_history_matches_langgraph_savers(case: Any, kind: str, where: Any) -> None:
    assert _observe(case, JIT, kind, where) == _observe(case, LG, kind, where)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.__name__ in ("case_interrupt", "case_subgraph", "case_sends")],
    ids=lambda c: c.__name__[5:],
)
def test_cold_read_matches_langgraph(case: Any, kind: str, where: Any) -> None:
    """Read back by a new saver object (nothing remembered from the writes)."""
    expected = _observe(case, LG, kind, where)
    assert _observe(case, JIT, kind, where, cold=True) == expected


class LongState(TypedDict):
    i: int
    log: Annotated[list, operator.add]
    tags: Annotated[list, operator.add]


STEPS = _delta_rows.MAX_DEPTH * 2 + _delta_rows.PIECES_MAX + 11  # snapshots, deltas, list bases


def _long_thread(lg: Impl, saver: Any) -> Any:
    def step(state: LongState) -> dict:
        i = state["i"]
        # a mutable item every few steps: those lists are decoded, not shared
        return {"i": i + 1, "log": [i], "tags": [{"n": i}] if i % 5 == 0 else []}

    b = lg.StateGraph(LongState)
    b.add_node("step", step)
    b.add_edge(lg.START, "step")
    b.add_conditional_edges("step", lambda s: lg.END if s["i"] >= STEPS else "step")
    app = b.compile(checkpointer=saver)
    app.invoke({"i": 0, "log": [], "tags": []}, {**cfg("long"), "recursion_limit": STEPS + 20})
    return app


def _long_reads(app: Any) -> dict:
    conf = cfg("long")
    history = list(app.get_state_history(conf))
    middle = history[len(history) // 2].config
    return {
        "all": history,
        "limit": list(app.get_state_history(conf, limit=5)),
        "before": list(app.get_state_history(conf, before=middle)),
        "before-limit": list(app.get_state_history(conf, before=middle, limit=3)),
        "filter": list(app.get_state_history(conf, filter={"step": STEPS // 3})),
        "filter-source": list(app.get_state_history(conf, filter={"source": "input"})),
        "filter-before": list(
            app.get_state_history(conf, filter={"source": "loop"}, before=middle, limit=4)
        ),
    }


@pytest.mark.parametrize("cold", [False, True], ids=["remembered", "cold"])
@pytest.mark.parametrize("kind", KINDS)
def test_long_thread_matches_langgraph(kind: str, cold: bool, where: Any) -> None:
    def observe(lg: Impl) -> Any:
        with where(kind) as at:
            with _saver(lg, kind, at) as saver:
                app = _long_thread(lg, saver)
                seen = _long_reads(app)
            if cold:
                _delta_rows.forget()
            with _saver(lg, kind, at) as fresh:
                app.checkpointer = fresh
                again = _long_reads(app)
        return normalise(seen, IdMap()), normalise(again, IdMap())

    mine, again = observe(JIT)
    theirs, _ = observe(LG)
    assert mine == theirs
    assert again == theirs


@pytest.mark.parametrize("kind", KINDS)
def test_snapshots_are_the_callers(kind: str, where: Any) -> None:
    """Changing a snapshot's values, results or metadata changes nothing the
    other snapshots or later reads show."""
    with where(kind) as at, _saver(JIT, kind, at) as saver:
        app = _long_thread(JIT, saver)
        first = list(app.get_state_history(cfg("long")))
        expected = normalise(list(app.get_state_history(cfg("long"))), IdMap())
        for snap in first:
            snap.values.get("log", []).append("x")
            snap.values.get("tags", []).append("x")
            for tag in snap.values.get("tags", []):
                if isinstance(tag, dict):
                    tag["n"] = "x"
            snap.metadata["step"] = "x"
            snap.config["configurable"]["checkpoint_id"] = "x"
            for task in snap.tasks:
                if isinstance(task.result, dict):
                    task.result.get("log", []).append("x")
        assert normalise(list(app.get_state_history(cfg("long"))), IdMap()) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_a_saver_that_overrides_list_is_listed(kind: str, where: Any) -> None:
    """The history op is the saver class's own: a subclass overriding `list`
    loses it, and get_state_history reads what its `list` gives."""
    with where(kind) as at, _saver(JIT, kind, at) as saver:
        app = _long_thread(JIT, saver)
        expected = normalise(list(app.get_state_history(cfg("long"))), IdMap())
        base = type(saver)
        calls = []

        class Listing(base):  # type: ignore[misc, valid-type]
            def list(self, *args: Any, **kwargs: Any) -> Any:
                calls.append(kwargs)
                return super().list(*args, **kwargs)

        saver.__class__ = Listing
        try:
            assert not saver.reads_history
            assert normalise(list(app.get_state_history(cfg("long"))), IdMap()) == expected
            assert calls
        finally:
            saver.__class__ = base


@pytest.mark.parametrize("cold", [False, True], ids=["remembered", "cold"])
@pytest.mark.parametrize("kind", KINDS)
def test_limit_one_reads_one_row(kind: str, cold: bool, where: Any) -> None:
    """limit=1 reads the newest row (and, cold, the rows its delta replays
    from, at most MAX_DEPTH), its blobs and writes: never the whole thread."""
    with where(kind) as at, _saver(JIT, kind, at) as saver:
        app = _long_thread(JIT, saver)
        if cold:
            _delta_rows.forget()
        fetched: list[int] = []
        execute = saver._execute

        def counting(kind_: int, sql: str, params: Any) -> Any:
            out = execute(kind_, sql, params)
            if isinstance(out, list):
                fetched.append(len(out))
            return out

        saver._execute = counting
        try:
            (only,) = app.get_state_history(cfg("long"), limit=1)
        finally:
            del saver._execute
        assert only.values["i"] == STEPS
        assert max(fetched) <= (_delta_rows.MAX_DEPTH + 1 if cold else 3)
