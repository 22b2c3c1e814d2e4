"""The real-database benchmark rows (asv_bench/benchmarks/db_workloads.py) build and run once
on both engines, at a small size, so the benchmark code does not rot: SQLite and in-memory
rows always, PostgreSQL rows when LANGGRAPH_JIT_TEST_PG_DSN is set. Also the --db table's
arithmetic (compare_db.run_db) on made-up measurements.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asv_bench import compare_db
from asv_bench.benchmarks.db_workloads import (
    DSN_ENV,
    MYSQL_DSN_ENV,
    ROWS,
    DbCase,
    needs_mysql,
    needs_postgres,
)


@pytest.mark.parametrize("engine", ["langgraph", "jit"])
@pytest.mark.parametrize("key", list(ROWS))
def test_row_runs_once(key: str, engine: str, tmp_path: Path) -> None:
    row = ROWS[key]
    if needs_postgres(row.backend) and not os.environ.get(DSN_ENV):
        pytest.skip(f"{DSN_ENV} not set")
    if needs_mysql(row.backend) and not os.environ.get(MYSQL_DSN_ENV):
        pytest.skip(f"{MYSQL_DSN_ENV} not set")
    with DbCase(engine, row, tmpdir=str(tmp_path), n=row.small_n) as case:
        for _ in range(2):  # the second run is on a fresh database, the graph reused
            case.fresh()
            case.run()
        assert case.units == row.small_n
        if row.metric == "bytes":
            assert case.stored_bytes() > 0
    if row.backend in ("sqlite", "asqlite"):
        assert not list(tmp_path.iterdir()), "the case removes its database files"


def test_db_table_ratios_and_budgets() -> None:
    seconds = {"langgraph": 0.2, "jit": 0.05}
    stored = {"langgraph": 2_000_000, "jit": 1_000_000}

    def fake_launch(kind: str, label: str, spec: dict) -> dict:
        assert kind == "db"
        out = {**spec, "seconds": [seconds[label]], "units": 200}
        if ROWS[spec["row"]].metric == "bytes":
            out["bytes"] = stored[label]  # what the thread added
            out["total_bytes"] = stored[label] + 20_000  # with the empty schema
        return out

    args = SimpleNamespace(
        only="chain-100/sqlite,concurrent-200/asqlite,chain-1000/sqlite#bytes",
        engines=["langgraph", "jit"],
        quick=True,
        rounds=1,
    )
    result = compare_db.run_db(args, fake_launch)
    jit = {r["row"]: r for r in result["rows"] if r["engine"] == "jit"}
    assert jit["chain-100/sqlite"]["ratio"] == pytest.approx(4.0)
    assert jit["chain-100/sqlite"]["pass"] is False  # budget 5x
    assert jit["concurrent-200/asqlite"]["pass"] is True  # 4x the threads/s, budget 2x
    assert jit["chain-1000/sqlite#bytes"]["ratio"] == pytest.approx(2.0)
    text = compare_db.table_db(result)
    assert "1000 threads/s" in text and "4000 threads/s" in text
    assert "2.00 MB (db 2.02 MB)" in text and "**NO**" in text
