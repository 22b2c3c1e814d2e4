"""Lowering a graph's names to integers, once per graph.

Channels and nodes get dense ids; trigger relations become CSR lists that
the step kernels read. Node ids follow sorted node names, because LangGraph
plans (and orders) pull tasks by sorted name.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit._constants import MISSING, PULL
from langgraph_jit.channels import (
    AnyValue,
    BaseChannel,
    BinaryOperatorAggregate,
    DeltaChannel,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Topic,
    UntrackedValue,
)

# Built-in channels whose update([]) never changes anything: the engine can
# skip them in the "new step" sweep. Everything else (Ephemeral, AnyValue,
# non-accumulating Topic, user channels) is swept while it holds a value.
_IDLE_SAFE = (
    LastValue,
    LastValueAfterFinish,
    BinaryOperatorAggregate,
    DeltaChannel,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    UntrackedValue,
)
# Built-in channels whose consume()/finish() are no-ops.
_NO_CONSUME = (
    LastValue,
    BinaryOperatorAggregate,
    DeltaChannel,
    EphemeralValue,
    AnyValue,
    Topic,
    UntrackedValue,
)
_NO_FINISH = (
    LastValue,
    BinaryOperatorAggregate,
    DeltaChannel,
    EphemeralValue,
    AnyValue,
    Topic,
    UntrackedValue,
    NamedBarrierValue,
)


def _exact(channel: Any, classes: tuple[type, ...]) -> bool:
    # A user subclass may override update/consume/finish: treat it as unknown.
    return type(channel) in classes


def idle_update_may_change(channel: Any) -> bool:
    if _exact(channel, _IDLE_SAFE):
        return False
    if type(channel) is Topic:
        return not channel.accumulate
    return True


class Topology:
    """Integer view of a graph's channels, nodes and triggers."""

    _input_keys: tuple[Any, frozenset[str]] | None = None
    _input_channels: tuple[Any, frozenset[str]] | None = None
    # (output keys object, its length, their channel ids) of the last invoke
    # that tracked its latest values (see Emitter.track_latest_values).
    output_ids_cache: tuple[Any, int, frozenset[int]] | None = None
    _pull_tails: dict[str, bytes] | None = None
    _index_arrays: tuple[Any, Any, Any, Any] | None = None

    def __init__(self, nodes: Mapping[str, Any], channels: Mapping[str, Any]) -> None:
        # Managed values may sit among the channels (StateGraph lists them);
        # they hold nothing and are computed per task.
        channels = {k: v for k, v in channels.items() if isinstance(v, BaseChannel)}
        self.chan_names: list[str] = list(channels)
        self.chan_id: dict[str, int] = {n: i for i, n in enumerate(self.chan_names)}
        self.node_names: list[str] = sorted(nodes)
        self.node_id: dict[str, int] = {n: i for i, n in enumerate(self.node_names)}
        # Order LangGraph uses when it must examine every node.
        self.insertion_order: list[int] = [self.node_id[n] for n in nodes]
        self.procs: list[Any] = [nodes[n] for n in self.node_names]
        # Nodes reading the same channels (in the same order) share one read
        # set: the run keeps their input dict once and refreshes it per step.
        read_sets: dict[tuple[str, ...], int] = {}
        self.read_set: list[int] = [
            read_sets.setdefault(
                tuple(p.channels) if not isinstance(p.channels, str) else (p.channels,),
                len(read_sets),
            )
            for p in self.procs
        ]

        trig_ptr = [0]
        trig_chan: list[int] = []
        for name in self.node_names:
            for ch in nodes[name].triggers:
                if ch in self.chan_id:
                    trig_chan.append(self.chan_id[ch])
            trig_ptr.append(len(trig_chan))
        self.trig_ptr = trig_ptr
        self.trig_chan = trig_chan
        # Sorted trigger names per node: part of the task id and payloads.
        self.sorted_triggers: list[tuple[str, ...]] = [
            tuple(sorted(nodes[n].triggers)) for n in self.node_names
        ]

        c2n: list[list[int]] = [[] for _ in self.chan_names]
        for n in range(len(self.node_names)):
            for slot in range(trig_ptr[n], trig_ptr[n + 1]):
                c = trig_chan[slot]
                if not c2n[c] or c2n[c][-1] != n:
                    c2n[c].append(n)
        c2n_ptr = [0]
        c2n_node: list[int] = []
        for lst in c2n:
            c2n_node.extend(lst)
            c2n_ptr.append(len(c2n_node))
        self.c2n_ptr = c2n_ptr
        self.c2n_node = c2n_node
        self.triggers_a_node: list[bool] = [bool(lst) for lst in c2n]
        self.trigger_to_nodes: dict[str, list[str]] = {
            self.chan_names[c]: [self.node_names[n] for n in lst]
            for c, lst in enumerate(c2n)
            if lst
        }

        specs = [channels[n] for n in self.chan_names]
        self.untracked: frozenset[str] = frozenset(
            n for n, spec in zip(self.chan_names, specs) if isinstance(spec, UntrackedValue)
        )
        self.idle_sweep: list[bool] = [idle_update_may_change(s) for s in specs]
        self.idle_ids: list[int] = [c for c, idle in enumerate(self.idle_sweep) if idle]
        # EphemeralValues that only trigger nodes (a StateGraph's `branch:to:`
        # edges): no node reads them, and every node they trigger reads a list
        # of channels, so it is never skipped for an empty input (see
        # unswept_triggers).
        read: set[str] = set()
        for p in self.procs:
            read.update((p.channels,) if isinstance(p.channels, str) else p.channels)
        self._trigger_only: list[int] = [
            c
            for c, (name, spec) in enumerate(zip(self.chan_names, specs))
            if type(spec) is EphemeralValue
            and c2n[c]
            and name not in read
            and all(not isinstance(self.procs[n].channels, str) for n in c2n[c])
        ]
        # Runs of graphs without DeltaChannels skip the delta bookkeeping entirely.
        self.has_delta_channels: bool = any(isinstance(s, DeltaChannel) for s in specs)
        self.default_stream_keys: list[str] | None = None  # set by the graph
        self.has_consume: list[bool] = [not _exact(s, _NO_CONSUME) for s in specs]
        # Per node: its trigger channels whose consume() may do something.
        self.consume_ids: list[tuple[int, ...]] = [
            tuple(
                dict.fromkeys(
                    trig_chan[s]
                    for s in range(trig_ptr[n], trig_ptr[n + 1])
                    if self.has_consume[trig_chan[s]]
                )
            )
            for n in range(len(self.node_names))
        ]
        self.finish_capable: list[int] = [
            i for i, s in enumerate(specs) if not _exact(s, _NO_FINISH)
        ]
        # No channel a step changes unwritten (self-clearing, deferred): a
        # commit is the write pass alone (ChannelTable._apply_plain).
        self.plain_commit = not self.idle_ids and not self.finish_capable
        # Self-clearing channels but no deferred ones (every Pregel graph has
        # the tasks Topic): ChannelTable._apply_swept commits its steps.
        self.swept_commit = not self.plain_commit and not self.finish_capable
        # Channels that are always swept on a new step if available (user
        # channels of unknown behaviour are included via idle_sweep).
        self.n_nodes = len(self.node_names)
        self.n_channels = len(self.chan_names)
        # Availability of each channel of a thread with no checkpoint yet,
        # known here for the library's own channel kinds (a run without a
        # saver then skips asking each new channel); None with a custom kind.
        self.blank_available: list[int] | None = (
            [1 if s.from_checkpoint(MISSING).is_available() else 0 for s in specs]
            if all(type(s).__module__.startswith("langgraph_jit.channels.") for s in specs)
            else None
        )

    # Names of the channels `unswept_triggers` leaves uncleared (empty here).
    unswept: frozenset[str] = frozenset()
    # (output keys, stream keys, the variant) of the last unswept_triggers call.
    _unswept_variant: tuple[Any, Any, Topology] | None = None

    def unswept_triggers(self, output_keys: Any, stream_keys: Any) -> Topology:
        """This topology for a run that nothing observes channel by channel (no
        saver, no breakpoint): its trigger-only EphemeralValues that are not
        among the keys the run outputs or streams are never cleared by a step
        without writes, so a step bumps its edge's trigger and nothing else.
        Nothing such a run shows depends on it: a node fires when its
        trigger's version passes the one it saw, which the clearing bump never
        does, and only a saver's checkpoints show versions and trigger values.
        Self when no channel qualifies; kept for the keys objects of the last
        call (a graph's own, for most runs)."""
        if not self._trigger_only:
            return self
        cached = self._unswept_variant
        if cached is not None and cached[0] is output_keys and cached[1] is stream_keys:
            return cached[2]
        names = self.chan_names
        visible: set[str] = set()
        for keys in (output_keys, stream_keys):
            visible.update((keys,) if isinstance(keys, str) else keys)
        unswept = frozenset(names[c] for c in self._trigger_only).difference(visible)
        variant = self
        if unswept:
            variant = copy.copy(self)
            variant.unswept = unswept
            variant.idle_sweep = [
                idle and names[c] not in unswept for c, idle in enumerate(self.idle_sweep)
            ]
            variant.idle_ids = [c for c, idle in enumerate(variant.idle_sweep) if idle]
            variant.plain_commit = not variant.idle_ids and not variant.finish_capable
            variant.swept_commit = not variant.plain_commit and not variant.finish_capable
            variant._trigger_only = []
        self._unswept_variant = (output_keys, stream_keys, variant)
        return variant

    def input_channel_set(self, keys: Any) -> frozenset[str]:
        """Those of the graph's input channel names that are channels (kept
        while `keys` is the same object, as `input_key_set`)."""
        cached = self._input_channels
        if cached is None or cached[0] is not keys:
            chan_id = self.chan_id
            cached = self._input_channels = (
                keys,
                frozenset(k for k in self.input_key_set(keys) if k in chan_id),
            )
        return cached[1]

    def input_key_set(self, keys: Any) -> frozenset[str]:
        """The graph's input channel names as a set (kept while `keys` is
        the same object: a graph's input channels can be reassigned)."""
        cached = self._input_keys
        if cached is None or cached[0] is not keys:
            cached = self._input_keys = (keys, frozenset(keys))
        return cached[1]

    def index_arrays(self) -> tuple[Any, Any, Any, Any]:
        """The trigger and channel-to-node indexes as int64 NumPy arrays, for
        the compiled kernels (made once per graph, on first use)."""
        arrays = self._index_arrays
        if arrays is None:
            import numpy as np  # only runs that use compiled kernels need it

            arrays = self._index_arrays = (
                np.array(self.trig_ptr, dtype=np.int64),
                np.array(self.trig_chan, dtype=np.int64),
                np.array(self.c2n_ptr, dtype=np.int64),
                np.array(self.c2n_node, dtype=np.int64),
            )
        return arrays

    def pull_tail(self, name: str, triggers: Sequence[str]) -> bytes:
        """The constant tail of a pull task's id hash (node, kind, triggers),
        encoded once per node."""
        tails = self._pull_tails
        if tails is None:
            tails = self._pull_tails = {}
        tail = tails.get(name)
        if tail is None:
            tail = tails[name] = (name + PULL + "".join(triggers)).encode()
        return tail
