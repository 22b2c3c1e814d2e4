"""SQL stores, langgraph_jit vs langgraph 1.2.22, interleaved in one run (issue 19).

    python -m asv_bench.investigate.store_sql [--pg DSN] [--reps 21] [--items 1000]
        [--vectors 1000,10000 --dims 256]

Prints medians and LG/jit ratios (> 1: ours faster) of one batch of `--items` puts, one
batch of as many gets, a search returning them all, a filtered search, a 10-item search and
a namespace listing, on SQLite (a temp file) and on PostgreSQL with --pg (default:
$LANGGRAPH_JIT_TEST_PG_DSN; a fresh schema per engine, dropped afterwards). With
--vectors, the time of our in-process semantic search over that many embedded items
(LangGraph's SQL stores need pgvector / a sqlite3 that loads sqlite-vec for that).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import random
import statistics
import tempfile
import time
import uuid

ENGINES = ("langgraph", "langgraph_jit")


@contextlib.contextmanager
def pg_schema(dsn: str):
    import psycopg

    name = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def open_store(stack, engine: str, backend: str, dsn: str | None, **kwargs):
    if backend == "sqlite":
        cls = importlib.import_module(f"{engine}.store.sqlite").SqliteStore
        where = os.path.join(tempfile.mkdtemp(), "store.db")
    else:
        cls = importlib.import_module(f"{engine}.store.postgres").PostgresStore
        where = stack.enter_context(pg_schema(dsn))
    store = stack.enter_context(cls.from_conn_string(where, **kwargs))
    store.setup()
    return store


def compare(backend: str, dsn: str | None, reps: int, n: int) -> None:
    with contextlib.ExitStack() as stack:
        stores, ops = {}, {}
        for engine in ENGINES:
            base = importlib.import_module(f"{engine}.store.base")
            stores[engine] = open_store(stack, engine, backend, dsn)
            ops[engine] = (
                [
                    base.PutOp(
                        ("users", str(i % 10)),
                        f"k{i}",
                        {"i": i, "name": f"n{i}", "tags": ["a", "b"], "score": i / 7},
                    )
                    for i in range(n)
                ],
                [base.GetOp(("users", str(i % 10)), f"k{i}") for i in range(n)],
            )
        work = {
            f"batch put {n}": lambda s, o: s.batch(o[0]),
            f"batch get {n}": lambda s, o: s.batch(o[1]),
            f"search {n}": lambda s, o: s.search(("users",), limit=n),
            "search filtered": lambda s, o: s.search(
                ("users",), filter={"score": {"$gt": n / 20}}, limit=n
            ),
            "search limit 10": lambda s, o: s.search(("users", "3"), limit=10),
            "list_namespaces": lambda s, o: s.list_namespaces(),
        }
        times: dict = {}
        for r in range(reps):
            for name, fn in work.items():
                for engine in ENGINES if r % 2 == 0 else ENGINES[::-1]:
                    start = time.perf_counter()
                    fn(stores[engine], ops[engine])
                    times.setdefault((name, engine), []).append(time.perf_counter() - start)
        for name in work:
            lg = statistics.median(times[(name, "langgraph")]) * 1e3
            jit = statistics.median(times[(name, "langgraph_jit")]) * 1e3
            print(
                f"{backend:9} {name:17} LG {lg:8.2f} ms  jit {jit:8.2f} ms  LG/jit {lg / jit:5.2f}"
            )


def vector_cost(backend: str, dsn: str | None, counts: list[int], dims: int) -> None:
    rng = random.Random(0)

    def embed(texts):
        return [[rng.random() for _ in range(dims)] for _ in texts]

    base = importlib.import_module("langgraph_jit.store.base")
    for count in counts:
        with contextlib.ExitStack() as stack:
            store = open_store(
                stack, "langgraph_jit", backend, dsn, index={"dims": dims, "embed": embed}
            )
            for start in range(0, count, 1000):
                store.batch(
                    [
                        base.PutOp(("docs", str(i % 10)), f"k{i}", {"text": f"doc {i}", "i": i})
                        for i in range(start, min(count, start + 1000))
                    ]
                )
            found = {}
            for label, kwargs in (
                ("all", {}),
                ("filtered 100", {"filter": {"i": {"$lt": 100}}}),
            ):
                laps = []
                for _ in range(5):
                    start = time.perf_counter()
                    store.search(("docs",), query="q", limit=10, **kwargs)
                    laps.append(time.perf_counter() - start)
                found[label] = statistics.median(laps) * 1e3
            print(
                f"{backend:9} semantic search over {count} x {dims}: "
                + ", ".join(f"{k} {v:.1f} ms" for k, v in found.items())
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default=os.environ.get("LANGGRAPH_JIT_TEST_PG_DSN"))
    ap.add_argument("--reps", type=int, default=21)
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--vectors", default="")
    ap.add_argument("--dims", type=int, default=256)
    args = ap.parse_args()
    backends = ["sqlite"] + (["postgres"] if args.pg else [])
    for backend in backends:
        compare(backend, args.pg, args.reps, args.items)
    if args.vectors:
        counts = [int(x) for x in args.vectors.split(",")]
        for backend in backends:
            vector_cost(backend, args.pg, counts, args.dims)


if __name__ == "__main__":
    main()
