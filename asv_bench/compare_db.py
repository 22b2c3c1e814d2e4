"""The real-database rows of the comparison (issue 16): `python -m asv_bench.compare --db`.

Each row of `db_workloads.ROWS` runs on LangGraph 1.2.22 with its own savers and on
langgraph_jit with ours, in fresh processes, engines interleaved (rotating which goes
first each round), every timed run on a fresh database. PostgreSQL rows use
$LANGGRAPH_JIT_TEST_PG_DSN, or a private cluster from scripts/postgres.sh that this
command starts and always stops (also on Ctrl-C or an error); MySQL rows (MariaDB,
against langgraph-checkpoint-mysql) likewise $LANGGRAPH_JIT_TEST_MYSQL_DSN or
scripts/mysql.sh.
"""

from __future__ import annotations

import gc
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fnmatch import fnmatch
from typing import Any

from asv_bench._common import ROOT

DEFAULT_DB_ENGINES = ("langgraph", "jit")


# -- worker side (a fresh process per measurement) -----------------------------


def worker_db(spec: dict) -> dict:
    """One row on one engine: time (or bytes) of runs, each on a fresh database."""
    from asv_bench.benchmarks.db_workloads import ROWS, DbCase

    row = ROWS[spec["row"]]
    with DbCase(spec["engine"], row) as case:
        if row.metric == "bytes":
            # What the thread adds: the database after the run minus the same engine's
            # empty schema (after setup()), so a page-granular empty table does not count
            # as thread data. Both figures are kept and shown.
            case.fresh()
            empty = case.stored_bytes()
            case.fresh()
            t0 = time.perf_counter()
            case.run()
            elapsed = time.perf_counter() - t0
            total = case.stored_bytes()
            return {
                **spec,
                "bytes": total - empty,
                "total_bytes": total,
                "seconds": [elapsed],
                "units": case.units,
            }
        case.fresh()
        case.run()  # warm-up: lazy imports, caches, kernel load, prepared statements
        seconds: list[float] = []
        spent = 0.0
        while len(seconds) < spec["max_repeats"] and (
            len(seconds) < spec["min_repeats"] or spent < spec["budget_s"]
        ):
            case.fresh()
            gc.collect()
            t0 = time.perf_counter()
            case.run()
            dt = time.perf_counter() - t0
            seconds.append(dt)
            spent += dt
        return {**spec, "seconds": seconds, "units": case.units}


# -- PostgreSQL and MariaDB for the run -------------------------------------------


@contextmanager
def postgres_for(needed: bool) -> Iterator[str | None]:
    """The DSN to use: $LANGGRAPH_JIT_TEST_PG_DSN, else (when `needed`) a cluster started
    with scripts/postgres.sh and stopped on the way out, whatever happens; None when
    PostgreSQL is not needed or could not start."""
    from asv_bench.benchmarks.db_workloads import DSN_ENV

    with server_for(
        needed, DSN_ENV, "postgres.sh", "LANGGRAPH_JIT_TEST_PG_DIR", "PostgreSQL"
    ) as dsn:
        yield dsn


@contextmanager
def mysql_for(needed: bool) -> Iterator[str | None]:
    """As postgres_for, for MariaDB ($LANGGRAPH_JIT_TEST_MYSQL_DSN, else scripts/mysql.sh)."""
    from asv_bench.benchmarks.db_workloads import MYSQL_DSN_ENV

    with server_for(
        needed, MYSQL_DSN_ENV, "mysql.sh", "LANGGRAPH_JIT_TEST_MYSQL_DIR", "MariaDB"
    ) as dsn:
        yield dsn


@contextmanager
def server_for(
    needed: bool, DSN_ENV: str, script_name: str, dir_env: str, name: str
) -> Iterator[str | None]:
    dsn = os.environ.get(DSN_ENV)
    if dsn or not needed:
        yield dsn
        return
    script = str(ROOT / "scripts" / script_name)
    proc = subprocess.run(
        ["bash", script, "start"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    env = {}
    for line in proc.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value.strip("'")
    pg_dir = env.get(dir_env)
    if proc.returncode != 0 or DSN_ENV not in env:
        print(f"{name} did not start, its rows are skipped:\n{proc.stderr}", file=sys.stderr)
        if pg_dir:
            subprocess.run(["bash", script, "stop", pg_dir], check=False)
        yield None
        return
    print(f"started {name} in {pg_dir}", file=sys.stderr)
    os.environ[DSN_ENV] = env[DSN_ENV]  # inherited by the workers
    # SIGTERM unwinds like Ctrl-C, so the cluster is stopped either way.
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        yield env[DSN_ENV]
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.environ.pop(DSN_ENV, None)
        subprocess.run(
            ["bash", script, "stop", pg_dir or ""],
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        print(f"stopped {name} ({pg_dir})", file=sys.stderr)


# -- parent side ---------------------------------------------------------------


def run_db(args: Any, launch: Callable[[str, str, dict], dict]) -> dict:
    """Every selected row on every engine, `args.rounds` fresh processes each."""
    from asv_bench.benchmarks.db_workloads import ROWS, needs_mysql, needs_postgres

    keys = [k for k in ROWS if not args.only or any(fnmatch(k, p) for p in args.only.split(","))]
    labels = args.engines
    budget_s = 0.3 if args.quick else 1.0
    samples: dict[tuple[str, str], dict] = {}
    errors: dict[str, str] = {}
    skipped: dict[str, str] = {}
    t_start = time.perf_counter()
    with (
        postgres_for(any(needs_postgres(ROWS[k].backend) for k in keys)) as dsn,
        mysql_for(any(needs_mysql(ROWS[k].backend) for k in keys)) as mysql_dsn,
    ):
        for k in keys:
            if needs_postgres(ROWS[k].backend) and not dsn:
                skipped[k] = "no PostgreSQL"
            if needs_mysql(ROWS[k].backend) and not mysql_dsn:
                skipped[k] = "no MariaDB"
        keys = [k for k in keys if k not in skipped]
        for rnd in range(args.rounds):
            for key in keys:
                order = labels[rnd % len(labels) :] + labels[: rnd % len(labels)]
                for label in order:
                    spec = {
                        "row": key,
                        "budget_s": budget_s,
                        "min_repeats": 2 if args.quick else 3,
                        "max_repeats": 5 if args.quick else 15,
                    }
                    res = launch("db", label, spec)
                    if "error" in res:
                        if "NotImplementedError" in res["error"]:
                            skipped[key] = res["error"].split(":", 1)[-1].strip()
                        else:
                            errors[f"{key} / {label}"] = res["error"]
                        continue
                    acc = samples.setdefault(
                        (key, label), {"seconds": [], "bytes": [], "total_bytes": []}
                    )
                    acc["seconds"] += res["seconds"]
                    acc["units"] = res["units"]
                    if "bytes" in res:
                        acc["bytes"].append(res["bytes"])
                        acc["total_bytes"].append(res["total_bytes"])
                print(
                    f"[{time.perf_counter() - t_start:5.0f} s] round {rnd + 1}/{args.rounds} {key}",
                    file=sys.stderr,
                )
    rows = []
    for key in keys:
        row = ROWS[key]
        lg = samples.get((key, "langgraph"))
        for label in labels:
            if (key, label) not in samples:
                continue
            acc = samples[(key, label)]
            out = {
                "row": key,
                "workload": row.workload,
                "backend": row.backend,
                "metric": row.metric,
                "what": row.what,
                "engine": label,
                "units": acc["units"],
                "samples": len(acc["seconds"]),
                "median_s": statistics.median(acc["seconds"]),
                "min_s": min(acc["seconds"]),
                "seconds": acc["seconds"],
            }
            if row.metric == "bytes":
                out["bytes"] = statistics.median(acc["bytes"])
                out["total_bytes"] = statistics.median(acc["total_bytes"])
            ratio = None
            if lg is not None and label != "langgraph":
                if row.metric == "bytes":
                    ratio = statistics.median(lg["bytes"]) / out["bytes"]
                else:  # time, and rate (threads/s: ours / langgraph's = their time / ours)
                    ratio = statistics.median(lg["seconds"]) / out["median_s"]
            budget = row.budget if label != "langgraph" else None
            out["ratio"] = ratio
            out["budget"] = budget
            out["pass"] = None if budget is None or ratio is None else ratio >= budget
            rows.append(out)
    return {
        "kind": "db",
        "engines": labels,
        "rows": rows,
        "errors": errors,
        "skipped": skipped,
        "total_seconds": time.perf_counter() - t_start,
    }


def _bytes(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.2f} MB"
    return f"{n / 1e3:.0f} KB"


def _value(r: dict) -> str:
    if r["metric"] == "bytes":
        # older saved runs have no total: their "bytes" was the whole database
        total = r.get("total_bytes")
        return _bytes(r["bytes"]) + ("" if total is None else f" (db {_bytes(total)})")
    if r["metric"] == "rate":
        return f"{r['units'] / r['median_s']:.0f} threads/s"
    return f"{r['median_s'] * 1e3:.1f} ms"


def table_db(result: dict) -> str:
    """One line per (row, engine other than langgraph), langgraph's value beside it."""
    from asv_bench.benchmarks.db_workloads import BACKEND_LABELS

    lines = [
        "| workload | saver | measures | LangGraph 1.2.22 | langgraph_jit | engine | "
        "ratio | budget | pass |",
        "|---|---|---|---:|---:|---|---:|---:|---|",
    ]
    ref = {r["row"]: r for r in result["rows"] if r["engine"] == "langgraph"}
    for r in result["rows"]:
        if r["engine"] == "langgraph":
            continue
        lg = ref.get(r["row"])
        budget = "-" if r["budget"] is None else f"≥{r['budget']:g}x"
        passed = "-" if r["pass"] is None else ("yes" if r["pass"] else "**NO**")
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        lines.append(
            f"| {r['workload']} | {BACKEND_LABELS[r['backend']]} | {r['what']} | "
            f"{'-' if lg is None else _value(lg)} | {_value(r)} | {r['engine']} | {ratio} | "
            f"{budget} | {passed} |"
        )
    if result["skipped"]:
        lines.append("\nSkipped: " + "; ".join(f"{k} ({v})" for k, v in result["skipped"].items()))
    if result["errors"]:
        lines.append("\nFailed: " + "; ".join(f"{k}: {v}" for k, v in result["errors"].items()))
    return "\n".join(lines)


FOOTNOTE = (
    "Times are medians of runs on a fresh database each (a temp SQLite file, a fresh PostgreSQL "
    "schema, a fresh MariaDB database); ratio = LangGraph's time / ours (threads/s: ours / LangGraph's; bytes: LangGraph's "
    "/ ours). Bytes: what the thread adds to the database, i.e. the database after the run minus "
    "the same engine's empty schema after setup(); the whole database is shown in brackets. "
    "The database: the SQLite file after VACUUM; PostgreSQL: pg_total_relation_size of the "
    "tables (heap, TOAST, indexes) after VACUUM FULL. Default durability unless the row says."
)
