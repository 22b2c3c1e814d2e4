"""What the SQL savers' SIGKILL tests share: a child program runs a 120-step
thread and is killed at a random point, started again to finish it, and the
saved history is then read back by a fresh async saver (every checkpoint
loads, its parent is saved too, the last step is there)."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

STEPS = 120  # the child programs' thread length
KILLS = 3  # threads per test, each killed once if still running


def expected_output() -> str:
    """What a child prints for a thread that ran all its steps exactly once."""
    total = sum(i * i for i in range(1, STEPS + 1))
    trail = sum(i % 7 for i in range(1, STEPS + 1))
    return f"{STEPS} {total} {trail} {STEPS}"


def _start(child: Path, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(child), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_and_resume(child: Path, args_for: Any, seed: str) -> list[str]:
    """Per thread: start the child (`args_for(thread)`), SIGKILL it at a random
    moment, start it again and check it finishes the thread exactly. Returns the
    thread ids."""
    rng = random.Random(seed)
    threads = [f"t{k}" for k in range(KILLS)]
    kills = 0
    for thread in threads:
        proc = _start(child, args_for(thread))
        assert proc.stderr is not None
        proc.stderr.readline()  # the graph runs
        time.sleep(rng.uniform(0.0, 0.35))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        proc = _start(child, args_for(thread))
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == expected_output(), (thread, out, err)
    assert kills >= 2, "the child finished too fast to be interrupted"
    return threads


def check_saved_history(saver_class: Any, target: str, threads: list[str]) -> None:
    """Every checkpoint of each thread loads (by id), its parent is saved too,
    and the last step is saved."""

    async def read() -> dict[str, list]:
        out: dict[str, list] = {}
        async with saver_class.from_conn_string(target) as saver:
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

    for thread, rows in asyncio.run(read()).items():
        assert rows, f"{thread}: no checkpoint saved"
        ids = {cid for cid, _, _ in rows}
        assert all(parent is None or parent in ids for _, parent, _ in rows), thread
        assert max(step for _, _, step in rows) == STEPS


SIGKILL_AVAILABLE = hasattr(signal, "SIGKILL")
