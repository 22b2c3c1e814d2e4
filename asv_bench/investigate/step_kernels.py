"""Each step kernel against its twin, alone and in whole runs: `python -m asv_bench.investigate.step_kernels`.

Issue 17's rule: a kernel that pays nowhere is removed. For each step kernel of
`_kernels/step_source.py` this times, at N = 1k, 10k and 100k nodes, one process with
numba loaded (so both modes pay the collector's walk of numba's objects alike),
`LANGGRAPH_JIT_KERNELS=python` against `=compiled` (and `auto`, what a run gets by
default once numba is loaded), interleaved, best of `--repeats`:

* commit_and_plan (a step's commit: its writes applied, then the kernel, with its
  list<->array conversions; the twin's path may commit inline, see COMMIT_METHODS) in
  `parallel-N`: the input's commit plans N candidates, the wide step's commit records
  what N nodes saw. End to end: one `invoke` (process CPU time, all threads).
  `commit_and_plan/loop`: 5 steps each running N nodes (`wide_step`'s loop), every
  commit recording what N nodes saw and planning N candidates.
* plan_nodes (`ChannelTable.plan`: the full planning scan, over every node), which a
  run makes after a step that updated nothing (and when it loads a checkpoint without
  updated_channels): N nodes each reading a channel of its own, the input triggers
  one, which writes nothing; the next plan examines all N. End to end: one `invoke`.
  (A resume from our own checkpoints and `get_state` do not scan: they start from the
  checkpoint's updated channels.)

"phase" is the kernel's part of that same call (the caller thread's CPU time, summed
over its calls: on a shared machine wall time would count the preemptions).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba_cache")
os.environ.pop("LANGGRAPH_JIT_DISABLE_JIT", None)

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from asv_bench.benchmarks import workloads as W
from langgraph_jit import _kernels
from langgraph_jit.pregel._core.table import ChannelTable

_phase = [0.0]
_depth = [0]


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, its time added to the phase when no other timed method called it."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        if _depth[0]:
            return method(*args, **kwargs)
        _depth[0] = 1
        t = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            _phase[0] += time.thread_time() - t
            _depth[0] = 0

    return timed


# A commit, whichever ChannelTable method a step takes: the interpreted kernels also
# commit inline (apply_one, apply_few: a chain's step, a single write), the compiled
# ones always through _commit. Timed from the outermost call: the writes applied to the
# channels (the same work in both modes) plus the bookkeeping the kernel does.
COMMIT_METHODS = (
    "apply_writes",
    "apply_few",
    "apply_one",
    "_apply_plain",
    "_apply_swept",
    "_commit",
)


def _parallel_invoke(n: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    return (lambda: None), W.parallel(W.Api("jit"), n, False).run


def _wide_loop(n: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    from asv_bench.investigate.wide_step import _wide_loop as loop

    return (lambda: None), loop(n, 5)


def _quiet_step(n: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    from langgraph_jit.channels import LastValue
    from langgraph_jit.pregel import NodeBuilder, Pregel
    from langgraph_jit.pregel._node import ChannelWriteEntry

    quiet = ChannelWriteEntry("out", skip_none=True)
    nodes = {
        f"p{i:06d}": NodeBuilder().subscribe_only(f"c{i}").do(lambda x: None).write_to(quiet)
        for i in range(n)
    }
    channels: dict[str, Any] = {f"c{i}": LastValue(int) for i in range(n)}
    channels["out"] = LastValue(int)
    graph = Pregel(nodes=nodes, channels=channels, input_channels="c0", output_channels="c0")
    return (lambda: None), (lambda: graph.invoke(1))


# kernel -> (the table methods timed as its phase, workload, its name)
KERNELS = {
    "commit_and_plan": (COMMIT_METHODS, _parallel_invoke, "parallel-N invoke"),
    "commit_and_plan/loop": (COMMIT_METHODS, _wide_loop, "5 steps each running N nodes"),
    "plan_nodes": (("plan",), _quiet_step, "1 of N nodes runs, updates nothing"),
}


def compare(kernel: str, n: int, repeats: int) -> dict[str, tuple[float, float]]:
    """{mode: (best end-to-end CPU seconds per call, phase seconds in that sample)}."""
    methods, build, _ = KERNELS[kernel]
    originals = {m: ChannelTable.__dict__[m] for m in methods if m in ChannelTable.__dict__}
    for m, original in originals.items():
        setattr(ChannelTable, m, _timed(original))
    try:
        setup, run = build(n)
        reps = max(2, 20_000 // n)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(repeats):
            for mode in ("python", "compiled", "auto"):
                os.environ["LANGGRAPH_JIT_KERNELS"] = mode
                _kernels.reload_settings()
                setup()
                run()
                cpu = phase = 0.0
                # Each sample starts from a collected heap: with numba's ~35,000 objects
                # in it, whether a full collection falls in a sample would decide it
                # (parallel-10000: 31 vs 76 ms for the same mode, by where one fell).
                gc.collect()
                for _ in range(reps):
                    setup()
                    _phase[0] = 0.0
                    t = time.process_time()
                    run()
                    cpu += time.process_time() - t
                    phase += _phase[0]
                dt = cpu / reps
                if mode not in best or dt < best[mode][0]:
                    best[mode] = (dt, phase / reps)
        return best
    finally:
        for m, original in originals.items():
            setattr(ChannelTable, m, original)
        os.environ.pop("LANGGRAPH_JIT_KERNELS", None)
        _kernels.reload_settings()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    assert _kernels.warmup(), "numba is needed for this measurement"
    print(
        "| kernel | workload | N | phase: twin | phase: compiled | phase ratio "
        "| end to end: twin | compiled | ratio | auto | twin / auto |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kernel in args.kernels.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            best = compare(kernel, n, args.repeats)
            (pe, pp), (ce, cp), (ae, _) = best["python"], best["compiled"], best["auto"]
            print(
                f"| {kernel.split('/')[0]} | {KERNELS[kernel][2]} | {n} | {pp * 1e3:.3f} ms | {cp * 1e3:.3f} ms "
                f"| {pp / max(cp, 1e-9):.1f}x | {pe * 1e3:.2f} ms | {ce * 1e3:.2f} ms | {pe / ce:.2f}x "
                f"| {ae * 1e3:.2f} ms | {pe / ae:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
