"""Where the compiled step kernels start to beat the interpreted twin.

Times ChannelTable.apply_writes + plan per superstep, compiled vs interpreted
(same process, both warmed), for the chain and fan-in graphs of
`asv_bench/benchmarks/kernel_workloads.py` (also timed by the asv suite,
`micro.Kernels`) at N nodes, and prints the crossover N the kernel thresholds
(`langgraph_jit._kernels`) should follow.

    python -m asv_bench.investigate.kernel_threshold [--repeats 7] [--quick] [--publish]
    python -m asv_bench.investigate.kernel_threshold --shapes fan-in --sizes 1000,10000,100000 \
        --repeats 3 --out /tmp/scale.json    # issue 17: steps of 1k-100k tasks

JSON goes to asv_bench/results/kernel_threshold.json (`--out FILE` elsewhere;
`--publish`: asv_bench/investigate/kernel_threshold.json, the run the README quotes).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba_cache")
os.environ.pop("LANGGRAPH_JIT_DISABLE_JIT", None)

import argparse
import gc
import math
import statistics
import sys
import time
from pathlib import Path

import langgraph_jit
from asv_bench._common import machine, save_json
from asv_bench.benchmarks.kernel_workloads import SHAPES, KernelGraph, new_table

SIZES = (5, 10, 20, 50, 100, 200, 500, 1000, 2000)
QUICK_SIZES = (5, 20, 100, 500)
PUBLISHED = Path(__file__).resolve().parent / "kernel_threshold.json"
# step = apply_writes + plan every superstep; engine = what the run loop pays
# (apply_writes every step, one full plan per run).
PARTS = ("step", "apply_writes", "plan", "engine")


def one_run(graph: KernelGraph, compiled: bool) -> tuple[float, float, float, float]:
    """Seconds for one run: (apply_writes + plan every step, apply_writes only,
    plan only, engine mix). The engine mix is what the run loop pays: it calls
    apply_writes every step but a full plan() only when it has no candidate
    list (at the start, or after a step that updated nothing), so one plan per run."""
    table = new_table(graph, compiled)
    order = graph.topo.insertion_order
    t_apply = t_plan = 0.0
    clock = time.perf_counter
    for ran, writes in graph.steps:
        t0 = clock()
        table.apply_writes(ran, [], writes, True)
        t1 = clock()
        table.plan(order)
        t2 = clock()
        t_apply += t1 - t0
        t_plan += t2 - t1
        table.mark_seen(ran)
    return t_apply + t_plan, t_apply, t_plan, t_apply + t_plan / len(graph.steps)


def measure(shape: str, n: int, repeats: int) -> dict:
    graph = SHAPES[shape](n)
    n_steps = len(graph.steps)
    # Enough runs per sample that each sample lasts a few ms.
    runs = max(1, 4000 // (n * n_steps) + 1)
    result = {
        "shape": shape,
        "n_nodes": graph.topo.n_nodes,
        "steps_per_run": n_steps,
        "runs_per_sample": runs,
    }
    samples: dict[bool, list[tuple[float, ...]]] = {False: [], True: []}
    for compiled in (False, True):  # warm both (compile / caches / branch paths)
        for _ in range(3):
            one_run(graph, compiled)
    gc.disable()
    try:
        for _ in range(repeats):
            for compiled in (False, True):  # interleaved
                tot = [0.0, 0.0, 0.0, 0.0]
                for _ in range(runs):
                    for j, t in enumerate(one_run(graph, compiled)):
                        tot[j] += t
                samples[compiled].append(tuple(t / (runs * n_steps) * 1e6 for t in tot))
    finally:
        gc.enable()
    for compiled, label in ((False, "python"), (True, "compiled")):
        s = samples[compiled]
        for j, part in enumerate(PARTS):
            vals = [x[j] for x in s]
            result[f"{label}_{part}_us_median"] = statistics.median(vals)
            result[f"{label}_{part}_us_min"] = min(vals)
    for part in PARTS:
        result[f"speedup_{part}"] = (
            result[f"python_{part}_us_median"] / result[f"compiled_{part}_us_median"]
        )
    return result


def crossover(rows: list[dict], key: str = "step") -> float | None:
    """Smallest N from which the compiled kernels win at every larger size,
    interpolated on log N between the two grid points around it."""
    diff = [
        (r["n_nodes"], r[f"python_{key}_us_median"] - r[f"compiled_{key}_us_median"]) for r in rows
    ]
    if diff[-1][1] <= 0:
        return None  # compiled never wins
    i = len(diff) - 1
    while i > 0 and diff[i - 1][1] > 0:
        i -= 1
    if i == 0:
        return float(diff[0][0])
    (n0, d0), (n1, d1) = diff[i - 1], diff[i]
    frac = -d0 / (d1 - d0)
    return math.exp(math.log(n0) + frac * (math.log(n1) - math.log(n0)))


def _round2(x: float) -> int:
    """Two significant digits: 14.3 -> 14, 547 -> 550."""
    if x < 10:
        return round(x)
    mag = 10 ** (len(str(int(x))) - 2)
    return int(round(x / mag) * mag)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help=f"N in {QUICK_SIZES}, 2 repeats")
    ap.add_argument("--sizes", help=f"comma-separated N (default {','.join(map(str, SIZES))})")
    ap.add_argument("--shapes", help=f"comma-separated, of {', '.join(SHAPES)} (default all)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--out", help="JSON file (default asv_bench/results/kernel_threshold.json)")
    where.add_argument("--publish", action="store_true", help=f"write {PUBLISHED} (tracked)")
    args = ap.parse_args()
    sizes = SIZES
    if args.quick:
        sizes, args.repeats = QUICK_SIZES, 2
    if args.sizes:
        sizes = tuple(int(n) for n in args.sizes.split(","))
    shapes = args.shapes.split(",") if args.shapes else list(SHAPES)
    t_start = time.perf_counter()
    assert langgraph_jit.warmup(), "numba kernels unavailable"
    rows = []
    for shape in shapes:
        for n in sizes:
            rows.append(measure(shape, n, args.repeats))
            print(f"{shape} N={n} done", file=sys.stderr)

    print("\nµs per superstep (median of samples; each sample averages whole runs)\n")
    print(
        "| shape | N nodes | python: apply+plan | compiled: apply+plan | speed-up"
        " | python apply_writes | compiled apply_writes | python plan | compiled plan"
        " | python engine mix | compiled engine mix | speed-up (engine mix) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m = lambda k, r=r: f"{r[k]:.2f}"
        print(
            f"| {r['shape']} | {r['n_nodes']} | {m('python_step_us_median')}"
            f" | {m('compiled_step_us_median')} | {r['speedup_step']:.2f}x"
            f" | {m('python_apply_writes_us_median')} | {m('compiled_apply_writes_us_median')}"
            f" | {m('python_plan_us_median')} | {m('compiled_plan_us_median')}"
            f" | {m('python_engine_us_median')} | {m('compiled_engine_us_median')}"
            f" | {r['speedup_engine']:.2f}x |"
        )
    crossovers = {}
    for shape in shapes:
        shape_rows = [r for r in rows if r["shape"] == shape]
        crossovers[shape] = {part: crossover(shape_rows, part) for part in PARTS}
    print()
    top = max(sizes)
    for shape, c in crossovers.items():
        pretty = {k: (f"{v:.0f}" if v is not None else f"never (<={top})") for k, v in c.items()}
        print(
            f"crossover N ({shape}): apply+plan every step {pretty['step']}; engine mix "
            f"{pretty['engine']}; apply_writes alone {pretty['apply_writes']}; plan alone {pretty['plan']}"
        )
    suggested = {}
    for part in ("step", "engine"):
        cs = [c[part] for c in crossovers.values()]
        # The compiled path must win on every shape: the larger crossover,
        # rounded to two significant digits (None: it does not win by the largest N).
        suggested[part] = None if any(c is None for c in cs) else _round2(max(cs))
    print(
        f"threshold from apply+plan every step: {suggested['step']}; "
        f"from the engine mix: {suggested['engine']}"
    )
    total = time.perf_counter() - t_start
    path = save_json(
        {
            "meta": {
                "command": "python -m asv_bench.investigate.kernel_threshold "
                + " ".join(sys.argv[1:]),
                "machine": machine(),
                "repeats": args.repeats,
                "total_seconds": total,
            },
            "rows": rows,
            "crossover": crossovers,
            "suggested_threshold": suggested,
        },
        PUBLISHED if args.publish else args.out,
        "kernel_threshold.json",
    )
    print(f"saved {path} ({total:.0f} s)")


if __name__ == "__main__":
    main()
