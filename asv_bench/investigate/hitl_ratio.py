"""Side-by-side: an interrupt/resume round trip, and get_state_history over a
200-step thread, on langgraph and langgraph_jit (InMemorySaver), in one run.

    python -m asv_bench.investigate.hitl_ratio [--repeat 7] [--quick]

The workloads are `interrupt-resume` and `state-history-200` of
workloads.SCENARIOS (also in the asv suite, `macro.Scenarios`). Both engines are
imported in this one process and measured alternately; the figure per engine is
the best of `repeat` timings (process CPU time).
"""

from __future__ import annotations

import argparse
import sys
import time

from asv_bench._common import machine, save_json
from asv_bench.benchmarks import workloads as W

CASES = {
    "interrupt/resume round trip": "interrupt-resume",
    "get_state_history, 200-step thread": "state-history-200",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="2 repeats")
    ap.add_argument("--out", help="JSON file (default asv_bench/results/hitl_ratio.json)")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 2
    engines = ("langgraph", "jit")
    runs = {
        (e, label): W.build_scenario(e, name).run for e in engines for label, name in CASES.items()
    }
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.repeat):
        for key, run in runs.items():
            t = time.process_time()
            run()
            best[key] = min(best.get(key, float("inf")), time.process_time() - t)

    print("| workload | langgraph (ms) | langgraph_jit (ms) | ratio |")
    print("|---|---|---|---|")
    rows = []
    for label in CASES:
        lg, jit = best[("langgraph", label)] * 1e3, best[("jit", label)] * 1e3
        rows.append({"workload": label, "langgraph_ms": lg, "jit_ms": jit, "ratio": lg / jit})
        print(f"| {label} | {lg:.2f} | {jit:.2f} | {lg / jit:.1f}x |")
    path = save_json(
        {
            "command": "python -m asv_bench.investigate.hitl_ratio " + " ".join(sys.argv[1:]),
            "machine": machine(),
            "repeat": args.repeat,
            "rows": rows,
        },
        args.out,
        "hitl_ratio.json",
    )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
