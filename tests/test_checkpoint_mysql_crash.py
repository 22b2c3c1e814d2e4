"""SIGKILL at random points, then resume, on the MySQL savers (the three
drivers) under every durability, against a real MariaDB: as
tests/test_crash_resume_savers.py does for SQLite and PostgreSQL, the thread
ends exactly as an uninterrupted run and every saved checkpoint loads with its
parent saved too."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _mysql_fixtures import DSN_ENV, fresh_mysql_database

pytestmark = pytest.mark.skipif(
    not os.environ.get(DSN_ENV),
    reason=f"{DSN_ENV} is unset: no MariaDB server for the MySQL saver tests "
    '(scripts/test.sh starts one: eval "$(bash scripts/mysql.sh start)")',
)

CHILD = Path(__file__).parent / "programs" / "crash_child_mysql.py"
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


def _saved(target: str, threads: list[str]) -> dict[str, list]:
    from langgraph_jit.checkpoint.mysql.aio import AIOMySQLSaver

    async def read() -> dict[str, list]:
        out: dict[str, list] = {}
        async with AIOMySQLSaver.from_conn_string(target) as saver:
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
@pytest.mark.parametrize("kind", ["pymysql", "aiomysql", "asyncmy"])
def test_sigkill_then_resume_on_mysql(kind, durability):
    rng = random.Random(f"{kind}/{durability}")
    threads = [f"t{k}" for k in range(KILLS)]
    with fresh_mysql_database(os.environ[DSN_ENV]) as target:
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
        saved = _saved(target, threads)
    for thread, rows in saved.items():
        assert rows, f"{thread}: no checkpoint saved"
        ids = {cid for cid, _, _ in rows}
        assert all(parent is None or parent in ids for _, parent, _ in rows), thread
        assert max(step for _, _, step in rows) == STEPS
