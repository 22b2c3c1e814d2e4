"""State snapshots: what `get_state` and `get_state_history` show of a saved
checkpoint (values, next nodes, tasks with their results, errors, interrupts).

Most checkpoints are read on a lean path (`_lean_snapshot`): the next tasks
come from the checkpoint's versions alone and values are read from what it
stores, without loading a run. A checkpoint that needs the engine (writes to
apply, values to rebuild, an old format) takes the full path, `_run_snapshot`.
"""

from __future__ import annotations

import binascii
import logging
import weakref
from binascii import unhexlify as _unhexlify
from typing import Any

from xxhash import xxh3_128_hexdigest

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONTROL_WRITES,
    ENGINE_LOGGER,
    ERROR,
    INTERRUPT,
    MISSING,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
    PULL,
    PUSH,
    RETURN,
    TASKS,
)
from langgraph_jit.channels import BinaryOperatorAggregate, DeltaChannel, EphemeralValue, LastValue
from langgraph_jit.checkpoint.serde.types import _DeltaSnapshot
from langgraph_jit.errors import EmptyChannelError, add_exception_note
from langgraph_jit.pregel._checkpoint import arebuilt, rebuilt
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.output import NO_STATUS as _NO_STATUS
from langgraph_jit.pregel._core.output import task_result, task_statuses
from langgraph_jit.pregel._core.replay import without_task_ids
from langgraph_jit.pregel._run import PregelRun
from langgraph_jit.types import PregelTask, Send, StateSnapshot

logger = logging.getLogger(ENGINE_LOGGER)


def subgraph_for_namespace(
    graph: Any, config: dict[str, Any], saver: Any, *, for_update: bool = False
) -> tuple[Any, dict[str, Any]] | None:
    """The subgraph a state method's config addresses by its namespace (the
    config of a subgraph's state), and the config to call it with, which
    lends it `saver`. None when the config is this graph's own: no
    namespace, or one already lent a saver (the subgraph's own call).

    A namespace naming no subgraph of this graph is read with this graph's
    channels, and refused for an update (it would write the wrong state)."""
    conf = config.get(CONF) or {}
    checkpoint_ns = conf.get(CONFIG_KEY_CHECKPOINT_NS)
    if not checkpoint_ns or CONFIG_KEY_CHECKPOINTER in conf:
        return None
    path = without_task_ids(checkpoint_ns)
    for _, target in graph.get_subgraphs(namespace=path, recurse=True):
        return target, {**config, CONF: {**conf, CONFIG_KEY_CHECKPOINTER: saver}}
    if for_update:
        raise ValueError(f"Subgraph {path} not found")
    return None


def own_checkpoint_config(graph: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A subgraph with its own history (checkpointer=True) keeps it under its
    namespace without task ids (call counters stay: each call has one)."""
    conf = config.get(CONF) or {}
    thread_id = conf.get("thread_id")
    if thread_id is not None and not isinstance(thread_id, str):
        # Runs save under the thread id's str (see Persister).
        conf = {**conf, "thread_id": str(thread_id)}
        config = {**config, CONF: conf}
    checkpoint_ns = conf.get(CONFIG_KEY_CHECKPOINT_NS)
    if graph.checkpointer is not True or not checkpoint_ns:
        return config
    own = NS_SEP.join(part.split(NS_END, 1)[0] for part in checkpoint_ns.split(NS_SEP))
    return {**config, CONF: {**conf, CONFIG_KEY_CHECKPOINT_NS: own}}


_EMPTY_SNAPSHOT_FIELDS: dict[str, Any] = {
    "values": {},
    "next": (),
    "metadata": None,
    "created_at": None,
    "parent_config": None,
    "tasks": (),
    "interrupts": (),
}


def state_snapshot(
    graph: Any, config: dict[str, Any], saved: Any, saver: Any, *, live: bool, recurse: bool = False
) -> StateSnapshot:
    """A StateSnapshot of a saved checkpoint. `live` (the latest state)
    folds in the writes of tasks that already finished; otherwise the
    snapshot records the step as it started. `recurse`: the tasks running
    subgraphs show their states (else the configs that address them)."""
    if not saved:
        return StateSnapshot(config=config, **_EMPTY_SNAPSHOT_FIELDS)
    snapshot = SnapshotReader(graph, live=live).snapshot(saved, saver)
    if not recurse:
        return snapshot
    tasks = []
    for task in snapshot.tasks:
        if task.state is not None:
            child = _subgraph_of(graph, task.name)
            task = task._replace(state=child.get_state(_child_config(task, saver), subgraphs=True))
        tasks.append(task)
    return snapshot._replace(tasks=tuple(tasks))


async def astate_snapshot(
    graph: Any, config: dict[str, Any], saved: Any, saver: Any, *, live: bool, recurse: bool = False
) -> StateSnapshot:
    """`state_snapshot` for async callers: values are rebuilt and subgraph
    states read with the savers' async methods (an async saver refuses sync
    calls on its loop)."""
    if not saved:
        return StateSnapshot(config=config, **_EMPTY_SNAPSHOT_FIELDS)
    snapshot = await SnapshotReader(graph, live=live).asnapshot(saved, saver)
    if not recurse:
        return snapshot
    tasks = []
    for task in snapshot.tasks:
        if task.state is not None:
            child = _subgraph_of(graph, task.name)
            state = await child.aget_state(_child_config(task, saver), subgraphs=True)
            task = task._replace(state=state)
        tasks.append(task)
    return snapshot._replace(tasks=tuple(tasks))


def _subgraph_of(graph: Any, name: str) -> Any:
    return graph.nodes[name].subgraphs[0]


def _child_config(task: PregelTask, saver: Any) -> dict[str, Any]:
    return {CONF: {**task.state[CONF], CONFIG_KEY_CHECKPOINTER: saver}}


def _run_snapshot(graph: Any, saved: Any, live: bool) -> StateSnapshot:
    """The full path: a run loaded from the checkpoint plans the step, applies
    the writes saved without a task and, when `live`, those of finished tasks."""
    run = PregelRun.for_thread_state(
        graph,
        {**(saved.config or {}), CONF: dict(saved.config.get(CONF, {}))},
        saved,
        checkpointer=None,
        durability="exit",
    )
    run.stop = run.step + 2
    tasks = run.plan()
    pending = saved.pending_writes or []
    null_writes = [(c, v) for tid, c, v in pending if tid == NULL_TASK_ID]
    if null_writes:
        run.commit([], null_writes, bump_step=False, versionless=True)
    statuses = task_statuses(pending)
    if live:
        finished = [t for t in tasks if statuses.get(t.id, _NO_STATUS)[0]]
        for t in finished:
            t.writes.extend(statuses[t.id][0])
        if finished:
            finished.sort(key=lambda t: t.sort_key)
            run.commit(
                finished,
                [w for t in finished for w in t.writes],
                bump_step=True,
                versionless=True,
            )
    stream_keys = graph.stream_channels_asis
    snapshot_tasks = []
    for t in tasks:
        output, interrupts, error = statuses.get(t.id, _NO_STATUS)
        snapshot_tasks.append(
            PregelTask(
                t.id,
                t.name,
                t.path,
                error,
                () if live and output else interrupts,
                run.subgraph_state(t),
                task_result(output, stream_keys) if output else None,
            )
        )
    return StateSnapshot(
        _output.read_channels(run.channel_map, stream_keys),
        tuple(t.name for t in tasks if not t.writes),
        _output.patch_checkpoint_map(saved.config, saved.metadata),
        saved.metadata,
        saved.checkpoint.get("ts"),
        _output.patch_checkpoint_map(saved.parent_config, saved.metadata),
        tuple(snapshot_tasks),
        tuple(i for t in snapshot_tasks for i in t.interrupts),
    )


# -- the lean path ---------------------------------------------------------------------

# How a channel's value and availability are read from a checkpoint's values:
# _PLAIN channels hold exactly the stored value, and nothing when none is
# stored; _REDUCER ones too while they store one (restored from nothing they
# start from their type's empty value); _RESTORED ones are restored.
_PLAIN, _REDUCER, _RESTORED = 0, 1, 2
_PLAIN_TYPES = (LastValue, EphemeralValue)


class _Shape:
    """What the lean path needs of a graph, worked out once per topology."""

    __slots__ = ("channel_set", "kind", "pulls", "rebuildable", "specs", "topo", "with_subgraphs")

    def __init__(self, graph: Any) -> None:
        topo = self.topo = graph._topology
        specs = self.specs = graph.channels
        names = topo.chan_names
        self.channel_set = frozenset(names)
        self.kind = {
            n: _PLAIN
            if type(specs[n]) in _PLAIN_TYPES
            else _REDUCER
            if type(specs[n]) is BinaryOperatorAggregate
            else _RESTORED
            for n in names
        }
        # Channels whose value a checkpoint may lack although written (see
        # channels_to_rebuild): such a checkpoint takes the full path.
        self.rebuildable = tuple(
            n for n in names if isinstance(specs[n], (DeltaChannel, BinaryOperatorAggregate))
        )
        # Per node, in the order LangGraph examines them: name, trigger
        # channels with their kinds, the node, the constant tail of its task
        # id, its task's path.
        self.pulls = [
            (
                topo.node_names[n],
                tuple(
                    (names[c], self.kind[names[c]])
                    for c in topo.trig_chan[topo.trig_ptr[n] : topo.trig_ptr[n + 1]]
                ),
                topo.procs[n],
                topo.pull_tail(topo.node_names[n], topo.sorted_triggers[n]),
                (PULL, topo.node_names[n]),
            )
            for n in topo.insertion_order
        ]
        # The nodes whose tasks show the config of a subgraph's state.
        self.with_subgraphs = frozenset(
            proc for proc in topo.procs if getattr(proc, "subgraphs", None)
        )


_SHAPES: weakref.WeakKeyDictionary[Any, _Shape] = weakref.WeakKeyDictionary()


def _shape(graph: Any) -> _Shape:
    topo = graph._topology
    shape = _SHAPES.get(topo)
    if shape is None or shape.specs is not graph.channels:
        shape = _SHAPES[topo] = _Shape(graph)
    return shape


class _Values:
    """A checkpoint's channels as the lean path reads them: from the stored
    values, restoring a channel object only when its type asks for it."""

    __slots__ = ("restored", "shape", "values")

    def __init__(self, shape: _Shape, values: dict[str, Any]) -> None:
        self.shape = shape
        self.values = values
        self.restored: dict[str, Any] | None = None

    def _channel(self, name: str) -> Any:
        restored = self.restored
        if restored is None:
            restored = self.restored = {}
        ch = restored.get(name)
        if ch is None:
            ch = self.shape.specs[name].from_checkpoint(self.values.get(name, MISSING))
            restored[name] = ch
        return ch

    def _stored(self, name: str) -> bool:
        """Whether `name` reads as its stored value."""
        kind = self.shape.kind[name]
        if kind == _PLAIN:
            return True
        if kind == _REDUCER:
            value = self.values.get(name, MISSING)
            # A thread written while this key was a DeltaChannel stores a snapshot object.
            return value is not MISSING and type(value) is not _DeltaSnapshot
        return False

    def available(self, name: str) -> bool:
        if self._stored(name):
            return name in self.values
        return bool(self._channel(name).is_available())

    def read(self, name: str) -> Any:
        """The channel's value; EmptyChannelError when it has none."""
        if self._stored(name):
            values = self.values
            if name in values:
                return values[name]
            raise EmptyChannelError()
        return self._channel(name).get()


class SnapshotReader:
    """Builds the snapshots of one graph's checkpoints (one per get_state or
    get_state_history call: what it works out is shared by its snapshots)."""

    __slots__ = ("graph", "key_set", "live", "reads", "shape", "stream_keys")

    def __init__(self, graph: Any, *, live: bool) -> None:
        self.graph = graph
        self.live = live
        self.shape = shape = _shape(graph)
        self.stream_keys = keys = graph.stream_channels_asis
        # The values a snapshot shows: (channel, how it is read) per stream key.
        self.reads = (
            None
            if type(keys) is str
            else [(k, shape.kind[k]) for k in keys if k in shape.channel_set]
        )
        self.key_set = None if type(keys) is str else frozenset(keys)

    def snapshot(self, saved: Any, saver: Any) -> StateSnapshot:
        """The snapshot of `saved` (not None), its subgraphs' states unread."""
        snapshot = self.lean(saved)
        if snapshot is None:
            saved = rebuilt(self.graph.channels, saved, saver)
            snapshot = _run_snapshot(self.graph, saved, self.live)
        return snapshot

    async def asnapshot(self, saved: Any, saver: Any) -> StateSnapshot:
        snapshot = self.lean(saved)
        if snapshot is None:
            snapshot = await self.afull(saved, saver)
        return snapshot

    async def afull(self, saved: Any, saver: Any) -> StateSnapshot:
        """The full path with the saver's async methods (for what `lean` declined)."""
        saved = await arebuilt(self.graph.channels, saved, saver)
        return _run_snapshot(self.graph, saved, self.live)

    def entry_snapshot(self, entry: Any, saver: Any) -> StateSnapshot:
        """The snapshot of a saver's HistoryEntry (its `history` op: values,
        versions and writes without the CheckpointTuple around them)."""
        # Both savers' entries start (thread, ns, id, parent id, doc, state,
        # values, metadata, writes): read by position, not through properties.
        thread_id, ns, checkpoint_id, parent_id, doc, state, values, metadata, writes = entry[:9]
        snapshot = self._lean(
            doc.get("id", checkpoint_id),
            doc.get("v", 4),
            doc.get("ts"),
            values,
            state.cv,
            state.vs,
            writes,
            {CONF: {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}},
            metadata,
            {CONF: {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent_id}}
            if parent_id
            else None,
        )
        if snapshot is None:
            saved = rebuilt(self.graph.channels, entry.as_tuple(), saver)
            snapshot = _run_snapshot(self.graph, saved, self.live)
        return snapshot

    def lean(self, saved: Any) -> StateSnapshot | None:
        """The snapshot read from the checkpoint alone, or None when it needs
        the full path: writes saved without a task (they change values),
        values to rebuild, a checkpoint format older than today's, finished
        tasks whose writes a live snapshot folds in."""
        checkpoint = saved.checkpoint
        return self._lean(
            checkpoint.get("id"),
            checkpoint.get("v", 4),
            checkpoint.get("ts"),
            checkpoint.get("channel_values") or {},
            checkpoint.get("channel_versions") or {},
            checkpoint.get("versions_seen") or {},
            saved.pending_writes,
            saved.config,
            saved.metadata,
            saved.parent_config,
        )

    def _lean(
        self,
        checkpoint_id: Any,
        format_version: Any,
        ts: Any,
        values: dict[str, Any],
        versions: Any,
        seen_by: Any,
        pending: Any,
        config: dict[str, Any],
        metadata: Any,
        parent_config: Any,
    ) -> StateSnapshot | None:
        if type(checkpoint_id) is not str or format_version < 4:
            return None
        # task id -> its saved writes
        by_task: dict[str, list[tuple[str, str, Any]]] | None = None
        if pending:
            by_task = {}
            for write in pending:
                writes = by_task.get(write[0])
                if writes is None:
                    if write[0] == NULL_TASK_ID:
                        return None
                    by_task[write[0]] = [write]
                else:
                    writes.append(write)
        shape = self.shape
        for name in shape.rebuildable:
            if name in versions and name not in values:
                return None
        try:
            id_bytes = _unhexlify(checkpoint_id.replace("-", ""))
        except (binascii.Error, ValueError):
            return None
        configurable = config.get(CONF) or {}
        ns = configurable.get(CONFIG_KEY_CHECKPOINT_NS, "")
        # A task id hashes the checkpoint id, the node's namespace and the
        # step, then a tail naming the task.
        step = (metadata or {}).get("step", -2) + 1
        # Made when a channel is read other than as its stored value.
        channels: _Values | None = None
        planned: list[tuple[str, tuple[Any, ...], Any, bytes]] = []
        if TASKS in values and TASKS in shape.channel_set:
            channels = _Values(shape, values)
            if channels.available(TASKS):
                self._plan_sends(channels.read(TASKS), ns, id_bytes, step, planned)
        if not shape.channel_set.isdisjoint(versions):
            # (else LangGraph examines no node: the checkpoint has no versions)
            for name, triggers, proc, tail, path in shape.pulls:
                # Triggered: a trigger channel holds a value newer than the
                # node has seen (any value, if it has seen none).
                seen = seen_by.get(name)
                for ch, kind in triggers:
                    if seen is not None:
                        if ch not in versions:
                            continue
                        if ch in seen:
                            try:
                                if not versions[ch] > seen[ch]:
                                    continue
                            except TypeError:
                                return None  # versions that do not compare: the engine ranks them
                    if kind == _PLAIN:
                        if ch in values:
                            break
                        continue
                    if channels is None:
                        channels = _Values(shape, values)
                    if channels.available(ch):
                        break
                else:
                    continue
                sub = proc.channels
                if type(sub) is str:
                    if sub not in shape.channel_set:
                        continue
                    if shape.kind[sub] == _PLAIN:
                        if sub not in values:
                            continue
                    else:
                        if channels is None:
                            channels = _Values(shape, values)
                        if not channels.available(sub):
                            continue
                    if proc.mapper is not None:
                        if channels is None:
                            channels = _Values(shape, values)
                        _map_input(name, proc, channels.read(sub))
                elif proc.mapper is not None:
                    if channels is None:
                        channels = _Values(shape, values)
                    node_input = _node_input(shape, channels, sub)
                    if node_input is None:
                        return None
                    _map_input(name, proc, node_input)
                node_ns = f"{ns}{NS_SEP}{name}{step}" if ns else f"{name}{step}"
                planned.append((name, path, proc, id_bytes + node_ns.encode() + tail))
        new = tuple.__new__
        tasks = []
        names = []
        interrupts: list[Any] = []
        live = self.live
        for name, path, proc, data in planned:
            h = xxh3_128_hexdigest(data)
            task_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            writes = by_task.get(task_id) if by_task is not None else None
            if writes is not None:
                result = self._plain_result(writes)
                if result is None:  # interrupts, an error, a return value, ...
                    output, task_interrupts, error = _status(writes)
                    if output:
                        if live:
                            return None
                        result = self._result(output)
                    if task_interrupts:
                        interrupts.extend(task_interrupts)
                else:
                    if live:
                        return None
                    task_interrupts = ()
                    error = None
            else:
                task_interrupts = ()
                error = result = None
            if proc in shape.with_subgraphs:
                base = f"{ns}{NS_SEP}{name}" if ns else name
                sub_state: Any = {
                    CONF: {
                        "thread_id": configurable.get("thread_id"),
                        CONFIG_KEY_CHECKPOINT_NS: f"{base}{NS_END}{task_id}",
                    }
                }
            else:
                sub_state = None
            tasks.append(
                new(PregelTask, (task_id, name, path, error, task_interrupts, sub_state, result))
            )
            names.append(name)
        reads = self.reads
        if reads is None:
            if channels is None:
                channels = _Values(shape, values)
            try:
                read: Any = channels.read(self.stream_keys)
            except EmptyChannelError:
                read = None
        else:
            read = {}
            for k, kind in reads:
                if kind != _RESTORED and k in values:
                    value = values[k]
                    # A reducer's stored DeltaChannel snapshot is restored.
                    if kind == _PLAIN or type(value) is not _DeltaSnapshot:
                        read[k] = value
                        continue
                elif kind == _PLAIN:
                    continue
                if channels is None:
                    channels = _Values(shape, values)
                if channels.available(k):
                    read[k] = channels.read(k)
        if metadata and metadata.get("parents"):
            config = _output.patch_checkpoint_map(config, metadata)
            parent_config = _output.patch_checkpoint_map(parent_config, metadata)
        return new(
            StateSnapshot,
            (
                read,
                tuple(names),
                config,
                metadata,
                ts,
                parent_config,
                tuple(tasks),
                tuple(interrupts),
            ),
        )

    def _plain_result(self, writes: list[tuple[str, str, Any]]) -> dict[str, Any] | None:
        """The result of a task whose writes are all plain channel writes, each
        channel once (what most tasks leave); None for any other."""
        keys = self.key_set
        if keys is None or len(writes) > 4:
            return None
        result = {}
        for _, chan, value in writes:
            if chan in _NOT_PLAIN or chan in result:
                return None
            if chan in keys:
                result[chan] = value
        return result

    def _result(self, output: list[tuple[str, Any]]) -> Any:
        """A task's result: what it returned, else its writes to the stream
        channels (as `task_result`)."""
        keys = self.stream_keys
        if type(keys) is str or len(output) > 4:
            return task_result(output, keys)
        for chan, _ in output:
            if chan == RETURN:
                return task_result(output, keys)
        result = {}
        for chan, value in output:
            if chan in keys:
                if chan in result:
                    return task_result(output, keys)  # repeated writes are folded
                result[chan] = value
        return result

    def _plan_sends(
        self, packets: Any, ns: str, id_bytes: bytes, step: int, planned: list[Any]
    ) -> None:
        """The tasks of the pending sends (as the planner makes them)."""
        topo = self.shape.topo
        for idx, packet in enumerate(packets):
            if not isinstance(packet, Send):
                logger.warning(f"Ignoring invalid packet type {type(packet)} in pending sends")
                continue
            name = packet.node
            n = topo.node_id.get(name)
            if n is None:
                logger.warning(f"Ignoring unknown node name {name} in pending sends")
                continue
            proc = topo.procs[n]
            if proc.bound is None and not proc.writers:
                continue
            node_ns = f"{ns}{NS_SEP}{name}" if ns else name
            data = f"{node_ns}{step}{name}{PUSH}{idx}".encode()
            planned.append((name, (PUSH, idx, False), proc, id_bytes + data))


# Writes a plain result never holds: the task's status and its return value.
_NOT_PLAIN = CONTROL_WRITES | {RETURN}


def _status(writes: list[tuple[str, str, Any]]) -> tuple[list[Any], tuple[Any, ...], Any]:
    """A task's output writes, the interrupts it raised and its error, from
    its saved writes (as `task_statuses`, which the full path uses)."""
    output = []
    interrupts: list[Any] = []
    error = None
    has_error = False
    for _, channel, value in writes:
        if channel == INTERRUPT:
            interrupts.extend(value if isinstance(value, (list, tuple)) else [value])
        elif channel == ERROR:
            if not has_error:
                error, has_error = value, True
        elif channel not in CONTROL_WRITES:
            output.append((channel, value))
    return output, tuple(interrupts), error


def _node_input(shape: _Shape, channels: _Values, keys: Any) -> dict[str, Any] | None:
    """A node's input dict, or None when it reads a managed value (computed by
    a run's task)."""
    values = {}
    for k in keys:
        if k not in shape.channel_set:
            return None
        if channels.available(k):
            values[k] = channels.read(k)
    return values


def _map_input(name: str, proc: Any, value: Any) -> None:
    """Planning a task coerces its input (e.g. into a pydantic state), and
    fails as the engine's planner does when that fails."""
    try:
        proc.mapper(value)
    except Exception as exc:
        add_exception_note(exc, f"Before task with name '{name}' and path '{(PULL, name)}'")
        raise
