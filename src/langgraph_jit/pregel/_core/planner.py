"""Planning a step: which tasks run (sends first, then triggered nodes) and
each task's input, plus reusing writes saved for a task before a failure or
an interrupt.

Node inputs are kept per read set and refreshed from the channels bumped
since (see `_read_state`), so a step costs what changed, not the state's size.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from langgraph_jit._constants import (
    ENGINE_LOGGER,
    MISSING,
    NULL_TASK_ID,
    PULL,
    PUSH,
    PUSH_TRIGGER,
    TASKS,
    WRITES_NOT_REUSED,
)
from langgraph_jit._kernels import SCAN_PROMOTE
from langgraph_jit.channels.last_value import LastValue
from langgraph_jit.errors import add_exception_note
from langgraph_jit.pregel._core import batch
from langgraph_jit.pregel._core.table import ChannelTable
from langgraph_jit.pregel._core.task import Task, TaskRun
from langgraph_jit.pregel._core.topology import Topology
from langgraph_jit.types import Send

logger = logging.getLogger(ENGINE_LOGGER)
# A node input kept per read set: [values, commit number it is current at,
# {channel id: name} of the channels it reads, its managed-value keys] (a
# list: updated in place).
_ReadEntry = list[Any]
# Read sets of at most this many keys are read directly, not kept.
_DIRECT_READ = 8
# How many commits of bumped channels `_read_state` can refresh from.
_BUMP_LOG_LIMIT = 64


class Planner:
    """Plans the tasks of each step of one run."""

    # Immutable starting values, read from the class until a run sets its own.
    _commit_no = 0
    _log_start = 0

    def __init__(
        self,
        topo: Topology,
        managed: dict[str, Any],
        table: ChannelTable,
        channel_map: dict[str, Any],
    ) -> None:
        self.topo = topo
        self.managed = managed
        self.table = table
        self.channel_map = channel_map
        self._tasks_channel = channel_map.get(TASKS)
        # Nodes built from compiled_node that Send packets may reach as one batch task.
        self._batched = batch.batch_nodes(topo) if self._tasks_channel is not None else {}
        # Nodes to examine next step (None: every node, in insertion order).
        self.next_nodes: list[int] | None = None
        self._read_cache: dict[int, _ReadEntry] = {}
        self._bump_log: list[list[int]] = []

    def plan(self, run: TaskRun) -> list[Task]:
        """The tasks of `run`'s next step: pending sends, then triggered nodes."""
        tasks_channel = self._tasks_channel
        if tasks_channel is not None and tasks_channel.is_available():
            push = self._plan_push(run, tasks_channel)
            if push:
                return push + self.plan_pull(run)
        return self.plan_pull(run)

    def plan_pull(self, run: TaskRun) -> list[Task]:
        """The triggered nodes' tasks."""
        topo = self.topo
        table = self.table
        if self.next_nodes is None:
            # LangGraph examines no node while the checkpoint has no versions.
            if table.max_version <= 0:
                node_ids = []
            else:
                if table.may_promote and topo.n_nodes >= SCAN_PROMOTE:
                    # A scan of every node (after a step that updated nothing, or from
                    # a checkpoint without updated channels): the compiled plan_nodes
                    # pays from here, if something already loaded numba.
                    table._promote()
                node_ids = table.plan(topo.insertion_order)
        else:
            node_ids = self.next_nodes
        tasks: list[Task] = []
        append = tasks.append
        channels = self.channel_map
        procs = topo.procs
        names = topo.node_names
        triggers = topo.sorted_triggers
        # A wide step's nodes mostly read one channel: a LastValue's value is read
        # once for the run of nodes that subscribe to it (the same object either way).
        last_sub: Any = None
        last_value: Any = None
        for n in node_ids:
            proc = procs[n]
            sub = proc.channels
            if isinstance(sub, str):
                if sub == last_sub:
                    value = last_value
                else:
                    ch = channels.get(sub)
                    if ch is None or not ch.is_available():
                        continue
                    value = ch.get()
                    if ch.__class__ is LastValue:
                        last_sub, last_value = sub, value
            else:
                value = self._read_state(run, sub, topo.read_set[n])
            name = names[n]
            if proc.mapper is not None:
                try:
                    value = proc.mapper(value)
                except Exception as exc:
                    add_exception_note(
                        exc, f"Before task with name '{name}' and path '{(PULL, name)}'"
                    )
                    raise
            append(Task(run, name, n, proc, value, triggers[n], (PULL, name)))
        return tasks

    def _plan_push(self, run: TaskRun, tasks_channel: Any) -> list[Task]:
        packets = tasks_channel.get()
        if self._batched and batch.unobserved(run):
            return batch.plan_push(run, self.topo, packets, self._batched)
        tasks = _one_node_tasks(run, self.topo, packets) if len(packets) > 8 else None
        if tasks is not None:
            if self._batched:
                batch.share_outputs(run, tasks, self._batched)
            return tasks
        tasks = []
        node_id = self.topo.node_id
        for idx, packet in enumerate(packets):
            if not isinstance(packet, Send):
                logger.warning(f"Ignoring invalid packet type {type(packet)} in pending sends")
                continue
            n = node_id.get(packet.node)
            if n is None:
                logger.warning(f"Ignoring unknown node name {packet.node} in pending sends")
                continue
            proc = self.topo.procs[n]
            if proc.bound is None and not proc.writers:
                continue
            task = Task(run, packet.node, n, proc, packet.arg, PUSH_TRIGGER, (PUSH, idx, False))
            if packet.timeout is not None:
                task.timeout = packet.timeout
            tasks.append(task)
        if self._batched:
            batch.share_outputs(run, tasks, self._batched)
        return tasks

    # -- node inputs -----------------------------------------------------------

    def note_bumped(self, bumped: list[int]) -> None:
        """A commit bumped these channels: what node inputs refresh from."""
        self._bump_log.append(bumped)
        self._commit_no += 1
        if len(self._bump_log) > _BUMP_LOG_LIMIT:
            half = _BUMP_LOG_LIMIT // 2
            del self._bump_log[:half]
            self._log_start += half

    def forget_inputs(self) -> None:
        """Channels changed without a version bump: rebuild node inputs."""
        self._read_cache.clear()

    def _read_state(self, run: TaskRun, keys: list[str], read_set: int) -> dict[str, Any]:
        """A node's input dict: its channels' current values, in `keys` order.

        Kept per read set and refreshed from the channels bumped since it was
        last built. A channel that gains or loses its value changes key
        order: rebuild.
        """
        if len(keys) <= _DIRECT_READ:
            # A few keys (a small state): read them, cheaper than refreshing a copy.
            channels = self.channel_map
            direct: dict[str, Any] = {}
            pad = None
            for k in keys:
                ch = channels.get(k)
                if type(ch) is LastValue:
                    if ch.value is not MISSING:
                        direct[k] = ch.value
                elif ch is None:
                    if pad is None:
                        pad = run.scratchpad()
                    direct[k] = self.managed[k].get(pad)
                elif ch.is_available():
                    direct[k] = ch.get()
            return direct
        entry = self._read_cache.get(read_set)
        commit_no = self._commit_no
        if entry is not None and entry[1] != commit_no:
            entry = self._refreshed(entry, commit_no)
        if entry is None:
            channels = self.channel_map
            values: dict[str, Any] = {}
            managed: list[str] = []
            for k in keys:
                ch = channels.get(k)
                if ch is None:
                    managed.append(k)
                    values[k] = None  # placeholder keeps the key's position
                elif type(ch) is LastValue:  # most state keys: read inline
                    if ch.value is not MISSING:
                        values[k] = ch.value
                elif ch.is_available():
                    values[k] = ch.get()
            chan_id = self.topo.chan_id
            read_ids = {chan_id[k]: k for k in keys if k in chan_id}
            entry = [values, commit_no, read_ids, managed]
            self._read_cache[read_set] = entry
        values = dict(entry[0])
        if entry[3]:
            pad = run.scratchpad()
            for k in entry[3]:
                values[k] = self.managed[k].get(pad)
        return values

    def _refreshed(self, entry: _ReadEntry, commit_no: int) -> _ReadEntry | None:
        """The cached input brought up to date, or None to rebuild it."""
        values, seen_no, read_ids, _managed = entry
        if seen_no < self._log_start:
            return None
        channels = self.table.channels
        for bumped in self._bump_log[seen_no - self._log_start :]:
            for c in bumped:
                name = read_ids.get(c)
                if name is None:
                    continue
                ch = channels[c]
                if type(ch) is LastValue:  # most state keys: read inline
                    if ch.value is not MISSING and name in values:
                        values[name] = ch.value
                        continue
                    if ch.value is MISSING and name not in values:
                        continue
                    return None
                if ch.is_available():
                    if name in values:
                        values[name] = ch.get()
                        continue
                elif name not in values:
                    continue
                return None
        entry[1] = commit_no
        return entry


_arg_of = attrgetter("arg")


def _one_node_tasks(run: TaskRun, topo: Topology, packets: Sequence[Any]) -> list[Task] | None:
    """A fan-out's tasks when every packet is a plain Send into one node (what
    `_plan_push` makes of them, without its per-packet checks); None otherwise."""
    name = batch.single_target(packets)
    if name is None:
        return None
    n = topo.node_id.get(name)
    if n is None:
        return None
    proc = topo.procs[n]
    if proc.bound is None and not proc.writers:
        return []
    return [
        Task(run, name, n, proc, arg, PUSH_TRIGGER, (PUSH, idx, False))
        for idx, arg in enumerate(map(_arg_of, packets))
    ]


def reuse_pending_writes(
    tasks: Sequence[Task], pending_writes: Sequence[tuple[str, str, Any]]
) -> None:
    """Tasks whose successful writes were saved before a failure or an
    interrupt are not run again: they take those writes."""
    by_id: dict[str, list[tuple[str, Any]]] = {}
    for tid, chan, value in pending_writes:
        if tid == NULL_TASK_ID or chan in WRITES_NOT_REUSED:
            continue
        by_id.setdefault(tid, []).append((chan, value))
    if not by_id:
        return
    for t in tasks:
        writes = by_id.get(t.id)
        if writes is not None:
            t.writes.extend(writes)
            t.cached = True
