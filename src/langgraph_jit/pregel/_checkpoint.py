"""Checkpoints of graphs with `DeltaChannel`s: what a checkpoint stores of them, and
how their values are rebuilt from the writes saved along a thread's parent chain.

A DeltaChannel's value is stored (as a `_DeltaSnapshot`) only every
`snapshot_frequency` updates, or after `DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT`
supersteps, or when a write could not be replayed from the parent chain (a fork, an
overwrite); in between, a checkpoint stores nothing for it and a reader folds the
writes saved after the nearest stored value. The per-channel counters live in the
checkpoint metadata under `counters_since_delta_snapshot`. Graphs without
DeltaChannels never reach this module's run-time paths.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Generator, Iterable, Mapping, MutableSequence, Sequence
from typing import Any

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    INPUT,
    MISSING,
    NULL_TASK_ID,
    PULL,
)
from langgraph_jit.channels._delta_messages import ensure_message_ids
from langgraph_jit.channels.base import BaseChannel
from langgraph_jit.channels.binop import BinaryOperatorAggregate, _get_overwrite
from langgraph_jit.channels.delta import DeltaChannel
from langgraph_jit.checkpoint.base import (
    Checkpoint,
    CheckpointTuple,
    DeltaChannelHistory,
    PendingWrite,
    empty_checkpoint,
)
from langgraph_jit.checkpoint.base import copy_checkpoint as base_copy_checkpoint
from langgraph_jit.checkpoint.base.id import uuid6
from langgraph_jit.checkpoint.serde.types import _DeltaSnapshot
from langgraph_jit.pregel._core.task import _pull_path_str, _task_path_str

__all__ = (
    "COUNTERS_KEY",
    "DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT",
    "DeltaHistoryReader",
    "achannels_from_checkpoint",
    "channels_from_checkpoint",
    "copy_checkpoint",
    "delta_channels_to_snapshot",
    "empty_checkpoint",
    "exit_delta_task_id",
)

# A channel that stops being written still snapshots after this many supersteps,
# so no read walks back further than that.
DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT = 5000
# Metadata key: {channel: (updates, supersteps) since its last snapshot}.
COUNTERS_KEY = "counters_since_delta_snapshot"


def copy_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """A copy of a checkpoint as the engine handles it (fresh maps, no
    pre-format-4 `pending_sends`), safe to edit without touching the original."""
    copied = base_copy_checkpoint(checkpoint)
    copied.pop("pending_sends", None)  # type: ignore[typeddict-item]
    return copied


# -- when to store a value -------------------------------------------------------


def delta_channels_to_snapshot(
    channels: Mapping[str, Any],
    counters: Mapping[str, tuple[int, int]],
    channel_versions: Mapping[str, Any] | Iterable[str],
) -> set[str]:
    """The DeltaChannels among `channels` whose value the next checkpoint stores:
    those updated `snapshot_frequency` times, or left `DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT`
    supersteps, since their last snapshot. A channel with no version was never
    written and has nothing to store."""
    bound = DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT  # read per call: tests lower it
    out: set[str] = set()
    for name, channel in channels.items():
        if not isinstance(channel, DeltaChannel) or name not in channel_versions:
            continue
        if not channel.is_available():
            continue
        updates, supersteps = counters.get(name, (0, 0))
        if updates >= channel.snapshot_frequency or supersteps >= bound:
            out.add(name)
    return out


def advance_counters(
    names: Iterable[str],
    previous: Mapping[str, Any] | None,
    updated: Iterable[str],
) -> dict[str, tuple[int, int]]:
    """Every DeltaChannel's counters one superstep later; `updated` were written."""
    previous = previous or {}
    updated = set(updated)
    out: dict[str, tuple[int, int]] = {}
    for name in names:
        u, s = previous.get(name, (0, 0))
        out[name] = (u + 1 if name in updated else u, s + 1)
    return out


def store_counters(
    metadata: dict[str, Any], counters: Mapping[str, tuple[int, int]], snapshot: Iterable[str]
) -> None:
    """Reset the counters of the channels snapshotted now and keep the non-zero
    ones in `metadata` (no key when all are zero)."""
    kept = dict(counters)
    for name in snapshot:
        kept[name] = (0, 0)
    non_zero = {k: v for k, v in kept.items() if v != (0, 0)}
    if non_zero:
        metadata[COUNTERS_KEY] = non_zero
    else:
        metadata.pop(COUNTERS_KEY, None)


def overwritten(specs: Mapping[str, Any], writes: Iterable[tuple[str, Any]]) -> set[str]:
    """DeltaChannels that `writes` overwrite: replaying from an older stored value
    would bring back what the overwrite dropped, so they snapshot."""
    return {c for c, v in writes if isinstance(specs.get(c), DeltaChannel) and _get_overwrite(v)[0]}


def written(specs: Mapping[str, Any], writes: Iterable[Sequence[Any]]) -> set[str]:
    """DeltaChannels written by saved writes `(task id, channel, value)`."""
    return {w[1] for w in writes if isinstance(specs.get(w[1]), DeltaChannel)}


def input_task_id(checkpoint_id: str, input_name: str) -> str:
    """Task id of a run's input writes to DeltaChannels, saved on the checkpoint
    the run starts from (never NULL_TASK_ID: readers apply those as that
    checkpoint's own state)."""
    return str(uuid.uuid5(uuid.UUID(checkpoint_id), input_name))


def path_str(path: Sequence[Any]) -> str:
    """A task path as savers order writes by (as the persister saves them)."""
    if not path:
        return ""
    if path[0] == PULL:
        return _pull_path_str(path[1])
    return _task_path_str(path)


def new_stub_id() -> str:
    """Id of the empty checkpoint a new thread's exit-mode writes are saved on:
    made when the run starts, so it sorts before the run's own checkpoint."""
    return str(uuid6(clock_seq=-2))


def exit_delta_late_task_id(step: int, task_id: str) -> str:
    """Task id for exit-mode writes of a later superstep than the loaded
    checkpoint's own: after every real task id, in step order."""
    parts = str(uuid.UUID(task_id)).split("-")
    return f"ffffffff-{step >> 16:04x}-{step & 0xFFFF:04x}-{parts[3]}-{parts[4]}"


def exit_delta_task_id(step: int, task_id: str) -> str:
    """Task id for DeltaChannel writes that durability="exit" saves at the end of
    a run: the superstep leads, so ordering by task id keeps step order, and it
    stays a valid UUID (never NULL_TASK_ID)."""
    parts = str(uuid.UUID(task_id)).split("-")
    out = f"{step:08d}-{parts[1]}-{parts[2]}-{parts[3]}-{parts[4]}"
    if out == NULL_TASK_ID:
        return f"{step:08d}-0000-0000-0000-000000000001"
    return out


# -- which channels of a graph are concerned ---------------------------------------

# Per topology (one per graph): names of its DeltaChannels, and of the channels a
# load may have to rebuild (DeltaChannels and plain reducers, which may read a
# thread written while their field was a DeltaChannel).
_NAMES: weakref.WeakKeyDictionary[Any, tuple[tuple[str, ...], tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _names(key: Any, specs: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found = _NAMES.get(key) if key is not None else None
    if found is None:
        delta = tuple(k for k, s in specs.items() if isinstance(s, DeltaChannel))
        rebuildable = tuple(
            k for k, s in specs.items() if isinstance(s, (DeltaChannel, BinaryOperatorAggregate))
        )
        found = (delta, rebuildable)
        if key is not None:
            _NAMES[key] = found
    return found


def delta_names(specs: Mapping[str, Any], key: Any = None) -> tuple[str, ...]:
    """Names of the DeltaChannels in `specs` (cached under `key`, e.g. the topology)."""
    return _names(key, specs)[0]


# -- rebuilding values on load --------------------------------------------------------


def channels_to_rebuild(
    specs: Mapping[str, Any], checkpoint: Checkpoint, key: Any = None
) -> list[str]:
    """Channels whose value `checkpoint` does not store although they were written:
    DeltaChannels between snapshots (and plain reducers reading such a thread)."""
    candidates = _names(key, specs)[1]
    if not candidates:
        return []
    versions = checkpoint.get("channel_versions") or {}
    values = checkpoint.get("channel_values") or {}
    return [k for k in candidates if k in versions and values.get(k, MISSING) is MISSING]


def replay(spec: BaseChannel, history: DeltaChannelHistory) -> BaseChannel:
    """A channel rebuilt from its nearest stored value and the writes saved after it."""
    channel = spec.from_checkpoint(history.get("seed", MISSING))
    if isinstance(channel, DeltaChannel):
        channel.replay_writes(history["writes"])
    else:
        # The writes span many supersteps: one update each, so a second
        # overwrite is not taken for two in one step.
        for write in history["writes"]:
            channel.update([write[2]])
    return channel


def _require_saver(names: list[str], saver: Any, config: Any) -> None:
    if names and (saver is None or config is None):
        raise ValueError(
            f"DeltaChannel {names} has history to replay but no checkpointer or config "
            "was passed to read it"
        )


def _hydrate(
    specs: Mapping[str, Any], checkpoint: Checkpoint, histories: Mapping[str, DeltaChannelHistory]
) -> tuple[dict[str, BaseChannel], dict[str, Any]]:
    channels: dict[str, BaseChannel] = {}
    managed: dict[str, Any] = {}
    values = checkpoint.get("channel_values") or {}
    for k, spec in specs.items():
        if not isinstance(spec, BaseChannel):
            managed[k] = spec
        elif k in histories:
            channels[k] = replay(spec, histories[k])
        else:
            channels[k] = spec.from_checkpoint(values.get(k, MISSING))
    return channels, managed


def channels_from_checkpoint(
    specs: Mapping[str, Any],
    checkpoint: Checkpoint,
    *,
    saver: Any = None,
    config: Any = None,
) -> tuple[dict[str, BaseChannel], dict[str, Any]]:
    """(channels, managed value specs) of `checkpoint`; channels it stores no value
    for are rebuilt through `saver.get_delta_channel_history(config=...)`, which
    needs both."""
    names = channels_to_rebuild(specs, checkpoint)
    _require_saver(names, saver, config)
    histories = saver.get_delta_channel_history(config=config, channels=names) if names else {}
    return _hydrate(specs, checkpoint, histories)


async def achannels_from_checkpoint(
    specs: Mapping[str, Any],
    checkpoint: Checkpoint,
    *,
    saver: Any = None,
    config: Any = None,
) -> tuple[dict[str, BaseChannel], dict[str, Any]]:
    """Async `channels_from_checkpoint`."""
    names = channels_to_rebuild(specs, checkpoint)
    _require_saver(names, saver, config)
    histories = (
        await saver.aget_delta_channel_history(config=config, channels=names) if names else {}
    )
    return _hydrate(specs, checkpoint, histories)


class DeltaHistoryReader:
    """A saver's history walk as a positional call, for the drivers' request
    queues: `read(config, channels)` / `aread(config, channels)`."""

    __slots__ = ("saver",)

    def __init__(self, saver: Any) -> None:
        self.saver = saver

    def read(self, config: Any, channels: list[str]) -> Mapping[str, DeltaChannelHistory]:
        return self.saver.get_delta_channel_history(config=config, channels=channels)

    async def aread(self, config: Any, channels: list[str]) -> Mapping[str, DeltaChannelHistory]:
        return await self.saver.aget_delta_channel_history(config=config, channels=channels)


def with_rebuilt_values(
    specs: Mapping[str, Any], saved: CheckpointTuple, histories: Mapping[str, DeltaChannelHistory]
) -> CheckpointTuple:
    """`saved` with the rebuilt values in its channel values (as snapshots, which
    every reducer channel restores from); the saver's own dicts are not touched."""
    values = dict(saved.checkpoint.get("channel_values") or {})
    for name, history in histories.items():
        channel = replay(specs[name], history)
        if channel.is_available():
            values[name] = _DeltaSnapshot(channel.get())
    checkpoint: Any = {**saved.checkpoint, "channel_values": values}
    return saved._replace(checkpoint=checkpoint)


def rebuild_steps(
    specs: Mapping[str, Any],
    saved: CheckpointTuple | None,
    saver: Any,
    key: Any = None,
    prefix: tuple[Any, ...] = (),
) -> Generator[tuple[Any, ...], Any, Any]:
    """`saved` with every value it lacks rebuilt. Yields the one saver call it needs,
    as (*prefix, target, method, args), and is sent its result; a checkpoint that
    stores every value yields nothing. `key` caches which channels to look at."""
    if saved is None:
        return saved
    names = channels_to_rebuild(specs, saved.checkpoint, key)
    if not names:
        return saved
    _require_saver(names, saver, saved.config)
    histories = yield (*prefix, DeltaHistoryReader(saver), "read", (saved.config, names))
    return with_rebuilt_values(specs, saved, histories)


def rebuilt(
    specs: Mapping[str, Any], saved: CheckpointTuple | None, saver: Any
) -> CheckpointTuple | None:
    """`rebuild_steps` with sync saver calls."""
    steps = rebuild_steps(specs, saved, saver)
    try:
        target, method, args = next(steps)
        steps.send(getattr(target, method)(*args))
    except StopIteration as stop:
        return stop.value
    raise AssertionError("rebuild_steps makes one saver call")  # pragma: no cover


async def arebuilt(
    specs: Mapping[str, Any], saved: CheckpointTuple | None, saver: Any
) -> CheckpointTuple | None:
    """`rebuild_steps` with async saver calls."""
    steps = rebuild_steps(specs, saved, saver)
    try:
        target, method, args = next(steps)
        steps.send(await getattr(target, "a" + method)(*args))
    except StopIteration as stop:
        return stop.value
    raise AssertionError("rebuild_steps makes one saver call")  # pragma: no cover


# -- ids of messages written to DeltaChannels ------------------------------------------


def stamp_message_ids(specs: Mapping[str, Any], writes: MutableSequence[tuple[str, Any]]) -> None:
    """Give messages written to DeltaChannels ids before the writes are applied and
    saved (see `channels._delta_messages.ensure_message_ids`)."""
    ensure_message_ids(specs, writes)


# -- one run's bookkeeping -------------------------------------------------------------

# An exit-mode write kept until the run ends: (step, task id, task path, channel, value).
ExitWrite = tuple[int, str, str, str, Any]


class DeltaBook:
    """What one run of a graph with DeltaChannels tracks to save them: which must
    snapshot at the next checkpoint whatever their counters, and with
    durability="exit" the writes saved when the run ends. Runs of graphs without
    DeltaChannels have none."""

    __slots__ = (
        "specs",
        "names",
        "chan_id",
        "trigger_to_nodes",
        "forced",
        "loaded_writes",
        "exit_writes",
        "stored",
        "command_writes",
        "first_step",
        "has_parent",
        "on_latest",
        "stub_id",
    )

    def __init__(
        self, specs: Mapping[str, Any], names: tuple[str, ...], topo: Any, *, exit_mode: bool
    ) -> None:
        self.specs = specs
        self.names = names
        self.chan_id: Mapping[str, int] = topo.chan_id
        self.trigger_to_nodes: Mapping[str, Sequence[str]] = topo.trigger_to_nodes
        # Channels whose writes cannot be replayed from the parent chain.
        self.forced: set[str] = set()
        # Writes loaded with the checkpoint that the first step may hand back
        # to their tasks; those it does not belong to another branch.
        self.loaded_writes: list[PendingWrite] = []
        # durability="exit": the run's writes to DeltaChannels, saved at its end.
        self.exit_writes: list[ExitWrite] | None = [] if exit_mode else None
        self.stored: set[tuple[str, str]] = set()  # (task id, channel) already saved
        self.command_writes: list[tuple[str, Any]] = []
        self.first_step: int | None = None
        self.has_parent = False  # the run loaded a saved checkpoint
        self.on_latest = False  # ... and it is the thread's latest
        self.stub_id = ""

    @classmethod
    def for_run(cls, specs: Mapping[str, Any], topo: Any, *, exit_mode: bool) -> DeltaBook | None:
        """The book of a run of this graph; None without DeltaChannels."""
        names = delta_names(specs, topo)
        return cls(specs, names, topo, exit_mode=exit_mode) if names else None

    def _is_delta(self, channel: str) -> bool:
        return isinstance(self.specs.get(channel), DeltaChannel)

    # -- writes ---------------------------------------------------------------------

    def stamp(self, writes: MutableSequence[tuple[str, Any]]) -> None:
        """Ids for the messages in writes to DeltaChannels, before they are applied."""
        stamp_message_ids(self.specs, writes)

    def started(
        self,
        pending_writes: Sequence[PendingWrite],
        *,
        reapplies: bool,
        has_parent: bool = False,
        on_latest: bool = False,
    ) -> None:
        """The run loaded a checkpoint (`has_parent`; `on_latest`: the thread's
        latest) with these saved writes. Writes that go back to their tasks are
        replayed from it by the next checkpoint; the others belong to a child this
        run is not, so their channels snapshot."""
        self.has_parent = has_parent
        self.on_latest = on_latest
        if not has_parent:
            self.stub_id = new_stub_id()
        if reapplies:
            self.loaded_writes = [w for w in pending_writes if w[0] != NULL_TASK_ID]
        else:
            self.forced |= written(self.specs, pending_writes)
        self.stored = {
            (w[0], w[1]) for w in pending_writes if w[0] != NULL_TASK_ID and self._is_delta(w[1])
        }

    def command(self, writes: MutableSequence[tuple[str, Any]], *, carried: bool) -> None:
        """A Command's writes (no task's): saved on the loaded checkpoint, or
        `carried` by the fork checkpoint a replay starts with (stored there)."""
        self.stamp(writes)
        if carried:
            self.forced.update(c for c, _ in writes if self._is_delta(c))
        elif self.exit_writes is not None:
            self.command_writes.extend((c, v) for c, v in writes if self._is_delta(c))

    def stepped(self, tasks: Sequence[Any], writes: Iterable[tuple[str, Any]], step: int) -> None:
        """Step `step` is committed: overwritten channels snapshot, and so do the
        loaded writes the first step did not hand back to their tasks."""
        self.forced |= overwritten(self.specs, writes)
        first = self.first_step is None
        if first:
            self.first_step = step
        if self.loaded_writes:
            reapplied = {t.id for t in tasks if t.cached}
            self.forced |= written(
                self.specs, [w for w in self.loaded_writes if w[0] not in reapplied]
            )
            self.loaded_writes = []
        kept = self.exit_writes
        if kept is None:
            return
        if first:
            kept.extend((step, NULL_TASK_ID, "", c, v) for c, v in self.command_writes)
            self.command_writes = []
        for t in tasks:
            path = path_str(t.path)
            for c, v in t.writes:
                if not self._is_delta(c) or (first and (t.id, c) in self.stored):
                    continue
                kept.append((step, t.id, path, c, v))

    def input_writes(
        self, writes: MutableSequence[tuple[str, Any]], persist: Any, step: int
    ) -> None:
        """A run's input: saved on the checkpoint the run starts from when that is
        the thread's latest (readers of the input checkpoint replay it from there);
        otherwise its channels snapshot."""
        self.stamp(writes)
        self.forced |= overwritten(self.specs, writes)
        delta = [(c, v) for c, v in writes if self._is_delta(c)]
        if not delta or persist.checkpointer is None:
            return
        if self.exit_writes is not None:
            self.exit_writes.extend((step, NULL_TASK_ID, "", c, v) for c, v in delta)
        elif self.has_parent and self.on_latest:
            tid = input_task_id(persist.state.current_id(), INPUT)
            persist.queue_put_writes(tid, delta, ())
        else:
            self.forced.update(c for c, _ in delta)

    def updated(self, writes: MutableSequence[tuple[str, Any]], *, kept: bool) -> None:
        """An update_state task's writes (or its input), before they are applied:
        `kept` when they are also saved on the checkpoint the update builds on;
        if not (the thread moved past it), their channels snapshot."""
        self.stamp(writes)
        self.forced |= overwritten(self.specs, writes)
        if not kept:
            self.forced.update(c for c, _ in writes if self._is_delta(c))

    # -- checkpoints --------------------------------------------------------------

    def checkpoint(
        self, state: Any, metadata: dict[str, Any], *, saving: bool, advance: bool = True
    ) -> set[str]:
        """Counters of the checkpoint about to be made (into `metadata`), and which
        DeltaChannels it stores (returned): those due by their counters, or forced."""
        previous = state.metadata.get(COUNTERS_KEY) if state.metadata else None
        names = self.names
        if advance:
            chan_names = state._names
            updated = [chan_names[c] for c in state.updated_channels]
            counters = advance_counters(names, previous, updated)
        else:
            counters = dict(previous or {})
        snapshot: set[str] = set()
        if saving:
            channels = state.channels
            chan_id = self.chan_id
            snapshot = delta_channels_to_snapshot(
                {n: channels[chan_id[n]] for n in names}, counters, state.channel_versions
            )
            snapshot |= {
                n for n in self.forced if n in chan_id and channels[chan_id[n]].is_available()
            }
            self.forced -= snapshot
            state.snapshot_deltas(
                [chan_id[n] for n in sorted(snapshot)],
                {n: self.trigger_to_nodes.get(n, ()) for n in snapshot},
            )
        store_counters(metadata, counters, snapshot)
        return snapshot

    def exit(self, persist: Any, state: Any) -> None:
        """A durability="exit" run saves its last checkpoint: first the writes of
        the channels it does not snapshot, on the checkpoint the run loaded (a new
        thread gets an empty one to hold them)."""
        kept = self.exit_writes or []
        if self.has_parent and not self.on_latest:
            # The loaded checkpoint may have other children that would read them.
            self.forced.update(w[3] for w in kept)
        snapshot = self.checkpoint(state, state.metadata, saving=True, advance=False)
        pending = [w for w in kept if w[3] not in snapshot]
        if not pending:
            return
        conf = dict(persist.public_configurable)
        if self.has_parent:
            anchor = persist.checkpoint_config[CONF][CONFIG_KEY_CHECKPOINT_ID]
        else:
            anchor = self.stub_id
            conf.pop(CONFIG_KEY_CHECKPOINT_ID, None)
            stub = empty_checkpoint()
            stub["id"] = anchor
            persist.pending_io.append(
                (persist.checkpointer, "put", ({CONF: conf}, stub, {"step": -2}, {}))
            )
            persist.checkpoint_config = {CONF: {**conf, CONFIG_KEY_CHECKPOINT_ID: anchor}}
        config = {CONF: {**conf, CONFIG_KEY_CHECKPOINT_ID: anchor}}
        grouped: dict[tuple[str, str], list[tuple[str, Any]]] = {}
        for step, tid, path, c, v in pending:
            if tid == NULL_TASK_ID:
                key = (exit_delta_task_id(step, tid), "")
            elif step == self.first_step:
                # The loaded checkpoint's own step keeps its task paths, so its
                # writes interleave with the ones saved there before.
                key = (exit_delta_task_id(step, tid), path)
            else:
                key = (exit_delta_late_task_id(step, tid), f"~~{step:010d}{path}")
            grouped.setdefault(key, []).append((c, v))
        # Savers whose put_writes predates `task_path` get three arguments.
        with_path = getattr(persist, "_takes_task_path", True)
        for (tid, path), entries in grouped.items():
            args = (config, entries, tid, path) if with_path else (config, entries, tid)
            persist.pending_io.append((persist.checkpointer, "put_writes", args))
