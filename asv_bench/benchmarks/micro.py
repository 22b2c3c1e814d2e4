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
    call sites), compiled vs the plain-Python twin, by graph size. The graphs of
    kernel_workloads.py (also `python -m asv_bench.investigate.kernel_threshold`):
    a chain (one write per step) and a fan-in (n-1 workers writing one reducer)."""

    params = [["python", "compiled"], ["chain", "fan-in"], [10, 100, 1000]]
    param_names = ["kernels", "shape", "n_nodes"]

    def setup(self, kernels, shape, n):
        from . import kernel_workloads as K

        self.compiled = kernels == "compiled"
        if self.compiled:
            import langgraph_jit

            if not langgraph_jit.warmup():
                raise NotImplementedError("numba kernels unavailable")
        try:
            self.graph = K.SHAPES[shape](n)
        except ImportError as exc:  # internals moved
            raise NotImplementedError(str(exc)) from exc
        self.run_steps = K.run_steps
        self.time_steps()  # warm (compile or cache load outside the timing)

    def time_steps(self, *args):
        """One whole run: apply_writes + plan every step."""
        self.run_steps(self.graph, self.compiled)
