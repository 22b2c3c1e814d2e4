"""Wide steps (issue 17, "scheduling at scale") against LangGraph: a step of many
tasks runs through `_runner.run_step`'s lock-free path (no time limit, no error
handlers) and must give what LangGraph gives: the same values, the same error from a
failing task, every task running concurrently (tasks that wait for each other
finish), `max_concurrency` honoured, and the step kernels' results equal to their
twins' in whole runs (`LANGGRAPH_JIT_KERNELS` python and compiled, the suite's modes).
"""

from __future__ import annotations

import importlib
import operator
import threading
from typing import Annotated, Any, TypedDict

import pytest

from langgraph_jit.pregel import _runner

lg_graph = pytest.importorskip("langgraph.graph")
lg_types = pytest.importorskip("langgraph.types")
lg_pregel = pytest.importorskip("langgraph.pregel")
lg_channels = pytest.importorskip("langgraph.channels")
from langgraph_jit import channels as jit_channels  # noqa: E402
from langgraph_jit import graph as jit_graph  # noqa: E402
from langgraph_jit import pregel as jit_pregel  # noqa: E402
from langgraph_jit import types as jit_types  # noqa: E402

ENGINES = {
    "langgraph": (lg_graph, lg_types, lg_pregel, lg_channels),
    "jit": (jit_graph, jit_types, jit_pregel, jit_channels),
}


class State(TypedDict, total=False):
    total: Annotated[int, operator.add]
    seen: Annotated[list, operator.add]


def _fanout(engine: str, n: int, worker: Any, **compile_kwargs: Any) -> Any:
    g, t, _, _ = ENGINES[engine]
    builder = g.StateGraph(State)
    builder.add_node("work", worker)
    builder.add_conditional_edges(g.START, lambda s: [t.Send("work", i) for i in range(n)])
    builder.add_edge("work", g.END)
    return builder.compile(**compile_kwargs)


def _wide(engine: str, n: int) -> Any:
    """One step running n distinct nodes (PULL tasks), each adding its index."""
    _, _, p, c = ENGINES[engine]
    nodes = {
        f"p{i:05d}": p.NodeBuilder()
        .subscribe_only("inp")
        .do(lambda x, i=i: x + i)
        .write_to("total")
        for i in range(n)
    }
    return p.Pregel(
        nodes=nodes,
        channels={"inp": c.LastValue(int), "total": c.BinaryOperatorAggregate(int, operator.add)},
        input_channels="inp",
        output_channels="total",
    )


@pytest.mark.parametrize("n", [2, 9, 300, 2000])
def test_wide_pull_step_same_total(n: int) -> None:
    results = {engine: _wide(engine, n).invoke(3) for engine in ENGINES}
    assert results["jit"] == results["langgraph"] == 3 * n + n * (n - 1) // 2


@pytest.mark.parametrize("n", [10, 1000])
def test_send_fanout_same_values_and_order(n: int) -> None:
    def worker(i: int) -> dict:
        return {"total": i, "seen": [i]}

    results = {engine: _fanout(engine, n, worker).invoke({}) for engine in ENGINES}
    assert results["jit"] == results["langgraph"]
    assert results["jit"]["seen"] == list(range(n))  # writes applied in task order


def test_failing_task_same_error_others_ran() -> None:
    ran: dict[str, list[int]] = {}

    def make(engine: str) -> Any:
        def worker(i: int) -> dict:
            ran.setdefault(engine, []).append(i)
            if i == 7:
                raise ValueError(f"packet {i} failed")
            return {"total": i}

        return worker

    errors = {}
    for engine in ENGINES:
        with pytest.raises(ValueError) as info:
            _fanout(engine, 40, make(engine)).invoke({})
        errors[engine] = str(info.value)
    assert errors["jit"] == errors["langgraph"] == "packet 7 failed"
    assert 7 in ran["jit"]


def test_tasks_of_a_step_run_concurrently() -> None:
    """Tasks that wait for each other (a barrier of 4) finish: all four run at once."""
    for engine in ENGINES:
        barrier = threading.Barrier(4, timeout=10)

        def worker(i: int, barrier: threading.Barrier = barrier) -> dict:
            barrier.wait()
            return {"total": i}

        assert _fanout(engine, 4, worker).invoke({})["total"] == 6, engine


@pytest.mark.parametrize("limit", [1, 3])
def test_max_concurrency_honoured(limit: int) -> None:
    for engine in ENGINES:
        lock = threading.Lock()
        running = [0, 0]  # now, most at once

        def worker(i: int, lock: threading.Lock = lock, running: list = running) -> dict:
            with lock:
                running[0] += 1
                running[1] = max(running[1], running[0])
            threading.Event().wait(0.002)
            with lock:
                running[0] -= 1
            return {"total": i}

        out = _fanout(engine, 30, worker).invoke({}, {"max_concurrency": limit})
        assert out["total"] == sum(range(30)), engine
        assert running[1] <= limit, engine


def test_run_step_reports_every_task_once() -> None:
    """The lock-free path yields each task exactly once, errors included."""

    class Proc:
        timeout = None
        retry_policy = None

        def __init__(self, fail: bool) -> None:
            self.fail = fail
            self.call = self

        def invoke(self, value: Any, task: Any) -> Any:
            if self.fail:
                raise RuntimeError(value)
            return value

        def collect_writes(self, output: Any, task: Any) -> None:
            task.writes.append(("out", output))

    class Graph:
        retry_policy = None

    class Run:
        lc_context = None
        trace = None
        graph = Graph()

    class FakeTask:
        def __init__(self, i: int) -> None:
            self.name = f"t{i}"
            self.input = i
            self.proc = Proc(i % 5 == 0)
            self.run = Run()
            self.id = f"id{i}"
            self.timeout = None
            self.call_futures = None
            self.writes: list = []

    tasks = [FakeTask(i) for i in range(500)]
    seen = list(_runner.run_step(tasks, timeout=None, max_concurrency=None))
    assert sorted(t.input for t, _ in seen) == list(range(500))
    failed = sorted(t.input for t, exc in seen if exc is not None)
    assert failed == list(range(0, 500, 5))
    assert all(t.writes == [("out", t.input)] for t, exc in seen if exc is None)
    assert list(_runner.run_step([], timeout=None, max_concurrency=None)) == []


def _quiet_graph(engine: str, n: int, then: bool = False) -> Any:
    """n nodes, each reading a channel of its own; p0 runs and writes nothing, so the
    next plan examines every node (`then`: p1's channel is written too, and p1 feeds
    `out`, which p2 reads)."""
    _, _, p, c = ENGINES[engine]
    package = "langgraph_jit" if engine == "jit" else "langgraph"
    entry = importlib.import_module(f"{package}.pregel._write").ChannelWriteEntry
    quiet = entry("out", skip_none=True)
    nodes = {
        f"p{i:04d}": p.NodeBuilder().subscribe_only(f"c{i}").do(lambda x: None).write_to(quiet)
        for i in range(n)
    }
    if then:
        nodes["p0001"] = p.NodeBuilder().subscribe_only("c1").do(lambda x: x * 10).write_to("out")
        nodes["p0002"] = p.NodeBuilder().subscribe_only("out").do(lambda x: x + 1).write_to("c3")
    channels: dict[str, Any] = {f"c{i}": c.LastValue(int) for i in range(n)}
    channels["out"] = c.LastValue(int)
    return p.Pregel(
        nodes=nodes,
        channels=channels,
        input_channels=["c0", "c1"] if then else "c0",
        output_channels=["c0", "c3", "out"],
    )


@pytest.fixture
def auto_with_numba(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Auto mode with the compiled kernels loaded (what `warmup()` gives a process)."""
    from langgraph_jit import _kernels

    if _kernels.jit_disabled_by_env():
        pytest.skip("numba disabled (LANGGRAPH_JIT_DISABLE_JIT)")
    monkeypatch.setenv("LANGGRAPH_JIT_KERNELS", "auto")
    _kernels.reload_settings()
    if not _kernels.warmup():
        pytest.skip("numba is not importable")
    yield
    monkeypatch.undo()
    _kernels.reload_settings()


@pytest.mark.parametrize("n", [5, 150, 1200])
@pytest.mark.parametrize("then", [False, True])
def test_full_scan_same_result(n: int, then: bool) -> None:
    inp = {"c0": 1, "c1": 2} if then else 1
    results = {engine: _quiet_graph(engine, n, then).invoke(inp) for engine in ENGINES}
    assert results["jit"] == results["langgraph"]


@pytest.mark.parametrize("then", [False, True])
def test_full_scan_promotes_auto_run(auto_with_numba: Any, then: bool) -> None:
    """In auto mode, once numba is loaded, a scan of >= SCAN_PROMOTE nodes runs
    the compiled plan_nodes; the run's results stay LangGraph's."""
    from langgraph_jit._kernels import SCAN_PROMOTE
    from langgraph_jit.pregel._core.table import ChannelTable

    promoted: list[bool] = []
    original = ChannelTable.plan

    def plan(self: Any, order: Any) -> Any:
        promoted.append(self.compiled)
        return original(self, order)

    inp = {"c0": 1, "c1": 2} if then else 1
    expected = _quiet_graph("langgraph", SCAN_PROMOTE, then).invoke(inp)
    ChannelTable.plan = plan  # type: ignore[method-assign]
    try:
        assert _quiet_graph("jit", SCAN_PROMOTE, then).invoke(inp) == expected
        assert promoted and all(promoted)
        promoted.clear()
        assert _quiet_graph("jit", SCAN_PROMOTE - 1, then).invoke(inp) == _quiet_graph(
            "langgraph", SCAN_PROMOTE - 1, then
        ).invoke(inp)
        assert promoted and not any(promoted)
    finally:
        ChannelTable.plan = original  # type: ignore[method-assign]
