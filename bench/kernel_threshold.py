"""Where the compiled step kernels start to beat the interpreted twin.

Times ChannelTable.apply_writes + plan per superstep, compiled vs interpreted
(same process, both warmed), for chain-like and fan-in graphs of N nodes, and
prints the crossover N that DEFAULT_NODE_THRESHOLD should follow.
Run as `python bench/kernel_threshold.py [--repeats K]`; JSON goes to
bench/results/kernel_threshold.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import operator
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba_cache")
os.environ.pop("LANGGRAPH_JIT_DISABLE_JIT", None)

import langgraph_jit
from langgraph_jit._constants import MISSING
from langgraph_jit._kernels import reload_settings
from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
from langgraph_jit.pregel import NodeBuilder
from langgraph_jit.pregel._table import ChannelTable
from langgraph_jit.pregel._topology import Topology

SIZES = (5, 10, 20, 50, 100, 200, 500, 1000, 2000)
# step = apply_writes + plan every superstep; engine = what the run loop pays
# (apply_writes every step, one full plan per run).
PARTS = ("step", "apply_writes", "plan", "engine")
identity = lambda x: x


def chain_graph(n: int):
    """node i: c_i -> c_{i+1}. A run is n steps of one task and one write."""
    nodes = {
        f"n{i:04d}": NodeBuilder()
        .subscribe_only(f"c{i}")
        .do(identity)
        .write_to(f"c{i + 1}")
        .build()
        for i in range(n)
    }
    channels = {f"c{i}": LastValue(int) for i in range(n + 1)}
    topo = Topology(nodes, channels)
    ids = [topo.node_id[f"n{i:04d}"] for i in range(n)]

    def steps():
        # (ran nodes, writes) per superstep; the input step first.
        yield [], [("c0", 0)]
        for i in range(n):
            yield [ids[i]], [(f"c{i + 1}", i)]

    return topo, channels, steps, n + 1


def fan_in_graph(n: int):
    """n-1 workers w_i (c_i -> sink, a BinaryOperatorAggregate) and a join node
    on sink. Steps: input writes every c_i; all workers run and write sink;
    join runs."""
    k = n - 1
    nodes = {
        f"w{i:04d}": NodeBuilder().subscribe_only(f"c{i}").do(identity).write_to("sink").build()
        for i in range(k)
    }
    nodes["join"] = NodeBuilder().subscribe_only("sink").do(identity).write_to("out").build()
    channels = {f"c{i}": LastValue(int) for i in range(k)}
    channels["sink"] = BinaryOperatorAggregate(int, operator.add)
    channels["out"] = LastValue(int)
    topo = Topology(nodes, channels)
    workers = [topo.node_id[f"w{i:04d}"] for i in range(k)]
    join = topo.node_id["join"]
    input_writes = [(f"c{i}", i) for i in range(k)]
    sink_writes = [("sink", 1)] * k

    def steps():
        yield [], input_writes
        yield workers, sink_writes
        yield [join], [("out", 1)]

    return topo, channels, steps, 3


SHAPES = {"chain": chain_graph, "fan-in": fan_in_graph}


def new_table(topo, specs, compiled: bool) -> ChannelTable:
    os.environ["LANGGRAPH_JIT_KERNELS"] = "compiled" if compiled else "python"
    reload_settings()  # the kernel settings are otherwise read once per process
    channels = [specs[name].from_checkpoint(MISSING) for name in topo.chan_names]
    table = ChannelTable(
        topo,
        channels,
        [0] * topo.n_channels,
        [0] * len(topo.trig_chan),
        force_compiled=None if compiled else False,
    )
    assert table.compiled is compiled
    return table


def one_run(topo, specs, steps, compiled: bool, n_steps: int) -> tuple[float, float, float, float]:
    """Seconds for one run: (apply_writes + plan every step, apply_writes only,
    plan only, engine mix). The engine mix is what the run loop pays: it calls
    apply_writes every step but a full plan() only when it has no candidate
    list (at the start, or after a step that updated nothing), so one plan per run."""
    table = new_table(topo, specs, compiled)
    order = topo.insertion_order
    t_apply = t_plan = 0.0
    clock = time.perf_counter
    for ran, writes in steps():
        t0 = clock()
        table.apply_writes(ran, [], writes, True)
        t1 = clock()
        table.plan(order)
        t2 = clock()
        t_apply += t1 - t0
        t_plan += t2 - t1
        table.mark_seen(ran)
    return t_apply + t_plan, t_apply, t_plan, t_apply + t_plan / n_steps


def measure(shape: str, n: int, repeats: int) -> dict:
    topo, specs, steps, n_steps = SHAPES[shape](n)
    # Enough runs per sample that each sample lasts a few ms.
    runs = max(1, 4000 // (n * n_steps) + 1)
    result = {
        "shape": shape,
        "n_nodes": topo.n_nodes,
        "steps_per_run": n_steps,
        "runs_per_sample": runs,
    }
    samples: dict[bool, list[tuple[float, ...]]] = {False: [], True: []}
    for compiled in (False, True):  # warm both (compile / caches / branch paths)
        for _ in range(3):
            one_run(topo, specs, steps, compiled, n_steps)
    gc.disable()
    try:
        for _ in range(repeats):
            for compiled in (False, True):  # interleaved
                tot = [0.0, 0.0, 0.0, 0.0]
                for _ in range(runs):
                    for j, t in enumerate(one_run(topo, specs, steps, compiled, n_steps)):
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
        return int(round(x))
    mag = 10 ** (len(str(int(x))) - 2)
    return int(round(x / mag) * mag)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "kernel_threshold.json")
    )
    args = ap.parse_args()
    t_start = time.perf_counter()
    assert langgraph_jit.warmup(), "numba kernels unavailable"
    rows = []
    for shape in SHAPES:
        for n in SIZES:
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
        m = lambda k: f"{r[k]:.2f}"
        print(
            f"| {r['shape']} | {r['n_nodes']} | {m('python_step_us_median')}"
            f" | {m('compiled_step_us_median')} | {r['speedup_step']:.2f}x"
            f" | {m('python_apply_writes_us_median')} | {m('compiled_apply_writes_us_median')}"
            f" | {m('python_plan_us_median')} | {m('compiled_plan_us_median')}"
            f" | {m('python_engine_us_median')} | {m('compiled_engine_us_median')}"
            f" | {r['speedup_engine']:.2f}x |"
        )
    crossovers = {}
    for shape in SHAPES:
        shape_rows = [r for r in rows if r["shape"] == shape]
        crossovers[shape] = {part: crossover(shape_rows, part) for part in PARTS}
    print()
    for shape, c in crossovers.items():
        pretty = {k: (f"{v:.0f}" if v is not None else "never (<=2000)") for k, v in c.items()}
        print(
            f"crossover N ({shape}): apply+plan every step {pretty['step']}; engine mix "
            f"{pretty['engine']}; apply_writes alone {pretty['apply_writes']}; plan alone {pretty['plan']}"
        )
    suggested = {}
    for part in ("step", "engine"):
        cs = [c[part] for c in crossovers.values()]
        # The compiled path must win on every shape: the larger crossover,
        # rounded to two significant digits (None: it does not win by N=2000).
        suggested[part] = None if any(c is None for c in cs) else _round2(max(cs))
    print(
        f"threshold from apply+plan every step: {suggested['step']}; "
        f"from the engine mix: {suggested['engine']}"
    )
    total = time.perf_counter() - t_start
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import platform

    import numba

    out.write_text(
        json.dumps(
            {
                "meta": {
                    "command": "python bench/kernel_threshold.py " + " ".join(sys.argv[1:]),
                    "python": platform.python_version(),
                    "numba": numba.__version__,
                    "repeats": args.repeats,
                    "total_seconds": total,
                },
                "rows": rows,
                "crossover": crossovers,
                "suggested_threshold": suggested,
            },
            indent=1,
        )
    )
    print(f"saved {out} ({total:.0f} s)")


if __name__ == "__main__":
    main()
