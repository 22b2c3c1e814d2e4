"""`update_state` / `bulk_update_state`: write to a thread as if nodes had run.

Each superstep of updates loads the addressed checkpoint, runs the named
nodes' writers on the given values (their reducers, edges and branches
apply, nothing else of the node runs) and saves a checkpoint with
source "update" one step later. Written as a generator of saver calls so
the sync and async APIs share it (see `drive_io` / `adrive_io`).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    END,
    ERROR,
    INPUT,
    INTERRUPT,
    NULL_TASK_ID,
    PUSH,
    RESUME,
)
from langgraph_jit.errors import InvalidUpdateError
from langgraph_jit.pregel._checkpoint import COUNTERS_KEY, rebuild_steps
from langgraph_jit.pregel._core.task import Task, _task_sort_key
from langgraph_jit.pregel._run import PregelRun
from langgraph_jit.types import StateUpdate

COPY = "__copy__"


def update_steps(
    graph: Any, saver: Any, config: dict, supersteps: Sequence[Sequence[Any]]
) -> Generator[tuple, Any, dict]:
    """Apply supersteps of updates; yields (target, method, args) saver calls,
    receives their results, and returns the config of the last checkpoint."""
    if len(supersteps) == 0:
        raise ValueError("No supersteps provided")
    if any(len(u) == 0 for u in supersteps):
        raise ValueError("No updates provided")
    current = config
    for updates in supersteps:
        updates = [u if isinstance(u, StateUpdate) else StateUpdate(*u) for u in updates]
        current = yield from _one_superstep(graph, saver, current, updates)
    return current


def _one_superstep(
    graph: Any, saver: Any, config: dict, updates: list[StateUpdate]
) -> Generator[tuple, Any, Any]:
    conf = config.get(CONF, {})
    stored = saved = yield (saver, "get_tuple", ({**config, CONF: {**conf}},))
    # Values the checkpoint does not store (DeltaChannels) are rebuilt.
    saved = yield from rebuild_steps(graph.channels, saved, saver)
    run = _run_for(graph, config, saved, saver)
    book = run.persist.delta
    if book is not None and saved is not None:
        # The update starts a branch that does not consume the saved writes.
        book.started(saved.pending_writes or (), reapplies=False)
    values, as_node = updates[0].values, updates[0].as_node

    if as_node == COPY:
        if len(updates) > 1:
            raise InvalidUpdateError("Cannot copy checkpoint with multiple updates")
        if saved is None:
            raise InvalidUpdateError("Cannot copy a non-existent checkpoint")
        return (yield from _copy(run, saver, stored))

    if values is None and as_node == END:
        if len(updates) > 1:
            raise InvalidUpdateError("Cannot apply multiple updates when clearing state")
        if saved is not None:
            # Pending tasks count as done: their triggers become seen.
            tasks = run.plan()
            null_writes = [
                (c, v) for tid, c, v in run.persist.pending_writes if tid == NULL_TASK_ID
            ]
            if null_writes:
                run.commit([], null_writes, bump_step=False)
            by_task: dict[str, list] = {}
            for tid, chan, value in run.persist.pending_writes:
                if tid != NULL_TASK_ID and chan not in (ERROR, INTERRUPT, RESUME):
                    by_task.setdefault(tid, []).append((chan, value))
            for t in tasks:
                t.writes.extend(by_task.get(t.id, ()))
            tasks.sort(key=_task_sort_key)
            run.commit(tasks, [w for t in tasks for w in t.writes], bump_step=True)
        return (yield from _save(run, saver, "update"))

    if (as_node in (INPUT, "__start__") and as_node not in graph.nodes) or as_node == INPUT:
        if len(updates) > 1:
            raise InvalidUpdateError("Cannot apply multiple updates when updating as input")
        writes = run.map_input(values)
        if not writes:
            raise InvalidUpdateError(f"Received no input writes for {graph.input_channels}")
        if book is not None:
            # Not kept on the loaded checkpoint: the new one stores the channels.
            book.updated(writes, kept=False)
        run.commit([], writes, bump_step=False, input_task=True)
        run.step = run.state.metadata_step + 1 if saved is not None else -1
        return (yield from _save(run, saver, "input"))

    # Regular updates: run each named node's writers on the values.
    if len(updates) == 1:
        node = as_node if as_node is not None else _infer_as_node(graph, run)
        if node is None:
            raise InvalidUpdateError("Ambiguous update, specify as_node")
        if node not in graph.nodes:
            raise InvalidUpdateError(f"Node {node} does not exist")
        plan = [(node, values)]
    else:
        plan = []
        for u in updates:
            if u.as_node is None:
                raise InvalidUpdateError("as_node is required when applying multiple updates")
            if u.as_node not in graph.nodes:
                raise InvalidUpdateError(f"Node {u.as_node} does not exist")
            plan.append((u.as_node, u.values))
    tasks = []
    topo = run.topo
    for i, (node, node_values) in enumerate(plan):
        proc = graph.nodes[node]
        if not proc.writers:
            raise InvalidUpdateError(f"Node {node} has no writers")
        task = Task(run, node, topo.node_id[node], proc, node_values, (INTERRUPT,), (INTERRUPT, i))
        proc.collect_writes(node_values, task)
        tasks.append(task)
    if book is not None:
        for task in tasks:
            book.updated(task.writes, kept=False)
    run.commit(tasks, [w for t in tasks for w in t.writes], bump_step=True)
    result = yield from _save(run, saver, "update")
    push_writes = [[w for w in t.writes if w[0] == PUSH] for t in tasks]
    for i, writes in enumerate(push_writes):
        if writes:
            yield (saver, "put_writes", (result, writes, f"update-{i}"))
    return result


def _run_for(graph: Any, config: dict, saved: Any, saver: Any) -> PregelRun:
    conf = dict(config.get(CONF, {}))
    conf.setdefault(CONFIG_KEY_CHECKPOINT_NS, "")
    run = PregelRun.for_thread_state(
        graph, {**config, CONF: conf}, saved, checkpointer=saver, durability="sync"
    )
    # Savers key the new checkpoint's parent by this config's checkpoint id.
    if saved is not None:
        run.persist.checkpoint_config = saved.config
    else:
        run.step = 0  # a fresh thread's first update is step 0
    return run


def _save(run: PregelRun, saver: Any, source: str) -> Generator[tuple, Any, Any]:
    run.save_checkpoint(source)
    result = None
    for target, method, args in run.persist.pending_io:
        reply = yield (target, method, args)
        if method == "put":
            result = reply
    run.persist.pending_io.clear()
    return result


def _copy(run: PregelRun, saver: Any, saved: Any) -> Generator[tuple, Any, Any]:
    """A sibling of the checkpoint (same parent), unchanged: a fork point."""
    checkpoint = dict(saved.checkpoint)
    from langgraph_jit.pregel._core.checkpoint_state import new_checkpoint_id

    step = saved.metadata.get("step", -1)
    checkpoint["id"] = new_checkpoint_id(step + 1)
    parent = saved.parent_config or {
        CONF: {k: v for k, v in saved.config[CONF].items() if k != CONFIG_KEY_CHECKPOINT_ID}
    }
    metadata = {"source": "fork", "step": step + 1, "parents": saved.metadata.get("parents", {})}
    if COUNTERS_KEY in saved.metadata:  # the copy has the same values and parent
        metadata[COUNTERS_KEY] = saved.metadata[COUNTERS_KEY]
    result = yield (saver, "put", (parent, checkpoint, metadata, {}))
    return result


def _infer_as_node(graph: Any, run: PregelRun) -> str | None:
    """The node that wrote last (LangGraph's rule); None when ambiguous."""
    if len(graph.nodes) == 1:
        return next(iter(graph.nodes))
    seen = run.state.versions_seen if run.state.tracking else {}
    if not any(v for vv in seen.values() for v in vv.values()):
        inputs = graph.input_channels
        if isinstance(inputs, str) and inputs in graph.nodes:
            return inputs
        return None
    last = sorted((v, n) for n, s in seen.items() if n in graph.nodes for v in s.values())
    if len(last) == 1 or (last and last[-1][0] != last[-2][0]):
        return last[-1][1]
    return None


def drive_io(gen: Generator[tuple, Any, Any]) -> Any:
    reply = None
    while True:
        try:
            target, method, args = gen.send(reply)
        except StopIteration as stop:
            return stop.value
        reply = getattr(target, method)(*args)


async def adrive_io(gen: Generator[tuple, Any, Any]) -> Any:
    reply = None
    while True:
        try:
            target, method, args = gen.send(reply)
        except StopIteration as stop:
            return stop.value
        reply = await getattr(target, "a" + method)(*args)
