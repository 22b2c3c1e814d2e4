"""The per-step bookkeeping algorithm, as numba compiles it.

Every function here uses only `len()`, 1-D indexing and integer arithmetic,
so numba compiles this source for int64/uint8 NumPy arrays (see
`compiled.py`); interpreted on lists it is the test oracle. The interpreted
engine path uses `step_python`, the same algorithm written for CPython.
Keep this one numba-friendly: no NumPy calls, no Python objects, no `.sum()`.

Topology arrays (built once per graph, read-only):
  trig_ptr[n]..trig_ptr[n+1]  slots of node n in trig_chan / seen
  trig_chan[slot]             channel id of that trigger
  c2n_ptr[c]..c2n_ptr[c+1]    slots of channel c in c2n_node
  c2n_node[k]                 node triggered by channel c, ascending ids
Run state (mutated in place):
  versions[c]   integer version of channel c (0 = never written)
  available[c]  1 if channel c holds a value
  seen[slot]    version of trig_chan[slot] that node saw when it last ran
  has_seen[n]   1 once node n has an entry in versions_seen (it ran, or was sent to)
  mark[n]       scratch for de-duplicating candidates; equal to `stamp` once seen
"""


def node_is_triggered(trig_ptr, trig_chan, versions, available, seen, n):
    """True when some trigger of node n holds a value newer than n has seen."""
    for slot in range(trig_ptr[n], trig_ptr[n + 1]):
        c = trig_chan[slot]
        if available[c] and versions[c] > seen[slot]:
            return True
    return False


def plan_nodes(trig_ptr, trig_chan, versions, available, seen, has_seen, order, n_order, out_nodes):
    """Write into out_nodes the nodes of order[:n_order] that are triggered,
    keeping their order; return how many. A node that never ran (has_seen 0)
    is triggered by any trigger that holds a value, as in LangGraph."""
    n_out = 0
    for i in range(n_order):
        n = order[i]
        if has_seen[n]:
            hit = node_is_triggered(trig_ptr, trig_chan, versions, available, seen, n)
        else:
            hit = False
            for slot in range(trig_ptr[n], trig_ptr[n + 1]):
                if available[trig_chan[slot]]:
                    hit = True
                    break
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
    changed, and return the number of nodes triggered for the next step
    (written to out_nodes in ascending id order)."""
    # versions_seen: the versions each task's triggers had when it ran,
    # taken before this step's bumps.
    for i in range(n_ran):
        n = ran_nodes[i]
        for slot in range(trig_ptr[n], trig_ptr[n + 1]):
            seen[slot] = versions[trig_chan[slot]]
    # One new version shared by every channel the step changed.
    for i in range(n_bumped):
        c = bumped[i]
        versions[c] = next_version
        available[c] = bumped_available[i]
    # Candidates: nodes subscribed to a changed channel that now has a value.
    n_cand = 0
    for i in range(n_bumped):
        if not bumped_available[i]:
            continue
        c = bumped[i]
        for k in range(c2n_ptr[c], c2n_ptr[c + 1]):
            n = c2n_node[k]
            if mark[n] != stamp:
                mark[n] = stamp
                out_nodes[n_cand] = n
                n_cand += 1
    # Ascending node ids (LangGraph plans candidates in sorted name order and
    # node ids follow that order). Few candidates: insertion sort; many: one
    # pass over the marks, which is O(nodes) instead of O(candidates^2).
    if n_cand <= 16:
        for i in range(1, n_cand):
            n = out_nodes[i]
            j = i - 1
            while j >= 0 and out_nodes[j] > n:
                out_nodes[j + 1] = out_nodes[j]
                j -= 1
            out_nodes[j + 1] = n
    else:
        n_cand = 0
        for n in range(len(mark)):
            if mark[n] == stamp:
                out_nodes[n_cand] = n
                n_cand += 1
    # Keep only the candidates whose trigger condition holds.
    n_out = 0
    for i in range(n_cand):
        n = out_nodes[i]
        if node_is_triggered(trig_ptr, trig_chan, versions, available, seen, n):
            out_nodes[n_out] = n
            n_out += 1
    return n_out
