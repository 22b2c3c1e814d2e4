"""Checkpoint storage and latency, langgraph_jit vs langgraph 1.2.22, in one run.

    python -m asv_bench.investigate.checkpoint [--pg DSN] [--steps 1000] [--turns 30]
        [--only serde|latency|storage] [--quick]

Prints: bytes stored for an N-step chain (workloads.chain) and a T-turn message
loop (workloads.message_loop) on SQLite, and on PostgreSQL with --pg (default:
$LANGGRAPH_JIT_TEST_PG_DSN; without either, no PostgreSQL is used); put/get_tuple/list
latency per saver; serializer dumps/loads time and size with and without lz4,
and the JSON variant. JSON of the tables goes to asv_bench/results/checkpoint.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

from asv_bench._common import machine, save_json
from asv_bench.benchmarks import workloads as W

ENGINES = {"langgraph": "langgraph", "langgraph_jit": "jit"}  # column -> workloads engine


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


def storage(steps, turns, dsn) -> list[dict]:
    print("\n## Bytes stored (payload bytes in rows; SQLite file size in brackets)")
    print("| workload | saver | langgraph | langgraph_jit | ratio |\n|---|---|---|---|---|")
    rows = []
    workloads = {
        f"{steps}-step chain": lambda api, saver: W.chain(api, steps, saver),
        f"{turns}-turn message loop": lambda api, saver: W.message_loop(api, turns, saver),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in workloads.items():
            sizes = {}
            for which, engine in ENGINES.items():
                api = W.Api(engine)
                path = os.path.join(tmp, f"{which}-{label}.sqlite")
                SqliteSaver = api.module("checkpoint.sqlite").SqliteSaver
                with SqliteSaver.from_conn_string(path) as saver:
                    wl = build(api, saver)
                    t0 = time.perf_counter()
                    wl.run()
                    elapsed = time.perf_counter() - t0
                    saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                sizes[which] = (*sqlite_bytes(path), elapsed)
            a, b = sizes["langgraph"], sizes["langgraph_jit"]
            rows.append({"workload": label, "saver": "sqlite", "bytes": sizes})
            print(
                f"| {label} | SQLite | {a[0]:,} [{a[1]:,}] ({a[2]:.1f} s) | {b[0]:,} [{b[1]:,}] ({b[2]:.1f} s) | {a[0] / b[0]:.1f}x |"
            )
            if dsn:
                import psycopg
                from psycopg.rows import dict_row

                pg = {}
                for which, engine in ENGINES.items():
                    api = W.Api(engine)
                    PostgresSaver = api.module("checkpoint.postgres").PostgresSaver
                    name = "b_" + uuid.uuid4().hex[:12]
                    with psycopg.connect(dsn, autocommit=True) as admin:
                        admin.execute(f'CREATE DATABASE "{name}"')
                    db = dsn.rsplit("/", 1)[0] + "/" + name
                    with PostgresSaver.from_conn_string(db) as saver:
                        saver.setup()
                        build(api, saver).run()
                    with psycopg.connect(db, row_factory=dict_row) as conn:
                        pg[which] = pg_bytes(conn)
                    with psycopg.connect(dsn, autocommit=True) as admin:
                        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                a, b = pg["langgraph"], pg["langgraph_jit"]
                rows.append({"workload": label, "saver": "postgres", "bytes": pg})
                print(f"| {label} | PostgreSQL | {a:,} | {b:,} | {a / b:.1f}x |")
    return rows


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


class _null:
    def __init__(self, x):
        self.x = x

    def __enter__(self):
        return self.x

    def __exit__(self, *a):
        return None


def latency(dsn, n=200) -> list[dict]:
    from langgraph.checkpoint.base.id import uuid6

    print(f"\n## Saver latency (µs per call; {n} checkpoints of 10 channels, 1 changed per put)")
    print(
        "| saver | impl | put | get_tuple (latest) | list (limit 10, per item) |\n|---|---|---|---|---|"
    )
    rows = []
    for kind in ("memory", "sqlite", "postgres"):
        if kind == "postgres" and not dsn:
            continue
        for which, engine in ENGINES.items():
            api = W.Api(engine)
            with tempfile.TemporaryDirectory() as tmp:
                if kind == "memory":
                    ctx = _null(api.InMemorySaver())
                elif kind == "sqlite":
                    SqliteSaver = api.module("checkpoint.sqlite").SqliteSaver
                    ctx = SqliteSaver.from_conn_string(os.path.join(tmp, "x.sqlite"))
                else:
                    ctx = api.module("checkpoint.postgres").PostgresSaver.from_conn_string(dsn)
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
            rows.append(
                {
                    "saver": kind,
                    "impl": which,
                    "put_us": put_us,
                    "get_us": get_us,
                    "list_us": list_us,
                }
            )
            print(f"| {kind} | {which} | {put_us:.0f} | {get_us:.0f} | {list_us:.0f} |")
    return rows


def serde(reps=200) -> list[dict]:
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
    rows = []
    print("\n## Serializer (µs per whole-checkpoint call, bytes)")
    print("| payload | codec | bytes | dumps | loads |\n|---|---|---|---|---|")
    for label, value in (
        ("20 messages + arrays", payload(20)),
        ("200 messages + arrays", payload(200)),
    ):
        for name, codec in codecs.items():
            data = codec.dumps_typed(value)
            t0 = time.perf_counter()
            for _ in range(reps):
                codec.dumps_typed(value)
            d = (time.perf_counter() - t0) / reps * 1e6
            t0 = time.perf_counter()
            for _ in range(reps):
                codec.loads_typed(data)
            lo = (time.perf_counter() - t0) / reps * 1e6
            rows.append(
                {
                    "payload": label,
                    "codec": name,
                    "bytes": len(data[1]),
                    "dumps_us": d,
                    "loads_us": lo,
                }
            )
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
        rows.append({"lz4_input_bytes": len(raw), "lz4_bytes": len(comp), "compress_us": c})
        rows[-1]["decompress_us"] = dd
        print(f"| {len(raw):,} | {len(comp):,} | {c:.1f} | {dd:.1f} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default=os.environ.get("LANGGRAPH_JIT_TEST_PG_DSN"))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--turns", type=int, default=30)
    ap.add_argument("--only", choices=["storage", "latency", "serde"])
    ap.add_argument("--quick", action="store_true", help="100 steps, 5 turns, fewer repeats")
    ap.add_argument("--out", help="JSON file (default asv_bench/results/checkpoint.json)")
    args = ap.parse_args()
    n_latency, serde_reps = 200, 200
    if args.quick:
        args.steps, args.turns, n_latency, serde_reps = 100, 5, 20, 20
    result = {
        "command": "python -m asv_bench.investigate.checkpoint " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "postgres": bool(args.pg),
    }
    if args.only in (None, "serde"):
        result["serde"] = serde(serde_reps)
    if args.only in (None, "latency"):
        result["latency"] = latency(args.pg, n_latency)
    if args.only in (None, "storage"):
        result["storage"] = storage(args.steps, args.turns, args.pg)
    print(f"\nsaved {save_json(result, args.out, 'checkpoint.json')}")


if __name__ == "__main__":
    main()
