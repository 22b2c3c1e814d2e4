"""The savers' write pipeline (checkpoint/_pipeline.py) on its own: group
commit, failure isolation between runs, backpressure, draining, both drivers."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from langgraph_jit.checkpoint._pipeline import AsyncWritePipeline, Receipt, WritePipeline


def conf(i: object, thread: str = "t", ns: str = "") -> dict:
    """A call's config (the pipeline keys its entries by thread and namespace)."""
    return {"configurable": {"thread_id": thread, "checkpoint_ns": ns, "i": i}}


class Store:
    """A fake connection: records committed transactions; calls named
    "bad" fail their transaction."""

    def __init__(self, delay: float = 0.0) -> None:
        self.transactions: list[list] = []
        self.delay = delay
        self.gate = threading.Event()
        self.gate.set()

    def commit(self, calls) -> None:
        self.gate.wait()
        if self.delay:
            time.sleep(self.delay)
        if any(method == "bad" for method, _ in calls):
            raise ValueError("bad call")
        self.transactions.append([args[0]["configurable"]["i"] for _, args in calls])


def test_entries_queued_while_the_writer_is_busy_commit_together():
    store = Store()
    pipeline = WritePipeline(store.commit)
    receipt = Receipt()
    store.gate.clear()  # the first entry's commit blocks
    pipeline.submit([("put", (conf(0),))], receipt)
    for i in range(1, 6):
        pipeline.submit([("put", (conf(i),)), ("put_writes", (conf(i),))], receipt)
    store.gate.set()
    pipeline.wait(receipt)
    assert receipt.pending == 0 and receipt.error is None
    flat = [x for t in store.transactions for x in t]
    assert flat == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # in order, nothing twice
    assert len(store.transactions) < 6  # grouped


def test_a_failing_entry_fails_its_run_only_and_drops_its_later_entries():
    store = Store()
    pipeline = WritePipeline(store.commit)
    good, bad = Receipt(), Receipt()
    store.gate.clear()
    pipeline.submit([("put", (conf("g0"),))], good)
    pipeline.submit([("put", (conf("b0"),))], bad)
    pipeline.submit([("bad", (conf("b1"),))], bad)
    pipeline.submit([("put", (conf("g1"),))], good)
    pipeline.submit([("put", (conf("b2"),))], bad)  # after the failure: dropped
    store.gate.set()
    pipeline.wait(good)
    pipeline.wait(bad)
    flat = [x for t in store.transactions for x in t]
    assert sorted(flat) == ["b0", "g0", "g1"]
    assert good.error is None
    assert isinstance(bad.error, ValueError)
    with pytest.raises(ValueError, match="bad call"):
        bad.raise_error()


def test_a_full_queue_holds_the_submitter_back():
    store = Store()
    pipeline = WritePipeline(store.commit, max_queued=2, max_group=1)
    receipt = Receipt()
    store.gate.clear()
    pipeline.submit([("put", (conf(0),))], receipt)  # taken by the writer, blocked
    deadline = time.monotonic() + 5
    while pipeline.queue and time.monotonic() < deadline:
        time.sleep(0.001)
    pipeline.submit([("put", (conf(1),))], receipt)
    pipeline.submit([("put", (conf(2),))], receipt)
    blocked = threading.Event()
    done = threading.Event()

    def third() -> None:
        blocked.set()
        pipeline.submit([("put", (conf(3),))], receipt)
        done.set()

    threading.Thread(target=third).start()
    blocked.wait()
    assert not done.wait(0.1)  # waits for room
    store.gate.set()
    assert done.wait(5)
    pipeline.wait(receipt)
    assert [x for t in store.transactions for x in t] == [0, 1, 2, 3]


def test_drain_waits_for_everything_queued_before_it():
    store = Store(delay=0.01)
    pipeline = WritePipeline(store.commit)
    receipt = Receipt()
    for i in range(5):
        pipeline.submit([("put", (conf(i),))], receipt)
    pipeline.drain()
    assert [x for t in store.transactions for x in t] == [0, 1, 2, 3, 4]
    assert not pipeline.busy


def test_a_namespace_read_waits_only_for_its_own_entries():
    store = Store()
    pipeline = WritePipeline(store.commit)
    receipt = Receipt()
    store.gate.clear()  # nothing commits until the gate opens
    pipeline.submit([("put", (conf(0, ns=""),))], receipt)
    pipeline.submit(
        [("put", (conf(1, ns="sub:1"),)), ("put_writes", (conf(1, ns="sub:1"),))], receipt
    )
    pipeline.submit([("put", (conf(2, ns=""),))], receipt)
    assert pipeline.drain_target(("t", "other")) == 0
    assert pipeline.drain_target(("t", "sub:1")) == 2
    assert pipeline.drain_target(("t", "")) == 3
    assert pipeline.drain_target(None) == 3
    pipeline.drain(("t", "nothing queued"))  # returns at once, the gate still closed
    assert store.transactions == []
    done = threading.Event()
    reader = threading.Thread(target=lambda: (pipeline.drain(("t", "sub:1")), done.set()))
    reader.start()
    assert not done.wait(0.05)  # its entry is queued: the read waits
    store.gate.set()
    reader.join(5)
    assert done.is_set()
    pipeline.wait(receipt)
    assert pipeline.last_entry == {}  # forgotten once everything settled


def test_write_commits_in_the_caller_at_once():
    store = Store()
    pipeline = WritePipeline(store.commit)
    pipeline.write([("put", (conf(1),)), ("put_writes", (conf(1),))])
    assert store.transactions == [[1, 1]]
    with pytest.raises(ValueError):
        pipeline.write([("bad", (conf(2),))])


def test_async_pipeline_groups_and_isolates_failures():
    async def main() -> tuple[list, Receipt, Receipt]:
        committed: list[list] = []
        gate = asyncio.Event()

        async def commit(calls) -> None:
            await gate.wait()
            if any(m == "bad" for m, _ in calls):
                raise ValueError("bad call")
            committed.append([a[0]["configurable"]["i"] for _, a in calls])

        pipeline = AsyncWritePipeline(commit)
        good, bad = Receipt(), Receipt()
        await pipeline.submit([("put", (conf("g0"),))], good)
        await pipeline.submit([("bad", (conf("b0"),))], bad)
        await pipeline.submit([("put", (conf("g1"),))], good)
        await pipeline.submit([("put", (conf("b1"),))], bad)
        await asyncio.sleep(0)
        gate.set()
        await pipeline.wait(good)
        await pipeline.wait(bad)
        await pipeline.drain()
        return committed, good, bad

    committed, good, bad = asyncio.run(main())
    assert sorted(x for t in committed for x in t) == ["g0", "g1"]
    assert good.error is None and isinstance(bad.error, ValueError)
