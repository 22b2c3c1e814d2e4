"""Step-kernel workloads: ChannelTable.apply_writes + plan per superstep, the call
sites of the compiled kernels, without the rest of the engine.

Shared by the asv suite (`micro.Kernels`) and
`python -m asv_bench.investigate.kernel_threshold`. Two shapes of N nodes: a chain
(one task and one write per step) and a fan-in (N-1 workers writing one reducer,
then a join). langgraph_jit only: Topology and ChannelTable are engine internals,
looked up when a graph is built (under `pregel._core` or their older `pregel._*`
modules), so a further move fails there with an ImportError naming them.

Also issue 17's compiled-node workload (`graph_send_numeric_compiled`, a row of
`python -m asv_bench.compare`) and two asv classes: `CompiledNodeFanout` (a Send
fan-out, plain node vs `compiled_node`) and `ReducePhase` (a numeric channel's fold of
one step's writes, compiled vs twin).
"""

from __future__ import annotations

import importlib
import operator
import os
from dataclasses import dataclass
from typing import Any

identity = lambda x: x

# name -> the modules that have held it, newest first
_INTERNALS = {
    "Topology": ("langgraph_jit.pregel._core.topology", "langgraph_jit.pregel._topology"),
    "ChannelTable": ("langgraph_jit.pregel._core.table", "langgraph_jit.pregel._table"),
}


def internal(name: str) -> Any:
    """An engine-internal class from wherever it lives now; ImportError if none."""
    for mod in _INTERNALS[name]:
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name is not None and mod.startswith(exc.name):
                continue  # that module is gone; a failing import inside it is raised
            raise
        if hasattr(module, name):
            return getattr(module, name)
    raise ImportError(f"langgraph_jit internal {name} not found in {', '.join(_INTERNALS[name])}")


@dataclass
class KernelGraph:
    shape: str
    topo: Any  # Topology
    specs: dict  # channel name -> channel
    steps: list  # (ids of the nodes that ran, [(channel, value), ...]) per superstep


def chain_graph(n: int) -> KernelGraph:
    """node i: c_i -> c_{i+1}. A run is the input step and n steps of one task."""
    from langgraph_jit.channels import LastValue
    from langgraph_jit.pregel import NodeBuilder

    Topology = internal("Topology")
    nodes = {
        f"n{i:04d}": NodeBuilder()
        .subscribe_only(f"c{i}")
        .do(identity)
        .write_to(f"c{i + 1}")
        .build()
        for i in range(n)
    }
    specs = {f"c{i}": LastValue(int) for i in range(n + 1)}
    topo = Topology(nodes, specs)
    ids = [topo.node_id[f"n{i:04d}"] for i in range(n)]
    steps = [([], [("c0", 0)])] + [([ids[i]], [(f"c{i + 1}", i)]) for i in range(n)]
    return KernelGraph("chain", topo, specs, steps)


def fan_in_graph(n: int) -> KernelGraph:
    """n-1 workers w_i (c_i -> sink, a BinaryOperatorAggregate) and a join node on
    sink. Steps: the input writes every c_i; all workers run and write sink; join runs."""
    from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
    from langgraph_jit.pregel import NodeBuilder

    Topology = internal("Topology")
    k = n - 1
    nodes = {
        f"w{i:04d}": NodeBuilder().subscribe_only(f"c{i}").do(identity).write_to("sink").build()
        for i in range(k)
    }
    nodes["join"] = NodeBuilder().subscribe_only("sink").do(identity).write_to("out").build()
    specs = {f"c{i}": LastValue(int) for i in range(k)}
    specs["sink"] = BinaryOperatorAggregate(int, operator.add)
    specs["out"] = LastValue(int)
    topo = Topology(nodes, specs)
    workers = [topo.node_id[f"w{i:04d}"] for i in range(k)]
    steps = [
        ([], [(f"c{i}", i) for i in range(k)]),
        (workers, [("sink", 1)] * k),
        ([topo.node_id["join"]], [("out", 1)]),
    ]
    return KernelGraph("fan-in", topo, specs, steps)


SHAPES = {"chain": chain_graph, "fan-in": fan_in_graph}


def new_table(graph: KernelGraph, compiled: bool):
    """A fresh ChannelTable on the compiled kernels or on the plain-Python twin
    (no mid-run promotion). The kernel settings are read once per process, so
    they are set and re-read around the construction, then restored."""
    from langgraph_jit._constants import MISSING
    from langgraph_jit._kernels import reload_settings

    ChannelTable = internal("ChannelTable")
    topo = graph.topo
    before = os.environ.get("LANGGRAPH_JIT_KERNELS")
    os.environ["LANGGRAPH_JIT_KERNELS"] = "compiled" if compiled else "python"
    reload_settings()
    try:
        channels = [graph.specs[name].from_checkpoint(MISSING) for name in topo.chan_names]
        table = ChannelTable(
            topo,
            channels,
            [0] * topo.n_channels,
            [0] * len(topo.trig_chan),
            force_compiled=None if compiled else False,
        )
    finally:
        if before is None:
            os.environ.pop("LANGGRAPH_JIT_KERNELS", None)
        else:
            os.environ["LANGGRAPH_JIT_KERNELS"] = before
        reload_settings()
    assert table.compiled is compiled, (table.compiled, compiled)
    return table


def run_steps(graph: KernelGraph, compiled: bool) -> None:
    """One whole run on a fresh table: apply_writes + plan every step."""
    table = new_table(graph, compiled)
    order = graph.topo.insertion_order
    for ran, writes in graph.steps:
        table.apply_writes(ran, [], writes, True)
        table.plan(order)
        table.mark_seen(ran)


# -- issue 17 (c): a Send fan-out into a compiled_node ---------------------------


def numeric_work(s):
    """The worker of graph-send-numeric-N (workloads.graph_send_numeric): a float
    sum, an int count and a max. numba compiles it from this source."""
    x = s["x"]
    return {"total": x * 0.5, "count": 1, "best": float(x % 97)}


def graph_send_numeric_compiled(api: Any, n: int, saver: Any):
    """graph-send-numeric-N with the worker wrapped in `langgraph_jit.compiled_node`
    (LangGraph runs the plain function: it has no compiled_node). The compiled loop
    is compiled before timing (`CompiledNode.warmup`); its cold cost is the
    compiled-node row of the first-invoke table."""
    from asv_bench.benchmarks import workloads as W

    node = numeric_work
    if api.engine == "jit":
        import langgraph_jit

        node = langgraph_jit.compiled_node(numeric_work)
        node.warmup({"x": 0})
    wl = W.graph_send_numeric(api, n, saver, work=node)
    wl.name = f"graph-send-numeric-compiled-{n}"
    return wl


class CompiledNodeFanout:
    """asv: a Send fan-out of n packets into the numeric worker, as a plain node and
    wrapped in `compiled_node`, with the kernels in each mode (issue 17 c). One invoke
    per sample; the compiled loop is compiled in setup."""

    params = [["plain", "compiled_node"], ["python", "compiled"], [1000, 10_000]]
    param_names = ["node", "kernels", "packets"]
    timeout = 300

    def setup(self, node, kernels, n):
        from asv_bench.benchmarks import workloads as W
        from langgraph_jit import _kernels

        os.environ["LANGGRAPH_JIT_KERNELS"] = kernels
        _kernels.reload_settings()
        if kernels == "compiled" and not _kernels.jit_enabled():
            raise NotImplementedError("numba kernels unavailable")
        api = W.Api("jit")
        if node == "plain":
            self.wl = W.graph_send_numeric(api, n, False)
        else:
            self.wl = graph_send_numeric_compiled(api, n, False)
        self.wl.run()

    def teardown(self, *args):
        from langgraph_jit import _kernels

        os.environ.pop("LANGGRAPH_JIT_KERNELS", None)
        _kernels.reload_settings()

    def time_invoke(self, *args):
        self.wl.run()


class ReducePhase:
    """asv: one step's writes to a numeric channel folded by `update` (issue 17 a/e):
    Python numbers (what per-packet tasks write) or one typed column (what a
    compiled_node batch writes), compiled kernels vs their Python twins."""

    params = [["python", "compiled"], ["writes", "buffer"], [64, 2000, 10_000]]
    param_names = ["kernels", "arrival", "n_writes"]

    def setup(self, kernels, arrival, n):
        import numpy as np

        from langgraph_jit import _kernels
        from langgraph_jit.channels.numeric import Column, NumericAggregate

        os.environ["LANGGRAPH_JIT_KERNELS"] = kernels
        _kernels.reload_settings()
        if kernels == "compiled" and _kernels.reduce_kernels() is None:
            raise NotImplementedError("numba kernels unavailable")
        values = [i * 0.37 for i in range(n)]
        self.writes = values if arrival == "writes" else [Column(np.array(values))]
        self.columns = arrival == "buffer"
        self.channel = NumericAggregate(float, operator.add)

    def teardown(self, *args):
        from langgraph_jit import _kernels

        os.environ.pop("LANGGRAPH_JIT_KERNELS", None)
        _kernels.reload_settings()

    def time_fold(self, *args):
        if self.columns:
            self.channel.take_columns()
        self.channel.update(self.writes)
