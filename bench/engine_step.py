"""Engine time per superstep: LangGraph 1.2.22 vs langgraph_jit (python and compiled kernels).

Run as `python bench/engine_step.py [--rounds R] [--repeats K] [--quick]`. Every
configuration runs in fresh subprocesses, launched interleaved across engines;
results go to bench/results/engine_step.json and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import operator
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ENGINES = ("langgraph", "jit-python", "jit-compiled")
SCENARIOS = ("chain-100", "chain-1000", "fanout-1000")
TASKS = "__pregel_tasks"


# -- worker side: one configuration in this process --------------------------


def _imports(engine: str) -> dict:
    if engine == "langgraph":
        from langgraph.channels import BinaryOperatorAggregate, LastValue
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.pregel import NodeBuilder, Pregel
        from langgraph.pregel._write import ChannelWriteTupleEntry
        from langgraph.types import Send
    else:
        from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
        from langgraph_jit.checkpoint.memory import InMemorySaver
        from langgraph_jit.pregel import NodeBuilder, Pregel
        from langgraph_jit.pregel._node import ChannelWriteTupleEntry
        from langgraph_jit.types import Send
    return dict(
        BinaryOperatorAggregate=BinaryOperatorAggregate,
        LastValue=LastValue,
        InMemorySaver=InMemorySaver,
        NodeBuilder=NodeBuilder,
        Pregel=Pregel,
        ChannelWriteTupleEntry=ChannelWriteTupleEntry,
        Send=Send,
    )


def build(engine: str, scenario: str, saver: bool):
    """(graph, input, expected output, supersteps, tasks, floor function)."""
    m = _imports(engine)
    checkpointer = m["InMemorySaver"]() if saver else None
    if scenario.startswith("chain-"):
        n = int(scenario.split("-")[1])
        identity = lambda x: x
        nodes = {
            f"n{i:04d}": m["NodeBuilder"]()
            .subscribe_only(f"c{i}")
            .do(identity)
            .write_to(f"c{i + 1}")
            for i in range(n)
        }
        channels = {f"c{i}": m["LastValue"](int) for i in range(n + 1)}
        graph = m["Pregel"](
            nodes=nodes,
            channels=channels,
            input_channels="c0",
            output_channels=f"c{n}",
            checkpointer=checkpointer,
        )

        def floor():
            f, x = identity, 7
            for _ in range(n):
                x = f(x)

        return graph, 7, 7, n, n, floor
    n = int(scenario.split("-")[1])
    Send = m["Send"]
    start_fn = lambda x: [Send("worker", i) for i in range(n)]
    to_tasks = lambda sends: [(TASKS, s) for s in sends]
    worker_fn = lambda x: x
    start = (
        m["NodeBuilder"]()
        .subscribe_only("start")
        .do(start_fn)
        .write_to(m["ChannelWriteTupleEntry"](mapper=to_tasks))
    )
    worker = m["NodeBuilder"]().subscribe_only("unused").do(worker_fn).write_to("total")
    graph = m["Pregel"](
        nodes={"start": start, "worker": worker},
        channels={
            "start": m["LastValue"](int),
            "unused": m["LastValue"](int),
            "total": m["BinaryOperatorAggregate"](int, operator.add),
        },
        input_channels="start",
        output_channels="total",
        checkpointer=checkpointer,
    )

    def floor():
        to_tasks(start_fn(0))
        for i in range(n):
            worker_fn(i)

    return graph, 0, n * (n - 1) // 2, 2, n + 1, floor


def _time(fn, reps: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(reps):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        w1, c1 = time.perf_counter(), time.process_time()
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
    return wall, cpu


def worker(spec: dict) -> dict:
    engine, scenario, saver, repeats = (
        spec["engine"],
        spec["scenario"],
        spec["saver"],
        spec["repeats"],
    )
    if engine == "jit-compiled":
        import langgraph_jit

        assert langgraph_jit.warmup(), "numba kernels unavailable"
    graph, value, expected, steps, tasks, floor = build(engine, scenario, saver)
    if engine == "jit-compiled":
        from langgraph_jit._kernels import kernels_for

        assert kernels_for(graph._topology.n_nodes)[1], "compiled kernels not selected"
    if engine == "jit-python":
        graph._force_compiled = False
    counter = iter(range(10**9))

    def run():
        cfg = {"recursion_limit": steps + 10}
        if saver:
            # A fresh thread per invoke: every run does the same work.
            cfg["configurable"] = {"thread_id": f"t{next(counter)}"}
        out = graph.invoke(value, cfg)
        assert out == expected, (out, expected)

    run()  # warm-up (imports, caches, first compile of anything lazy)
    run()
    wall, cpu = _time(run, repeats)
    # The node functions as plain Python calls, best of many (their floor).
    fwall, fcpu = _time(floor, 20)
    return {
        **spec,
        "steps": steps,
        "tasks": tasks,
        "invoke_wall_s": wall,
        "invoke_cpu_s": cpu,
        "floor_wall_s": min(fwall),
        "floor_cpu_s": min(fcpu),
    }


# -- parent side: schedule subprocesses, aggregate, report ----------------------


def launch(spec: dict) -> dict:
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", "/tmp/numba_cache")
    env.pop("LANGGRAPH_JIT_DISABLE_JIT", None)
    if spec["engine"] == "jit-python":
        env["LANGGRAPH_JIT_KERNELS"] = "python"
    elif spec["engine"] == "jit-compiled":
        env["LANGGRAPH_JIT_KERNELS"] = "compiled"
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        # Report the failure in the table and keep measuring the rest.
        err = proc.stderr.strip().splitlines()
        print(f"worker {spec} failed:\n{proc.stderr}", file=sys.stderr)
        return {**spec, "error": err[-1] if err else f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def per_step_us(invoke_s: list[float], floor_s: float, steps: int) -> list[float]:
    return [(t - floor_s) / steps * 1e6 for t in invoke_s]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--rounds", type=int, default=2, help="subprocesses per configuration")
    ap.add_argument("--repeats", type=int, default=5, help="timed invokes per subprocess")
    ap.add_argument("--quick", action="store_true", help="1 round, 2 repeats")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "engine_step.json"))
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    if args.quick:
        args.rounds, args.repeats = 1, 2

    t_start = time.perf_counter()
    samples: dict[tuple, dict] = {}
    failed: dict[tuple, str] = {}
    for rnd in range(args.rounds):
        for scenario in SCENARIOS:
            for saver in (False, True):
                # Interleaved: the engines of one configuration run back to back.
                for engine in ENGINES:
                    repeats = args.repeats
                    if engine == "langgraph" and scenario == "chain-1000":
                        repeats = max(2, repeats - 2)  # ~0.2-0.4 s per invoke
                    spec = dict(engine=engine, scenario=scenario, saver=saver, repeats=repeats)
                    res = launch(spec)
                    key = (scenario, saver, engine)
                    if "error" in res:
                        failed[key] = res["error"]
                        continue
                    acc = samples.setdefault(
                        key,
                        {
                            **res,
                            "invoke_wall_s": [],
                            "invoke_cpu_s": [],
                            "floors_wall": [],
                            "floors_cpu": [],
                        },
                    )
                    acc["invoke_wall_s"] += res["invoke_wall_s"]
                    acc["invoke_cpu_s"] += res["invoke_cpu_s"]
                    acc["floors_wall"].append(res["floor_wall_s"])
                    acc["floors_cpu"].append(res["floor_cpu_s"])
                    print(
                        f"round {rnd} {scenario:12s} saver={saver!s:5s} {engine:12s} done",
                        file=sys.stderr,
                    )

    rows = []
    for (scenario, saver, engine), acc in samples.items():
        steps = acc["steps"]
        fw, fc = min(acc["floors_wall"]), min(acc["floors_cpu"])
        wall = per_step_us(acc["invoke_wall_s"], fw, steps)
        cpu = per_step_us(acc["invoke_cpu_s"], fc, steps)
        rows.append(
            {
                "scenario": scenario,
                "saver": saver,
                "engine": engine,
                "steps": steps,
                "tasks": acc["tasks"],
                "samples": len(wall),
                "floor_us_per_step": fw / steps * 1e6,
                "wall_us_per_step_median": statistics.median(wall),
                "wall_us_per_step_min": min(wall),
                "cpu_us_per_step_median": statistics.median(cpu),
                "cpu_us_per_step_min": min(cpu),
                "invoke_wall_ms_median": statistics.median(acc["invoke_wall_s"]) * 1e3,
                "invoke_wall_s": acc["invoke_wall_s"],
                "invoke_cpu_s": acc["invoke_cpu_s"],
            }
        )
    by_key = {(r["scenario"], r["saver"], r["engine"]): r for r in rows}
    for r in rows:
        ref = by_key.get((r["scenario"], r["saver"], "langgraph"))
        nan = float("nan")
        r["ratio_langgraph_over_ours_wall"] = (
            ref["wall_us_per_step_median"] / r["wall_us_per_step_median"] if ref else nan
        )
        r["ratio_langgraph_over_ours_cpu"] = (
            ref["cpu_us_per_step_median"] / r["cpu_us_per_step_median"] if ref else nan
        )
    for (scenario, saver, engine), err in failed.items():
        if (scenario, saver, engine) not in by_key:
            rows.append({"scenario": scenario, "saver": saver, "engine": engine, "error": err})
    order = {
        (sc, sv, en): i
        for i, (sc, sv, en) in enumerate(
            (sc, sv, en) for sc in SCENARIOS for sv in (False, True) for en in ENGINES
        )
    }
    rows.sort(key=lambda r: order[(r["scenario"], r["saver"], r["engine"])])

    print(
        "\n| scenario | saver | engine | steps | floor µs/step | wall µs/step median | wall min"
        " | cpu µs/step median | cpu min | langgraph/ours (wall) | langgraph/ours (cpu) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(
                f"| {r['scenario']} | {'InMemorySaver' if r['saver'] else '-'} | {r['engine']}"
                f" | FAILED: {r['error'][:80]} | | | | | | | |"
            )
            continue
        print(
            f"| {r['scenario']} | {'InMemorySaver' if r['saver'] else '-'} | {r['engine']} | {r['steps']}"
            f" | {r['floor_us_per_step']:.2f} | {r['wall_us_per_step_median']:.1f}"
            f" | {r['wall_us_per_step_min']:.1f} | {r['cpu_us_per_step_median']:.1f}"
            f" | {r['cpu_us_per_step_min']:.1f} | {r['ratio_langgraph_over_ours_wall']:.2f}"
            f" | {r['ratio_langgraph_over_ours_cpu']:.2f} |"
        )
    total = time.perf_counter() - t_start
    print(
        f"\nfan-out: 2 supersteps carrying 1001 tasks; per-step figures are half an invoke."
        f" Total bench time {total:.0f} s."
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import platform

    import langgraph_jit

    meta = {
        "command": "python bench/engine_step.py " + " ".join(sys.argv[1:]),
        "python": platform.python_version(),
        "langgraph_jit": langgraph_jit.__version__,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "total_seconds": total,
        "note": "per-step = (invoke time - node-function floor) / supersteps; "
        "ratio = langgraph median / engine median",
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
