"""Checkpoint storage and latency, langgraph_jit vs langgraph 1.2.22, in one run.

    .venv/bin/python bench/bench_checkpoint.py [--pg DSN] [--steps 1000] [--turns 30]

Prints: bytes stored for an N-step chain and a T-turn message loop (SQLite,
and PostgreSQL with --pg); put/get_tuple/list latency per saver; serializer
dumps/loads time and size with and without lz4, and the JSON variant.
"""

from __future__ import annotations

import argparse
import operator
import os
import tempfile
import time
import uuid
from datetime import datetime, timezone


def impl(which):
    if which == "langgraph":
        import langgraph.channels as ch
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.checkpoint.sqlite import SqliteSaver
        from langgraph.pregel import NodeBuilder, Pregel
    else:
        import langgraph_jit.channels as ch
        from langgraph_jit.checkpoint.memory import InMemorySaver
        from langgraph_jit.checkpoint.postgres import PostgresSaver
        from langgraph_jit.checkpoint.sqlite import SqliteSaver
        from langgraph_jit.pregel import NodeBuilder, Pregel
    return dict(
        ch=ch,
        InMemorySaver=InMemorySaver,
        PostgresSaver=PostgresSaver,
        SqliteSaver=SqliteSaver,
        NodeBuilder=NodeBuilder,
        Pregel=Pregel,
    )


def chain(m, n, saver):
    nodes = {
        f"n{i:04d}": m["NodeBuilder"]()
        .subscribe_only(f"c{i}")
        .do(lambda x: x + 1)
        .write_to(f"c{i + 1}")
        for i in range(n)
    }
    return m["Pregel"](
        nodes=nodes,
        channels={f"c{i}": m["ch"].LastValue(int) for i in range(n + 1)},
        input_channels="c0",
        output_channels=f"c{n}",
        checkpointer=saver,
    )


def message_loop(m, saver):
    """Each turn appends a user message and a ~1 KB assistant reply to `messages`."""
    ch = m["ch"]

    def reply(msgs):
        last = msgs[-1]
        return [
            {
                "role": "assistant",
                "id": str(uuid.uuid4()),
                "content": ("answer to " + last["content"]) * 30,
                "usage": {"in": 100, "out": 200},
            }
        ]

    return m["Pregel"](
        nodes={
            "agent": m["NodeBuilder"]()
            .subscribe_only("inbox")
            .do(lambda x: [x])
            .write_to("messages"),
            "llm": m["NodeBuilder"]().subscribe_only("messages").do(reply).write_to("replies"),
        },
        channels={
            "inbox": ch.EphemeralValue(dict),
            "messages": ch.BinaryOperatorAggregate(list, operator.add),
            "replies": ch.Topic(dict, accumulate=True),
            "turns": ch.LastValue(int),
        },
        input_channels="inbox",
        output_channels=["messages"],
        checkpointer=saver,
    )


def sqlite_bytes(path):
    import sqlite3

    conn = sqlite3.connect(path)
    total = 0
    for table, cols in (
        ("checkpoints", "checkpoint, metadata"),
        ("writes", "value"),
        ("checkpoint_blobs", "blob"),
    ):
        try:
            for col in cols.split(", "):
                total += conn.execute(
                    f"SELECT coalesce(sum(length({col})), 0) FROM {table}"
                ).fetchone()[0]
        except sqlite3.OperationalError:
            pass
    conn.close()
    return total, os.path.getsize(path)


def pg_bytes(conn):
    row = conn.execute(
        "SELECT (SELECT coalesce(sum(pg_column_size(checkpoint) + pg_column_size(metadata)), 0) FROM checkpoints)"
        " + (SELECT coalesce(sum(pg_column_size(blob)), 0) FROM checkpoint_blobs)"
        " + (SELECT coalesce(sum(pg_column_size(blob)), 0) FROM checkpoint_writes) AS n"
    ).fetchone()
    return row["n"] if isinstance(row, dict) else row[0]


def storage(steps, turns, dsn):
    print("\n## Bytes stored (payload bytes in rows; SQLite file size in brackets)")
    print("| workload | saver | langgraph | langgraph_jit | ratio |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, run in (
            (
                f"{steps}-step chain",
                lambda m, s: chain(m, steps, s).invoke(
                    0, {"configurable": {"thread_id": "t"}, "recursion_limit": steps + 10}
                ),
            ),
            (
                f"{turns}-turn message loop",
                lambda m, s: [
                    message_loop(m, s).invoke(
                        {"role": "user", "id": str(i), "content": f"question {i}"},
                        {"configurable": {"thread_id": "t"}},
                    )
                    for i in range(turns)
                ],
            ),
        ):
            sizes = {}
            for which in ("langgraph", "langgraph_jit"):
                m = impl(which)
                path = os.path.join(tmp, f"{which}-{label}.sqlite")
                with m["SqliteSaver"].from_conn_string(path) as saver:
                    t0 = time.perf_counter()
                    run(m, saver)
                    elapsed = time.perf_counter() - t0
                    saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                sizes[which] = (*sqlite_bytes(path), elapsed)
            a, b = sizes["langgraph"], sizes["langgraph_jit"]
            print(
                f"| {label} | SQLite | {a[0]:,} [{a[1]:,}] ({a[2]:.1f} s) | {b[0]:,} [{b[1]:,}] ({b[2]:.1f} s) | {a[0] / b[0]:.1f}x |"
            )
            if dsn:
                import psycopg
                from psycopg.rows import dict_row

                pg = {}
                for which in ("langgraph", "langgraph_jit"):
                    m = impl(which)
                    name = "b_" + uuid.uuid4().hex[:12]
                    with psycopg.connect(dsn, autocommit=True) as admin:
                        admin.execute(f'CREATE DATABASE "{name}"')
                    db = dsn.rsplit("/", 1)[0] + "/" + name
                    with m["PostgresSaver"].from_conn_string(db) as saver:
                        saver.setup()
                        run(m, saver)
                    with psycopg.connect(db, row_factory=dict_row) as conn:
                        pg[which] = pg_bytes(conn)
                    with psycopg.connect(dsn, autocommit=True) as admin:
                        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                a, b = pg["langgraph"], pg["langgraph_jit"]
                print(f"| {label} | PostgreSQL | {a:,} | {b:,} | {a / b:.1f}x |")


def _ckpt(uuid6, step, values, versions):
    return {
        "v": 4,
        "id": str(uuid6(clock_seq=step)),
        "ts": datetime.now(timezone.utc).isoformat(),
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": {"node": dict(versions)},
        "updated_channels": None,
    }


def latency(dsn, n=200):
    print(f"\n## Saver latency (µs per call; {n} checkpoints of 10 channels, 1 changed per put)")
    print(
        "| saver | impl | put | get_tuple (latest) | list (limit 10, per item) |\n|---|---|---|---|---|"
    )
    for kind in ("memory", "sqlite", "postgres"):
        if kind == "postgres" and not dsn:
            continue
        for which in ("langgraph", "langgraph_jit"):
            m = impl(which)
            from langgraph.checkpoint.base.id import uuid6

            with tempfile.TemporaryDirectory() as tmp:
                if kind == "memory":
                    ctx = _null(m["InMemorySaver"]())
                elif kind == "sqlite":
                    ctx = m["SqliteSaver"].from_conn_string(os.path.join(tmp, "x.sqlite"))
                else:
                    ctx = m["PostgresSaver"].from_conn_string(dsn)
                with ctx as saver:
                    if kind == "postgres":
                        saver.setup()
                    thread = uuid.uuid4().hex
                    values = {f"ch{i}": {"text": "x" * 200, "i": i} for i in range(10)}
                    versions = {k: saver.get_next_version(None, None) for k in values}
                    cfg = saver.put(
                        {"configurable": {"thread_id": thread, "checkpoint_ns": ""}},
                        _ckpt(uuid6, -1, values, versions),
                        {"step": -1},
                        dict(versions),
                    )
                    t0 = time.perf_counter()
                    for step in range(n):
                        k = f"ch{step % 10}"
                        versions[k] = saver.get_next_version(versions[k], None)
                        values[k] = {"text": "y" * 200, "i": step}
                        full = which == "langgraph"
                        cfg = saver.put(
                            cfg,
                            _ckpt(
                                uuid6,
                                step,
                                dict(values) if full else {k: values[k]},
                                dict(versions),
                            ),
                            {"step": step},
                            {k: versions[k]},
                        )
                    put_us = (time.perf_counter() - t0) / n * 1e6
                    conf = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
                    t0 = time.perf_counter()
                    for _ in range(n):
                        saver.get_tuple(conf)
                    get_us = (time.perf_counter() - t0) / n * 1e6
                    t0 = time.perf_counter()
                    reps = max(1, n // 10)
                    for _ in range(reps):
                        list(saver.list(conf, limit=10))
                    list_us = (time.perf_counter() - t0) / reps / 10 * 1e6
                    if kind == "postgres":
                        saver.delete_thread(thread)
            print(f"| {kind} | {which} | {put_us:.0f} | {get_us:.0f} | {list_us:.0f} |")


class _null:
    def __init__(self, x):
        self.x = x

    def __enter__(self):
        return self.x

    def __exit__(self, *a):
        return None


def serde():
    import numpy as np

    from langgraph_jit.checkpoint.serde.json import JsonSerializer
    from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph_jit.checkpoint.serde.lz4 import CompressedSerializer

    def payload(n_msgs):
        msgs = [
            {
                "id": str(uuid.UUID(int=i)),
                "type": "ai" if i % 2 else "human",
                "content": f"message {i} " + "lorem ipsum dolor sit amet " * 8,
                "tool_calls": [{"name": "search", "args": {"q": f"query {i}"}, "id": f"call_{i}"}]
                if i % 2
                else [],
                "usage": {"input_tokens": 100 + i, "output_tokens": 50 + i},
            }
            for i in range(n_msgs)
        ]
        return {
            **{f"s{i}": f"string value {i}" * 3 for i in range(12)},
            **{f"d{i}": {"a": i, "b": [i, i + 1], "c": {"x": "y"}} for i in range(8)},
            **{f"n{i}": i * 1.5 for i in range(12)},
            "messages": msgs,
            "embedding": np.random.rand(768).astype(np.float32),
            "ids": np.arange(1000, dtype=np.int64),
        }

    codecs = {
        "msgpack (default)": JsonPlusSerializer(),
        "msgpack + lz4": CompressedSerializer(min_size=0),
        "json+ext": JsonSerializer(),
    }
    print("\n## Serializer (µs per whole-checkpoint call, bytes)")
    print("| payload | codec | bytes | dumps | loads |\n|---|---|---|---|---|")
    for label, value in (
        ("20 messages + arrays", payload(20)),
        ("200 messages + arrays", payload(200)),
    ):
        for name, codec in codecs.items():
            data = codec.dumps_typed(value)
            reps = 200
            t0 = time.perf_counter()
            for _ in range(reps):
                codec.dumps_typed(value)
            d = (time.perf_counter() - t0) / reps * 1e6
            t0 = time.perf_counter()
            for _ in range(reps):
                codec.loads_typed(data)
            lo = (time.perf_counter() - t0) / reps * 1e6
            print(f"| {label} | {name} | {len(data[1]):,} | {d:.0f} | {lo:.0f} |")
    print("\n## lz4 threshold: cost and gain per value size (msgpack of a message list)")
    print("| msgpack bytes | lz4 bytes | compress µs | decompress µs |\n|---|---|---|---|")
    import lz4.block

    for n in (1, 4, 16, 64):
        _, raw = JsonPlusSerializer().dumps_typed(payload(n)["messages"])
        comp = lz4.block.compress(raw)
        t0 = time.perf_counter()
        for _ in range(500):
            lz4.block.compress(raw)
        c = (time.perf_counter() - t0) / 500 * 1e6
        t0 = time.perf_counter()
        for _ in range(500):
            lz4.block.decompress(comp)
        dd = (time.perf_counter() - t0) / 500 * 1e6
        print(f"| {len(raw):,} | {len(comp):,} | {c:.1f} | {dd:.1f} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=os.environ.get("LANGGRAPH_JIT_TEST_PG_DSN"))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--turns", type=int, default=30)
    ap.add_argument("--only", choices=["storage", "latency", "serde"])
    args = ap.parse_args()
    if args.only in (None, "serde"):
        serde()
    if args.only in (None, "latency"):
        latency(args.pg)
    if args.only in (None, "storage"):
        storage(args.steps, args.turns, args.pg)
