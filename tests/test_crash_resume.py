"""A checkpointed 200-step graph killed with SIGKILL at random points, many
times, always resumes to exactly the output of an uninterrupted run, and
every saved checkpoint stays readable (no corrupted or lost checkpoint)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("langgraph_jit.checkpoint.sqlite")

CHILD = Path(__file__).parent / "programs" / "crash_child.py"
STEPS = 200


def _expected() -> str:
    total = sum(i * i for i in range(1, STEPS + 1))
    trail = sum(i % 7 for i in range(1, STEPS + 1))
    return f"{STEPS} {total} {trail} {STEPS}"


def _start(db: Path, thread: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), thread],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_sigkill_at_random_points_then_resume(tmp_path):
    db = tmp_path / "threads.sqlite"
    rng = random.Random(20261126)
    kills = 0
    threads = [f"t{k}" for k in range(10)]
    for thread in threads:
        proc = _start(db, thread)
        time.sleep(rng.uniform(0.25, 0.9))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        # Resume the killed thread: it must finish exactly like a clean run.
        proc = _start(db, thread)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == _expected(), thread
    assert kills >= 5, "the child finished too fast to be interrupted"

    # Every checkpoint written across the crashes loads, with consistent steps.
    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(db)) as saver:
        for thread in threads:
            tuples = list(saver.list({"configurable": {"thread_id": thread}}))
            assert tuples, "no checkpoint saved"
            for t in tuples:
                full = saver.get_tuple(t.config)
                assert full is not None and full.checkpoint["id"] == t.checkpoint["id"]
            assert max(t.metadata["step"] for t in tuples) == STEPS
