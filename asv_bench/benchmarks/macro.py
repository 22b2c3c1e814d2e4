"""Macro workloads (see workloads.py) on both engines, with and without InMemorySaver,
the single-configuration scenarios, and the real-database rows (db_workloads.py).

StateGraph workloads raise NotImplementedError in setup (asv shows them as
skipped) until `langgraph_jit.graph` provides StateGraph."""

from . import db_workloads as D
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


class DbWorkloads:
    """Issue 16's real-database rows (db_workloads.ROWS: SQLite files, PostgreSQL, async
    savers), one run per sample, each on a fresh database. PostgreSQL rows are skipped
    (NotImplementedError in setup) unless LANGGRAPH_JIT_TEST_PG_DSN is set."""

    params = [ENGINES, [k for k, r in D.ROWS.items() if r.metric != "bytes"]]
    param_names = ["engine", "row"]
    number = 1  # one run per fresh database
    repeat = (3, 10, 30.0)
    warmup_time = 0
    timeout = 600

    def setup(self, engine, row):
        self.case = D.DbCase(engine, D.ROWS[row])
        self.case.fresh()
        self.case.run()  # first run outside the timing: lazy imports, caches
        self.case.fresh()

    def time_run(self, engine, row):
        self.case.run()

    def teardown(self, engine, row):
        case = getattr(self, "case", None)  # absent when setup skipped the row
        if case is not None:
            case.close()


class DbBytes:
    """Bytes a database holds after one run (the SQLite file after VACUUM; PostgreSQL
    tables after VACUUM FULL), for db_workloads.ROWS' bytes rows."""

    params = [ENGINES, [k for k, r in D.ROWS.items() if r.metric == "bytes"]]
    param_names = ["engine", "row"]
    unit = "bytes"
    timeout = 600

    def setup(self, engine, row):
        self.case = D.DbCase(engine, D.ROWS[row])

    def track_stored_bytes(self, engine, row):
        self.case.fresh()
        self.case.run()
        return self.case.stored_bytes()

    def teardown(self, engine, row):
        case = getattr(self, "case", None)  # absent when setup skipped the row
        if case is not None:
            case.close()
