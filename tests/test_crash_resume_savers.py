"""SIGKILL at random points, then resume, on every SQL saver (SQLite and
PostgreSQL, sync and async) under every durability: the thread always ends
exactly as an uninterrupted run, and every checkpoint saved across the
crashes loads, with its parent saved too (no half-written step is visible,
no history gap). tests/test_crash_resume.py does the same at length on the
default configuration."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)

pytest.importorskip("langgraph_jit.checkpoint.sqlite")

CHILD = Path(__file__).parent / "programs" / "crash_child_savers.py"
STEPS = 120
KILLS = 3


def _expected() -> str:
    total = sum(i * i for i in range(1, STEPS + 1))
    trail = sum(i % 7 for i in range(1, STEPS + 1))
    return f"{STEPS} {total} {trail} {STEPS}"


def _start(kind: str, target: str, thread: str, durability: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), kind, target, thread, durability],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _saved(kind: str, target: str, threads: list[str]) -> dict[str, list]:
    """thread -> [(checkpoint id, parent id, step)] as read back by a fresh saver."""
    if kind in ("sqlite", "asqlite"):
        from langgraph_jit.checkpoint.sqlite.aio import AsyncSqliteSaver as Saver
    else:
        from langgraph_jit.checkpoint.postgres.aio import AsyncPostgresSaver as Saver

    async def read() -> dict[str, list]:
        out: dict[str, list] = {}
        async with Saver.from_conn_string(target) as saver:
            for thread in threads:
                rows = []
                async for t in saver.alist({"configurable": {"thread_id": thread}}):
                    full = await saver.aget_tuple(t.config)
                    assert full is not None and full.checkpoint["id"] == t.checkpoint["id"]
                    parent = (
                        t.parent_config["configurable"]["checkpoint_id"]
                        if t.parent_config
                        else None
                    )
                    rows.append((t.checkpoint["id"], parent, t.metadata["step"]))
                out[thread] = rows
        return out

    return asyncio.run(read())


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
@pytest.mark.parametrize("durability", ["async", "sync", "exit"])
@pytest.mark.parametrize("kind", ["sqlite", "asqlite", "postgres", "apostgres"])
def test_sigkill_then_resume(kind, durability, tmp_path, pg_dsn):  # noqa: F811
    rng = random.Random(f"{kind}/{durability}")
    threads = [f"t{k}" for k in range(KILLS)]
    with fresh_database(pg_dsn) if "postgres" in kind else _nothing() as dsn:
        target = dsn if "postgres" in kind else str(tmp_path / "threads.sqlite")
        kills = 0
        for thread in threads:
            proc = _start(kind, target, thread, durability)
            assert proc.stderr is not None
            proc.stderr.readline()  # the graph runs
            time.sleep(rng.uniform(0.0, 0.35))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=60)
            proc = _start(kind, target, thread, durability)
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert out.strip() == _expected(), (thread, out, err)
        assert kills >= 2, "the child finished too fast to be interrupted"
        saved = _saved(kind, target, threads)
    for thread, rows in saved.items():
        assert rows, f"{thread}: no checkpoint saved"
        ids = {cid for cid, _, _ in rows}
        assert all(parent is None or parent in ids for _, parent, _ in rows), thread
        assert max(step for _, _, step in rows) == STEPS


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
