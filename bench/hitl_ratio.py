"""Side-by-side: an interrupt/resume round trip, and get_state_history over a
200-step thread, on langgraph and langgraph_jit (InMemorySaver), in one run.

    python bench/hitl_ratio.py [--repeat 7]

Both engines are imported in this one process and measured alternately; the
figure per engine is the best of `repeat` timings (process CPU time).
"""

from __future__ import annotations

import argparse
import importlib
import operator
import time
from typing import Annotated, TypedDict


class State(TypedDict):
    i: int
    log: Annotated[list, operator.add]


def build(pkg: str):
    g = importlib.import_module(pkg + ".graph")
    types = importlib.import_module(pkg + ".types")
    mem = importlib.import_module(pkg + ".checkpoint.memory")

    def ask(state):
        answer = types.interrupt({"question": "approve?", "i": state["i"]})
        return {"log": [answer]}

    def done(state):
        return {"i": state["i"] + 1}

    b = g.StateGraph(State)
    b.add_node("ask", ask)
    b.add_node("done", done)
    b.add_edge(g.START, "ask")
    b.add_edge("ask", "done")
    hitl = b.compile(checkpointer=mem.InMemorySaver())

    def step(state):
        return {"i": state["i"] + 1, "log": [state["i"]]}

    def route(state):
        return g.END if state["i"] >= 200 else "step"

    b2 = g.StateGraph(State)
    b2.add_node("step", step)
    b2.add_edge(g.START, "step")
    b2.add_conditional_edges("step", route)
    long = b2.compile(checkpointer=mem.InMemorySaver())
    long.invoke(
        {"i": 0, "log": []}, {"configurable": {"thread_id": "long"}, "recursion_limit": 250}
    )
    return hitl, long, types.Command


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    engines = {pkg: build(pkg) for pkg in ("langgraph", "langgraph_jit")}
    counter = iter(range(10**9))
    best: dict[tuple[str, str], float] = {}

    def timed(key, fn):
        t = time.process_time()
        fn()
        elapsed = time.process_time() - t
        best[key] = min(best.get(key, float("inf")), elapsed)

    for _ in range(args.repeat):
        for pkg, (hitl, long, Command) in engines.items():

            def round_trip():
                cfg = {"configurable": {"thread_id": f"h{next(counter)}"}}
                out = hitl.invoke({"i": 0, "log": []}, cfg)
                assert "__interrupt__" in out
                out = hitl.invoke(Command(resume="yes"), cfg)
                assert out == {"i": 1, "log": ["yes"]}, out

            def history():
                snaps = list(long.get_state_history({"configurable": {"thread_id": "long"}}))
                assert len(snaps) == 202, len(snaps)

            timed((pkg, "interrupt/resume round trip"), round_trip)
            timed((pkg, "get_state_history, 200-step thread"), history)

    print("| workload | langgraph (ms) | langgraph_jit (ms) | ratio |")
    print("|---|---|---|---|")
    for name in ("interrupt/resume round trip", "get_state_history, 200-step thread"):
        lg = best[("langgraph", name)] * 1e3
        jit = best[("langgraph_jit", name)] * 1e3
        print(f"| {name} | {lg:.2f} | {jit:.2f} | {lg / jit:.1f}x |")


if __name__ == "__main__":
    main()
