"""A saver's write pipeline: one writer per connection, group commit.

Runs hand it the saver calls of a step (a checkpoint's `put` and the
`put_writes` of its tasks) as one entry. `write` performs an entry now, in
the caller, as one transaction (durability "sync" and "exit"). `submit`
queues it (durability "async"); a writer commits whatever is queued at that
moment, several steps and several threads, in one transaction, so a run
never waits on a commit and a busy saver commits once per group, not once
per call. Each run holds a `Receipt`: how many of its entries are still
queued, and the first error among them, which the run raises.

The queue is bounded: a run that gets ahead of the database by more than
`max_queued` entries waits (backpressure). Reads drain the queue first, so
they see every step queued before them; a read of one checkpoint namespace
(`get_tuple`) waits only for the entries that write to it, so a subgraph
that loads its checkpoint does not wait on its parent's queued steps.

`WritePipeline` drives a blocking connection from a writer thread;
`AsyncWritePipeline` an async one from a task on the saver's event loop
(runs advanced in a pool thread queue their entries from there with `offer`).
They share `_GroupQueue`: the queue, the grouping and what a failed group
does (each entry is retried alone, so one run's bad write fails that run
only and the other entries of the group still land).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence

Calls = Sequence[tuple[str, tuple]]  # ("put" | "put_writes", positional args)
Namespace = tuple[str, str]  # (thread id, checkpoint namespace), both as str

# Entries (steps) one transaction takes at most: a group's statements are
# held in memory and a long transaction holds the write lock longer.
MAX_GROUP = 256
MAX_QUEUED = 128
# A writer thread with nothing to do for this long ends; the next submit starts one.
IDLE_SECONDS = 2.0
# An async writer shares its loop with the runs: woken at their every await, it
# would commit a step or two at a time. It lets a group gather until it holds
# LINGER_GROUP entries, someone waits for the queue, or LINGER_SECONDS passed.
LINGER_GROUP = 32
LINGER_SECONDS = 0.005


def read_namespace(config: dict) -> Namespace | None:
    """The namespace a read of `config` looks at (None: not one namespace)."""
    conf = config.get("configurable") or {}
    if "thread_id" not in conf:
        return None
    return str(conf["thread_id"]), str(conf.get("checkpoint_ns", ""))


class Receipt:
    """What one run has queued on a pipeline: entries not yet committed, and
    the first error among them. Once an entry fails, the run's later entries
    are dropped, not committed: each step's checkpoint is the child of the
    one before, so the thread's history keeps no gap (as LangGraph, whose
    later puts wait on the failed one)."""

    __slots__ = ("pending", "error", "_event")

    def __init__(self) -> None:
        self.pending = 0
        self.error: BaseException | None = None
        self._event: asyncio.Event | None = None  # async pipelines only

    def raise_error(self) -> None:
        """Raise the first error of an entry, if one failed."""
        if self.error is not None:
            raise self.error


class _GroupQueue:
    """The part both drivers share: queued entries and their accounting."""

    def __init__(self, max_queued: int, max_group: int) -> None:
        self.queue: deque[tuple[Calls, Receipt]] = deque()
        self.max_queued = max_queued
        self.max_group = max_group
        self.in_flight = 0  # entries taken by the writer, not yet settled
        self.settled = 0  # entries ever settled (reads wait for a count)
        self.queued = 0  # entries ever queued
        # namespace -> `queued` after its latest entry: what a read of it waits
        # for (entries settle in queue order). Emptied whenever all settled.
        self.last_entry: dict[Namespace, int] = {}

    def _enqueue(self, calls: Calls, receipt: Receipt) -> None:
        receipt.pending += 1
        self.queue.append((calls, receipt))
        self.queued = queued = self.queued + 1
        last_entry = self.last_entry
        for _, args in calls:  # every call's first argument is its config
            conf = args[0]["configurable"]
            last_entry[str(conf["thread_id"]), str(conf.get("checkpoint_ns", ""))] = queued

    def drain_target(self, namespace: Namespace | None) -> int:
        """The `settled` count a read waits for: every entry queued so far, or
        (given a namespace) its latest entry."""
        if namespace is None:
            return self.queued
        return self.last_entry.get(namespace, 0)

    def _take(self) -> list[tuple[Calls, Receipt]]:
        queue = self.queue
        group = [queue.popleft() for _ in range(min(len(queue), self.max_group))]
        self.in_flight = len(group)
        return group

    def _settle(self, entry: tuple[Calls, Receipt], error: BaseException | None) -> Receipt:
        receipt = entry[1]
        if error is not None and receipt.error is None:
            receipt.error = error
        receipt.pending -= 1
        self.in_flight -= 1
        self.settled += 1
        if self.settled == self.queued:
            self.last_entry.clear()
        return receipt

    @property
    def busy(self) -> bool:
        return bool(self.queue) or self.in_flight > 0


def _commit_plan(
    group: list[tuple[Calls, Receipt]],
) -> Generator[Calls, BaseException | None, list[BaseException | None]]:
    """What a writer commits for a group, whichever the driver: yields the
    calls of one transaction, receives its error (or None); returns each
    entry's error. The whole group first; if that fails, each entry alone,
    so only the runs whose entries fail see an error. Entries of a run that
    already failed are dropped."""
    errors: list[BaseException | None] = [None] * len(group)
    live = [i for i, (_, receipt) in enumerate(group) if receipt.error is None]
    if not live:
        return errors
    error = yield [call for i in live for call in group[i][0]]
    if error is None:
        return errors
    if len(live) == 1:
        errors[live[0]] = error
        return errors
    failed: set[int] = set()  # ids of receipts that failed in this group
    for i in live:
        calls, receipt = group[i]
        if id(receipt) in failed:
            continue
        error = yield calls
        if error is not None:
            errors[i] = error
            failed.add(id(receipt))
    return errors


class WritePipeline(_GroupQueue):
    """The pipeline of a blocking connection: `commit(calls)` performs calls in
    one transaction (taking the connection's lock); a daemon thread is the
    writer while entries are queued."""

    is_async = False

    def __init__(
        self,
        commit: Callable[[Calls], None],
        *,
        name: str = "checkpoint-writer",
        max_queued: int = MAX_QUEUED,
        max_group: int = MAX_GROUP,
    ) -> None:
        super().__init__(max_queued, max_group)
        self._commit = commit
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._writer: threading.Thread | None = None

    def write(self, calls: Calls) -> None:
        """Perform `calls` now, in this thread, as one transaction."""
        self._commit(calls)

    def submit(self, calls: Calls, receipt: Receipt) -> None:
        """Queue `calls` for the writer; waits only while the queue is full."""
        with self._cond:
            while len(self.queue) >= self.max_queued:
                self._cond.wait()
            self._enqueue(calls, receipt)
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._writer.start()
            else:
                self._cond.notify_all()

    def wait(self, receipt: Receipt) -> None:
        """Until every entry of `receipt` is committed (or failed)."""
        if receipt.pending:
            with self._cond:
                while receipt.pending:
                    self._cond.wait()

    def drain(self, namespace: Namespace | None = None) -> None:
        """Until everything queued so far (for `namespace`, if given) is
        settled (reads call this first)."""
        if not self.busy:
            return
        with self._cond:
            target = self.drain_target(namespace)
            while self.settled < target:
                self._cond.wait()

    def _run(self) -> None:
        cond = self._cond
        while True:
            with cond:
                if not self.queue:
                    cond.wait(IDLE_SECONDS)
                    if not self.queue:
                        self._writer = None
                        return
                group = self._take()
                cond.notify_all()  # room in the queue
            errors = self._commit_group(group)
            with cond:
                for entry, error in zip(group, errors):
                    self._settle(entry, error)
                cond.notify_all()

    def _commit_group(self, group: list[tuple[Calls, Receipt]]) -> list[BaseException | None]:
        plan = _commit_plan(group)
        try:
            calls = next(plan)
            while True:
                try:
                    self._commit(calls)
                    error = None
                except BaseException as exc:
                    error = exc
                calls = plan.send(error)
        except StopIteration as done:
            return done.value


class AsyncWritePipeline(_GroupQueue):
    """The pipeline of an async connection: `commit(calls)` is a coroutine
    performing calls in one transaction; a task on the saver's loop is the
    writer while entries are queued (lingering briefly so a group gathers).

    `submit`, `wait` and `drain` are called on that loop. `offer` queues an
    entry from another thread (a run's steps advanced in a pool thread, see
    pregel/_drive.py) without a trip through the loop: the loop is woken only
    to start a writer or to end its linger, not once per entry. The queue's
    accounting is shared with those threads, so it changes under a lock."""

    is_async = True

    def __init__(
        self,
        commit: Callable[[Calls], Awaitable[None]],
        *,
        max_queued: int = MAX_QUEUED,
        max_group: int = MAX_GROUP,
    ) -> None:
        super().__init__(max_queued, max_group)
        self._commit = commit
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None  # known from the first submit
        self._room = asyncio.Event()  # the queue has room
        self._room.set()
        self._settled = asyncio.Event()  # some entries were settled
        self._go = asyncio.Event()  # commit now: the group is big or someone waits
        self._go_asked = False  # an offer asked the loop to set _go (once per group)
        self._active = False  # a writer runs or is being started
        self._writer: asyncio.Task | None = None

    async def write(self, calls: Calls) -> None:
        await self._commit(calls)

    async def submit(self, calls: Calls, receipt: Receipt) -> None:
        while len(self.queue) >= self.max_queued:
            self._room.clear()
            self._go.set()
            await self._room.wait()
        with self._lock:
            self._enqueue(calls, receipt)
            start = not self._active
            self._active = True
        if not start and self._writer is not None and self._writer.done():
            start = True  # the writer was cancelled with the loop's other tasks
        if len(self.queue) >= LINGER_GROUP:
            self._go.set()
        if start:
            loop = self._loop = asyncio.get_running_loop()
            self._writer = loop.create_task(self._run())

    def offer(self, calls: Calls, receipt: Receipt) -> bool:
        """Queue `calls` from a thread other than the loop's, never waiting:
        False (nothing queued) when the queue is full or no entry was ever
        submitted on the loop (the caller then submits there)."""
        loop = self._loop
        if loop is None:
            return False
        with self._lock:
            if len(self.queue) >= self.max_queued:
                return False
            self._enqueue(calls, receipt)
            start = not self._active
            self._active = True
            hurry = not start and not self._go_asked and len(self.queue) >= LINGER_GROUP
            if hurry:
                self._go_asked = True
        try:
            if start:
                loop.call_soon_threadsafe(self._start_writer)
            elif hurry:
                loop.call_soon_threadsafe(self._go.set)
        except RuntimeError:  # the loop is closed: the entry is lost with it
            return True
        return True

    def _start_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._run())

    async def wait(self, receipt: Receipt) -> None:
        while receipt.pending:
            if receipt._event is None:
                receipt._event = asyncio.Event()
            receipt._event.clear()
            self._go.set()
            await receipt._event.wait()

    async def drain(self, namespace: Namespace | None = None) -> None:
        if not self.busy:
            return
        with self._lock:
            target = self.drain_target(namespace)
        while self.settled < target:
            self._settled.clear()
            self._go.set()
            await self._settled.wait()

    async def _run(self) -> None:
        # Ends as soon as the queue is empty (the next submit or offer starts
        # another): no task is left pending on a loop its owner closes.
        lock = self._lock
        try:
            await self._serve(lock)
        except BaseException:  # cancelled: the next submit starts another
            with lock:
                self._active = False
            raise

    async def _serve(self, lock: threading.Lock) -> None:
        while True:
            with lock:
                if not self.queue:
                    # Under the lock: an offer after this starts a new writer.
                    self._active = False
                    self._writer = None
                    return
            if not self._go.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._go.wait(), LINGER_SECONDS)
            self._go.clear()
            with lock:
                self._go_asked = False
                group = self._take()
            self._room.set()
            errors = await self._commit_group(group)
            done = []
            with lock:
                for entry, error in zip(group, errors):
                    receipt = self._settle(entry, error)
                    if receipt._event is not None and not receipt.pending:
                        done.append(receipt._event)
            for event in done:
                event.set()
            self._settled.set()

    async def _commit_group(self, group: list[tuple[Calls, Receipt]]) -> list[BaseException | None]:
        plan = _commit_plan(group)
        try:
            calls = next(plan)
            while True:
                try:
                    await self._commit(calls)
                    error = None
                except BaseException as exc:
                    error = exc
                calls = plan.send(error)
        except StopIteration as done:
            return done.value
