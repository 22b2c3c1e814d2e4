"""Step-kernel workloads: ChannelTable.apply_writes + plan per superstep, the call
sites of the compiled kernels, without the rest of the engine.

Shared by the asv suite (`micro.Kernels`) and
`python -m asv_bench.investigate.kernel_threshold`. Two shapes of N nodes: a chain
(one task and one write per step) and a fan-in (N-1 workers writing one reducer,
then a join). langgraph_jit only: Topology and ChannelTable are engine internals,
looked up when a graph is built (under `pregel._core` or their older `pregel._*`
modules), so a further move fails there with an ImportError naming them.
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
