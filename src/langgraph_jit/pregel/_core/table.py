"""The channel table of one run: channel objects plus integer bookkeeping.

Values live in the channel objects (Python objects, updated through the
channel protocol). Versions, availability flags and versions-seen live in
flat integer buffers, Python lists for the interpreted kernels or NumPy
arrays for the compiled ones. `apply_writes` is LangGraph's commit rule with
a cost that depends on what the step wrote, not on how many channels exist.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from itertools import compress, repeat
from operator import is_, itemgetter, not_, setitem
from typing import Any

from langgraph_jit._constants import ENGINE_LOGGER, MISSING, RESERVED_WRITES
from langgraph_jit._kernels import (
    kernel_mode,
    kernels_for,
    kernels_loading,
    promotion_target,
    step_python,
    wide_step_threshold,
)
from langgraph_jit.channels.ephemeral_value import EphemeralValue
from langgraph_jit.channels.last_value import LastValue
from langgraph_jit.errors import InvalidUpdateError, add_exception_note
from langgraph_jit.pregel._core.topology import Topology
from langgraph_jit.pregel._core.write_groups import group_sliced

logger = logging.getLogger(ENGINE_LOGGER)
_first = itemgetter(0)
_second = itemgetter(1)
# An empty id list that is never appended to (what a commit that wrote no
# self-clearing channel tests membership in).
_NO_IDS: list[int] = []
_PLAIN_KINDS = {LastValue}
# Kinds whose one-value update is a plain store (an EphemeralValue's when unswept).
_INLINE_KINDS = {LastValue, EphemeralValue}


def _consume(it: Any) -> None:
    deque(it, maxlen=0)


# An integer buffer: a list[int] for the interpreted kernels, an int64 (or
# uint8) NumPy array once the run uses the compiled ones.
IntBuffer = Any


class ChannelTable:
    """Channel objects of one run plus their integer bookkeeping."""

    versions: IntBuffer
    available: IntBuffer
    seen: IntBuffer
    has_seen: IntBuffer
    _mark: IntBuffer
    _out: IntBuffer
    _np: Any  # numpy, once compiled kernels are in use
    kernels: Any  # a kernel module: step_python, or the compiled one

    __slots__ = (
        "_mark",
        "_np",
        "_out",
        "_stamp",
        "available",
        "channels",
        "compiled",
        "has_seen",
        "idle_live",
        "kernels",
        "max_version",
        "may_promote",
        "seen",
        "topo",
        "versions",
        "wide_step",
    )

    def __init__(
        self,
        topo: Topology,
        channels: list[Any],
        versions: Sequence[int],
        seen: Sequence[int],
        has_seen: Sequence[int] = (),
        *,
        force_compiled: bool | None = None,
        blank: bool = False,
    ) -> None:
        self.topo = topo
        self.channels = channels
        mode = kernel_mode()
        self.kernels, self.compiled = kernels_for(topo.n_nodes, mode)
        if force_compiled is False:
            self.kernels, self.compiled = step_python, False
        self.may_promote = not self.compiled and force_compiled is None and mode == "auto"
        self.wide_step = wide_step_threshold() if self.may_promote else 0
        # `blank`: new channels of a thread with no checkpoint (see Topology).
        known = topo.blank_available if blank else None
        available = (
            known.copy()
            if known is not None
            else [
                (0 if ch.value is MISSING else 1)
                if type(ch) is LastValue
                else (1 if ch.is_available() else 0)
                for ch in channels
            ]
        )
        self.max_version = max(versions, default=0)
        n_nodes = topo.n_nodes
        if self.compiled:
            import numpy as np

            self._np = np
            self.versions = np.array(versions, dtype=np.int64)
            self.available = np.array(available, dtype=np.uint8)
            self.seen = np.array(seen, dtype=np.int64)
            self.has_seen = np.zeros(n_nodes, dtype=np.uint8)
            self._mark = np.zeros(n_nodes, dtype=np.int64)
            self._out = np.zeros(n_nodes, dtype=np.int64)
        else:
            self._np = None
            self.versions = list(versions)
            self.available = available
            self.seen = list(seen)
            self.has_seen = [0] * n_nodes
            self._mark = [0] * n_nodes
            self._out = [0] * n_nodes
        for n in has_seen:
            self.has_seen[n] = 1
        self._stamp = 0
        # Channels that may clear themselves on a step without writes and
        # currently hold a value: the only ones the new-step sweep visits.
        self.idle_live: list[int] = [c for c in topo.idle_ids if available[c]]

    # -- reading --------------------------------------------------------

    def version(self, c: int) -> int:
        return int(self.versions[c])

    def seen_of(self, n: int) -> list[tuple[int, int]]:
        """(channel id, version seen) for each trigger of node n."""
        t = self.topo
        return [
            (t.trig_chan[s], int(self.seen[s])) for s in range(t.trig_ptr[n], t.trig_ptr[n + 1])
        ]

    # -- planning -------------------------------------------------------

    def plan(self, order: Sequence[int]) -> list[int]:
        """Nodes of `order` whose triggers hold unseen values, in that order."""
        t = self.topo
        if self.compiled:
            np = self._np
            tp, tc, _, _ = t.index_arrays()
            order_arr = np.array(order, dtype=np.int64)
            n = self.kernels.plan_nodes(
                tp,
                tc,
                self.versions,
                self.available,
                self.seen,
                self.has_seen,
                order_arr,
                len(order),
                self._out,
            )
            planned: list[int] = self._out[:n].tolist()
            return planned
        out = self._out
        n = self.kernels.plan_nodes(
            t.trig_ptr,
            t.trig_chan,
            self.versions,
            self.available,
            self.seen,
            self.has_seen,
            order,
            len(order),
            out,
        )
        triggered: list[int] = out[:n]
        return triggered

    # -- committing -----------------------------------------------------

    def apply_writes(
        self,
        ran_nodes: Sequence[int],
        consumed: Sequence[int],
        writes: Sequence[tuple[str, Any]],
        bump_step: bool,
        versionless: bool = False,
        unknown: list[str] | None = None,
    ) -> tuple[list[int], list[int], list[int]]:
        """Apply one step's writes (already in task-path order).

        Returns (channels whose version changed, their availability after
        the step, nodes triggered next).
        Raises whatever a channel's update raises (InvalidUpdateError ...).

        `versionless` reproduces LangGraph applying writes without a version
        function (state snapshots): nothing is bumped, so nothing counts as
        updated, self-clearing channels clear at once and finish() runs.
        """
        topo = self.topo
        if not consumed and not versionless:
            if topo.plain_commit:
                return self._apply_plain(ran_nodes, writes, bump_step, unknown)
            if not topo.finish_capable:
                return self._apply_swept(ran_nodes, writes, bump_step, unknown)
        channels = self.channels
        bumped: list[int] = []
        bumped_avail: list[int] = []

        # consume() on the triggers of tasks that ran (most channels: no-op).
        for c in consumed:
            ch = channels[c]
            if ch.consume():
                bumped.append(c)
                bumped_avail.append(1 if ch.is_available() else 0)
        # Bumps outside the write/sweep passes (consume, finish) may repeat a
        # channel and may touch self-clearing ones: handled at the end.
        extra_bumps = bool(bumped)

        # Group writes by channel, keeping the order of first appearance.
        grouped = self._grouped(writes, unknown)

        updated: set[int] = set()
        for c, vals in grouped.items():
            ch = channels[c]
            try:
                changed = ch.update(vals)
            except InvalidUpdateError:
                raise
            except Exception as exc:
                self._note_failed_update(exc, c, vals)
                raise
            if changed and not versionless:
                avail = ch.is_available()
                bumped.append(c)
                bumped_avail.append(1 if avail else 0)
                if avail:
                    updated.add(c)

        # Self-clearing channels (idle_sweep) and deferred ones (finish)
        # need the passes below; graphs without any skip them.
        has_idle = bool(topo.idle_ids)
        if has_idle:
            idle_sweep = topo.idle_sweep
            written_idle = [c for c in grouped if idle_sweep[c]]
        else:
            written_idle = []
        if bump_step:
            # A new step for every channel holding a value and not updated:
            # only self-clearing kinds can change here.
            idle_live = self.idle_live
            if idle_live or written_idle:
                sweep = (
                    idle_live + [c for c in written_idle if c not in idle_live]
                    if written_idle
                    else idle_live
                )
                for c in sweep:
                    if c in updated:
                        continue
                    ch = channels[c]
                    if ch.is_available() and ch.update(()):
                        avail = ch.is_available()
                        bumped.append(c)
                        bumped_avail.append(1 if avail else 0)
                        if avail:
                            updated.add(c)
            # Tentatively the last step: let deferred channels finish.
            if topo.finish_capable:
                triggers_a_node = topo.triggers_a_node
                for c in updated:
                    if triggers_a_node[c]:
                        break
                else:
                    for c in topo.finish_capable:
                        ch = channels[c]
                        if ch.finish():
                            extra_bumps = True
                            avail = ch.is_available()
                            bumped.append(c)
                            bumped_avail.append(1 if avail else 0)
                            if avail:
                                updated.add(c)

        if versionless:
            return [], [], []
        # Self-clearing channels that hold a value after this step: the live
        # ones not rewritten, the written ones, and any consume/finish bumped.
        if has_idle and (self.idle_live or written_idle or extra_bumps):
            live = [c for c in self.idle_live if c not in grouped and channels[c].is_available()]
            for c in written_idle:
                if channels[c].is_available():
                    live.append(c)
            if extra_bumps:
                for c in bumped:
                    if idle_sweep[c] and c not in live and channels[c].is_available():
                        live.append(c)
            self.idle_live = live

        if extra_bumps and len(bumped) > 1:
            # A bumped channel appears once in the kernel input with its
            # final availability (the last entry wins).
            last = dict(zip(bumped, bumped_avail))
            bumped = list(last)
            bumped_avail = [last[c] for c in bumped]
        # A step running many nodes switches the run to the compiled kernels
        # (asv_bench.investigate.kernel_threshold: they win on fan-in steps from ~10 nodes;
        # one step writing many channels, such as a graph's input, does not
        # predict the steps to come).
        if self.may_promote and bump_step and len(ran_nodes) >= self.wide_step:
            self._promote()
        next_nodes = self._commit(ran_nodes, bumped, bumped_avail)
        return bumped, bumped_avail, next_nodes

    def apply_few(
        self, n: int | None, writes: Sequence[tuple[str, Any]]
    ) -> tuple[list[int], list[int]] | None:
        """apply_writes and its kernel commit, inline, for the commonest steps of all:
        node n ran (None: no node, the input), consumed nothing and wrote one value
        to each of at most 8 channels (a chain's step; a StateGraph chain's key and
        its edge's trigger; a node's few keys), each a LastValue or an unswept edge trigger (see
        Topology.unswept_triggers), and no self-clearing channel holds a value.
        Returns (the channels bumped, the nodes triggered next), or None, changing
        nothing, when the step is not of that shape (the caller takes the general
        path). Same results as `_apply_plain`/`_apply_swept` then `commit_and_plan`."""
        t = self.topo
        if (
            self.idle_live
            # (the interpreted kernels only: not the compiled ones, nor a profile's timed ones)
            or self.kernels is not step_python
            or t.finish_capable
            or (self.may_promote and self.wide_step <= 1)
        ):
            return None
        c2n_ptr = t.c2n_ptr
        if len(writes) == 1:
            chan, value = writes[0]
            c = t.chan_id.get(chan)
            if c is None or value is MISSING:
                return None
            ch = self.channels[c]
            if type(ch) is not LastValue:
                return None
            ch.value = value
            bumped = [c]
            lo = c2n_ptr[c]
            hi = c2n_ptr[c + 1]
            candidates = t.c2n_node[lo:hi] if hi - lo < 2 else sorted(set(t.c2n_node[lo:hi]))
        elif len(writes) > 2:
            # A node's few keys (a wide state's sparse step): each written once.
            ids = self._distinct_ids(writes)
            if ids is None:
                return None
            channels = self.channels
            idle_sweep = t.idle_sweep
            for c, w in zip(ids, writes):
                kind = type(channels[c])
                if w[1] is MISSING or not (
                    kind is LastValue or (kind is EphemeralValue and not idle_sweep[c])
                ):
                    return None
            for c, w in zip(ids, writes):
                channels[c].value = w[1]
            bumped = ids
            c2n_node = t.c2n_node
            found: set[int] = set()
            for c in ids:
                found.update(c2n_node[c2n_ptr[c] : c2n_ptr[c + 1]])
            candidates = sorted(found)
        else:
            (chan, value), (chan2, value2) = writes
            chan_id = t.chan_id
            c = chan_id.get(chan)
            c2 = chan_id.get(chan2)
            if c is None or c2 is None or c == c2 or value is MISSING or value2 is MISSING:
                return None
            channels = self.channels
            ch = channels[c]
            ch2 = channels[c2]
            idle_sweep = t.idle_sweep
            kind = type(ch)
            kind2 = type(ch2)
            if not (
                (kind is LastValue or (kind is EphemeralValue and not idle_sweep[c]))
                and (kind2 is LastValue or (kind2 is EphemeralValue and not idle_sweep[c2]))
            ):
                return None
            ch.value = value
            ch2.value = value2
            bumped = [c, c2]
            c2n_node = t.c2n_node
            candidates = sorted(
                {*c2n_node[c2n_ptr[c] : c2n_ptr[c + 1]], *c2n_node[c2n_ptr[c2] : c2n_ptr[c2 + 1]]}
            )
        next_version = self.max_version = self.max_version + 1
        self._stamp += 1
        versions = self.versions
        available = self.available
        seen = self.seen
        trig_ptr = t.trig_ptr
        trig_chan = t.trig_chan
        if n is not None:
            # What node n saw: its triggers' versions before this step's bump.
            self.has_seen[n] = 1
            lo = trig_ptr[n]
            hi = trig_ptr[n + 1]
            if hi - lo == 1:
                seen[lo] = versions[trig_chan[lo]]
            else:
                seen[lo:hi] = [versions[x] for x in trig_chan[lo:hi]]
        if len(bumped) == 1:
            versions[c] = next_version
            available[c] = 1
        else:
            for c in bumped:
                versions[c] = next_version
                available[c] = 1
        triggered: list[int] = []
        for m in candidates:
            slot = trig_ptr[m]
            for x in trig_chan[slot : trig_ptr[m + 1]]:
                if available[x] and versions[x] > seen[slot]:
                    triggered.append(m)
                    break
                slot += 1
        return bumped, triggered

    def _apply_plain(
        self,
        ran_nodes: Sequence[int],
        writes: Sequence[tuple[str, Any]],
        bump_step: bool,
        unknown: list[str] | None,
    ) -> tuple[list[int], list[int], list[int]]:
        """apply_writes for a graph with no self-clearing or deferred channel
        (`Topology.plain_commit`) when nothing was consumed: only the write
        pass applies (same results, fewer passes; a step writing one channel,
        as a chain's, skips the grouping)."""
        channels = self.channels
        bumped: list[int] = []
        bumped_avail: list[int] = []
        grouped = self._grouped(writes, unknown)
        for c, vals in grouped.items():
            ch = channels[c]
            if type(ch) is LastValue and len(vals) == 1:
                # LastValue.update of one value, inline (most state keys).
                value = ch.value = vals[0]
                bumped.append(c)
                bumped_avail.append(0 if value is MISSING else 1)
                continue
            try:
                changed = ch.update(vals)
            except InvalidUpdateError:
                raise
            except Exception as exc:
                self._note_failed_update(exc, c, vals)
                raise
            if changed:
                bumped.append(c)
                bumped_avail.append(1 if ch.is_available() else 0)
        if self.may_promote and bump_step and len(ran_nodes) >= self.wide_step:
            self._promote()
        return bumped, bumped_avail, self._commit(ran_nodes, bumped, bumped_avail)

    def _apply_swept(
        self,
        ran_nodes: Sequence[int],
        writes: Sequence[tuple[str, Any]],
        bump_step: bool,
        unknown: list[str] | None,
    ) -> tuple[list[int], list[int], list[int]]:
        """apply_writes for a graph with self-clearing channels but no deferred
        ones (a StateGraph's `branch:to:` triggers, the tasks Topic) when nothing
        was consumed: the write pass, then the new-step sweep of the
        self-clearing channels that held a value or were written. Same results
        and bump order as the general path, without its consume/finish passes."""
        channels = self.channels
        idle_sweep = self.topo.idle_sweep
        bumped: list[int] = []
        bumped_avail: list[int] = []
        # Written self-clearing channels, and those of them that now hold a
        # new value (not swept): made when the first one is written.
        written_idle: list[int] | None = None
        fresh: list[int] = _NO_IDS
        n_writes = len(writes)
        ids: Sequence[int] | None = None
        if n_writes == 1:
            c = self.topo.chan_id.get(writes[0][0])
            if c is None:
                self._unknown_write(writes[0][0], unknown)
                ids = ()
            else:
                ids = (c,)
        elif n_writes == 2:
            # A node's update and its edge's trigger (StateGraph chains).
            chan_id = self.topo.chan_id
            (key, value), (trigger, fired) = writes
            c1 = chan_id.get(key)
            c2 = chan_id.get(trigger)
            if c1 is not None and c2 is not None and c1 != c2:
                ch1 = channels[c1]
                ch2 = channels[c2]
                if (
                    type(ch1) is LastValue
                    and type(ch2) is EphemeralValue
                    and not idle_sweep[c2]
                    and not self.idle_live
                ):
                    # A state key and an unswept edge trigger (Topology.unswept_triggers),
                    # nothing to sweep: the chain step of a StateGraph run without a saver.
                    ch1.value = value
                    ch2.value = fired
                    bumped = [c1, c2]
                    bumped_avail = [0 if value is MISSING else 1, 0 if fired is MISSING else 1]
                    if self.may_promote and bump_step and len(ran_nodes) >= self.wide_step:
                        self._promote()
                    return bumped, bumped_avail, self._commit(ran_nodes, bumped, bumped_avail)
                ids = (c1, c2)
        elif n_writes <= 8:
            # A node's few keys (and its edges' triggers): grouped only when
            # one channel is written twice or an unknown one is written.
            ids = self._distinct_ids(writes)
        else:
            ids = distinct = self._distinct_ids(writes)
            if distinct is not None:
                plain = list(map(channels.__getitem__, distinct))
                kinds = set(map(type, plain))
                if kinds == _PLAIN_KINDS or (
                    kinds <= _INLINE_KINDS and not any(map(idle_sweep.__getitem__, distinct))
                ):
                    # Every one a plain key or an unswept edge trigger (a state's
                    # input, a StateGraph's __start__ step): one store each (a
                    # specialised STORE_ATTR costs less than setattr called by map).
                    values = list(map(_second, writes))
                    for ch, value in zip(plain, values):
                        ch.value = value
                    if any(map(is_, values, repeat(MISSING))):
                        avails = [0 if v is MISSING else 1 for v in values]
                    else:
                        avails = [1] * n_writes
                    written_ids = set(distinct) if self.idle_live else distinct
                    return self._swept_rest(
                        ran_nodes, bump_step, distinct, avails, written_ids, None, _NO_IDS
                    )
        written: Any  # what the sweep below tests "written" against
        if ids is not None:
            # One write per channel (most steps, a graph's input): no grouping;
            # plain keys and edge triggers are set inline, in write order.
            written = ids if n_writes <= 8 else set(ids)
            for c, w in zip(ids, writes):
                ch = channels[c]
                kind = type(ch)
                if kind is LastValue:
                    value = ch.value = w[1]
                    bumped.append(c)
                    bumped_avail.append(0 if value is MISSING else 1)
                    continue
                if kind is EphemeralValue:
                    value = ch.value = w[1]
                    bumped.append(c)
                    bumped_avail.append(0 if value is MISSING else 1)
                    if idle_sweep[c]:  # else an unswept trigger (Topology.unswept_triggers)
                        if written_idle is None:
                            written_idle, fresh = [], []
                        written_idle.append(c)
                        if value is not MISSING:
                            fresh.append(c)
                    continue
                avail = self._fold(c, ch, [w[1]], bumped, bumped_avail)
                if idle_sweep[c]:
                    if written_idle is None:
                        written_idle, fresh = [], []
                    written_idle.append(c)
                    if avail == 1:
                        fresh.append(c)
        else:
            written = self._grouped(writes, unknown)
            for c, vals in written.items():
                ch = channels[c]
                kind = type(ch)
                if len(vals) == 1 and (kind is LastValue or kind is EphemeralValue):
                    # Their update of one value, inline (state keys, edge triggers).
                    value = ch.value = vals[0]
                    bumped.append(c)
                    bumped_avail.append(0 if value is MISSING else 1)
                    if kind is EphemeralValue and idle_sweep[c]:
                        if written_idle is None:
                            written_idle, fresh = [], []
                        written_idle.append(c)
                        if value is not MISSING:
                            fresh.append(c)
                    continue
                avail = self._fold(c, ch, vals, bumped, bumped_avail)
                if idle_sweep[c]:
                    if written_idle is None:
                        written_idle, fresh = [], []
                    written_idle.append(c)
                    if avail == 1:
                        fresh.append(c)
        if written_idle is None and not self.idle_live:
            # Nothing to sweep (a step writing state keys and unswept triggers).
            if self.may_promote and bump_step and len(ran_nodes) >= self.wide_step:
                self._promote()
            return bumped, bumped_avail, self._commit(ran_nodes, bumped, bumped_avail)
        return self._swept_rest(
            ran_nodes, bump_step, bumped, bumped_avail, written, written_idle, fresh
        )

    def _swept_rest(
        self,
        ran_nodes: Sequence[int],
        bump_step: bool,
        bumped: list[int],
        bumped_avail: list[int],
        written: Any,
        written_idle: list[int] | None,
        fresh: list[int],
    ) -> tuple[list[int], list[int], list[int]]:
        """_apply_swept after its write pass: the new-step sweep of the
        self-clearing channels, then the kernel's commit."""
        channels = self.channels
        idle_live = self.idle_live
        if idle_live or written_idle:
            # A new step (bump_step) for every self-clearing channel holding a
            # value and not just updated: live ones first, then those written.
            # What holds a value after it: the live ones not written, then
            # the written ones.
            live: list[int] = []
            for c in idle_live:
                if c in fresh:
                    continue
                ch = channels[c]
                if type(ch) is EphemeralValue and c not in written:
                    # Cleared by a step without writes, inline (edge triggers).
                    if ch.value is not MISSING and bump_step:
                        ch.value = MISSING
                        bumped.append(c)
                        bumped_avail.append(0)
                    elif ch.value is not MISSING:
                        live.append(c)
                    continue
                avail = ch.is_available()
                if avail and bump_step and ch.update(()):
                    avail = ch.is_available()
                    bumped.append(c)
                    bumped_avail.append(1 if avail else 0)
                if avail and c not in written:
                    live.append(c)
            for c in written_idle or ():
                ch = channels[c]
                if c in fresh and type(ch) is EphemeralValue:
                    live.append(c)  # just written: holds its value
                    continue
                if (
                    bump_step
                    and c not in fresh
                    and c not in idle_live
                    and ch.is_available()
                    and ch.update(())
                ):
                    bumped.append(c)
                    bumped_avail.append(1 if ch.is_available() else 0)
                if ch.is_available():
                    live.append(c)
            self.idle_live = live
        if self.may_promote and bump_step and len(ran_nodes) >= self.wide_step:
            self._promote()
        return bumped, bumped_avail, self._commit(ran_nodes, bumped, bumped_avail)

    def _fold(
        self, c: int, ch: Any, vals: list[Any], bumped: list[int], bumped_avail: list[int]
    ) -> int:
        """Update channel c with `vals` (any kind), noting a bump: 1 when it
        changed and holds a value, 0 when it changed to empty, -1 unchanged."""
        try:
            changed = ch.update(vals)
        except InvalidUpdateError:
            raise
        except Exception as exc:
            self._note_failed_update(exc, c, vals)
            raise
        if not changed:
            return -1
        avail = 1 if ch.is_available() else 0
        bumped.append(c)
        bumped_avail.append(avail)
        return avail

    def _grouped(
        self, writes: Sequence[tuple[str, Any]], unknown: list[str] | None
    ) -> dict[int, list[Any]]:
        """A step's writes by channel id, in order of first appearance (a
        one-write step skips the grouping); unknown channels are reported."""
        chan_id = self.topo.chan_id
        if len(writes) == 1:
            chan, value = writes[0]
            c = chan_id.get(chan)
            if c is None:
                self._unknown_write(chan, unknown)
                return {}
            return {c: [value]}
        if len(writes) == 2:
            # A node's update and its edge's trigger (StateGraph chains).
            (chan1, value1), (chan2, value2) = writes
            c1 = chan_id.get(chan1)
            c2 = chan_id.get(chan2)
            if c1 is not None and c2 is not None and c1 != c2:
                return {c1: [value1], c2: [value2]}
        if len(writes) > 8:
            # Runs of one channel (Send packets, a compiled node's column) or every
            # task writing the same keys (a fan-out): sliced in C (write_groups.py).
            sliced = group_sliced(writes, chan_id)
            if sliced is not None:
                return sliced
            # Many writes (a graph's input, a wide update): mostly one per
            # channel, grouped by comprehension when they all are.
            ids = self._distinct_ids(writes)
            if ids is not None:
                return {c: [w[1]] for c, w in zip(ids, writes)}
        grouped: dict[int, list[Any]] = {}
        for chan, value in writes:
            written = chan_id.get(chan)
            if written is None:
                self._unknown_write(chan, unknown)
                continue
            vals = grouped.get(written)
            if vals is None:
                grouped[written] = [value]
            else:
                vals.append(value)
        return grouped

    def _distinct_ids(self, writes: Sequence[tuple[str, Any]]) -> list[int] | None:
        """The channel ids of `writes` when every write is to a known channel
        and no channel is written twice, else None."""
        ids = [*map(self.topo.chan_id.get, map(_first, writes))]
        distinct = set(ids)
        if None in distinct or len(distinct) != len(ids):
            return None
        return ids  # type: ignore[return-value]

    @staticmethod
    def _unknown_write(chan: str, unknown: list[str] | None) -> None:
        if chan in RESERVED_WRITES:
            pass
        elif unknown is not None:
            unknown.append(chan)  # the caller says which task wrote it
        else:
            logger.warning("Task wrote to unknown channel %s, ignoring it.", chan)

    def _note_failed_update(self, exc: Exception, c: int, vals: list[Any]) -> None:
        # A user reducer failed: say which channel it was folding.
        add_exception_note(
            exc,
            f"While applying {len(vals)} write(s) to channel "
            f"'{self.topo.chan_names[c]}' ({type(self.channels[c]).__name__})",
        )

    def _promote(self) -> None:
        """Switch this run to the compiled kernels (a wide step): copy the
        integer state into arrays once; results are identical either way."""
        self.may_promote = False
        compiled = promotion_target()
        if compiled is None:
            # Still loading on the background thread: this step stays
            # interpreted and the next wide step asks again.
            self.may_promote = kernels_loading()
            return
        import numpy as np

        self._np = np
        self.versions = np.array(self.versions, dtype=np.int64)
        self.available = np.array(self.available, dtype=np.uint8)
        self.seen = np.array(self.seen, dtype=np.int64)
        self.has_seen = np.array(self.has_seen, dtype=np.uint8)
        self._mark = np.array(self._mark, dtype=np.int64)
        self._out = np.zeros(self.topo.n_nodes, dtype=np.int64)
        self.kernels = compiled
        self.compiled = True

    def mark_seen(self, nodes: Sequence[int]) -> None:
        """These nodes now have a versions_seen entry (they ran or were sent to)."""
        has_seen = self.has_seen
        for n in nodes:
            has_seen[n] = 1

    def _commit(
        self,
        ran_nodes: Sequence[int],
        bumped: list[int],
        bumped_avail: list[int],
    ) -> list[int]:
        t = self.topo
        next_version = self.max_version + 1
        if bumped:
            self.max_version = next_version
        self._stamp += 1
        if self.compiled:
            np = self._np
            tp, tc, cp, cn = t.index_arrays()
            n = self.kernels.commit_and_plan(
                tp,
                tc,
                cp,
                cn,
                self.versions,
                self.available,
                self.seen,
                np.array(ran_nodes, dtype=np.int64),
                len(ran_nodes),
                np.array(bumped, dtype=np.int64),
                np.array(bumped_avail, dtype=np.uint8),
                len(bumped),
                next_version,
                self._mark,
                self._stamp,
                self._out,
            )
            planned: list[int] = self._out[:n].tolist()
            return planned
        if len(bumped) > 8:
            # A wide commit (a state's input): the channels that trigger no
            # node get their version and availability here, in C; the kernel
            # sees only the others (it reads a trigger's version before
            # bumping it: what the nodes that ran have seen).
            triggers = list(map(t.triggers_a_node.__getitem__, bumped))
            if not all(triggers):
                plain = list(map(not_, triggers))
                bumped_plain = list(compress(bumped, plain))
                _consume(map(setitem, repeat(self.versions), bumped_plain, repeat(next_version)))
                _consume(
                    map(
                        setitem, repeat(self.available), bumped_plain, compress(bumped_avail, plain)
                    )
                )
                bumped = list(compress(bumped, triggers))
                bumped_avail = list(compress(bumped_avail, triggers))
        out = self._out
        n = self.kernels.commit_and_plan(
            t.trig_ptr,
            t.trig_chan,
            t.c2n_ptr,
            t.c2n_node,
            self.versions,
            self.available,
            self.seen,
            ran_nodes,
            len(ran_nodes),
            bumped,
            bumped_avail,
            len(bumped),
            next_version,
            self._mark,
            self._stamp,
            out,
        )
        triggered: list[int] = out[:n]
        return triggered
