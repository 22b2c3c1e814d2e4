"""write_groups.group_sliced gives what the per-write grouping loop gives, or None."""

from __future__ import annotations

import random

import pytest

from langgraph_jit.pregel._core.write_groups import MAX_RUNS, group_sliced

CHAN_ID = {f"c{i}": i for i in range(20)}


def _loop(writes):
    grouped = {}
    for chan, value in writes:
        grouped.setdefault(CHAN_ID[chan], []).append(value)
    return grouped


def _check(writes, expect_sliced):
    got = group_sliced(writes, CHAN_ID)
    if expect_sliced:
        assert got is not None
    if got is not None:
        assert got == _loop(writes)
        assert list(got) == list(_loop(writes))  # first-appearance order


@pytest.mark.parametrize("seed", range(40))
def test_random_shapes(seed):
    rng = random.Random(seed)
    shape = rng.choice(["runs", "stride", "random"])
    if shape == "runs":
        writes = []
        for _ in range(rng.randint(1, MAX_RUNS)):
            chan = f"c{rng.randrange(5)}"
            writes.extend((chan, rng.random()) for _ in range(rng.randint(1, 30)))
        _check(writes, True)
    elif shape == "stride":
        keys = rng.sample(sorted(CHAN_ID), rng.randint(2, MAX_RUNS))
        rows = rng.randint(2, 40)
        writes = [(k, (r, k)) for r in range(rows) for k in keys]
        _check(writes, True)
        if rows > 2:
            broken = list(writes)
            i = rng.randrange(len(keys), len(writes))
            broken[i] = (keys[(keys.index(broken[i][0]) + 1) % len(keys)], "x")
            _check(broken, False)
    else:
        writes = [(f"c{rng.randrange(6)}", i) for i in range(rng.randint(9, 200))]
        _check(writes, False)


def test_unknown_channel_left_to_the_loop():
    assert group_sliced([("c1", 1)] * 10 + [("nope", 2)], CHAN_ID) is None
    assert group_sliced([("c1", 1), ("nope", 2)] * 10, CHAN_ID) is None


def test_repeated_key_in_stride_not_sliced():
    writes = [("c1", 1), ("c2", 2), ("c2", 3)] * 20
    assert group_sliced(writes, CHAN_ID) is None
