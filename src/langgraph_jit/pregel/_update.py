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
from uuid import UUID, uuid5

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
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.task import Task, _task_path_str, _task_sort_key
from langgraph_jit.pregel._persist import put_writes_args
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
    for i, updates in enumerate(supersteps):
        updates = [u if isinstance(u, StateUpdate) else StateUpdate(*u) for u in updates]
        current = yield from _one_superstep(graph, saver, current, updates, i == 0)
    return current


def _one_superstep(
    graph: Any, saver: Any, config: dict, updates: list[StateUpdate], is_first: bool
) -> Generator[tuple, Any, Any]:
    conf = config.get(CONF, {})
    stored = saved = yield (saver, "get_tuple", ({**config, CONF: {**conf}},))
    # Values the checkpoint does not store (DeltaChannels) are rebuilt.
    saved = yield from rebuild_steps(graph.channels, saved, saver)
    run = _run_for(graph, config, saved, saver)
    # The update's writes are also saved on the checkpoint it builds on (a
    # history shows them as its tasks' results), unless the thread has moved
    # past that checkpoint: its other children would then read them too.
    keeps_writes = saved is not None
    if keeps_writes and is_first and conf.get(CONFIG_KEY_CHECKPOINT_ID):
        latest = yield (saver, "get_tuple", ({**config, CONF: _without_id(conf)},))
        keeps_writes = latest is None or latest.checkpoint["id"] == saved.checkpoint["id"]
    book = run.persist.delta
    if book is not None and is_first and saved is not None:
        # The update starts a branch that does not consume the saved writes.
        book.started(saved.pending_writes or (), reapplies=False)
    values, as_node = updates[0].values, updates[0].as_node

    if as_node == COPY:
        if len(updates) > 1:
            raise InvalidUpdateError("Cannot copy checkpoint with multiple updates")
        if saved is None:
            raise InvalidUpdateError("Cannot copy a non-existent checkpoint")
        copied = yield from _copy(run, saver, stored)
        if isinstance(values, list) and values:
            # Copy and update in one go: the updates apply to the copy, those
            # of one node in the order given (LangGraph groups them by node).
            by_node: dict[Any, list[StateUpdate]] = {}
            for item in values:
                if not isinstance(item, Sequence):
                    raise InvalidUpdateError(f"Invalid update item: {item} when copying checkpoint")
                by_node.setdefault(item[1], []).append(StateUpdate(item[0], item[1]))
            grouped = [u for node_updates in by_node.values() for u in node_updates]
            return (yield from _one_superstep(graph, saver, copied, grouped, False))
        return copied

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
            book.updated(writes, kept=keeps_writes)
        if keeps_writes:
            input_id = str(uuid5(UUID(saved.checkpoint["id"]), INPUT))
            yield (saver, "put_writes", put_writes_args(saver, saved.config, writes, input_id, ""))
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
        plan = [(node, values, updates[0].task_id)]
    else:
        plan = []
        for u in updates:
            if u.as_node is None:
                raise InvalidUpdateError("as_node is required when applying multiple updates")
            if u.as_node not in graph.nodes:
                raise InvalidUpdateError(f"Node {u.as_node} does not exist")
            plan.append((u.as_node, u.values, u.task_id))
    # Each update is made as the task its node has pending at the checkpoint
    # (so its writes read as that task's result), else under an id of its own.
    pending_ids: dict[str, list[str]] = {}
    if saved is not None:
        for t in run.plan():
            pending_ids.setdefault(t.name, []).append(t.id)
    base_id = run.state.current_id()
    task_ids = []
    tasks = []
    topo = run.topo
    for i, (node, node_values, given_id) in enumerate(plan):
        ids = pending_ids.get(node)
        task_ids.append(given_id or (ids.pop(0) if ids else _update_task_id(base_id, i)))
        proc = graph.nodes[node]
        if not proc.writers:
            raise InvalidUpdateError(f"Node {node} has no writers")
        task = Task(run, node, topo.node_id[node], proc, node_values, (INTERRUPT,), (INTERRUPT, i))
        # Through the driver: aupdate_state awaits async writers (branches).
        yield (proc, "collect_writes", (node_values, task))
        tasks.append(task)
    if book is not None:
        for task in tasks:
            book.updated(task.writes, kept=keeps_writes)
    if keeps_writes:
        for task_id, task in zip(task_ids, tasks):
            writes = [w for w in task.writes if w[0] != PUSH]
            if writes:
                path = _task_path_str(task.path)
                yield (
                    saver,
                    "put_writes",
                    put_writes_args(saver, saved.config, writes, task_id, path),
                )
    run.commit(tasks, [w for t in tasks for w in t.writes], bump_step=True)
    result = yield from _save(run, saver, "update")
    for task_id, task in zip(task_ids, tasks):
        push_writes = [w for w in task.writes if w[0] == PUSH]
        if push_writes:
            yield (saver, "put_writes", (result, push_writes, task_id))
    return result


def _update_task_id(checkpoint_id: str, i: int) -> str:
    """The id of the i-th update of a superstep that has no pending task of
    its node: derived from the checkpoint, distinct per update (a saver
    keeps one write per task id and index)."""
    return str(uuid5(UUID(checkpoint_id), INTERRUPT if i == 0 else f"{INTERRUPT}:{i}"))


def _without_id(conf: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in conf.items() if k != CONFIG_KEY_CHECKPOINT_ID}


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
    # An update is a child of the checkpoint it loaded, with the same
    # ancestors in parent graphs (not those the caller's config names).
    saved_metadata = run.state.metadata  # the loaded checkpoint's, until saving
    run.save_checkpoint(source, (saved_metadata or {}).get("parents", {}))
    result = None
    for target, method, args in run.persist.pending_io:
        reply = yield (target, method, args)
        if method == "put" or method == "put_step":
            result = reply
    run.persist.pending_io.clear()
    return _output.patch_checkpoint_map(result, saved_metadata)


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
    return _output.patch_checkpoint_map(result, saved.metadata)


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
