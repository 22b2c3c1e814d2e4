"""Macro workloads (see workloads.py) on both engines, with and without InMemorySaver,
and the single-configuration scenarios.

StateGraph workloads raise NotImplementedError in setup (asv shows them as
skipped) until `langgraph_jit.graph` provides StateGraph."""

from . import workloads as W

ENGINES = ["langgraph", "jit"]
SAVERS = [False, True]
FAST = [
    "chain-10",
    "chain-100",
    "state300-sparse",
    "send-100",
    "chain-100-stream-updates",
    "state300-stream-values",
    "graph-state300",
    "graph-send-subgraph-100",
    "graph-agent-30",
    "graph-chain-100-stream-v3",
    "graph-send-100-stream-v3",
]
SLOW = ["chain-1000", "send-1000"]


class _Run:
    param_names = ["engine", "workload", "saver"]
    timeout = 300

    def setup(self, engine, workload, saver):
        self.wl = W.build(engine, workload, saver)
        self.wl.run()  # first run outside the timing: lazy imports, kernel load

    def time_run(self, engine, workload, saver):
        self.wl.run()


class Workloads(_Run):
    """One invoke (or one fully consumed stream) of each workload."""

    params = [ENGINES, FAST, SAVERS]


class LargeWorkloads(_Run):
    """The 1000-node chain and the 1000-task fan-out (slower on langgraph)."""

    params = [ENGINES, SLOW, SAVERS]
    number = 1
    repeat = (1, 5, 20.0)


class Scenarios:
    """One run of each single-configuration workload (workloads.SCENARIOS): an
    interrupt/resume round trip, get_state_history over 200 steps, a 30-turn
    message loop, a 10-turn create_react_agent conversation."""

    params = [ENGINES, list(W.SCENARIOS)]
    param_names = ["engine", "scenario"]
    timeout = 300

    def setup(self, engine, scenario):
        self.wl = W.build_scenario(engine, scenario)
        self.wl.run()

    def time_run(self, engine, scenario):
        self.wl.run()


class CheckpointBytes:
    """Bytes held by InMemorySaver after one invoke on a fresh thread."""

    params = [
        ENGINES,
        ["chain-100", "state300-sparse", "send-1000", "graph-state300", "graph-agent-30"],
    ]
    param_names = ["engine", "workload"]
    unit = "bytes"

    def setup(self, engine, workload):
        self.wl = W.build(engine, workload, True)

    def track_checkpoint_bytes(self, engine, workload):
        self.wl.run()
        return W.stored_bytes(self.wl.saver)


class PeakMemory:
    """Peak RSS of a process building and running the large workloads."""

    params = [ENGINES, ["chain-1000", "send-1000"], SAVERS]
    param_names = ["engine", "workload", "saver"]

    def setup(self, engine, workload, saver):
        self.wl = W.build(engine, workload, saver)

    def peakmem_run(self, engine, workload, saver):
        self.wl.run()
