"""Our SQL stores where LangGraph's SQLite and PostgreSQL stores disagree with each other
(or lack a feature): one answer on both databases. Filters are JSON-typed (1 is not true,
"7" is not 7, None matches a stored null, a dotted key is one key), comparisons hold between
two numbers or two strings; SQLite keeps microseconds, keeps `created_at` on update and
refreshes TTLs on read, as PostgreSQL does; namespace labels with LIKE wildcards are plain
text; the sans-IO core yields the same statements to sync and async drivers."""

from __future__ import annotations

import asyncio
import time

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401
from test_store_sql_diff import BACKENDS, async_store, keyset, sync_store

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def where(request, tmp_path):
    made = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"s{len(made)}.db")
        cm = fresh_database(request.getfixturevalue("pg_dsn"))
        made.append(cm)
        return cm.__enter__()

    yield make
    for cm in made:
        cm.__exit__(None, None, None)


DATA = [
    (("a",), "num", {"n": 7, "flag": True, "none": None, "d": {"e": 1}, "l": [1, 2]}),
    (("a",), "str", {"n": "7", "flag": 1, "d.e": 1}),
    (("a",), "float", {"n": 7.5, "s": "b"}),
    (("a",), "neg", {"n": -1, "s": "B"}),
]

CASES = [
    ({"n": 7}, ["num"]),
    ({"n": "7"}, ["str"]),
    ({"n": 7.0}, ["num"]),
    ({"flag": True}, ["num"]),
    ({"flag": 1}, ["str"]),
    ({"none": None}, ["num"]),
    ({"missing": None}, []),
    ({"d.e": 1}, ["str"]),
    ({"d": {"$eq": {"e": 1}}}, ["num"]),
    ({"l": [1, 2]}, ["num"]),
    ({"l": [2, 1]}, []),
    ({"n": {"$gt": 0}}, ["float", "num"]),
    ({"n": {"$gt": "5"}}, ["str"]),
    ({"n": {"$lt": 10}}, ["float", "neg", "num"]),
    ({"n": {"$ne": 7}}, ["float", "neg", "str"]),
    ({"s": {"$ne": "b"}}, ["neg"]),
    ({"s": {"$gt": "B"}}, ["float"]),  # code point order: "B" < "b"
    ({"n": {"$gt": True}}, []),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_filters_are_json_typed(where, backend):
    with sync_store("langgraph_jit", backend, where(backend)) as store:
        for ns, key, value in DATA:
            store.put(ns, key, value)
        for condition, keys in CASES:
            found = [k for _, k in keyset(store.search(("a",), filter=condition))]
            assert found == keys, condition


@pytest.mark.parametrize("backend", BACKENDS)
def test_like_wildcards_in_labels(where, backend):
    with sync_store("langgraph_jit", backend, where(backend)) as store:
        for ns in [("a%",), ("a_",), ("ab",), ("a%", "x"), ("a\\",), ("a\\", "y")]:
            store.put(ns, "k", {"ns": list(ns)})
        assert keyset(store.search(("a%",))) == [(("a%",), "k"), (("a%", "x"), "k")]
        assert keyset(store.search(("a_",))) == [(("a_",), "k")]
        assert keyset(store.search(("a\\",))) == [(("a\\",), "k"), (("a\\", "y"), "k")]
        assert store.list_namespaces(prefix=("a%",)) == [("a%",), ("a%", "x")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_timestamps(where, backend):
    """Newest update first even within a second; an update keeps `created_at`."""
    with sync_store("langgraph_jit", backend, where(backend)) as store:
        for key in ("k1", "k2", "k3"):
            store.put(("t",), key, {"v": key})
            time.sleep(0.002)
        first = store.get(("t",), "k1")
        store.put(("t",), "k1", {"v": "again"})
        again = store.get(("t",), "k1")
        assert [i.key for i in store.search(("t",))] == ["k1", "k3", "k2"]
        assert again.created_at == first.created_at < again.updated_at
        assert (again.created_at.tzinfo is None) == (backend == "sqlite")  # as LangGraph's


@pytest.mark.parametrize("backend", BACKENDS)
def test_ttl_refresh(where, backend):
    with sync_store("langgraph_jit", backend, where(backend)) as store:
        store.put(("t",), "k", {"v": 1}, ttl=5)

        def expiry():
            cur = store.conn.cursor()
            try:
                cur.execute("SELECT expires_at FROM store")
                row = cur.fetchone()
                return row[0] if isinstance(row, tuple) else row["expires_at"]
            finally:
                cur.close()

        written = expiry()
        time.sleep(0.002)
        store.get(("t",), "k", refresh_ttl=False)
        assert expiry() == written
        store.search(("t",))
        searched = expiry()
        assert searched > written
        time.sleep(0.002)
        store.get(("t",), "k")
        assert expiry() > searched


@pytest.mark.parametrize("backend", BACKENDS)
def test_ttl_config_refresh_on_read(where, backend):
    with sync_store(
        "langgraph_jit",
        backend,
        where(backend),
        ttl={"default_ttl": 5, "refresh_on_read": False},
    ) as store:
        store.put(("t",), "k", {"v": 1})
        before = store.batch([])  # an empty batch is fine
        assert before == []
        op = store._get_op(("t",), "k", None)
        assert op.refresh_ttl is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_deserializer_and_pool(where, backend):
    def loads(data):
        import json

        return {"wrapped": json.loads(data)}

    target = where(backend)
    with sync_store("langgraph_jit", backend, target) as store:
        store.put(("a",), "k", {"v": 1})
        cls = type(store)
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(target, check_same_thread=False)
        try:
            assert cls(conn, deserializer=loads).get(("a",), "k").value == {"wrapped": {"v": 1}}
        finally:
            conn.close()
        return
    with cls.from_conn_string(target, pool_config={"min_size": 1, "max_size": 2}) as pooled:
        assert pooled.get(("a",), "k").value == {"v": 1}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: pooled.put(("p",), str(i), {"i": i}), range(20)))
        assert len(pooled.search(("p",), limit=100)) == 20


@pytest.mark.parametrize("backend", BACKENDS)
def test_sync_store_in_threads(where, backend):
    with sync_store("langgraph_jit", backend, where(backend)) as store:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: store.put(("p", str(i % 3)), str(i), {"i": i}), range(30)))
        assert len(store.search(("p",), limit=100)) == 30
        assert store.list_namespaces() == [("p", "0"), ("p", "1"), ("p", "2")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_pool_and_concurrency(where, backend):
    kwargs = {"pool_config": {"max_size": 3}} if backend == "postgres" else {}

    async def main():
        async with async_store("langgraph_jit", backend, where(backend), **kwargs) as store:
            await asyncio.gather(*(store.aput(("c",), str(i), {"i": i}) for i in range(20)))
            found = await asyncio.gather(*(store.aget(("c",), str(i)) for i in range(20)))
            return [item.value["i"] for item in found], len(await store.asearch(("c",), limit=50))

    values, count = asyncio.run(main())
    assert values == list(range(20)) and count == 20


def test_core_is_shared_by_sync_and_async():
    """One generator per operation: the statements a batch yields do not depend on the
    driver (sqlite and postgres differ only in the dialect)."""
    from langgraph_jit.store import _sql
    from langgraph_jit.store.base import GetOp, PutOp, SearchOp

    ops = [GetOp(("a",), "k"), SearchOp(("a",), {"n": {"$gt": 1}}), PutOp(("a",), "k", {"n": 2})]
    for dialect in (_sql.SQLITE, _sql.POSTGRES):
        core = _sql.StoreCore(dialect, None, None)
        seen: list = []

        def execute(kind, sql, params, seen=seen):
            seen.append((kind, sql))
            return [] if kind == _sql.ALL else None

        async def aexecute(kind, sql, params, seen=seen):
            return execute(kind, sql, params)

        _sql.run(core.batch(ops), execute)
        sync_statements = list(seen)
        seen.clear()
        asyncio.run(_sql.arun(core.batch(ops), aexecute))
        assert seen == sync_statements
        assert [kind for kind, _ in seen] == [_sql.ALL, _sql.ALL, _sql.MANY]


@pytest.mark.parametrize("backend", BACKENDS)
def test_setup_finishes_an_older_schema(where, backend):
    """A database at migration version 1 (before TTL columns) is brought up to date."""
    from langgraph_jit.store import _sql

    dialect = _sql.SQLITE if backend == "sqlite" else _sql.POSTGRES
    target = where(backend)
    statements = [
        "CREATE TABLE store_migrations (v INTEGER PRIMARY KEY)",
        *dialect.migrations[:2],
        "INSERT INTO store_migrations (v) VALUES (0), (1)",
        "INSERT INTO store (prefix, key, value) VALUES ('old', 'k', '{\"v\": 1}')",
    ]
    if backend == "sqlite":
        import sqlite3

        with sqlite3.connect(target) as conn:
            for sql in statements:
                conn.execute(sql)
    else:
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)
    with sync_store("langgraph_jit", backend, target) as store:
        assert store.get(("old",), "k").value == {"v": 1}
        store.put(("new",), "k", {"v": 2}, ttl=1)
        assert keyset(store.search(())) == [(("new",), "k"), (("old",), "k")]
        cur = store.conn.cursor()
        try:
            cur.execute("SELECT v FROM store_migrations ORDER BY v")
            versions = [row[0] if isinstance(row, tuple) else row["v"] for row in cur.fetchall()]
        finally:
            cur.close()
        assert versions == list(range(len(dialect.migrations)))
