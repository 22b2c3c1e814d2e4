"""Real-database workloads (issue 16): the same graphs on LangGraph with its own savers and on
langgraph_jit with ours, each timed run on a fresh database (a temp SQLite file, or a fresh
PostgreSQL schema).

`ROWS` is the catalogue `python -m asv_bench.compare --db` and the asv suite (macro.py) run:
one row = a workload on a backend, what it measures (`time`, `rate` or `bytes`) and the
issue's budget. `DbCase` runs one row on one engine:

    case = DbCase("jit", ROWS["chain-100/sqlite"], tmpdir="/tmp/x")
    case.fresh()        # untimed: new database, saver opened and set up, graph attached
    case.run()          # the measured work
    case.stored_bytes() # after run(): bytes the database holds (closes the saver)
    case.close()

The graph is built once per case and its `checkpointer` attribute pointed at each fresh
saver: both engines read it at every invoke, and rebuilding the graph would time each
engine's first-invoke work again. No asv names (time_*, track_*) here.
"""

from __future__ import annotations

import asyncio
import operator
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack, suppress
from dataclasses import dataclass
from typing import Any

from .scenario_workloads import message_loop
from .workloads import Api, fanout, graph_agent_loop, graph_api_available, graph_chain
from .workloads import chain as pregel_chain

DSN_ENV = "LANGGRAPH_JIT_TEST_PG_DSN"
NO_DSN_REASON = f'no PostgreSQL: set {DSN_ENV} (eval "$(bash scripts/postgres.sh start)")'

# backend -> (saver module under <pkg>.checkpoint, saver class, async?)
BACKENDS: dict[str, tuple[str, str, bool]] = {
    "sqlite": ("checkpoint.sqlite", "SqliteSaver", False),
    "postgres": ("checkpoint.postgres", "PostgresSaver", False),
    "asqlite": ("checkpoint.sqlite.aio", "AsyncSqliteSaver", True),
    "apostgres": ("checkpoint.postgres.aio", "AsyncPostgresSaver", True),
    "memory": ("checkpoint.memory", "InMemorySaver", False),
    "mysql": ("checkpoint.mysql.pymysql", "PyMySQLSaver", False),
    "amysql": ("checkpoint.mysql.asyncmy", "AsyncMySaver", True),
}
MYSQL_DSN_ENV = "LANGGRAPH_JIT_TEST_MYSQL_DSN"
NO_MYSQL_REASON = f'no MySQL: set {MYSQL_DSN_ENV} (eval "$(bash scripts/mysql.sh start)")'
BACKEND_LABELS = {
    "sqlite": "SqliteSaver (file)",
    "postgres": "PostgresSaver",
    "asqlite": "AsyncSqliteSaver (file)",
    "apostgres": "AsyncPostgresSaver",
    "memory": "InMemorySaver",
    "mysql": "PyMySQLSaver (MariaDB)",
    "amysql": "AsyncMySaver (MariaDB)",
}


def needs_postgres(backend: str) -> bool:
    return backend in ("postgres", "apostgres")


def needs_mysql(backend: str) -> bool:
    return backend in ("mysql", "amysql")


# -- the workloads: builder(api, saver, n) -> Job ---------------------------------


@dataclass
class Job:
    """A graph and what one measured run does with it. `run(loop)` gets the case's event
    loop (async backends) or None; `prepare(loop)`, when set, runs untimed after each
    fresh database (e.g. writes the thread whose history `run` reads)."""

    graph: Any
    run: Callable[[Any], Any]
    units: int  # threads for a `rate` row (threads/s), else informational
    prepare: Callable[[Any], Any] | None = None


def _thread(tid: str, **extra: Any) -> dict:
    return {"configurable": {"thread_id": tid}, **extra}


def chain_job(api: Api, saver: Any, n: int, durability: str | None = None) -> Job:
    """workloads.chain: n trivial nodes in a row (low-level Pregel), one invoke on one
    thread; `durability` passed to invoke when given (else each engine's default)."""
    graph = pregel_chain(api, n, saver).graph
    kw = {} if durability is None else {"durability": durability}

    def run(loop: Any) -> Any:
        cfg = _thread("chain", recursion_limit=n + 10)
        if loop is not None:
            out = loop.run_until_complete(graph.ainvoke(7, cfg, **kw))
        else:
            out = graph.invoke(7, cfg, **kw)
        assert out == 7, out
        return out

    return Job(graph, run, n)


def agent_job(api: Api, saver: Any, turns: int) -> Job:
    """workloads.graph_agent_loop: a `turns`-turn agent/tools loop on langchain messages
    with add_messages, one invoke on a fresh thread."""
    wl = graph_agent_loop(api, turns, saver)
    return Job(wl.graph, lambda loop: wl.run(), turns)


def send_job(api: Api, saver: Any, n: int) -> Job:
    """workloads.fanout: one node Sends n packets to a worker; workers sum into a reducer."""
    wl = fanout(api, n, saver)
    return Job(wl.graph, lambda loop: wl.run(), n)


def concurrent_job(api: Api, saver: Any, n: int) -> Job:
    """n threads at once on one async saver: `ainvoke` of a 5-node StateGraph chain on n
    thread ids, gathered. Reported as threads per second."""
    graph = graph_chain(api, 5, saver).graph

    async def many() -> list:
        return await asyncio.gather(*(graph.ainvoke({"x": 0}, _thread(f"c{i}")) for i in range(n)))

    def run(loop: Any) -> Any:
        outs = loop.run_until_complete(many())
        assert all(o == {"x": 5} for o in outs), outs[:3]
        return outs

    return Job(graph, run, n)


def _counting_loop(api: Api, saver: Any, steps: int, with_log: bool) -> Any:
    """A StateGraph whose one node runs `steps` times: {"i": int} (+ an operator.add log)."""
    from typing import Annotated, TypedDict

    g = api.graph()
    fields: dict[str, Any] = {"i": int}
    if with_log:
        fields["log"] = Annotated[list, operator.add]
    State = TypedDict("State", fields)  # type: ignore[misc]

    def step(state: dict) -> dict:
        out: dict[str, Any] = {"i": state["i"] + 1}
        if with_log:
            out["log"] = [state["i"]]
        return out

    def route(state: dict) -> Any:
        return g.END if state["i"] >= steps else "step"

    builder = g.StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(g.START, "step")
    builder.add_conditional_edges("step", route)
    return builder.compile(checkpointer=saver)


def history_job(api: Api, saver: Any, steps: int) -> Job:
    """get_state_history of a `steps`-step thread (scenario_workloads.graph_state_history's
    graph: {"i", "log": operator.add}), the thread written untimed before each run."""
    graph = _counting_loop(api, saver, steps, with_log=True)
    cfg = _thread("long")

    def prepare(loop: Any) -> None:
        graph.invoke({"i": 0, "log": []}, {**cfg, "recursion_limit": steps + 50})

    def run(loop: Any) -> list:
        snaps = list(graph.get_state_history(cfg))
        # input checkpoint + the START step + one per superstep
        assert len(snaps) == steps + 2, len(snaps)
        return snaps

    return Job(graph, run, steps, prepare)


def tiny_loop_job(api: Api, saver: Any, steps: int) -> Job:
    """A one-key state ({"i": int}) looping `steps` times on one thread."""
    graph = _counting_loop(api, saver, steps, with_log=False)

    def run(loop: Any) -> Any:
        out = graph.invoke({"i": 0}, _thread("tiny", recursion_limit=steps + 50))
        assert out == {"i": steps}, out
        return out

    return Job(graph, run, steps)


def message_thread_job(api: Api, saver: Any, turns: int) -> Job:
    """scenario_workloads.message_loop: `turns` invokes on one thread, each appending a user
    message and a ~1 KB assistant reply (plain dicts) to a list reducer."""
    wl = message_loop(api, turns, saver)
    return Job(wl.graph, lambda loop: wl.run(), turns)


# -- the catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class DbRow:
    """One line of the --db table: `workload` on `backend`."""

    workload: str
    backend: str
    metric: str  # "time" (s per run), "rate" (units per s) or "bytes" (stored after a run)
    budget: float | None  # minimum langgraph / ours (time, bytes) or ours / langgraph (rate)
    build: Callable[[Api, Any, int], Job]
    n: int  # the workload's size
    small_n: int  # the size tests/test_db_workloads.py runs
    needs_graph: bool = True  # needs <pkg>.graph (StateGraph)
    what: str = ""

    @property
    def key(self) -> str:
        """`<workload>/<backend>`, with `#bytes` for a bytes row."""
        return f"{self.workload}/{self.backend}" + ("#bytes" if self.metric == "bytes" else "")


def _chain_sync(api: Api, saver: Any, n: int) -> Job:
    return chain_job(api, saver, n, durability="sync")


def _rows() -> dict[str, DbRow]:
    rows: list[DbRow] = []
    for backend, budget in (
        ("sqlite", 5),
        ("postgres", 5),
        ("asqlite", 5),
        ("apostgres", 5),
        ("memory", 15),
        ("mysql", 3),
        ("amysql", 3),
    ):
        rows.append(DbRow("chain-100", backend, "time", budget, chain_job, 100, 5, False, "invoke"))
    for backend in ("sqlite", "postgres", "mysql"):
        rows.append(
            DbRow(
                "chain-100-sync", backend, "time", 2, _chain_sync, 100, 5, False, "durability=sync"
            )
        )
    for backend, budget in (("sqlite", 3), ("postgres", 3), ("memory", 5), ("mysql", None)):
        rows.append(DbRow("agent-30", backend, "time", budget, agent_job, 30, 3, True, "invoke"))
    for backend in ("sqlite", "postgres"):
        rows.append(DbRow("send-100", backend, "time", None, send_job, 100, 5, False, "invoke"))
    for backend in ("asqlite", "apostgres"):
        rows.append(
            DbRow("concurrent-200", backend, "rate", 2, concurrent_job, 200, 4, True, "threads/s")
        )
    for backend in ("sqlite", "postgres", "memory", "mysql"):
        rows.append(
            DbRow("history-200", backend, "time", 5, history_job, 200, 5, True, "get_state_history")
        )
    for backend in ("sqlite", "postgres"):
        rows += [
            DbRow("chain-1000", backend, "bytes", 20, chain_job, 1000, 5, False, "bytes stored"),
            # Not one of the byte budgets (those name the 1000-node chain and
            # the 30-turn message thread): shown for information.
            DbRow("agent-30", backend, "bytes", None, agent_job, 30, 3, True, "bytes stored"),
            DbRow(
                "messages-30",
                backend,
                "bytes",
                20,
                message_thread_job,
                30,
                3,
                False,
                "bytes stored (30 invokes)",
            ),
            DbRow(
                "tiny-loop-1000",
                backend,
                "bytes",
                1,
                tiny_loop_job,
                1000,
                5,
                True,
                "bytes stored (≤ langgraph's)",
            ),
        ]
    return {r.key: r for r in rows}


# key -> row; bytes rows are keyed "<workload>/<backend>#bytes"
ROWS: dict[str, DbRow] = _rows()


# -- one row on one engine ----------------------------------------------------------------


def _sqlite_file_bytes(path: str) -> int:
    """The file's size once the WAL is folded in and free pages dropped."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return os.path.getsize(path)


def _mysql_admin(dsn: str) -> Any:
    import urllib.parse

    import pymysql

    url = urllib.parse.urlparse(dsn)
    return pymysql.connect(
        host=url.hostname,
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        autocommit=True,
        charset="utf8mb4",
    )


class DbCase:
    """`row` on `engine` ("langgraph" or "jit"): a fresh database per `fresh()`."""

    def __init__(
        self,
        engine: str,
        row: DbRow,
        *,
        dsn: str | None = None,
        tmpdir: str | None = None,
        n: int | None = None,
    ) -> None:
        self.engine = engine
        self.row = row
        self.api = Api(engine)
        if row.needs_graph and not graph_api_available(self.api.pkg):
            raise NotImplementedError(f"{self.api.pkg}.graph (StateGraph) is not available yet")
        self.n = row.n if n is None else n
        self.dsn = dsn if dsn is not None else os.environ.get(DSN_ENV)
        if needs_postgres(row.backend) and not self.dsn:
            raise NotImplementedError(NO_DSN_REASON)
        self.mysql_dsn = os.environ.get(MYSQL_DSN_ENV)
        if needs_mysql(row.backend) and not self.mysql_dsn:
            raise NotImplementedError(NO_MYSQL_REASON)
        self._own_tmp = None if tmpdir is not None else tempfile.TemporaryDirectory()
        self.tmpdir = tmpdir if tmpdir is not None else self._own_tmp.name  # type: ignore[union-attr]
        modname, clsname, self.is_async = BACKENDS[row.backend]
        self.saver_cls = getattr(self.api.module(modname), clsname)
        self.loop = asyncio.new_event_loop() if self.is_async else None
        self.job: Job | None = None
        self.saver: Any = None
        self._stack: ExitStack | None = None
        self._astack: AsyncExitStack | None = None
        self._db: str | None = None  # the SQLite file or PostgreSQL schema in use
        self._admin: Any = None

    # -- databases

    def _new_database(self) -> str:
        """A fresh SQLite file path or PostgreSQL conninfo; remembers what to drop."""
        if self.row.backend in ("sqlite", "asqlite"):
            self._db = os.path.join(self.tmpdir, f"{self.engine}-{uuid.uuid4().hex[:10]}.sqlite")
            return self._db
        if needs_mysql(self.row.backend):
            assert self.mysql_dsn is not None  # checked in __init__
            if self._admin is None:
                self._admin = _mysql_admin(self.mysql_dsn)
            self._db = "bench_" + uuid.uuid4().hex[:12]
            with self._admin.cursor() as cur:
                cur.execute(
                    f"CREATE DATABASE `{self._db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )
            return self.mysql_dsn.rpartition("/")[0] + "/" + self._db
        import psycopg
        from psycopg.conninfo import make_conninfo

        assert self.dsn is not None  # checked in __init__
        if self._admin is None:
            self._admin = psycopg.connect(self.dsn, autocommit=True)
        self._db = "bench_" + uuid.uuid4().hex[:12]
        self._admin.execute(f'CREATE SCHEMA "{self._db}"')
        return make_conninfo(self.dsn, options=f"-c search_path={self._db}")

    def _drop_database(self) -> None:
        if self._db is None:
            return
        if self.row.backend in ("sqlite", "asqlite"):
            for suffix in ("", "-wal", "-shm"):
                with suppress(FileNotFoundError):
                    os.remove(self._db + suffix)
        elif needs_mysql(self.row.backend) and self._admin is not None:
            with self._admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{self._db}`")
        elif self._admin is not None:
            self._admin.execute(f'DROP SCHEMA IF EXISTS "{self._db}" CASCADE')
        self._db = None

    # -- savers

    def _open_saver(self) -> Any:
        if self.row.backend == "memory":
            return self.saver_cls()
        where = self._new_database()
        if self.is_async:
            assert self.loop is not None

            async def open_async() -> Any:
                self._astack = AsyncExitStack()
                saver = await self._astack.enter_async_context(
                    self.saver_cls.from_conn_string(where)
                )
                await saver.setup()
                return saver

            return self.loop.run_until_complete(open_async())
        self._stack = ExitStack()
        saver = self._stack.enter_context(self.saver_cls.from_conn_string(where))
        saver.setup()
        return saver

    def _close_saver(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
        if self._astack is not None:
            assert self.loop is not None
            self.loop.run_until_complete(self._astack.aclose())
            self._astack = None
        self.saver = None

    # -- the public steps

    def fresh(self) -> None:
        """Untimed: drop the previous database, open a saver on a new one, attach it."""
        self._close_saver()
        self._drop_database()
        self.saver = self._open_saver()
        if self.job is None:
            self.job = self.row.build(self.api, self.saver, self.n)
        else:
            self.job.graph.checkpointer = self.saver
        if self.job.prepare is not None:
            self.job.prepare(self.loop)

    def run(self) -> Any:
        """The measured work (call `fresh()` before each)."""
        assert self.job is not None, "call fresh() first"
        return self.job.run(self.loop)

    @property
    def units(self) -> int:
        assert self.job is not None, "call fresh() first"
        return self.job.units

    def stored_bytes(self) -> int:
        """Bytes the database holds after the run: the SQLite file after VACUUM, or the
        schema's tables (pg_total_relation_size: heap, TOAST, indexes) after VACUUM FULL.
        Closes the saver."""
        self._close_saver()
        if self.row.backend in ("sqlite", "asqlite"):
            assert self._db is not None
            return _sqlite_file_bytes(self._db)
        if self.row.backend == "memory" or needs_mysql(self.row.backend):
            raise ValueError("bytes rows are for SQLite and PostgreSQL")
        tables = [
            r[0]
            for r in self._admin.execute(
                "SELECT c.oid::regclass::text FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r'",
                (self._db,),
            ).fetchall()
        ]
        total = 0
        for table in tables:
            self._admin.execute(f"VACUUM FULL {table}")
            total += self._admin.execute(
                "SELECT pg_total_relation_size(%s::regclass)", (table,)
            ).fetchone()[0]
        return total

    def close(self) -> None:
        """Close the saver, drop the database, release the loop and temp directory."""
        try:
            self._close_saver()
            self._drop_database()
        finally:
            if self._admin is not None:
                self._admin.close()
                self._admin = None
            if self.loop is not None:
                self.loop.close()
                self.loop = None
            if self._own_tmp is not None:
                self._own_tmp.cleanup()
                self._own_tmp = None

    def __enter__(self) -> DbCase:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
