"""SIGKILL at random points, then resume, on every SQL saver (SQLite and
PostgreSQL, sync and async) under every durability: the thread always ends
exactly as an uninterrupted run, and every checkpoint saved across the
crashes loads, with its parent saved too (no half-written step is visible,
no history gap). tests/test_crash_resume.py does the same at length on the
default configuration."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from _crash_common import SIGKILL_AVAILABLE, check_saved_history, kill_and_resume
from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)

pytest.importorskip("langgraph_jit.checkpoint.sqlite")

CHILD = Path(__file__).parent / "programs" / "crash_child_savers.py"


@pytest.mark.skipif(not SIGKILL_AVAILABLE, reason="needs SIGKILL (POSIX)")
@pytest.mark.parametrize("durability", ["async", "sync", "exit"])
@pytest.mark.parametrize("kind", ["sqlite", "asqlite", "postgres", "apostgres"])
def test_sigkill_then_resume(kind, durability, tmp_path, pg_dsn):  # noqa: F811
    if kind in ("sqlite", "asqlite"):
        from langgraph_jit.checkpoint.sqlite.aio import AsyncSqliteSaver as Saver
    else:
        from langgraph_jit.checkpoint.postgres.aio import AsyncPostgresSaver as Saver
    postgres = "postgres" in kind
    with fresh_database(pg_dsn) if postgres else contextlib.nullcontext() as dsn:
        target = dsn if postgres else str(tmp_path / "threads.sqlite")
        threads = kill_and_resume(
            CHILD, lambda thread: [kind, target, thread, durability], f"{kind}/{durability}"
        )
        check_saved_history(Saver, target, threads)
