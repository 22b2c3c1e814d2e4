"""How the timing method moves a short run: back-to-back calls vs a forced
`gc.collect()` before each call (what `python -m asv_bench.compare` does)
vs evicting the CPU caches before each call.

    python -m asv_bench.investigate.gc_effect [--workload chain-10] [--calls 300] [--quick]

Prints the median µs per run for both engines under each method.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

from asv_bench._common import machine, save_json
from asv_bench.benchmarks import workloads as W

_BUFFER = bytearray(64 * 1024 * 1024)  # larger than the CPU caches


def _evict_caches() -> None:
    _BUFFER[::4096] = b"\x01" * len(range(0, len(_BUFFER), 4096))


def median_us(run, before, calls: int) -> float:
    samples = []
    for _ in range(calls):
        before()
        t0 = time.perf_counter()
        run()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default="chain-10", choices=list(W.WORKLOADS))
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help="30 calls per method")
    ap.add_argument("--out", help="JSON file (default asv_bench/results/gc_effect.json)")
    args = ap.parse_args()
    if args.quick:
        args.calls = 30
    methods = {
        "back-to-back": lambda: None,
        "gc.collect() before each": gc.collect,
        "caches evicted before each": _evict_caches,
    }
    print(f"{args.workload}: median µs per run, {args.calls} calls per method")
    results: dict[str, dict[str, float]] = {}
    for engine in ("jit", "langgraph"):
        wl = W.build(engine, args.workload, False)
        for _ in range(50):
            wl.run()
        results[engine] = {name: median_us(wl.run, fn, args.calls) for name, fn in methods.items()}
        cells = [f"{name} {us:.0f}" for name, us in results[engine].items()]
        print(f"{engine:10s} " + " | ".join(cells))
    path = save_json(
        {
            "command": "python -m asv_bench.investigate.gc_effect " + " ".join(sys.argv[1:]),
            "machine": machine(),
            "workload": args.workload,
            "calls": args.calls,
            "median_us": results,
        },
        args.out,
        "gc_effect.json",
    )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
