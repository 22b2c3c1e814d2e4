"""Whole runs with and without the compiled step kernels: `python -m asv_bench.investigate.wide_step`.

`kernel_threshold` times the bookkeeping kernels alone; this times what a user sees, in one
process with the kernels loaded: `LANGGRAPH_JIT_KERNELS=python` against `auto` (which
switches to the compiled kernels at a wide step, here forced by LANGGRAPH_JIT_WIDE_STEP=1)
on (a) `parallel-N` (one step running N nodes, the run ends) and (b) a loop of 30 steps each
running N nodes. Process CPU time per run, best of 5 interleaved batches.
"""

from __future__ import annotations

import operator
import os
import time
from typing import Any

from asv_bench.benchmarks import workloads as W
from langgraph_jit import _kernels
from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
from langgraph_jit.pregel import NodeBuilder, Pregel
from langgraph_jit.pregel._node import ChannelWriteEntry


def _wide_loop(n: int, steps: int) -> Any:
    nodes = {
        f"w{i:04d}": NodeBuilder().subscribe_only("tick").do(lambda t: 1).write_to("sum")
        for i in range(n)
    }
    nodes["clock"] = NodeBuilder().subscribe_only("sum").do(lambda s: s // n).write_to("count")
    nodes["next"] = (
        NodeBuilder()
        .subscribe_only("count")
        .do(lambda c: c if c < steps else None)
        .write_to(ChannelWriteEntry("tick", skip_none=True))
    )
    app = Pregel(
        nodes=nodes,
        channels={
            "tick": LastValue(int),
            "sum": BinaryOperatorAggregate(int, operator.add),
            "count": LastValue(int),
        },
        input_channels="tick",
        output_channels="sum",
    )
    return lambda: app.invoke(0, {"recursion_limit": 10 * steps})


def _compare(run: Any, reps: int) -> tuple[float, float]:
    best: dict[str, float] = {}
    for _ in range(5):
        for mode in ("python", "auto"):
            os.environ["LANGGRAPH_JIT_KERNELS"] = mode
            _kernels.reload_settings()
            run()
            t = time.process_time()
            for _ in range(reps):
                run()
            dt = (time.process_time() - t) / reps
            best[mode] = min(best.get(mode, dt), dt)
    return best["python"], best["auto"]


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", help="comma-separated N of parallel-N (default 20,...,4096)")
    ap.add_argument("--no-loop", action="store_true", help="skip the 30-step loops")
    args = ap.parse_args()
    sizes = (
        tuple(int(n) for n in args.sizes.split(",")) if args.sizes else (20, 64, 256, 1024, 4096)
    )
    os.environ["LANGGRAPH_JIT_WIDE_STEP"] = "1"
    assert _kernels.warmup(), "numba is needed for this measurement"
    print("| workload | N | python ms | compiled ms | python / compiled |")
    print("|---|---:|---:|---:|---:|")
    for n in sizes:
        wl = W.parallel(W.Api("jit"), n, False)
        p, c = _compare(wl.run, max(3, 20_000 // n))
        print(f"| parallel-N (one wide step) | {n} | {p * 1e3:.2f} | {c * 1e3:.2f} | {p / c:.2f} |")
    for n in () if args.no_loop else (20, 100, 1000):
        p, c = _compare(_wide_loop(n, 30), 3)
        print(f"| 30 wide steps | {n} | {p * 1e3:.2f} | {c * 1e3:.2f} | {p / c:.2f} |")


if __name__ == "__main__":
    main()
