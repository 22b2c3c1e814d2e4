"""Between the run's integer state and LangGraph's checkpoint format.

Internally a version is a small int; a saver may use any ordered type
(InMemorySaver uses strings). Loading ranks every saved version so order is
kept; while a run has a checkpointer the saver's own representation of each
channel's version and of versions_seen is kept alongside, updated only for
what a step touched, so saving does not sweep every channel.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from random import random as _random
from time import time_ns
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from langgraph_jit._constants import INTERRUPT, MISSING
from langgraph_jit.channels.last_value import empty_copies
from langgraph_jit.checkpoint._frozen import FrozenVersionsSeen, HandedOverCheckpoint, LayeredMap
from langgraph_jit.checkpoint.base import CheckpointTuple
from langgraph_jit.checkpoint.base.id import checkpoint_uuid6_str
from langgraph_jit.checkpoint.serde.types import _DeltaSnapshot
from langgraph_jit.pregel._core.topology import Topology

if TYPE_CHECKING:
    from langgraph_jit.pregel._core.table import ChannelTable

# A saver's version of a channel (InMemorySaver: strings; others: any ordered type).
VersionRepr = Any


def new_checkpoint_id(step: int) -> str:
    return checkpoint_uuid6_str(step)


_EMPTY_SEEN: MappingProxyType[str, VersionRepr] = MappingProxyType({})
# Deferred changes kept for catch_up at most (then applied at a save).
_CHANGES_MAX = 4096


class _ChangeLog:
    """A dict's entries changed since its last flattened copy: what the
    layered snapshots (LayeredMap) of a saver that accepts them are made of."""

    __slots__ = ("base", "top")

    def __init__(self) -> None:
        self.base: dict[str, Any] | None = None
        self.top: dict[str, Any] = {}

    def snapshot(self, full: dict[str, Any], flatten: Any = dict) -> LayeredMap:
        # Flatten when the changes outgrow ~sqrt(size): a snapshot then copies
        # O(sqrt(n)) entries, plus an O(n) flatten every ~sqrt(n) steps.
        if self.base is None or len(self.top) * len(self.top) > len(self.base) + 64:
            self.base = flatten(full)
            self.top = {}
        return LayeredMap(self.base, dict(self.top))


_UTC = timezone.utc
# The second (Unix time) whose ISO text `_iso_now` last made, and that text.
_iso_second: list[Any] = [None, ""]


def _iso_now() -> str:
    """`datetime.now(timezone.utc).isoformat()` (a checkpoint's ts), the text
    up to the seconds made once per second."""
    sec, ns = divmod(time_ns(), 1_000_000_000)
    cached = _iso_second
    if cached[0] != sec:
        text = datetime.fromtimestamp(sec, _UTC).isoformat()[:19]
        cached[1] = text
        cached[0] = sec
    else:
        text = cached[1]
    us = ns // 1000
    # isoformat leaves the fraction out when it is zero.
    return f"{text}.{us:06d}+00:00" if us else text + "+00:00"


class CheckpointState:
    """Saver-facing state of a run: ids, version representations, metadata."""

    # Immutable starting values, read from the class until set (a state is
    # built per run and per subgraph call).
    metadata_step = -2
    has_versions = False
    saved_updated: list[str] | None = None
    tracking = False
    _fast_versions = False
    _max_int = 0
    checkpointer: Any = None
    max_repr: Any = None
    # Change logs of channel_versions / versions_seen, kept only for savers
    # that take layered snapshots (see snapshot).
    _cv_log: _ChangeLog | None = None
    _vs_log: _ChangeLog | None = None
    _values_by_version = False
    _frozen_seen = False
    _id: str | None = None
    # Tasks of a format-1 checkpoint have SHA-1 based ids (LangGraph's).
    sha1_task_ids = False
    _id_step = -1
    # (checkpoint id, its 16 bytes) last asked for (task ids hash them).
    _id_bytes: tuple[str | None, bytes] = (None, b"")
    # ".<random fraction>" of the versions this run makes (padded string versions).
    _version_suffix: str | None = None
    # DeltaChannels (ids) whose value the next snapshot stores.
    delta_snapshot: frozenset[int] = frozenset()
    # Deferred bookkeeping (see defer; None: not deferred): the version maps
    # above are brought up to date from `_changes` only when read (catch_up);
    # `_applied`: changes already in them, `_handed`: changes already handed
    # to the saver. (Few instance attributes: CPython 3.11 shares the keys of
    # at most 30.)
    _changes: list[tuple[Any, Any]] | None = None
    _applied = 0
    _handed = 0
    # (channel names, trigger pointers, trigger channels, version suffix or
    # None until deferred): what a saver needs to apply the changes.
    _context: tuple[Any, Any, Any, str | None] | None = None

    def __init__(self) -> None:
        self.channels: list[Any] = []
        self.versions: list[int] = []
        self.seen: list[int] = []
        self.has_seen: list[int] = []
        # None for a checkpoint nothing observes (no saver): see new_checkpoint.
        self.metadata: dict[str, Any] | None = {}
        self.pending_writes: list[tuple[str, str, Any]] = []
        self.updated_channels: list[int] = []
        # Saver representations (only while tracking).
        self.version_repr: list[Any] = []
        self.channel_versions: dict[str, VersionRepr] = {}
        # node -> read-only {channel: version seen}; a FrozenVersionsSeen
        # while tracking (inner mappings are shared with saved snapshots).
        self.versions_seen: FrozenVersionsSeen = FrozenVersionsSeen({})
        self.new_since_save: set[int] = set()
        self.interrupt_seen: dict[int, int] = {}
        self._names: list[str] = []

    @classmethod
    def blank(cls, topo: Topology, specs: dict[str, Any], checkpointer: Any) -> CheckpointState:
        """The state of a thread with no checkpoint yet: what `load` makes of
        an empty checkpoint, without building one (every run without a
        saver, and every subgraph call, starts here)."""
        self = cls()
        names = topo.chan_names
        self._names = names
        self.channels = empty_copies(map(specs.__getitem__, names))
        self.versions = [0] * len(names)
        self.seen = [0] * len(topo.trig_chan)
        self.metadata = {"step": -2}
        self._id_step = -2  # the empty checkpoint's id is made if observed
        self.checkpointer = checkpointer
        if checkpointer is not None:
            self.tracking = True
            self._context = (names, topo.trig_ptr, topo.trig_chan, None)
            self.version_repr = [None] * len(names)
            self._fast_versions = checkpointer.padded_string_versions
            self._track_changes(checkpointer)
        return self

    @classmethod
    def load(
        cls, topo: Topology, specs: dict[str, Any], saved: CheckpointTuple | None, checkpointer: Any
    ) -> CheckpointState:
        if saved is None:
            return cls.blank(topo, specs, checkpointer)
        self = cls()
        checkpoint = saved.checkpoint
        values = checkpoint.get("channel_values") or {}
        names = topo.chan_names
        self._names = names
        self.channels = [specs[n].from_checkpoint(values.get(n, MISSING)) for n in names]
        cv = checkpoint.get("channel_versions") or {}
        vs = checkpoint.get("versions_seen") or {}
        self.has_versions = bool(cv)
        # Rank every saved version: order is all the engine needs.
        reprs = set(cv.values())
        for seen in vs.values():
            reprs.update(seen.values())
        try:
            ordered = sorted(reprs)
        except TypeError:
            ordered = sorted(reprs, key=str)
        rank = {r: i + 1 for i, r in enumerate(ordered)}
        self.versions = [rank[cv[n]] if n in cv else 0 for n in names]
        seen_ranks: list[int] = []
        for n_id, node in enumerate(topo.node_names):
            node_seen = vs.get(node) or {}
            for slot in range(topo.trig_ptr[n_id], topo.trig_ptr[n_id + 1]):
                ch = names[topo.trig_chan[slot]]
                seen_ranks.append(rank[node_seen[ch]] if ch in node_seen else 0)
        self.seen = seen_ranks
        self.has_seen = [n for n, node in enumerate(topo.node_names) if node in vs]
        interrupt_seen = vs.get(INTERRUPT) or {}
        chan_id = topo.chan_id
        self.interrupt_seen = {
            chan_id[k]: rank[v] for k, v in interrupt_seen.items() if k in chan_id
        }
        self.metadata = dict(saved.metadata or {})
        self.metadata_step = self.metadata.get("step", -2)
        self.pending_writes = list(saved.pending_writes or [])
        self.saved_updated = checkpoint.get("updated_channels")
        self._id = checkpoint.get("id") or None
        if checkpoint.get("v", 4) <= 1:
            self.sha1_task_ids = True
        self._id_step = self.metadata_step
        self.checkpointer = checkpointer
        self.tracking = checkpointer is not None
        if self.tracking:
            self._context = (names, topo.trig_ptr, topo.trig_chan, None)
            self.version_repr = [cv.get(n) for n in names]
            self.max_repr = max(cv.values()) if cv else None
            self._fast_versions = checkpointer.padded_string_versions and (
                self.max_repr is None or isinstance(self.max_repr, str)
            )
            if self._fast_versions:
                self._max_int = int(self.max_repr.split(".", 1)[0]) if self.max_repr else 0
            self.channel_versions = dict(cv)
            self.versions_seen = FrozenVersionsSeen(
                {k: MappingProxyType(dict(v)) for k, v in vs.items()}
            )
            self._track_changes(checkpointer)
        return self

    def _track_changes(self, checkpointer: Any) -> None:
        # Capabilities read once per run (the saver's class decides them).
        self._values_by_version = bool(checkpointer.stores_values_by_version)
        self._frozen_seen = bool(checkpointer.accepts_frozen_versions_seen)
        if checkpointer.accepts_layered_maps:
            self._cv_log = _ChangeLog()
            self._vs_log = _ChangeLog()

    def _seen_changed(self, node: str, seen: MappingProxyType[str, VersionRepr]) -> None:
        # (Deferred: called caught up, so the change is applied and handed on.)
        self.versions_seen[node] = seen
        if self._vs_log is not None:
            self._vs_log.top[node] = seen
        changes = self._changes
        if changes is not None:
            changes.append((node, seen))
            self._applied = len(changes)

    # -- deferred bookkeeping --------------------------------------------------

    def defer(self, checkpointer: Any) -> bool:
        """From now on keep versions as a list of changes, handed to the saver
        with each checkpoint (`step_record`): for a saver that takes them
        (InMemorySaver's put_step_record) and this class's own versions.
        Returns whether it did."""
        context = self._context
        if self._changes is not None:
            return True
        if (
            not self.tracking
            or not self._fast_versions
            or checkpointer is not self.checkpointer
            or context is None
        ):
            return False
        suffix = self._version_suffix
        if suffix is None:
            suffix = self._version_suffix = f".{_random():016}"
        self._context = (context[0], context[1], context[2], suffix)
        self._changes = []
        return True

    def catch_up(self) -> None:
        """Apply the deferred changes to the version maps (before reading them)."""
        changes = self._changes
        if changes is None or self._applied == len(changes):
            return
        names, trig_ptr, trig_chan, _ = self._context  # type: ignore[misc]
        reprs = self.version_repr
        channel_versions = self.channel_versions
        versions_seen = self.versions_seen
        cv_top = self._cv_log.top if self._cv_log is not None else None
        vs_top = self._vs_log.top if self._vs_log is not None else None
        suffix = self._version_suffix
        seen: Any
        for key, what in changes[self._applied :]:
            if type(key) is str:
                if what is None:
                    if key in versions_seen:
                        continue
                    seen = _EMPTY_SEEN
                elif type(what) is MappingProxyType:
                    seen = what
                else:  # a node id
                    old = versions_seen.get(key)
                    new = dict(old) if old else {}
                    for slot in range(trig_ptr[what], trig_ptr[what + 1]):
                        c = trig_chan[slot]
                        r = reprs[c]
                        if r is not None:
                            new[names[c]] = r
                    seen = MappingProxyType(new)
                versions_seen[key] = seen
                if vs_top is not None:
                    vs_top[key] = seen
            else:
                rep = f"{what:032}{suffix}"
                self.max_repr = rep
                for c in key:
                    reprs[c] = rep
                    channel_versions[names[c]] = rep
                    if cv_top is not None:
                        cv_top[names[c]] = rep
        self._applied = len(changes)

    def step_record(
        self,
    ) -> tuple[str, str, Sequence[int], tuple[tuple[Any, Any], ...], dict[str, Any]]:
        """While deferred: (checkpoint id, ts, the updated channels' ids, the
        changes since the last one, the new versions' values) of the checkpoint
        to save."""
        changes = self._changes
        assert changes is not None
        handed = self._handed
        new = tuple(changes[handed:] if handed else changes)
        if self._applied == len(changes) or len(changes) > _CHANGES_MAX:
            self.catch_up()
            changes.clear()
            self._applied = self._handed = 0
        else:
            self._handed = len(changes)
        names = self._names
        channels = self.channels
        values: dict[str, Any] = {}
        for c in self.new_since_save:
            v = channels[c].checkpoint()
            if v is not MISSING:
                values[names[c]] = v
        self.new_since_save = set()
        return (
            self._id or self.current_id(),
            _iso_now(),
            tuple(self.updated_channels),
            new,
            values,
        )

    def initial_candidates(self, topo: Topology) -> list[int] | None:
        """Nodes to examine first, from the checkpoint's updated_channels;
        None means examine every node."""
        updated = self.saved_updated
        if not updated:
            return None
        names: set[str] = set()
        for ch in updated:
            names.update(topo.trigger_to_nodes.get(ch, ()))
        if not names:
            return None
        # Only candidates: the caller still checks their trigger condition.
        return sorted(topo.node_id[n] for n in names)

    # -- ids ------------------------------------------------------------------

    def new_checkpoint(self, step: int, metadata: dict[str, Any] | None) -> None:
        self._id = None
        self.sha1_task_ids = False  # a new checkpoint has today's format
        self._id_step = step
        self.metadata = metadata

    def current_id(self) -> str:
        if self._id is None:
            self._id = checkpoint_uuid6_str(self._id_step)  # new_checkpoint_id
        return self._id

    def checkpoint_id_bytes(self) -> bytes:
        current = self._id or self.current_id()
        cached = self._id_bytes
        if cached[0] != current:
            cached = self._id_bytes = (current, binascii.unhexlify(current.replace("-", "")))
        return cached[1]

    # -- version bookkeeping (only while tracking) ---------------------------

    def record_seen(self, node: str, node_id: int | None, table: ChannelTable) -> None:
        """versions_seen[node] takes the current versions of its triggers.
        Inner dicts are replaced, never mutated: saved snapshots share them."""
        if not self.tracking:
            return
        changes = self._changes
        if changes is not None:
            changes.append((node, node_id))
            return
        old = self.versions_seen.get(node)
        if node_id is None:
            if old is None:
                self._seen_changed(node, _EMPTY_SEEN)
            return
        topo = table.topo
        new = dict(old) if old else {}
        reprs = self.version_repr
        names = self._names
        trig_chan = topo.trig_chan
        for slot in range(topo.trig_ptr[node_id], topo.trig_ptr[node_id + 1]):
            c = trig_chan[slot]
            r = reprs[c]
            if r is not None:
                new[names[c]] = r
        seen = MappingProxyType(new)
        self.versions_seen[node] = seen
        if self._vs_log is not None:
            self._vs_log.top[node] = seen

    def bump(self, bumped: list[int], table: ChannelTable) -> None:
        if not self.tracking:
            return
        changes = self._changes
        if changes is not None:  # (always InMemorySaver's own versions)
            self._max_int = n = self._max_int + 1
            # (A tuple of ints: a kept change holds nothing the GC must visit.)
            changes.append((tuple(bumped), n))
            self.new_since_save.update(bumped)
            return
        if self._fast_versions:
            # InMemorySaver's own format, without re-parsing the last version;
            # the random fraction (meaningless to ordering) drawn once per run.
            self._max_int += 1
            suffix = self._version_suffix
            if suffix is None:
                suffix = self._version_suffix = f".{_random():016}"
            rep = f"{self._max_int:032}{suffix}"
        else:
            rep = self.checkpointer.get_next_version(self.max_repr, None)
        self.max_repr = rep
        names = self._names
        channel_versions = self.channel_versions
        version_repr = self.version_repr
        for c in bumped:
            version_repr[c] = rep
            channel_versions[names[c]] = rep
        if self._cv_log is not None:
            top = self._cv_log.top
            for c in bumped:
                top[names[c]] = rep
        self.new_since_save.update(bumped)

    def snapshot_deltas(self, ids: list[int], subscribers: Mapping[str, Sequence[str]]) -> None:
        """The next snapshot stores the values of these DeltaChannels. One whose
        saved version has not moved since the last save gets a new one (savers
        store a value per version); whoever had seen the old version sees the
        new one, and so do its `subscribers` when it had none: storing a value
        is not a write."""
        self.delta_snapshot = frozenset(ids)
        if not self.tracking:
            return
        stale = [c for c in ids if c not in self.new_since_save]
        if not stale:
            return
        self.catch_up()
        old = [self.version_repr[c] for c in stale]
        self.bump(stale, None)  # type: ignore[arg-type]  # the table is not needed
        self.catch_up()
        names = self._names
        for c, was in zip(stale, old):
            name = names[c]
            new = self.version_repr[c]
            if was is None:
                for node in subscribers.get(name, ()):
                    if node not in self.versions_seen:
                        self._seen_changed(node, _EMPTY_SEEN)
            for node, seen in list(self.versions_seen.items()):
                if seen.get(name) == was:
                    self._seen_changed(node, MappingProxyType({**seen, name: new}))

    def mark_interrupts_seen(self, table: ChannelTable) -> None:
        self.catch_up()
        self.interrupt_seen = {
            c: table.version(c) for c in range(len(self.channels)) if table.version(c) > 0
        }
        if self.tracking:
            names = self._names
            self._seen_changed(
                INTERRUPT,
                MappingProxyType(
                    {
                        names[c]: self.version_repr[c]
                        for c in range(len(names))
                        if self.version_repr[c] is not None
                    }
                ),
            )

    # -- saving ---------------------------------------------------------------

    def _parts(self, checkpointer: Any) -> tuple[Any, Any, dict[str, Any], dict[str, VersionRepr]]:
        """(channel_versions, versions_seen, channel_values, new versions) to save now."""
        self.catch_up()
        names = self._names
        own = checkpointer is self.checkpointer
        # Change logs are kept for savers that take layered snapshots.
        cv_log, vs_log = self._cv_log, self._vs_log
        channel_versions: Any
        versions_seen: Any
        if cv_log is not None and vs_log is not None and own:
            # _ChangeLog.snapshot of both, inlined (once per step).
            base, top = cv_log.base, cv_log.top
            if base is None or len(top) * len(top) > len(base) + 64:
                base = cv_log.base = dict(self.channel_versions)
                top = cv_log.top = {}
            channel_versions = LayeredMap(base, top.copy())
            base, top = vs_log.base, vs_log.top
            if base is None or len(top) * len(top) > len(base) + 64:
                base = vs_log.base = FrozenVersionsSeen(self.versions_seen)
                top = vs_log.top = {}
            versions_seen = LayeredMap(base, top.copy())
        else:
            channel_versions = (
                cv_log.snapshot(self.channel_versions)
                if cv_log is not None and own
                else dict(self.channel_versions)
            )
            if vs_log is not None and own:
                versions_seen = vs_log.snapshot(self.versions_seen, FrozenVersionsSeen)
            elif self._frozen_seen and own:
                versions_seen = FrozenVersionsSeen(self.versions_seen)
            else:
                versions_seen = self.versions_seen.thawed()
        changed = self.new_since_save
        reprs = self.version_repr
        self.new_since_save = set()
        channels = self.channels
        values: dict[str, Any] = {}
        # DeltaChannels store nothing (checkpoint() is MISSING) but at snapshots.
        deltas = self.delta_snapshot
        if deltas:
            self.delta_snapshot = frozenset()
        # Savers store values per (channel, version): only new versions need
        # values; savers that want the whole state get every channel.
        if self._values_by_version and own:
            new_versions = {}
            for c in changed:
                name = names[c]
                new_versions[name] = reprs[c]
                v = channels[c].checkpoint()
                if v is not MISSING:
                    values[name] = v
                elif c in deltas:
                    values[name] = _DeltaSnapshot(channels[c].get())
        else:
            new_versions = {names[c]: reprs[c] for c in changed}
            for c, name in enumerate(names):
                if name in channel_versions:
                    v = channels[c].checkpoint()
                    if v is not MISSING:
                        values[name] = v
                    elif c in deltas:
                        values[name] = _DeltaSnapshot(channels[c].get())
        return channel_versions, versions_seen, values, new_versions

    def _updated_names(self) -> list[str] | None:
        names = self._names
        updated = self.updated_channels
        return (
            None
            if not updated
            else [names[updated[0]]]
            if len(updated) == 1
            else sorted(names[c] for c in updated)
        )

    def snapshot(self, checkpointer: Any) -> tuple[HandedOverCheckpoint, dict[str, VersionRepr]]:
        """The checkpoint dict to save now and the versions new since the last save."""
        channel_versions, versions_seen, values, new_versions = self._parts(checkpointer)
        checkpoint = HandedOverCheckpoint(
            v=4,
            id=self._id or self.current_id(),
            ts=_iso_now(),
            channel_values=values,
            channel_versions=channel_versions,
            versions_seen=versions_seen,
            updated_channels=self._updated_names(),
        )
        return checkpoint, new_versions

    def stored_snapshot(
        self, checkpointer: Any
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, VersionRepr]]:
        """`snapshot` as a saver that takes step puts stores it: (the checkpoint
        without channel_values, the values, the new versions)."""
        channel_versions, versions_seen, values, new_versions = self._parts(checkpointer)
        skeleton = {
            "v": 4,
            "id": self._id or self.current_id(),
            "ts": _iso_now(),
            "channel_versions": channel_versions,
            "versions_seen": versions_seen,
            "updated_channels": self._updated_names(),
        }
        return skeleton, values, new_versions
