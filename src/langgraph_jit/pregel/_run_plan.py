"""The planning side of a run: which tasks a step runs (sends first, then
triggered nodes), each task's input, and reusing writes saved for a task
before a failure or an interrupt.

A mixin of PregelRun; node inputs are kept per read set and refreshed from
what changed (see `_read_state`).
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph_jit._constants import ERROR, INTERRUPT, NULL_TASK_ID, PULL, PUSH, RESUME
from langgraph_jit.pregel._core.task import Task
from langgraph_jit.types import Send

logger = logging.getLogger("langgraph_jit")
PUSH_TRIGGER = (PUSH,)


class RunPlanning:
    """Task planning of a PregelRun."""

    def _plan_pull(self) -> list[Task]:
        topo = self.topo
        table = self.table
        if self.next_nodes is None:
            # LangGraph examines no node while the checkpoint has no versions.
            node_ids = table.plan(topo.insertion_order) if table.max_version > 0 else []
        else:
            node_ids = self.next_nodes
        tasks = []
        channels = self.channel_map
        for n in node_ids:
            proc = topo.procs[n]
            name = topo.node_names[n]
            sub = proc.channels
            if isinstance(sub, str):
                ch = channels.get(sub)
                if ch is None or not ch.is_available():
                    continue
                value = ch.get()
            else:
                value = self._read_state(sub, topo.read_set[n])
            if proc.mapper is not None:
                try:
                    value = proc.mapper(value)
                except Exception as exc:
                    exc.add_note(f"Before task with name '{name}' and path '{(PULL, name)}'")
                    raise
            tasks.append(Task(self, name, n, proc, value, topo.sorted_triggers[n], (PULL, name)))
        return tasks

    def _read_state(self, keys: list[str], read_set: int) -> dict[str, Any]:
        """A node's input dict: its channels' current values, in `keys` order.

        Kept per read set and refreshed from the channels bumped since it was
        last built, so a step costs what changed, not the state's size. A
        channel that gains or loses its value changes key order: rebuild.
        """
        entry = self._read_cache.get(read_set)
        commit_no = self._commit_no
        if entry is not None and entry[1] != commit_no:
            values, seen_no, keyset, managed = entry
            log = self._bump_log
            if seen_no < self._log_start:
                entry = None
            else:
                names = self.topo.chan_names
                channels = self.table.channels
                for bumped in log[seen_no - self._log_start :]:
                    for c in bumped:
                        name = names[c]
                        if name not in keyset:
                            continue
                        ch = channels[c]
                        if ch.is_available():
                            if name in values:
                                values[name] = ch.get()
                                continue
                        elif name not in values:
                            continue
                        entry = None
                        break
                    if entry is None:
                        break
                if entry is not None:
                    entry[1] = commit_no
        if entry is None:
            channels = self.channel_map
            values = {}
            managed = []
            for k in keys:
                ch = channels.get(k)
                if ch is None:
                    managed.append(k)
                    values[k] = None  # placeholder keeps the key's position
                elif ch.is_available():
                    values[k] = ch.get()
            entry = [values, commit_no, frozenset(keys), managed]
            self._read_cache[read_set] = entry
        values = dict(entry[0])
        if entry[3]:
            pad = self.scratchpad()
            for k in entry[3]:
                values[k] = self.graph.managed[k].get(pad)
        return values

    def _plan_push(self, tasks_channel: Any) -> list[Task]:
        tasks = []
        node_id = self.topo.node_id
        for idx, packet in enumerate(tasks_channel.get()):
            if not isinstance(packet, Send):
                import logging

                logging.getLogger("langgraph_jit").warning(
                    "Ignoring invalid packet type %s in pending sends", type(packet)
                )
                continue
            n = node_id.get(packet.node)
            if n is None:
                import logging

                logging.getLogger("langgraph_jit").warning(
                    "Ignoring unknown node name %s in pending sends", packet.node
                )
                continue
            proc = self.topo.procs[n]
            if proc.bound is None and not proc.writers:
                continue
            tasks.append(
                Task(self, packet.node, n, proc, packet.arg, PUSH_TRIGGER, (PUSH, idx, False))
            )
        return tasks

    def plan(self) -> list[Task]:
        tasks_channel = self._tasks_channel
        if tasks_channel is not None and tasks_channel.is_available():
            push = self._plan_push(tasks_channel)
            if push:
                return push + self._plan_pull()
        return self._plan_pull()

    # -- the loop ---------------------------------------------------------

    def _reuse_pending_writes(self, tasks: list[Task]) -> None:
        # Tasks whose successful writes were saved before a failure or an
        # interrupt are not run again.
        by_id: dict[str, list[tuple[str, Any]]] = {}
        for tid, chan, value in self.pending_writes:
            if tid == NULL_TASK_ID or chan in (ERROR, INTERRUPT, RESUME, "__scheduled__"):
                continue
            by_id.setdefault(tid, []).append((chan, value))
        if not by_id:
            return
        for t in tasks:
            writes = by_id.get(t.id)
            if writes is not None:
                t.writes.extend(writes)
                t.cached = True
