"""Numeric reducers folded over one step's writes to one channel, as numba compiles them.

Like `step_source`, this source is both compiled (by `compiled.py`, for float64 and
int64 NumPy arrays) and run as plain Python on lists: the interpreted form is the
twin the channels use without numba or below the size where the kernel pays
(`channels/numeric.py`), and the oracle the tests compare the compiled form with.
Only `len()`, 1-D indexing and arithmetic: no NumPy calls.

The fold is sequential, in write order, exactly as `functools.reduce(op, writes,
acc)` in Python (a pairwise `np.sum` would round differently). `min`/`max` keep the
current value unless a write compares strictly smaller/larger, as Python's
builtins do (so a NaN already held stays, and a NaN written never wins).
"""

ADD = 0
MIN = 1
MAX = 2


def fold_float(acc, op, values):
    """acc folded with every float in `values` by op (ADD, MIN or MAX)."""
    n = len(values)
    if op == ADD:
        for i in range(n):
            acc = acc + values[i]
    elif op == MIN:
        for i in range(n):
            v = values[i]
            if v < acc:
                acc = v
    else:
        for i in range(n):
            v = values[i]
            if v > acc:
                acc = v
    return acc


def fold_int(acc, op, values):
    """acc folded with the integers in `values` by op; returns (result, folded):
    `folded` < len(values) when the next ADD would leave int64, so the caller
    continues from there with Python's unbounded integers."""
    n = len(values)
    if op == ADD:
        for i in range(n):
            v = values[i]
            r = acc + v
            # Two's complement overflow: both operands' signs differ from the result's.
            if ((acc ^ r) & (v ^ r)) < 0:
                return acc, i
            acc = r
    elif op == MIN:
        for i in range(n):
            v = values[i]
            if v < acc:
                acc = v
    else:
        for i in range(n):
            v = values[i]
            if v > acc:
                acc = v
    return acc, n


def bin_counts(edges, counts, values):
    """Add each value's bin to counts (len(edges) - 1 bins, ascending edges): bin
    k holds edges[k] <= v < edges[k + 1], the last bin also v == edges[-1], as
    numpy.histogram; values outside the edges, and NaN, are skipped. Returns how
    many were counted."""
    n_bins = len(edges) - 1
    lo = edges[0]
    hi = edges[n_bins]
    counted = 0
    for i in range(len(values)):
        v = values[i]
        if not (v >= lo and v <= hi):  # also NaN
            continue
        if v == hi:
            k = n_bins - 1
        else:
            # the last edge <= v: binary search
            a = 0
            b = n_bins
            while b - a > 1:
                m = (a + b) // 2
                if edges[m] <= v:
                    a = m
                else:
                    b = m
            k = a
        counts[k] += 1
        counted += 1
    return counted
