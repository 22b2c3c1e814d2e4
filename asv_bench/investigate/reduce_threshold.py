"""Where the compiled numeric reducers pay: `python -m asv_bench.investigate.reduce_threshold`.

For n writes in one step (Python floats, Python ints, histogram values), times:
* twin: the interpreted fold (`reduce_source` on the list, what runs below the threshold)
* kernel: list -> NumPy array + one compiled call (what runs above it)
* binop: `BinaryOperatorAggregate.update` (one `operator.add` call per write, as LangGraph)
* buffer: the compiled call alone on values already in a float64 buffer (what a
  `compiled_node` batch hands the channel: `numeric.Column`), and gather: the
  list -> array conversion alone (the rest of "kernel")
µs per step, best of 7 batches of process CPU time. `channels/numeric.py`'s
KERNEL_MIN_WRITES comes from the crossing of twin and kernel.
"""

from __future__ import annotations

import operator
import random
import time
from functools import partial

import numpy as np

from langgraph_jit._kernels import compiled, reduce_source
from langgraph_jit._kernels.compiled import bin_counts, fold_float, fold_int
from langgraph_jit.channels.binop import BinaryOperatorAggregate
from langgraph_jit.channels.numeric import _bin_counts_python


def _best(fn, reps: int) -> float:
    best = float("inf")
    for _ in range(7):
        t = time.process_time()
        for _ in range(reps):
            fn()
        best = min(best, (time.process_time() - t) / reps)
    return best * 1e6


def _kernel_float(values: list) -> float:
    return fold_float(0.0, 0, np.array(values, dtype=np.float64))


def _kernel_int(values: list) -> int:
    return fold_int(0, 0, np.array(values, dtype=np.int64))[0]


def _kernel_bins(edges: np.ndarray, counts: np.ndarray, values: list) -> int:
    return bin_counts(edges, counts, np.array(values, dtype=np.float64))


def _gather_float(values: list) -> object:
    return np.array(values, dtype=np.float64)


def main() -> None:
    assert compiled is not None
    rng = random.Random(0)
    edges = [float(e) for e in range(0, 101, 10)]
    edges_np = np.array(edges)
    print(
        "| writes | float twin | float kernel | float buffer | float gather | int twin | "
        "int kernel | histogram twin | histogram kernel | binop (float) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (1, 4, 16, 32, 64, 128, 256, 1024, 10_000, 100_000):
        floats = [rng.random() * 100 for _ in range(n)]
        ints = [rng.randrange(1000) for _ in range(n)]
        reps = max(1, 20_000 // n)
        fold_float(0.0, 0, np.array(floats))  # warm
        fold_int(0, 0, np.array(ints, dtype=np.int64))
        counts = np.zeros(10, np.int64)
        ch = BinaryOperatorAggregate(float, operator.add)
        ft = _best(partial(reduce_source.fold_float, 0.0, 0, floats), reps)
        fk = _best(partial(_kernel_float, floats), reps)
        buffer = np.array(floats, dtype=np.float64)
        fb = _best(partial(fold_float, 0.0, 0, buffer), reps)
        fg = _best(partial(_gather_float, floats), reps)
        it = _best(partial(reduce_source.fold_int, 0, 0, ints), reps)
        ik = _best(partial(_kernel_int, ints), reps)
        ht = _best(partial(_bin_counts_python, edges, floats), reps)
        hk = _best(partial(_kernel_bins, edges_np, counts, floats), reps)
        bo = _best(partial(ch.update, floats), reps)
        print(
            f"| {n} | {ft:.2f} | {fk:.2f} | {fb:.2f} | {fg:.2f} | {it:.2f} | {ik:.2f} | {ht:.2f} | {hk:.2f} | {bo:.2f} |"
        )


if __name__ == "__main__":
    main()
