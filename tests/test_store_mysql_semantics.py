"""Our MySQL stores on their own (issue 19): where LangGraph's MySQL store answers wrongly
on MariaDB or lacks the feature, ours answers as our SQLite/PostgreSQL stores do (which
are differential-tested against LangGraph's): JSON-typed filters, label boundaries, LIKE
characters as plain text, microsecond recency, TTL (sweep, refresh, sweeper), semantic
search ranked in process, migrating a database LangGraph made (case-insensitive collation
included), connection factories and pools, and the statements the core yields."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from langgraph.store.memory import InMemoryStore as LgMemoryStore

from _mysql_fixtures import admin_connection, mysql_db, mysql_dsn  # noqa: F401
from _store_diff_common import DIMS, DOCS, aembed_fn, embed_fn
from test_store_mysql_diff import ASYNC_DRIVERS, async_store, sync_store
from test_store_sql_diff import DATA as DIFF_DATA
from test_store_sql_diff import FILTERS as ALL_FILTERS
from test_store_sql_diff import attempt, keyset, observe
from test_store_sql_semantics import CASES
from test_store_sql_semantics import DATA as TYPED_DATA
from test_store_sql_vector import CONFIGS, QUERIES, expected, overrides, ranked, searches

pytestmark = pytest.mark.timeout(180)

JIT = "langgraph_jit"


@pytest.fixture
def db(request):
    return request.getfixturevalue("mysql_db")


def sql(store, text: str, params: tuple = ()) -> list:
    with store.conn.cursor() as cur:
        cur.execute(text, params or None)
        return list(cur.fetchall())


# --------------------------------------------------------------------------- as our SQLite store


def test_filters_are_json_typed(db):
    with sync_store(JIT, db()) as store:
        for ns, key, value in TYPED_DATA:
            store.put(ns, key, value)
        for condition, keys in CASES:
            found = [k for _, k in keyset(store.search(("a",), filter=condition))]
            assert found == keys, condition


def test_same_answers_as_our_sqlite_store(db, tmp_path):
    """Every filter, prefix and listing of the SQLite/PostgreSQL differential tests, plus
    the cases LangGraph's MySQL store gets wrong, answered as by our SQLite store."""
    from langgraph_jit.store.base import PutOp
    from langgraph_jit.store.sqlite import SqliteStore

    def program(store):
        for ns, key, value in DIFF_DATA:
            store.put(ns, key, value)
        store.put(("ab",), "k6", {"n": 0, "b": True})
        store.put(("a_c",), "k7", {"n": 0})
        out = {repr(f): keyset(store.search(("a",), filter=f, limit=100)) for f in ALL_FILTERS}
        for f in ({"n": {"$gt": 10}}, {"n": {"$lt": 10}}, {"s": {"$lt": "9"}}, {"missing": 1}):
            out[repr(f)] = keyset(store.search((), filter=f, limit=100))
        out["a"] = keyset(store.search(("a",)))
        out["a_c"] = keyset(store.search(("a_c",)))
        out["list_a"] = store.list_namespaces(prefix=("a",))
        out["list_a_"] = store.list_namespaces(prefix=("a_c",))
        out["suffix"] = store.list_namespaces(suffix=("c",))
        out["not_a_dict"] = attempt(lambda: store.put(("a",), "k", "text"))  # type: ignore[arg-type]
        out["batch_bad_ns"] = attempt(lambda: store.batch([PutOp(("a.b",), "k", {"v": 1})]))
        out["after"] = [store.get(("a",), "k"), attempt(lambda: store.get(("a.b",), "k"))]
        return observe(out)

    with sync_store(JIT, db()) as store:
        ours = program(store)
    with SqliteStore.from_conn_string(str(tmp_path / "s.db")) as store:
        store.setup()
        sqlite = program(store)
    assert ours == sqlite


def test_like_wildcards_in_labels(db):
    with sync_store(JIT, db()) as store:
        for ns in [("a%",), ("a_",), ("ab",), ("a%", "x"), ("a\\",), ("a\\", "y")]:
            store.put(ns, "k", {"ns": list(ns)})
        assert keyset(store.search(("a%",))) == [(("a%",), "k"), (("a%", "x"), "k")]
        assert keyset(store.search(("a_",))) == [(("a_",), "k")]
        assert keyset(store.search(("a\\",))) == [(("a\\",), "k"), (("a\\", "y"), "k")]
        assert store.list_namespaces(prefix=("a%",)) == [("a%",), ("a%", "x")]


def test_odd_filter_fields(db):
    with sync_store(JIT, db()) as store:
        store.put(("f",), "k", {'q"x': 1, "b\\s": "v", "a b": [1, 2.0], "🦜": "😀", "d.e": 3})
        store.put(("f",), "other", {"x": 1})
        for condition in (
            {'q"x': 1},
            {"b\\s": "v"},
            {"a b": [1, 2]},
            {"🦜": "😀"},
            {"🦜": {"$gte": "😀"}},
            {"d.e": 3},
        ):
            assert keyset(store.search(("f",), filter=condition)) == [(("f",), "k")], condition


def test_timestamps(db):
    """Newest update first within a second (microsecond columns, migration 2); an update
    keeps `created_at`; naive datetimes, as LangGraph's MySQL store gives."""
    with sync_store(JIT, db()) as store:
        for key in ("k1", "k2", "k3"):
            store.put(("t",), key, {"v": key})
            time.sleep(0.002)
        first = store.get(("t",), "k1")
        store.put(("t",), "k1", {"v": "again"})
        again = store.get(("t",), "k1")
        assert [i.key for i in store.search(("t",))] == ["k1", "k3", "k2"]
        assert again.created_at == first.created_at < again.updated_at
        assert again.created_at.tzinfo is None


# --------------------------------------------------------------------------- TTL


def expiry(store, key: str = "k"):
    return sql(store, "SELECT expires_at FROM store WHERE `key` = %s", (key,))[0][0]


def test_ttl_sweep_and_refresh(db):
    with sync_store(JIT, db()) as store:
        assert store.supports_ttl
        store.put(("t",), "k", {"v": 1}, ttl=5)
        store.put(("t",), "gone", {"v": 2}, ttl=0.5)
        store.put(("t",), "plain", {"v": 3})
        assert expiry(store, "plain") is None
        written = expiry(store)
        time.sleep(0.002)
        store.get(("t",), "k", refresh_ttl=False)
        store.search(("t",), refresh_ttl=False)
        assert expiry(store) == written
        store.search(("t",))
        searched = expiry(store)
        assert searched > written
        time.sleep(0.002)
        store.get(("t",), "k")
        assert expiry(store) > searched
        sql(store, "UPDATE store SET expires_at = '2000-01-01' WHERE `key` = 'gone'")
        assert store.get(("t",), "gone", refresh_ttl=False).value == {"v": 2}  # until swept
        assert store.sweep_ttl() == 1
        assert store.sweep_ttl() == 0
        assert keyset(store.search(("t",))) == [(("t",), "k"), (("t",), "plain")]


def test_ttl_config(db):
    with sync_store(JIT, db(), ttl={"default_ttl": 10, "refresh_on_read": False}) as store:
        store.put(("t",), "default", {"v": 1})
        store.put(("t",), "none", {"v": 1}, ttl=None)
        store.put(("t",), "own", {"v": 1}, ttl=30)
        assert [expiry(store, k) is not None for k in ("default", "none", "own")] == [
            True,
            False,
            True,
        ]
        before = expiry(store, "default")
        store.get(("t",), "default")
        assert expiry(store, "default") == before
        future = store.start_ttl_sweeper(sweep_interval_minutes=1)
        assert store.start_ttl_sweeper() is future
        assert store.stop_ttl_sweeper(timeout=5)
        assert future.done()
    with sync_store(JIT, db()) as store:  # no ttl config: the sweeper is a no-op
        assert store.start_ttl_sweeper().done()


@pytest.mark.parametrize("driver", sorted(ASYNC_DRIVERS))
def test_async_ttl(db, driver):
    async def main():
        async with async_store(JIT, driver, db(), ttl={"default_ttl": 1}) as store:
            await store.aput(("t",), "k", {"v": 1})
            await store.aput(("t",), "keep", {"v": 1}, ttl=None)
            async with store.conn.cursor() as cur:
                await cur.execute("UPDATE store SET expires_at = '2000-01-01' WHERE `key` = 'k'")
            task = await store.start_ttl_sweeper(sweep_interval_minutes=1)
            swept = await store.sweep_ttl()
            stopped = await store.stop_ttl_sweeper(5)
            try:
                store.get(("t",), "keep")
            except asyncio.InvalidStateError as exc:
                in_loop = exc
            return swept, stopped, task.done(), in_loop, [i.key for i in await store.asearch(())]

    swept, stopped, done, in_loop, keys = asyncio.run(main())
    assert (swept, stopped, done, keys) == (1, True, True, ["keep"])
    assert "different thread" in str(in_loop)


# --------------------------------------------------------------------------- vector search


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_vector_search(db, config):
    """Ranked as LangGraph's InMemoryStore ranks (the oracle: LangGraph's MySQL store has
    no vector search)."""
    with sync_store(JIT, db(), index=CONFIGS[config]) as store:
        for ns, key, value in DOCS:
            store.put(ns, key, value)
        found = {**searches(store), **overrides(store)}
    assert found == expected(config)


@pytest.mark.parametrize("driver", sorted(ASYNC_DRIVERS))
def test_async_vector_search(db, driver):
    config = {"dims": DIMS, "embed": aembed_fn, "fields": ["text"]}
    oracle = LgMemoryStore(index=config)

    async def main():
        for ns, key, value in DOCS:
            await oracle.aput(ns, key, value)
        want = [ranked(await oracle.asearch((), query=q, limit=5)) for q in QUERIES]
        async with async_store(JIT, driver, db(), index=config) as store:
            for ns, key, value in DOCS:
                await store.aput(ns, key, value)
            got = [ranked(await store.asearch((), query=q, limit=5)) for q in QUERIES]
            await store.aput(("notes",), "6", {"text": "python programming"})
            top = await store.asearch(("notes",), query="python programming", limit=1)
        return want, got, top

    want, got, top = asyncio.run(main())
    assert got == want
    assert top[0].key == "6" and top[0].score == pytest.approx(1.0)


def test_vectors_follow_their_items(db):
    with sync_store(JIT, db(), index={"dims": DIMS, "embed": embed_fn}) as store:
        store.put(("v",), "a", {"text": "alpha"}, ttl=1)
        store.put(("v",), "b", {"text": "beta"})
        store.put(("v",), "a", {"text": "gamma"}, ttl=1)

        def count() -> int:
            return sql(store, "SELECT count(*) FROM store_vectors")[0][0]

        assert count() == 2
        store.delete(("v",), "b")
        assert count() == 1
        sql(store, "UPDATE store SET expires_at = '2000-01-01'")
        assert store.sweep_ttl() == 1
        assert count() == 0


# --------------------------------------------------------------------------- schema


def test_setup_migrates_a_langgraph_database(db):
    """A database LangGraph's store set up (versions 0-1) in a case-insensitive default
    collation: ours adds versions 2-4, after which "A" and "a" are two keys; LangGraph's
    store still reads and writes it."""
    from langgraph.store.mysql.pymysql import PyMySQLStore as TheirStore

    where = db("utf8mb4_general_ci")
    with TheirStore.from_conn_string(where) as theirs:
        theirs.setup()
        theirs.put(("n",), "A", {"v": "upper"})
        theirs.put(("n",), "a", {"v": "lower"})  # the same key in that collation
        assert theirs.get(("n",), "A").value == {"v": "lower"}
    with sync_store(JIT, where) as store:
        assert sql(store, "SELECT v FROM store_migrations ORDER BY v") == [(v,) for v in range(5)]
        assert store.get(("n",), "A").value == {"v": "lower"}
        assert store.get(("n",), "a") is None
        store.put(("n",), "a", {"v": "lower"})
        store.put(("N",), "k", {"v": 1}, ttl=5)
        assert keyset(store.search(())) == [(("N",), "k"), (("n",), "A"), (("n",), "a")]
        store.setup()  # idempotent
    with TheirStore.from_conn_string(where) as theirs:
        theirs.setup()
        assert theirs.get(("n",), "a").value == {"v": "lower"}
        assert theirs.get(("N",), "k").value == {"v": 1}
        theirs.put(("N",), "k", {"v": 2})
    with sync_store(JIT, where) as store:
        assert store.get(("N",), "k").value == {"v": 2}


def test_core_statements(db):
    """The dialect's SQL for each op, run through the sans-IO core: key column quoted,
    writes as multi-row statements, the sweep without DELETE ... RETURNING."""
    from langgraph_jit.store import _sql
    from langgraph_jit.store.base import GetOp, PutOp, SearchOp

    core = _sql.StoreCore(_sql.MYSQL, None, {"default_ttl": 1})
    seen: list = []

    def execute(kind, text, params):
        seen.append((kind, text))
        return [("p", "k")] if "FOR UPDATE" in text else []

    ops = [
        GetOp(("a",), "k"),
        SearchOp(("a",), {"n": {"$gt": 1}}),
        PutOp(("a",), "k", {"n": 2}),
        PutOp(("a",), "j", None),
    ]
    _sql.run(core.batch(ops), execute)
    assert [kind for kind, _ in seen] == [_sql.ALL, _sql.ALL, _sql.EXEC, _sql.EXEC]
    assert all("`key`" in text for _, text in seen[:1] + seen[2:])
    seen.clear()
    from datetime import datetime, timezone

    assert _sql.run(core.sweep(datetime.now(timezone.utc)), execute) == 1
    assert [kind for kind, _ in seen] == [_sql.ALL, _sql.EXEC]


# --------------------------------------------------------------------------- connections


def test_connection_factory_and_deserializer(db):
    import json

    import pymysql

    from langgraph_jit.store.mysql import PyMySQLStore

    where = db()
    with sync_store(JIT, where) as store:
        store.put(("a",), "k", {"v": 1})
    params = PyMySQLStore.parse_conn_string(where)
    assert params["database"] == where.rpartition("/")[2]
    opened: list = []

    def factory():
        conn = pymysql.connect(**params, autocommit=True)
        opened.append(conn)
        return conn

    store = PyMySQLStore(factory, deserializer=lambda data: {"wrapped": json.loads(data)})
    assert store.get(("a",), "k").value == {"wrapped": {"v": 1}}
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: store.put(("p",), str(i), {"i": i}), range(12)))
    assert len(store.search(("p",), limit=100)) == 12
    assert len(opened) >= 13 and all(not conn.open for conn in opened)


def test_sync_store_in_threads(db):
    with sync_store(JIT, db()) as store, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: store.put(("p", str(i % 3)), str(i), {"i": i}), range(30)))
        assert len(store.search(("p",), limit=100)) == 30
        assert store.list_namespaces() == [("p", "0"), ("p", "1"), ("p", "2")]


@pytest.mark.parametrize("driver", sorted(ASYNC_DRIVERS))
def test_async_pool(db, driver):
    import importlib

    path, name = ASYNC_DRIVERS[driver]
    cls = getattr(importlib.import_module(f"langgraph_jit.store.mysql.{path}"), name)
    where = db()

    async def main():
        params = cls.parse_conn_string(where)
        if driver == "aiomysql":
            import aiomysql

            pool = await aiomysql.create_pool(minsize=1, maxsize=3, autocommit=True, **params)
        else:
            import asyncmy

            pool = await asyncmy.create_pool(minsize=1, maxsize=3, autocommit=True, **params)
        try:
            store = cls(pool)
            await store.setup()
            await asyncio.gather(*(store.aput(("c",), str(i), {"i": i}) for i in range(20)))
            found = await asyncio.gather(*(store.aget(("c",), str(i)) for i in range(20)))
            return [item.value["i"] for item in found], len(await store.asearch(("c",), limit=50))
        finally:
            pool.close()
            await pool.wait_closed()

    values, count = asyncio.run(main())
    assert values == list(range(20)) and count == 20


def test_session_settings(db):
    """Connections opened by from_conn_string: utf8mb4, READ COMMITTED, strict mode."""
    with sync_store(JIT, db()) as store:
        ((charset, mode),) = sql(store, "SELECT @@character_set_client, @@SESSION.sql_mode")
        assert charset == "utf8mb4" and "STRICT_TRANS_TABLES" in mode
        assert "READ-COMMITTED" in {
            row[1] for row in sql(store, "SHOW SESSION VARIABLES LIKE '%isolation'")
        }


def _kill(dsn: str, connection_id: int) -> None:
    with admin_connection(dsn) as admin, admin.cursor() as cur:
        cur.execute(f"KILL {int(connection_id)}")


def test_reconnects_after_the_server_drops_the_connection(db, mysql_dsn):  # noqa: F811
    with sync_store(JIT, db()) as store:
        store.put(("r",), "k", {"v": 1})
        _kill(mysql_dsn, store.conn.thread_id())
        time.sleep(0.1)
        assert store.get(("r",), "k").value == {"v": 1}
        (mode,) = sql(store, "SELECT @@SESSION.sql_mode")[0]
        assert "STRICT_TRANS_TABLES" in mode


@pytest.mark.parametrize("driver", sorted(ASYNC_DRIVERS))
def test_async_reconnects(db, mysql_dsn, driver):  # noqa: F811
    async def main():
        async with async_store(JIT, driver, db()) as store:
            await store.aput(("r",), "k", {"v": 1})
            async with store.conn.cursor() as cur:
                await cur.execute("SELECT CONNECTION_ID()")
                (connection_id,) = await cur.fetchone()
            _kill(mysql_dsn, connection_id)
            await asyncio.sleep(0.1)
            return (await store.aget(("r",), "k")).value

    assert asyncio.run(main()) == {"v": 1}


def test_a_batch_is_atomic(db):
    """Statements run outside a transaction only when that cannot be seen: a delete
    followed by a failing write is undone."""
    from langgraph_jit.store.base import PutOp

    ops = [PutOp(("a",), "k", None), PutOp(("a",), "x" * 151, {"v": 2})]
    for kind in ("sync", *sorted(ASYNC_DRIVERS)):
        where = db()
        if kind == "sync":
            with sync_store(JIT, where) as store:
                store.put(("a",), "k", {"v": 1})
                assert type(attempt(lambda store=store: store.batch(ops))).__name__ == "DataError"
                assert store.get(("a",), "k").value == {"v": 1}
            continue

        async def main(kind=kind, where=where):
            async with async_store(JIT, kind, where) as store:
                await store.aput(("a",), "k", {"v": 1})
                try:
                    await store.abatch(ops)
                except Exception as exc:
                    failed = type(exc).__name__
                return failed, (await store.aget(("a",), "k")).value

        assert asyncio.run(main()) == ("DataError", {"v": 1}), kind


def test_round_trips():
    """A get, a search or one put is one statement; several writes are one transaction."""
    from langgraph_jit.store import _sql
    from langgraph_jit.store.base import GetOp, PutOp, SearchOp
    from langgraph_jit.store.mysql.base import fewest_round_trips

    core = _sql.StoreCore(_sql.MYSQL, None, None)

    def statements(ops: list) -> list[str]:
        sent: list[str] = []

        def execute(kind, text, params):
            sent.append(text.split()[0])
            return []

        _sql.run(fewest_round_trips(core.batch(ops)), execute)
        return sent

    assert statements([GetOp(("a",), "k")]) == ["SELECT"]
    assert statements([SearchOp(("a",))]) == ["SELECT"]
    assert statements([PutOp(("a",), "k", {"v": 1})]) == ["INSERT"]
    assert statements([GetOp(("a",), "k"), PutOp(("a",), "k", {"v": 1})]) == ["SELECT", "INSERT"]
    assert statements([PutOp(("a",), "k", {"v": 1}), PutOp(("a",), "j", None)]) == [
        "BEGIN",
        "DELETE",
        "INSERT",
        "COMMIT",
    ]
    assert statements([]) == []


def test_connection_without_autocommit(db):
    """A connection not in autocommit mode gets each batch as one committed transaction."""
    import pymysql

    from langgraph_jit.store.mysql import PyMySQLStore

    where = db()
    params = PyMySQLStore.parse_conn_string(where)
    with pymysql.connect(**params, autocommit=False) as conn:
        store = PyMySQLStore(conn)
        store.setup()
        store.put(("a",), "k", {"v": 1})
        assert store.get(("a",), "k").value == {"v": 1}
    with sync_store(JIT, where) as other:
        assert other.get(("a",), "k").value == {"v": 1}
