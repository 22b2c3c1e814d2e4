"""The step kernels as run without numba: `step_source`'s algorithm, written
for CPython lists.

`step_source` is index arithmetic so numba can compile it; interpreted, each
index costs a bytecode round trip. These twins take the same arguments and
produce the same results (tests/test_kernels.py checks them against
`step_source` on random inputs) but lean on what CPython does in C: set
building, `sorted`, `zip`, slices. Used for every run on the plain-Python
path (small graphs in "auto" mode, fallback mode).
"""

from __future__ import annotations


def node_is_triggered(trig_ptr, trig_chan, versions, available, seen, n):
    """True when some trigger of node n holds a value newer than n has seen."""
    slot = trig_ptr[n]
    for c in trig_chan[slot : trig_ptr[n + 1]]:
        if available[c] and versions[c] > seen[slot]:
            return True
        slot += 1
    return False


def plan_nodes(trig_ptr, trig_chan, versions, available, seen, has_seen, order, n_order, out_nodes):
    """Write into out_nodes the nodes of order[:n_order] that are triggered,
    keeping their order; return how many (see step_source.plan_nodes)."""
    n_out = 0
    for i in range(n_order):
        n = order[i]
        lo = trig_ptr[n]
        hi = trig_ptr[n + 1]
        if has_seen[n]:
            hit = node_is_triggered(trig_ptr, trig_chan, versions, available, seen, n)
        else:
            hit = any(available[c] for c in trig_chan[lo:hi])
        if hit:
            out_nodes[n_out] = n
            n_out += 1
    return n_out


def commit_and_plan(
    trig_ptr,
    trig_chan,
    c2n_ptr,
    c2n_node,
    versions,
    available,
    seen,
    ran_nodes,
    n_ran,
    bumped,
    bumped_available,
    n_bumped,
    next_version,
    mark,
    stamp,
    out_nodes,
):
    """Record what the tasks of a step saw, bump the channels the step
    changed, and return the number of nodes triggered for the next step,
    written to out_nodes in ascending id order (see step_source)."""
    for i in range(n_ran):
        n = ran_nodes[i]
        lo = trig_ptr[n]
        hi = trig_ptr[n + 1]
        if hi - lo == 1:
            seen[lo] = versions[trig_chan[lo]]
        else:
            seen[lo:hi] = [versions[c] for c in trig_chan[lo:hi]]
    candidates: set[int] = set()
    for i in range(n_bumped):
        c = bumped[i]
        a = bumped_available[i]
        versions[c] = next_version
        available[c] = a
        if a:
            lo = c2n_ptr[c]
            hi = c2n_ptr[c + 1]
            if hi - lo == 1:
                candidates.add(c2n_node[lo])
            elif hi > lo:
                candidates.update(c2n_node[lo:hi])
    n_out = 0
    for n in sorted(candidates):
        slot = trig_ptr[n]
        for c in trig_chan[slot : trig_ptr[n + 1]]:
            if available[c] and versions[c] > seen[slot]:
                out_nodes[n_out] = n
                n_out += 1
                break
            slot += 1
    return n_out
