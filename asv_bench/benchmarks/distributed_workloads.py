"""Issue 18's benchmarks: a graph's tasks and many threads on a 2-worker Dask cluster.

Rows (each measured in a fresh process, local and cluster runs interleaved):
- `fanout-64x50ms`: 64 Send tasks each burning ~50 ms of pure-Python CPU; the local
  default run (threads, GIL-bound) against `compile(task_runner=DaskTaskRunner(...))` on
  a LocalCluster of 2 single-threaded worker processes. Budget: >= 1.8x faster.
  The row also times the machine's ceiling: the same 64 calls on a bare
  `multiprocessing` pool of 2 processes (no graph, no Dask), so the table shows how much
  of the speed-up the hardware leaves (two busy vCPUs run slower than one: see the note).
- `trivial-64`: the same fan-out with tasks that do nothing: the cluster path's cost
  per task (ms), reported, no budget.
- `threads-200-postgres`: 200 threads of a 3-node graph via `batch` with PostgreSQL as
  the saver: `runner.batch` on 2 workers against `app.batch` in one process; threads/s.
- `threads-200x3x5ms-postgres`: the same with nodes that burn ~5 ms of CPU each.

`python -m asv_bench.compare --distributed --out /tmp/x` runs them (`--only` globs the
row names); `python -m asv_bench.benchmarks.distributed_workloads --row ROW --mode MODE`
is one measurement. The asv classes at the bottom time the same workloads.
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import os
import statistics
import subprocess
import sys
import time
from fnmatch import fnmatch
from typing import Annotated, Any

from typing_extensions import TypedDict

ROWS = ("fanout-64x50ms", "trivial-64", "threads-200-postgres", "threads-200x3x5ms-postgres")
# Row -> minimum speedup of the cluster run over the local one (median to median).
DISTRIBUTED_BUDGETS = {"fanout-64x50ms": 1.8}
N_TASKS = 64
N_THREADS = 200
BURN_S = 0.05


class FanState(TypedDict):
    loops: int
    done: Annotated[int, operator.add]


class ThreadState(TypedDict):
    n: int
    loops: int
    log: Annotated[list, operator.add]


def _spin(loops: int) -> int:
    x = 0
    for i in range(loops):
        x ^= i
    return x


def calibrate(seconds: float = BURN_S) -> int:
    """Loop count of `_spin` that takes `seconds` of CPU here (best of 5)."""
    trial = 200_000
    best = min(_timed_spin(trial) for _ in range(5))
    return max(1, int(trial * seconds / best))


def _timed_spin(loops: int) -> float:
    t0 = time.process_time()
    _spin(loops)
    return time.process_time() - t0


def _burn(s: dict) -> dict:
    _spin(s["loops"])
    return {"done": 1}


def _nothing(s: dict) -> dict:
    return {"done": 1}


def _fan(s: FanState) -> list[Any]:
    from langgraph_jit.types import Send

    return [Send("work", {"loops": s["loops"], "done": 0}) for _ in range(N_TASKS)]


def fan_graph(work: Any, runner: Any = None) -> Any:
    from langgraph_jit.graph import END, START, StateGraph

    builder = StateGraph(FanState)
    builder.add_node("plan", lambda s: {}, remote=False)  # cheap: no network hop
    builder.add_node("work", work)
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", _fan, ["work"])
    builder.add_edge("work", END)
    return builder.compile(task_runner=runner)


def _step(s: ThreadState) -> dict:
    _spin(s["loops"])
    return {"log": [s["n"]], "n": s["n"] + 1}


def thread_graph() -> Any:
    from langgraph_jit.graph import START, StateGraph

    builder = StateGraph(ThreadState)
    for name in ("a", "b", "c"):
        builder.add_node(name, _step)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    return builder.compile()


def _runner() -> Any:
    import cloudpickle

    from langgraph_jit.distributed import DaskTaskRunner

    # Node functions defined here go to the workers by value: they need not import it.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    return DaskTaskRunner(n_workers=2, threads_per_worker=1, processes=True)


def measure(row: str, mode: str, repeats: int) -> dict[str, Any]:
    """One measurement: `mode` "local", "cluster" (cluster start-up not timed) or "bare"
    (the fan-out's calls on a bare 2-process pool: the hardware's ceiling)."""
    if mode == "bare":
        return _measure_bare(row, repeats)
    runner = _runner() if mode == "cluster" else None
    try:
        if row in ("fanout-64x50ms", "trivial-64"):
            work = _burn if row == "fanout-64x50ms" else _nothing
            loops = calibrate() if row == "fanout-64x50ms" else 0
            app = fan_graph(work, runner)
            run = functools.partial(app.invoke, {"loops": loops, "done": 0})
            assert run()["done"] == N_TASKS  # warm-up (workers import, unpickle)
            units = N_TASKS
        else:
            loops = calibrate(0.005) if "x5ms" in row else 0
            run, units = _threads_run(runner, loops)
            run()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    finally:
        if runner is not None:
            runner.close()
    return {"row": row, "mode": mode, "times_s": times, "units": units}


def _measure_bare(row: str, repeats: int) -> dict[str, Any]:
    import multiprocessing

    loops = calibrate() if row == "fanout-64x50ms" else 0
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [loops] * 4, chunksize=1)  # warm-up: both processes started
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            pool.map(_spin, [loops] * N_TASKS, chunksize=1)
            times.append(time.perf_counter() - t0)
    return {"row": row, "mode": "bare", "times_s": times, "units": N_TASKS}


def _threads_run(runner: Any, loops: int) -> tuple[Any, int]:
    import uuid

    from langgraph_jit.checkpoint.postgres import PostgresSaver

    dsn = os.environ["LANGGRAPH_JIT_BENCH_PG_DSN"]
    graph = thread_graph()
    inputs = [{"n": i, "loops": loops, "log": []} for i in range(N_THREADS)]

    def configs() -> list[dict]:
        batch = uuid.uuid4().hex  # fresh threads each repeat
        return [{"configurable": {"thread_id": f"{batch}-{i}"}} for i in range(N_THREADS)]

    if runner is not None:
        factory = functools.partial(PostgresSaver.from_conn_string, dsn)

        def remote() -> Any:
            return runner.batch(graph, inputs, configs(), saver=factory)

        return remote, N_THREADS
    saver_cm = PostgresSaver.from_conn_string(dsn)
    saver = saver_cm.__enter__()
    saver.setup()
    app = graph.copy({"checkpointer": saver})

    def local() -> Any:
        assert saver_cm is not None  # kept open (collected, it would close the connection)
        return app.batch(inputs, configs())

    return local, N_THREADS


# -- the comparison (python -m asv_bench.compare --distributed) ----------------------


def run_distributed(args: Any) -> dict[str, Any]:
    """Every selected row, local and cluster measurements interleaved over rounds."""
    only = [p for p in (args.only or "").split(",") if p]
    rows = [r for r in ROWS if not only or any(fnmatch(r, p) for p in only)]
    rounds = max(1, args.rounds)
    repeats = 2 if args.quick else 4
    env = dict(os.environ)
    pg = None
    if any(r.endswith("postgres") for r in rows) and "LANGGRAPH_JIT_BENCH_PG_DSN" not in env:
        dsn, pg = _start_postgres()
        env["LANGGRAPH_JIT_BENCH_PG_DSN"] = dsn
    started = time.perf_counter()
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(rounds):
            for row in rows:
                for mode in _modes(row):
                    out = subprocess.run(
                        [sys.executable, "-m", __name__, "--row", row, "--mode", mode,
                         "--repeats", str(repeats)],
                        capture_output=True, text=True, env=env,
                    )  # fmt: skip
                    if out.returncode:
                        raise RuntimeError(f"{row} ({mode}) failed:\n{out.stderr[-3000:]}")
                    res = json.loads(out.stdout.strip().splitlines()[-1])
                    samples.setdefault((row, mode), []).extend(res["times_s"])
    finally:
        if pg is not None:
            subprocess.run(["bash", "scripts/postgres.sh", "stop", pg], check=False)
    return {
        "kind": "distributed",
        "rows": [_summary(row, samples) for row in rows],
        "total_seconds": time.perf_counter() - started,
    }


def _modes(row: str) -> tuple[str, ...]:
    return ("local", "cluster", "bare") if row == "fanout-64x50ms" else ("local", "cluster")


def _start_postgres() -> tuple[str, str]:
    """A private PostgreSQL (scripts/postgres.sh): its DSN and its directory."""
    out = subprocess.run(
        ["bash", "scripts/postgres.sh", "start"], capture_output=True, text=True, check=True
    )
    found = {}
    for line in out.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        found[key] = value.strip("'\"")
    return found["LANGGRAPH_JIT_TEST_PG_DSN"], found["LANGGRAPH_JIT_TEST_PG_DIR"]


def _summary(row: str, samples: dict[tuple[str, str], list[float]]) -> dict[str, Any]:
    local = statistics.median(samples[(row, "local")])
    cluster = statistics.median(samples[(row, "cluster")])
    units = N_THREADS if row.startswith("threads") else N_TASKS
    speedup = local / cluster
    budget = DISTRIBUTED_BUDGETS.get(row)
    out: dict[str, Any] = {
        "row": row,
        "local_median_s": local,
        "cluster_median_s": cluster,
        "speedup": speedup,
        "budget": budget,
        "pass": None if budget is None else speedup >= budget,
        "n_local": len(samples[(row, "local")]),
        "n_cluster": len(samples[(row, "cluster")]),
    }
    if (row, "bare") in samples:
        bare = statistics.median(samples[(row, "bare")])
        out["bare_median_s"] = bare
        out["ceiling_speedup"] = local / bare
    if row == "trivial-64":
        out["overhead_ms_per_task"] = (cluster - local) / units * 1e3
        out["cluster_ms_per_task"] = cluster / units * 1e3
    if row.startswith("threads"):
        out["local_threads_per_s"] = units / local
        out["cluster_threads_per_s"] = units / cluster
    return out


def table_distributed(result: dict[str, Any]) -> str:
    lines = [
        "| row | local (median) | 2 workers (median) | speedup | budget | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        note = ""
        if "ceiling_speedup" in r:
            note = (
                f"ceiling: the same calls on 2 bare processes {r['bare_median_s'] * 1e3:.0f} ms "
                f"= {r['ceiling_speedup']:.2f}x; ours is {r['speedup'] / r['ceiling_speedup']:.0%} "
                "of it"
            )
        elif "overhead_ms_per_task" in r:
            note = (
                f"{r['cluster_ms_per_task']:.2f} ms per task on the cluster, "
                f"{r['overhead_ms_per_task']:+.2f} ms vs local"
            )
        elif "cluster_threads_per_s" in r:
            note = (
                f"{r['cluster_threads_per_s']:.0f} threads/s vs {r['local_threads_per_s']:.0f} "
                "in one process"
            )
        budget = (
            "" if r["budget"] is None else f"≥ {r['budget']}x ({'pass' if r['pass'] else 'MISS'})"
        )
        lines.append(
            f"| {r['row']} | {r['local_median_s'] * 1e3:.0f} ms | "
            f"{r['cluster_median_s'] * 1e3:.0f} ms | {r['speedup']:.2f}x | {budget} | {note} |"
        )
    return "\n".join(lines)


def main_distributed(args: Any, out: Any) -> None:
    """`python -m asv_bench.compare --distributed`: run the rows, print and save them."""
    result = run_distributed(args)
    result["command"] = "python -m asv_bench.compare " + " ".join(sys.argv[1:])
    path = out / "compare_distributed.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"\n{result['command']}\n")
    print(table_distributed(result))
    print(
        f"\nMedians over {result['rows'][0]['n_local'] if result['rows'] else 0} timed runs per "
        f"side (fresh processes, interleaved). Total {result['total_seconds']:.0f} s. Saved {path}"
    )


# -- asv -----------------------------------------------------------------------------


class DistributedFanout:
    """asv: the 64 x 50 ms fan-out, local threads against 2 Dask workers."""

    timeout = 300
    number = 1
    repeat = 3

    def setup(self) -> None:
        self.runner = _runner()
        self.loops = calibrate()
        self.local = fan_graph(_burn)
        self.remote = fan_graph(_burn, self.runner)
        self.trivial = fan_graph(_nothing, self.runner)
        self.remote.invoke({"loops": 0, "done": 0})

    def teardown(self) -> None:
        self.runner.close()

    def time_local(self) -> None:
        self.local.invoke({"loops": self.loops, "done": 0})

    def time_two_workers(self) -> None:
        self.remote.invoke({"loops": self.loops, "done": 0})

    def time_trivial_tasks_on_two_workers(self) -> None:
        self.trivial.invoke({"loops": 0, "done": 0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", choices=ROWS, required=True)
    parser.add_argument("--mode", choices=("local", "cluster", "bare"), required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.row, args.mode, args.repeats)))


if __name__ == "__main__":
    main()
