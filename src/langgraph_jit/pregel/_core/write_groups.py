"""A wide step's writes grouped by channel in a few C-level passes, for the shapes wide steps have.

`ChannelTable` groups a step's writes by channel before folding them. A Python loop
costs ~40 ns a write; the two shapes that make most wide steps are sliced instead:
long runs of one channel (a router's Send packets, a compiled node's column of writes)
and a fixed stride (every task of a fan-out writing the same keys in the same order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

_first = itemgetter(0)
_second = itemgetter(1)

# More runs (or a longer stride) than this: the per-write loop is as fast.
MAX_RUNS = 16


def group_sliced(
    writes: Sequence[tuple[str, Any]], chan_id: Mapping[str, int]
) -> dict[int, list[Any]] | None:
    """`writes` by channel id, in order of first appearance, each channel's values in
    write order (what the per-write loop gives), when they come as at most MAX_RUNS
    runs of one channel or as a stride of at most MAX_RUNS distinct channels repeated;
    None otherwise, or when a write is to a channel not in `chan_id` (the caller's
    loop reports it)."""
    if not isinstance(writes, (list, tuple)):
        return None
    grouped: dict[int, list[Any]] = {}
    for runs, (chan, run) in enumerate(groupby(writes, _first), 1):
        if runs > MAX_RUNS:
            break
        c = chan_id.get(chan)
        if c is None:
            return None
        vals = grouped.get(c)
        if vals is None:
            grouped[c] = list(map(_second, run))
        else:
            vals.extend(map(_second, run))
    else:
        return grouped
    return _group_strided(writes, chan_id)


def _group_strided(
    writes: Sequence[tuple[str, Any]], chan_id: Mapping[str, int]
) -> dict[int, list[Any]] | None:
    n = len(writes)
    head = list(map(_first, writes[: MAX_RUNS + 1]))
    try:
        stride = head.index(head[0], 1)
    except ValueError:
        return None
    if n % stride:
        return None
    head = head[:stride]
    if len(set(head)) != stride:
        return None  # a channel twice in one stride: its values would interleave
    rows = n // stride
    grouped: dict[int, list[Any]] = {}
    for k, chan in enumerate(head):
        column = writes[k::stride]
        if list(map(_first, column)).count(chan) != rows:
            return None
        c = chan_id.get(chan)
        if c is None:
            return None
        grouped[c] = list(map(_second, column))
    return grouped
