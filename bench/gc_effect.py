"""How the timing method moves a short run: back-to-back calls vs a forced
`gc.collect()` before each call (what `python -m asv_bench.compare` does)
vs evicting the CPU caches before each call.

    .venv/bin/python bench/gc_effect.py [--workload chain-10] [--calls 300]

Prints the median µs per run for both engines under each method.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="chain-10")
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    methods = {
        "back-to-back": lambda: None,
        "gc.collect() before each": gc.collect,
        "caches evicted before each": _evict_caches,
    }
    print(f"{args.workload}: median µs per run, {args.calls} calls per method")
    for engine in ("jit", "langgraph"):
        wl = W.build(engine, args.workload, False)
        for _ in range(50):
            wl.run()
        cells = [f"{name} {median_us(wl.run, fn, args.calls):.0f}" for name, fn in methods.items()]
        print(f"{engine:10s} " + " | ".join(cells))


if __name__ == "__main__":
    main()
