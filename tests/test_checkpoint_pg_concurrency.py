"""Four processes write different threads to one PostgreSQL database at once; nothing is lost.

Each worker (this file run as a script) starts at the same instant and both
drives our engine on its own threads and calls put/put_writes directly; the
test then counts every checkpoint and pending write.
"""

from __future__ import annotations

import operator
import subprocess
import sys
import time

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401

WORKERS = 4
RAW_CHECKPOINTS = 60
WRITES_PER_CHECKPOINT = 3
ENGINE_THREADS = 4
CHAIN = 8


def chain_app(checkpointer):
    from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
    from langgraph_jit.pregel import NodeBuilder, Pregel

    nodes = {
        f"n{i}": NodeBuilder()
        .subscribe_only(f"c{i}")
        .do(lambda x: x + 1)
        .write_to(f"c{i + 1}", total=lambda x: x)
        for i in range(CHAIN)
    }
    channels = {f"c{i}": LastValue(int) for i in range(CHAIN + 1)}
    channels["total"] = BinaryOperatorAggregate(int, operator.add)
    return Pregel(
        nodes=nodes,
        channels=channels,
        input_channels="c0",
        output_channels=[f"c{CHAIN}", "total"],
        checkpointer=checkpointer,
    )


def worker(dsn: str, wid: int, start_at: float) -> None:
    from datetime import datetime, timezone

    from langgraph_jit.checkpoint.base import uuid6
    from langgraph_jit.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(dsn) as saver:
        saver.get_tuple({"configurable": {"thread_id": "warm-up"}})
        time.sleep(max(0.0, start_at - time.time()))
        app = chain_app(saver)
        for t in range(ENGINE_THREADS):
            out = app.invoke(wid * 100 + t, {"configurable": {"thread_id": f"engine-{wid}-{t}"}})
            assert out[f"c{CHAIN}"] == wid * 100 + t + CHAIN
        parent = {"configurable": {"thread_id": f"raw-{wid}", "checkpoint_ns": ""}}
        version = None
        for step in range(RAW_CHECKPOINTS):
            version = saver.get_next_version(version, None)
            checkpoint = {
                "v": 4,
                "id": str(uuid6(clock_seq=step)),
                "ts": datetime.now(timezone.utc).isoformat(),
                "channel_values": {"x": [wid, step]},
                "channel_versions": {"x": version},
                "versions_seen": {},
                "updated_channels": ["x"],
            }
            parent = saver.put(parent, checkpoint, {"step": step, "worker": wid}, {"x": version})
            for task in range(WRITES_PER_CHECKPOINT):
                saver.put_writes(parent, [("w", (wid, step, task))], f"task-{task}")


@pytest.fixture
def pg_db(pg_dsn):  # noqa: F811
    with fresh_database(pg_dsn) as dsn:
        yield dsn


def test_four_processes_lose_nothing(pg_db):
    from langgraph_jit.checkpoint.memory import InMemorySaver
    from langgraph_jit.checkpoint.postgres import PostgresSaver

    # Checkpoints one engine thread makes, counted on the in-memory saver.
    memory = InMemorySaver()
    chain_app(memory).invoke(0, {"configurable": {"thread_id": "x"}})
    per_thread = len(list(memory.list(None)))
    assert per_thread == CHAIN + 1

    with PostgresSaver.from_conn_string(pg_db) as saver:
        saver.setup()
    start_at = time.time() + 3.0  # all workers have connected and imported by then
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, pg_db, str(wid), repr(start_at)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for wid in range(WORKERS)
    ]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * WORKERS, outputs

    with PostgresSaver.from_conn_string(pg_db) as saver:
        for wid in range(WORKERS):
            raw = list(saver.list({"configurable": {"thread_id": f"raw-{wid}"}}))
            assert len(raw) == RAW_CHECKPOINTS
            assert sorted(t.metadata["step"] for t in raw) == list(range(RAW_CHECKPOINTS))
            for t in raw:
                step = t.metadata["step"]
                assert t.checkpoint["channel_values"] == {"x": [wid, step]}
                assert sorted(w[2] for w in t.pending_writes) == [
                    [wid, step, task] for task in range(WRITES_PER_CHECKPOINT)
                ]
            for t in range(ENGINE_THREADS):
                cfg = {"configurable": {"thread_id": f"engine-{wid}-{t}"}}
                history = list(saver.list(cfg))
                assert len(history) == per_thread
                latest = saver.get_tuple(cfg)
                assert latest.checkpoint["channel_values"][f"c{CHAIN}"] == wid * 100 + t + CHAIN
        with saver._connection() as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM checkpoints) AS c, (SELECT count(*) FROM checkpoint_writes) AS w"
            ).fetchone()
    per_worker_engine = ENGINE_THREADS * per_thread
    assert counts["c"] == WORKERS * (RAW_CHECKPOINTS + per_worker_engine)
    assert counts["w"] >= WORKERS * RAW_CHECKPOINTS * WRITES_PER_CHECKPOINT


if __name__ == "__main__":
    worker(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
