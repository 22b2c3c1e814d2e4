"""Micro benchmarks: channel operations, checkpoint creation, serializer
dumps/loads, and the step kernels compiled vs their plain-Python twin."""

import importlib
import operator

ENGINES = ["langgraph", "jit"]
PKG = {"langgraph": "langgraph", "jit": "langgraph_jit"}


def _mod(engine, name):
    return importlib.import_module(f"{PKG[engine]}.{name}")


class Channels:
    params = [ENGINES]
    param_names = ["engine"]

    def setup(self, engine):
        ch = _mod(engine, "channels")
        self.last = ch.LastValue(int)
        self.last.update([1])
        self.topic = ch.Topic(int, accumulate=False)
        self.binop = ch.BinaryOperatorAggregate(int, operator.add)
        self.binop.update([0])
        self.one = [1]
        self.many = list(range(10))

    def time_lastvalue_update(self, engine):
        self.last.update(self.one)

    def time_lastvalue_get(self, engine):
        self.last.get()

    def time_topic_update_10(self, engine):
        self.topic.update(self.many)

    def time_binop_update_10(self, engine):
        self.binop.update(self.many)


class CreateCheckpoint:
    """create_checkpoint over a 300-channel state."""

    params = [ENGINES]
    param_names = ["engine"]

    def setup(self, engine):
        ch = _mod(engine, "channels")
        base = _mod(engine, "checkpoint.base")
        self.create = base.create_checkpoint
        self.channels = {}
        for i in range(300):
            c = ch.LastValue(int)
            c.update([i])
            self.channels[f"k{i:03d}"] = c
        cp = base.empty_checkpoint()
        cp["channel_versions"] = dict.fromkeys(self.channels, 1)
        self.cp = cp

    def time_create_checkpoint_300(self, engine):
        self.create(self.cp, self.channels, 1)


class Serializer:
    """JsonPlusSerializer dumps_typed / loads_typed."""

    params = [ENGINES, ["state300", "messages50"]]
    param_names = ["engine", "payload"]

    def setup(self, engine, payload):
        serde = _mod(engine, "checkpoint.serde.jsonplus").JsonPlusSerializer()
        if payload == "state300":
            obj = {f"k{i:03d}": {"n": i, "s": f"value {i}", "f": i / 3} for i in range(300)}
        else:
            from langchain_core.messages import AIMessage, HumanMessage

            obj = [
                (HumanMessage if i % 2 else AIMessage)(content=f"message {i} " * 5, id=f"m{i}")
                for i in range(50)
            ]
        self.serde = serde
        self.obj = obj
        self.data = serde.dumps_typed(obj)

    def time_dumps(self, engine, payload):
        self.serde.dumps_typed(self.obj)

    def time_loads(self, engine, payload):
        self.serde.loads_typed(self.data)

    def track_bytes(self, engine, payload):
        return len(self.data[1])

    track_bytes.unit = "bytes"


class Kernels:
    """ChannelTable.apply_writes + plan per superstep (the compiled kernels'
    call sites), compiled vs the plain-Python twin, by graph size. Same graphs
    as bench/kernel_threshold.py: a chain (one write per step) and a fan-in
    (n-1 workers writing one reducer)."""

    params = [["python", "compiled"], ["chain", "fan-in"], [10, 100, 1000]]
    param_names = ["kernels", "shape", "n_nodes"]

    def setup(self, kernels, shape, n):
        import os

        try:
            from langgraph_jit._constants import MISSING
            from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
            from langgraph_jit.pregel import NodeBuilder
            from langgraph_jit.pregel._table import ChannelTable
            from langgraph_jit.pregel._topology import Topology
        except ImportError as exc:  # internals moved
            raise NotImplementedError(str(exc)) from exc
        compiled = kernels == "compiled"
        if compiled:
            import langgraph_jit

            if not langgraph_jit.warmup():
                raise NotImplementedError("numba kernels unavailable")
        ident = lambda x: x
        if shape == "chain":
            nodes = {
                f"n{i:04d}": NodeBuilder()
                .subscribe_only(f"c{i}")
                .do(ident)
                .write_to(f"c{i + 1}")
                .build()
                for i in range(n)
            }
            specs = {f"c{i}": LastValue(int) for i in range(n + 1)}
            topo = Topology(nodes, specs)
            ids = [topo.node_id[f"n{i:04d}"] for i in range(n)]
            steps = [([], [("c0", 0)])] + [([ids[i]], [(f"c{i + 1}", i)]) for i in range(n)]
        else:
            k = n - 1
            nodes = {
                f"w{i:04d}": NodeBuilder()
                .subscribe_only(f"c{i}")
                .do(ident)
                .write_to("sink")
                .build()
                for i in range(k)
            }
            nodes["join"] = NodeBuilder().subscribe_only("sink").do(ident).write_to("out").build()
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
        self.steps = steps
        self.order = topo.insertion_order

        def new_table():
            # Kernel settings are read once per process: re-read them here.
            from langgraph_jit._kernels import reload_settings

            os.environ["LANGGRAPH_JIT_KERNELS"] = "compiled" if compiled else "python"
            reload_settings()
            try:
                channels = [specs[name].from_checkpoint(MISSING) for name in topo.chan_names]
                table = ChannelTable(
                    topo,
                    channels,
                    [0] * topo.n_channels,
                    [0] * len(topo.trig_chan),
                    force_compiled=None if compiled else False,
                )
            finally:
                os.environ.pop("LANGGRAPH_JIT_KERNELS", None)
                reload_settings()
            assert table.compiled is compiled
            return table

        self.new_table = new_table
        self.time_steps()  # warm (compile or cache load outside the timing)

    def time_steps(self, *args):
        """One whole run: apply_writes + plan every step."""
        table = self.new_table()
        order = self.order
        for ran, writes in self.steps:
            table.apply_writes(ran, [], writes, True)
            table.plan(order)
            table.mark_seen(ran)
