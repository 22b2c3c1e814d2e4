"""Whole threads on a Dask cluster (`DaskTaskRunner.batch`), the saver as the source of truth.

A `LocalCluster` of two worker processes runs each thread; outputs and saved states must
be what the same runs give in this process, a worker killed mid-run leaves a thread that
resumes (on a restarted or other worker) from its last checkpoint with nothing applied
twice, and a node that cannot be shipped is named.
"""

from __future__ import annotations

import functools
import operator
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytest.importorskip("distributed", reason="the [dask] extra is not installed")
cloudpickle = pytest.importorskip("cloudpickle", reason="the [dask] extra is not installed")

from langgraph_jit.checkpoint.sqlite import SqliteSaver  # noqa: E402
from langgraph_jit.distributed import DaskTaskRunner  # noqa: E402
from langgraph_jit.graph import END, START, StateGraph  # noqa: E402
from saver_fixtures import fresh_database, pg_dsn  # noqa: E402, F401  (fixture)


class State(TypedDict):
    n: int
    log: Annotated[list, operator.add]


def _mark(folder: str, what: str) -> int:
    """Append a line to folder/what; returns how many lines it has now (runs so far)."""
    path = Path(folder, what)
    with path.open("a") as f:
        f.write("x\n")
    return len(path.read_text().splitlines())


def build(folder: str, victim: str = "") -> Any:
    """a -> b -> c; each appends to the log and marks its run in `folder`. On the
    thread whose n is `victim`'s, b kills its own worker process the first time."""

    def a(s: State) -> dict:
        _mark(folder, f"a-{s['n']}")
        return {"log": [f"a{s['n']}"]}

    def b(s: State) -> dict:
        runs = _mark(folder, f"b-{s['n']}")
        if victim and str(s["n"]) == victim and runs == 1:
            os._exit(1)  # the worker dies mid-run
        return {"log": [f"b{s['n']}"]}

    def c(s: State) -> dict:
        if s["n"] < 0:
            raise ValueError(f"negative n: {s['n']}")
        _mark(folder, f"c-{s['n']}")
        return {"log": [f"c{s['n']}"], "n": s["n"] * 10}

    builder = StateGraph(State)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_node("c", c)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", END)
    return builder.compile()


@pytest.fixture(scope="module")
def runner():
    # Workers import this module by name otherwise, and tests/ is not on their path.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with DaskTaskRunner(n_workers=2, threads_per_worker=1) as r:
        yield r


def _configs(ns: list[int]) -> list[dict]:
    return [{"configurable": {"thread_id": f"t{n}"}} for n in ns]


def _states(graph: Any, saver: Any, ns: list[int]) -> list[Any]:
    app = graph.copy({"checkpointer": saver})
    return [[s.values for s in app.get_state_history(cfg)] for cfg in _configs(ns)]


def test_batch_on_sqlite_matches_local_runs(runner, tmp_path):
    ns = [1, 2, 3, 4, 5]
    db = str(tmp_path / "threads.sqlite")
    graph = build(str(tmp_path))
    out = runner.batch(
        graph,
        [{"n": n, "log": []} for n in ns],
        _configs(ns),
        saver=functools.partial(SqliteSaver.from_conn_string, db),
    )
    local_db = str(tmp_path / "local.sqlite")
    with SqliteSaver.from_conn_string(local_db) as saver:
        local = graph.copy({"checkpointer": saver})
        expected = [local.invoke({"n": n, "log": []}, cfg) for n, cfg in zip(ns, _configs(ns))]
        expected_states = _states(graph, saver, ns)
    assert out == expected
    with SqliteSaver.from_conn_string(db) as saver:
        assert _states(graph, saver, ns) == expected_states


def test_batch_on_postgres_with_a_killed_worker(runner, tmp_path, pg_dsn):  # noqa: F811
    from langgraph_jit.checkpoint.postgres import PostgresSaver

    ns = [7, 8, 9]
    folder = str(tmp_path)
    graph = build(folder, victim="8")
    with fresh_database(pg_dsn) as dsn:
        factory = functools.partial(PostgresSaver.from_conn_string, dsn)
        out = runner.batch(
            graph,
            [{"n": n, "log": []} for n in ns],
            _configs(ns),
            saver=factory,
            durability="sync",  # each finished step saved before the next starts
        )
        assert out == [{"n": n * 10, "log": [f"a{n}", f"b{n}", f"c{n}"]} for n in ns]
        # The victim's a ran once, b twice (the first attempt died), c once.
        runs = {p.name: len(p.read_text().splitlines()) for p in tmp_path.iterdir()}
        assert runs["a-8"] == 1 and runs["b-8"] == 2 and runs["c-8"] == 1
        assert all(runs[f"{node}-{n}"] == 1 for node in "abc" for n in (7, 9))
        with PostgresSaver.from_conn_string(dsn) as saver:
            app = graph.copy({"checkpointer": saver})
            state = app.get_state(_configs([8])[0])
            assert state.values == out[1] and state.next == ()


def test_errors_surface_per_thread(runner, tmp_path):
    graph = build(str(tmp_path))
    inputs = [{"n": 1, "log": []}, {"n": -1, "log": []}]
    configs = _configs([1, 2])
    with pytest.raises(ValueError, match="negative n"):
        runner.batch(graph, inputs, configs)
    out = runner.batch(graph, inputs, configs, return_exceptions=True)
    assert out[0] == {"n": 10, "log": ["a1", "b1", "c1"]}
    assert isinstance(out[1], ValueError)


def test_a_node_that_cannot_be_shipped_is_named(runner):
    lock = threading.Lock()

    def holds_a_lock(s: State) -> dict:
        with lock:
            return {}

    builder = StateGraph(State)
    builder.add_node("locked", holds_a_lock)
    builder.add_edge(START, "locked")
    with pytest.raises(TypeError, match="node 'locked'"):
        runner.batch(builder.compile(), [{"n": 1, "log": []}])


def test_batch_checks_its_configs(runner, tmp_path):
    with pytest.raises(ValueError, match="2 inputs but 3 configs"):
        runner.batch(build(str(tmp_path)), [{}, {}], [{}, {}, {}])


def test_importing_the_package_loads_no_cluster_library():
    code = (
        "import sys, langgraph_jit, langgraph_jit.distributed\n"
        "bad = [m for m in ('dask', 'distributed', 'cloudpickle') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
