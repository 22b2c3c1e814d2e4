"""State snapshots: what `get_state` and `get_state_history` show of a saved
checkpoint (values, next nodes, tasks with their results, errors, interrupts).
"""

from __future__ import annotations

from typing import Any

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
)
from langgraph_jit.pregel._checkpoint import arebuilt, rebuilt
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.output import NO_STATUS as _NO_STATUS
from langgraph_jit.pregel._core.output import task_result, task_statuses
from langgraph_jit.pregel._core.replay import without_task_ids
from langgraph_jit.pregel._run import PregelRun
from langgraph_jit.types import PregelTask, StateSnapshot


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


def state_snapshot(
    graph: Any, config: dict[str, Any], saved: Any, saver: Any, *, live: bool, recurse: bool = False
) -> StateSnapshot:
    """A StateSnapshot of a saved checkpoint. `live` (the latest state)
    folds in the writes of tasks that already finished; otherwise the
    snapshot records the step as it started."""
    if not saved:
        return StateSnapshot(
            values={},
            next=(),
            config=config,
            metadata=None,
            created_at=None,
            parent_config=None,
            tasks=(),
            interrupts=(),
        )
    # Values the checkpoint does not store (DeltaChannels) are rebuilt.
    saved = rebuilt(graph.channels, saved, saver)
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
        sub_state = run.subgraph_state(t)
        if sub_state is not None and recurse:
            child = t.proc.subgraphs[0]
            sub_state = child.get_state(
                {CONF: {**sub_state[CONF], CONFIG_KEY_CHECKPOINTER: saver}}, subgraphs=True
            )
        snapshot_tasks.append(
            PregelTask(
                t.id,
                t.name,
                t.path,
                error,
                () if live and output else interrupts,
                sub_state,
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


async def astate_snapshot(
    graph: Any, config: dict[str, Any], saved: Any, saver: Any, *, live: bool, recurse: bool = False
) -> StateSnapshot:
    """`state_snapshot` for async callers: subgraph states are read with the
    savers' async methods (an async saver refuses sync calls on its loop)."""
    saved = await arebuilt(graph.channels, saved, saver)
    snapshot = state_snapshot(graph, config, saved, saver, live=live, recurse=False)
    if not recurse:
        return snapshot
    tasks = []
    for task in snapshot.tasks:
        node = graph.nodes.get(task.name)
        subgraphs = getattr(node, "subgraphs", None)
        if task.state is not None and subgraphs:
            child_config = {CONF: {**task.state[CONF], CONFIG_KEY_CHECKPOINTER: saver}}
            task = task._replace(state=await subgraphs[0].aget_state(child_config, subgraphs=True))
        tasks.append(task)
    return snapshot._replace(tasks=tuple(tasks))
