"""A step's Send packets into a `compiled_node` as one task: one compiled loop, column writes.

When nothing watches a run's tasks one by one (no checkpointer, cache, per-task
stream mode, callbacks, breakpoints, retries or timeouts), the planner turns each
run of consecutive packets into the same compiled node into one `PacketBatch`
task. Running it calls the node on every packet at once (`CompiledNode.run_batch`)
and turns the outputs into the writes those tasks would have made, in their order:
numeric reducer keys get the whole column as one write (`channels.numeric.Column`,
folded by the reducer kernel), other keys one write per packet. A failure is
reported as the failing packet's own task (its name, path and id). Everything a
user can see of such a run (its values, its errors) is what per-packet tasks give.
"""

from __future__ import annotations

import copy
import logging
import threading
import weakref
from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from langgraph_jit._constants import ENGINE_LOGGER, PUSH, PUSH_TRIGGER
from langgraph_jit.channels.numeric import Column, Histogram, NumericAggregate
from langgraph_jit.pregel._core.task import Task, TaskRun
from langgraph_jit.pregel._core.topology import Topology
from langgraph_jit.types import Send

if TYPE_CHECKING:  # imported where a graph has a compiled node: not at startup
    from langgraph_jit._kernels.node_batch import BatchResult, CompiledNode

logger = logging.getLogger(ENGINE_LOGGER)
# Fewer consecutive packets than this run as ordinary tasks: a batch's fixed cost
# (columns, output plan) loses to two plain tasks and wins from four (process CPU time
# of the graph-send-numeric workload, plain vs compiled_node: 0.88x at 2 packets, 1.1x
# at 4, 2x at 100, 4x at 1,000).
BATCH_MIN = 4
# Stream modes that see nothing of single tasks.
_QUIET_MODES = frozenset({"values"})

# Topology -> {node id: its CompiledNode} for the nodes a batch may run: a
# Topology is built once per compiled graph, so a run pays one lookup.
_by_topology: weakref.WeakKeyDictionary[Topology, dict[int, CompiledNode]] = (
    weakref.WeakKeyDictionary()
)


def batch_nodes(topo: Topology) -> dict[int, CompiledNode]:
    """The graph's nodes built from `compiled_node` that can run as a batch: no
    retry, timeout or cache policy, and only plain channel writers (a conditional
    edge reads each task's own state)."""
    found = _by_topology.get(topo)
    if found is None:
        found = {}
        for n, proc in enumerate(topo.procs):
            node = getattr(proc, "bound", None)
            if (
                getattr(type(node), "is_compiled_node", False)
                and getattr(proc.call, "target", None) is node  # not handed to a cluster
                and not proc.retry_policy
                and proc.timeout is None
                and proc.cache_policy is None
                and all(
                    hasattr(w, "collect") and not hasattr(w, "write_task") for w in proc.writers
                )
            ):
                found[n] = node  # type: ignore[assignment]  # a CompiledNode, checked above
        _by_topology[topo] = found
    return found


def unobserved(run: TaskRun) -> bool:
    """Whether nothing in this run looks at its tasks one by one. A run that shows a
    saved state (get_state's, loaded without a checkpointer) has no input: its
    tasks are what it shows."""
    persist = run.persist
    emitter = run.emitter
    graph = run.graph
    r: Any = run
    return (
        persist.checkpointer is None
        and r.input is not None
        and persist.cache is None
        and persist.delta is None
        and emitter.stream_modes <= _QUIET_MODES
        and r.trace is None
        and not r.lc_context
        and r.node_finished is None
        and not r.interrupt_before
        and not r.interrupt_after
        and not graph.retry_policy
        and not graph.step_timeout
        and not getattr(graph, "error_handlers", None)
    )


class PacketBatch(Task):
    """Consecutive Send packets into one compiled node, run as one task. Its path is
    the first packet's (where those tasks sort); `indices` are the packets' indices."""

    __slots__ = ("indices",)

    def __init__(
        self,
        run: TaskRun,
        name: str,
        node_id: int,
        proc: Any,
        args: list[Any],
        indices: Sequence[int],
    ) -> None:
        super().__init__(
            run, name, node_id, _BatchProc(proc), args, PUSH_TRIGGER, (PUSH, indices[0], False)
        )
        self.indices = indices

    def fail_at(self, i: int) -> None:
        """Packet i failed: the batch reports as that packet's task."""
        self.path = (PUSH, self.indices[i], False)
        self._id = None
        self.writes.clear()


def plan_push(
    run: TaskRun, topo: Topology, packets: Sequence[Any], batched: dict[int, CompiledNode]
) -> list[Task]:
    """Planner._plan_push for a run that may batch: packets into a batchable node,
    consecutive among the step's tasks, become one PacketBatch."""
    whole = _one_batch(run, topo, packets, batched)
    if whole is not None:
        return whole
    tasks: list[Task] = []
    node_id = topo.node_id
    procs = topo.procs
    group_node = -1
    group_args: list[Any] = []
    group_idx: list[int] = []

    def flush() -> None:
        if len(group_args) >= BATCH_MIN:
            name = topo.node_names[group_node]
            tasks.append(
                PacketBatch(run, name, group_node, procs[group_node], group_args, group_idx)
            )
        else:
            for arg, idx in zip(group_args, group_idx, strict=True):
                name = topo.node_names[group_node]
                tasks.append(
                    Task(
                        run,
                        name,
                        group_node,
                        procs[group_node],
                        arg,
                        PUSH_TRIGGER,
                        (PUSH, idx, False),
                    )
                )

    for idx, packet in enumerate(packets):
        if not isinstance(packet, Send):
            logger.warning(f"Ignoring invalid packet type {type(packet)} in pending sends")
            continue
        n = node_id.get(packet.node)
        if n is None:
            logger.warning(f"Ignoring unknown node name {packet.node} in pending sends")
            continue
        if n == group_node and packet.timeout is None:
            group_args.append(packet.arg)
            group_idx.append(idx)
            continue
        if group_args:
            flush()
            group_args = []
            group_idx = []
            group_node = -1
        if n in batched and packet.timeout is None:
            group_node = n
            group_args.append(packet.arg)
            group_idx.append(idx)
            continue
        proc = procs[n]
        if proc.bound is None and not proc.writers:
            continue
        task = Task(run, packet.node, n, proc, packet.arg, PUSH_TRIGGER, (PUSH, idx, False))
        if packet.timeout is not None:
            task.timeout = packet.timeout
        tasks.append(task)
    if group_args:
        flush()
    return tasks


_node_of = attrgetter("node")
_timeout_of = attrgetter("timeout")
_arg_of = attrgetter("arg")


def single_target(packets: Sequence[Any]) -> str | None:
    """The node every packet is sent to when all are plain `Send`s without a timeout
    into the same node (checked at C speed); None otherwise."""
    if set(map(type, packets)) != _SEND_ONLY:
        return None
    names = set(map(_node_of, packets))
    if len(names) != 1 or any(map(_timeout_of, packets)):
        return None
    (name,) = names
    return name  # type: ignore[no-any-return]


_SEND_ONLY = {Send}


def _one_batch(
    run: TaskRun, topo: Topology, packets: Sequence[Any], batched: dict[int, CompiledNode]
) -> list[Task] | None:
    """The common case at C speed: every packet a Send without a timeout into the same
    batchable node. None otherwise."""
    if len(packets) < BATCH_MIN:
        return None
    name = single_target(packets)
    if name is None:
        return None
    n = topo.node_id.get(name)
    if n is None or n not in batched:
        return None
    args = list(map(_arg_of, packets))
    return [PacketBatch(run, name, n, topo.procs[n], args, range(len(args)))]


class _BatchProc:
    """The node as a PacketBatch runs it: its call runs the batch and returns the
    writes; anything else is the node's own."""

    __slots__ = ("_proc", "call")

    retry_policy = None
    timeout = None
    cache_policy = None

    def __init__(self, proc: Any) -> None:
        self._proc = proc
        self.call = _BatchCall(proc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._proc, name)

    def collect_writes(self, output: Any, task: Any) -> None:
        task.writes.extend(output)

    async def acollect_writes(self, output: Any, task: Any) -> None:
        task.writes.extend(output)


class _BatchCall:
    __slots__ = ("proc",)

    is_async = False

    def __init__(self, proc: Any) -> None:
        self.proc = proc

    def invoke(self, args: list[Any], task: PacketBatch) -> list[tuple[str, Any]]:
        result = self.proc.bound.run_batch(args)
        return batch_writes(task, self.proc, result, len(args))

    async def ainvoke(self, args: list[Any], task: PacketBatch) -> list[tuple[str, Any]]:
        return self.invoke(args, task)


class _Writes:
    """What collect_writes needs of a task: the list its writes go to."""

    __slots__ = ("writes",)

    def __init__(self, writes: list[tuple[str, Any]]) -> None:
        self.writes = writes


def batch_writes(
    task: PacketBatch, proc: Any, result: BatchResult, n: int
) -> list[tuple[str, Any]]:
    """The writes the batch's packets make, in their tasks' order per channel; raises
    the first failing packet's error as that packet's task."""
    done = result.n_done
    if not done:
        assert result.error is not None
        task.fail_at(0)
        raise result.error
    writes: list[tuple[str, Any]] = []
    try:
        plan = _column_plan(proc, result)
    except Exception:
        plan = None  # the first packet's writes raise: per packet, below
    failed: _PacketError | None = None
    try:
        if plan is None:
            _per_packet_writes(proc, result, writes)
        else:
            _column_writes(task, plan, result, writes)
    except _PacketError as exc:
        failed = exc
    if failed is not None:
        task.fail_at(failed.index)
        raise failed.error
    if result.error is not None:
        task.fail_at(done)
        raise result.error
    return writes


class _PacketError(Exception):
    def __init__(self, index: int, error: BaseException) -> None:
        self.index = index
        self.error = error


def _first_output(result: BatchResult) -> Any:
    if result.n_compiled:
        return {
            k: _python_value(col, 0) for k, col in zip(result.keys, result.columns, strict=True)
        }
    return result.outputs[0]


def _python_value(column: Any, i: int) -> Any:
    return column[i].copy() if column.ndim > 1 else column[i].item()


def _column_plan(proc: Any, result: BatchResult) -> list[tuple[str, str | None, Any]] | None:
    """How one packet's output becomes writes, if it is the same for every packet:
    [(channel, output key, None) or (channel, None, constant value)]; None when a
    write is anything else (then each packet's output goes through the writers)."""
    first = _first_output(result)
    if not isinstance(first, dict):
        return None
    keys = tuple(first)
    if result.n_compiled and keys != result.keys:
        return None
    for out in result.outputs:
        if type(out) is not dict or tuple(out) != keys:
            return None
    probe = _Writes([])
    proc.collect_writes(first, probe)
    plan: list[tuple[str, str | None, Any]] = []
    for chan, value in probe.writes:
        if chan in first and value is first[chan]:
            plan.append((chan, chan, None))
        elif value is None:
            plan.append((chan, None, None))
        else:
            return None
    return plan


def _column_writes(
    task: PacketBatch,
    plan: list[tuple[str, str | None, Any]],
    result: BatchResult,
    writes: list[tuple[str, Any]],
) -> None:
    channels = task.run.channel_map
    compiled = dict(zip(result.keys, result.columns, strict=True)) if result.n_compiled else {}
    outputs = result.outputs
    done = result.n_done
    for chan, key, constant in plan:
        if key is None:
            writes.extend(repeat((chan, constant), done))
            continue
        head = compiled.get(key)
        tail = [out[key] for out in outputs] if outputs else []
        channel = channels.get(chan)
        if isinstance(channel, NumericAggregate):
            channel.take_columns()
            if head is not None:
                writes.append((chan, Column(head)))
            if tail:
                writes.append((chan, Column(tail)))
            continue
        if head is not None and isinstance(channel, Histogram) and head.ndim == 1:
            # A 1-D array write counts each of its numbers, as one write each would.
            writes.append((chan, head))
            head = None
        values: list[Any] = []
        if head is not None:
            values = head.tolist() if head.ndim == 1 else [row.copy() for row in head]
        values.extend(tail)
        writes.extend(zip(repeat(chan), values))


def _per_packet_writes(proc: Any, result: BatchResult, writes: list[tuple[str, Any]]) -> None:
    """Each packet's output through the node's writers; raises _PacketError for the
    first that fails."""
    holder = _Writes(writes)
    i = 0
    try:
        if result.n_compiled:
            columns = result.columns
            keys = result.keys
            for i in range(result.n_compiled):
                out = {k: _python_value(col, i) for k, col in zip(keys, columns, strict=True)}
                proc.collect_writes(out, holder)
            i = result.n_compiled
        for out in result.outputs:
            proc.collect_writes(out, holder)
            i += 1
    except Exception as exc:
        raise _PacketError(i, exc) from None


# -- observed runs: a task per packet, their outputs from one compiled loop ------


def share_outputs(run: TaskRun, tasks: list[Task], batched: dict[int, CompiledNode]) -> None:
    """For a run whose tasks are watched one by one: the tasks of packets into each
    batchable node keep their own task, config, writes and records, but take their
    outputs from one compiled loop over all of them, when that loop is compiled (a
    task whose output it has not, or that runs again on a retry, calls the node
    itself). Tasks of runs with LangChain callbacks call the node themselves."""
    r: Any = run
    if r.trace is not None or r.lc_context:
        return
    groups: dict[int, _Shared] = {}
    for task in tasks:
        n = task.node_id
        if n is None or n not in batched or task.path[0] != PUSH or task.timeout is not None:
            continue
        shared = groups.get(n)
        if shared is None:
            shared = groups[n] = _Shared(batched[n], task.proc)
        shared.add(task)
    for shared in groups.values():
        if len(shared.args) >= BATCH_MIN:
            shared.attach()


class _Shared:
    """The packets of one step into one compiled node, and the outputs the compiled
    loop gave them (computed by whichever of their tasks runs first)."""

    __slots__ = ("args", "lock", "node", "outputs", "proc", "tasks", "done")

    def __init__(self, node: CompiledNode, proc: Any) -> None:
        self.node = node
        self.proc = proc
        self.args: list[Any] = []
        self.tasks: list[Task] = []
        self.outputs: dict[int, Any] = {}  # send index -> output, taken once
        self.lock = threading.Lock()
        self.done = False

    def add(self, task: Task) -> None:
        self.args.append(task.input)
        self.tasks.append(task)

    def attach(self) -> None:
        # A copy of the node whose call takes the shared outputs: the engine reads
        # the node's attributes per task, as fast as on the node itself.
        proc = copy.copy(self.proc)
        proc.call = _SharedCall(self.proc.call, self)
        for task in self.tasks:
            task.proc = proc

    def take(self, index: int) -> Any:
        """The compiled output of packet `index`, once; _NONE if there is none."""
        if not self.done:
            with self.lock:
                if not self.done:
                    result = self.node.compiled_batch(self.args)
                    if result is not None:
                        keys = result.keys
                        columns = [
                            col.tolist() if col.ndim == 1 else [r.copy() for r in col]
                            for col in result.columns
                        ]
                        for i, values in enumerate(zip(*columns, strict=True)):
                            self.outputs[self.tasks[i].path[1]] = dict(zip(keys, values))
                    self.done = True
        return self.outputs.pop(index, _NONE)


_NONE: Any = object()


class _SharedCall:
    __slots__ = ("call", "shared")

    def __init__(self, call: Any, shared: _Shared) -> None:
        self.call = call
        self.shared = shared

    def __getattr__(self, name: str) -> Any:
        return getattr(self.call, name)

    def invoke(self, value: Any, task: Task) -> Any:
        out = self.shared.take(task.path[1])
        return self.call.invoke(value, task) if out is _NONE else out

    async def ainvoke(self, value: Any, task: Task) -> Any:
        out = self.shared.take(task.path[1])
        return await self.call.ainvoke(value, task) if out is _NONE else out
