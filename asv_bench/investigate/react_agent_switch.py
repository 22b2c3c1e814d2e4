"""A create_react_agent conversation (10 turns, two tools, scripted model) with and
without a checkpointer, on LangGraph and on langgraph_jit through the switch
(`install()`, LANGGRAPH_JIT=1), measured side by side in one run.

    python -m asv_bench.investigate.react_agent_switch [--repeat 5] [--turns 10] [--quick]

The workload is workloads.react_agent (in the asv suite as `react-agent-10` of
`macro.Scenarios`, there imported from each package directly). Here each engine
runs in its own subprocess, since the switch is per process: the worker turns the
switch on (or, with LANGGRAPH_JIT=0, leaves LangGraph in place) and builds the
workload from `langgraph.*`. Prints the best-of-N time per conversation and the
ratio LangGraph / langgraph_jit (>1: we are faster).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from asv_bench._common import ROOT, machine, save_json

CASES = {"no_checkpointer": False, "in_memory_saver": True}


def worker(turns: int, repeat: int) -> dict:
    import langgraph_jit

    langgraph_jit.install()  # honours LANGGRAPH_JIT=0; before anything imports langgraph
    import time

    from asv_bench.benchmarks import workloads as W

    api = W.Api("langgraph")  # LangGraph, or langgraph_jit through the switch
    out = {}
    for case, saver in CASES.items():
        wl = W.react_agent(api, turns, saver)
        wl.run()  # warm-up
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            wl.run()
            best = min(best, time.perf_counter() - t0)
        out[case] = best
    engine = sys.modules["langgraph.prebuilt"].__name__.split(".")[0]
    return {"engine": engine, **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--turns", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="2 repeats")
    ap.add_argument("--out", help="JSON file (default asv_bench/results/react_agent_switch.json)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.repeat = 2
    if args.worker:
        print(json.dumps(worker(args.turns, args.repeat)))
        return
    results = {}
    for flag in ("0", "1"):
        env = dict(os.environ, LANGGRAPH_JIT=flag)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        cmd = [sys.executable, "-m", "asv_bench.investigate.react_agent_switch", "--worker"]
        cmd += ["--turns", str(args.turns), "--repeat", str(args.repeat)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        if proc.returncode:
            sys.exit(proc.stderr)
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        results[data.pop("engine")] = data
    title = f"{args.turns}-turn create_react_agent, 2 tools"
    print(f"{title:40s} {'langgraph':>11s} {'langgraph_jit':>14s} {'ratio':>7s}")
    for case in CASES:
        lg, jit = results["langgraph"][case], results["langgraph_jit"][case]
        print(f"{case:40s} {lg * 1e3:9.2f}ms {jit * 1e3:12.2f}ms {lg / jit:6.2f}x")
    path = save_json(
        {
            "command": "python -m asv_bench.investigate.react_agent_switch "
            + " ".join(sys.argv[1:]),
            "machine": machine(),
            "turns": args.turns,
            "repeat": args.repeat,
            "best_s": results,
        },
        args.out,
        "react_agent_switch.json",
    )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
