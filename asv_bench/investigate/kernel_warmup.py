"""What loading the compiled kernels costs the caller: `python -m asv_bench.investigate.kernel_warmup`.

Each configuration runs in a fresh process: a 24-node fan-in graph (one wide
step per invoke, the kind that engages the compiled kernels) is invoked in a
loop for `--seconds`, recording every invoke's latency. Configurations:

* python: LANGGRAPH_JIT_KERNELS=python (never loads numba; the reference)
* blocking: LANGGRAPH_JIT_KERNELS=compiled (the first invoke imports numba and
  loads or compiles the kernels on the caller's thread, as auto mode used to)
* background: auto mode after `langgraph_jit.warmup(background=True)` (the
  loader thread imports and warms; runs stay interpreted until it is done).
  Auto mode's wide steps no longer start the loader themselves (42b291b): a
  run without that call never loads numba for its step kernels

each with a warm numba cache and with an empty one (`--cold`). Prints, per
configuration: the first invoke, the slowest invoke, invokes done in the first
second and in total, and when (s after start) runs switched to compiled.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, operator, sys, time
t_start = time.perf_counter()
import langgraph_jit
from langgraph_jit import _kernels
from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
from langgraph_jit.pregel import NodeBuilder, Pregel

n = 24
nodes = {f"n{i}": NodeBuilder().subscribe_only(f"c{i}").do(lambda x: x).write_to("sink")
         for i in range(n)}
channels = {f"c{i}": LastValue(int) for i in range(n)}
channels["sink"] = BinaryOperatorAggregate(int, operator.add)
app = Pregel(nodes=nodes, channels=channels, input_channels=[f"c{i}" for i in range(n)],
             output_channels="sink")
inp = {f"c{i}": i for i in range(n)}
seconds = float(sys.argv[1])
lat, switched = [], None
start_loader = sys.argv[2] == "background"
t0 = time.perf_counter()
while time.perf_counter() - t0 < seconds:
    a = time.perf_counter()
    if start_loader:  # returns at once; timed as part of the first invoke
        langgraph_jit.warmup(background=True)
        start_loader = False
    app.invoke(inp)
    b = time.perf_counter()
    lat.append((a - t0, b - a))
    if switched is None and _kernels._compiled is not None:
        switched = b - t0
print(json.dumps({"lat": lat, "switched": switched}))
"""


def _run(mode: str, cache: str, seconds: float) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, LANGGRAPH_JIT_WIDE_STEP="16")
    env.pop("LANGGRAPH_JIT_DISABLE_JIT", None)
    env["LANGGRAPH_JIT_KERNELS"] = {"python": "python", "blocking": "compiled"}.get(mode, "auto")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(seconds), mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for cold in (False, True):
        with tempfile.TemporaryDirectory() as warm_cache:
            if not cold:  # fill the cache once
                _run("blocking", warm_cache, 0.01)
            for mode in ("python", "blocking", "background"):
                firsts, worsts, in_first, totals, switches = [], [], [], [], []
                for _ in range(args.repeats):
                    with tempfile.TemporaryDirectory() as empty:
                        res = _run(mode, empty if cold else warm_cache, args.seconds)
                    lat = res["lat"]
                    firsts.append(lat[0][1])
                    worsts.append(max(d for _, d in lat))
                    in_first.append(sum(1 for t, d in lat if t + d <= 1.0))
                    totals.append(len(lat))
                    if res["switched"] is not None:
                        switches.append(res["switched"])
                rows.append(
                    (
                        "cold" if cold else "warm",
                        mode,
                        statistics.median(firsts) * 1e3,
                        statistics.median(worsts) * 1e3,
                        statistics.median(in_first),
                        statistics.median(totals),
                        statistics.median(switches) if switches else None,
                    )
                )
    print(
        f"| cache | kernels | first invoke | slowest invoke | invokes in 1st s | "
        f"invokes in {args.seconds:g} s | compiled from |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    labels = {"background": "background (`warmup(background=True)`)"}
    for cache, mode, first, worst, n1, total, sw in rows:
        mode = labels.get(mode, mode)
        when = "-" if sw is None else f"{sw:.2f} s"
        print(
            f"| {cache} | {mode} | {first:.1f} ms | {worst:.1f} ms | {n1:.0f} | {total:.0f} | {when} |"
        )


if __name__ == "__main__":
    main()
