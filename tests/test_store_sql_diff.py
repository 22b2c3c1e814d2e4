"""Differential tests of the SQL stores (issue 19): `langgraph_jit.store.sqlite` and
`.postgres` against LangGraph's `SqliteStore`/`PostgresStore` on real databases (SQLite
files; PostgreSQL databases made fresh per test), sync and async: put/get/search with
filters, ordering, limit/offset, namespace listings, mixed batches, errors, TTL, a store in
a graph node, and databases written by one engine read by the other.

Where LangGraph's two SQL stores disagree with each other (filters on mistyped values,
dotted keys, `None`; SQLite's second-precision timestamps and missing TTL refresh) the
cases are left out here; tests/test_store_sql_semantics.py pins down ours.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import time
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401

pytestmark = pytest.mark.timeout(120)

ENGINES = ("langgraph", "langgraph_jit")
BACKENDS = ("sqlite", "postgres")


def module(engine: str, path: str) -> Any:
    return importlib.import_module(f"{engine}.{path}")


# --------------------------------------------------------------------------- opening


@pytest.fixture
def target(request, tmp_path):
    """target(backend, engine) -> a fresh database (file path or DSN) for that store."""
    made: list = []

    def make(backend: str, engine: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"{engine}-{len(made)}.db")
        cm = fresh_database(request.getfixturevalue("pg_dsn"))
        made.append(cm)
        return cm.__enter__()

    yield make
    for cm in made:
        cm.__exit__(None, None, None)


@contextmanager
def sync_store(engine: str, backend: str, where: str, **kwargs: Any):
    if backend == "sqlite":
        cls = module(engine, "store.sqlite").SqliteStore
    else:
        cls = module(engine, "store.postgres").PostgresStore
    with cls.from_conn_string(where, **kwargs) as store:
        store.setup()
        yield store


@asynccontextmanager
async def async_store(engine: str, backend: str, where: str, **kwargs: Any):
    if backend == "sqlite":
        cls = module(engine, "store.sqlite").AsyncSqliteStore
    else:
        cls = module(engine, "store.postgres").AsyncPostgresStore
    async with cls.from_conn_string(where, **kwargs) as store:
        await store.setup()
        yield store


def both(target, backend: str, **kwargs: Any):
    """Run `program(store, engine)` on LangGraph's store and ours; return both results."""

    def run(program):
        out = []
        for engine in ENGINES:
            with sync_store(engine, backend, target(backend, engine), **kwargs) as store:
                out.append(observe(program(store, engine)))
        return out

    return run


# --------------------------------------------------------------------------- observing


def observe(obj: Any) -> Any:
    """Items as plain data (timestamps: their type and order only), errors by class."""
    name = type(obj).__name__
    if name in ("Item", "SearchItem"):
        assert isinstance(obj.created_at, datetime)
        out = {
            "type": name,
            "namespace": obj.namespace,
            "key": obj.key,
            "value": obj.value,
            "aware": obj.created_at.tzinfo is not None,
            "ts_order": obj.created_at <= obj.updated_at,
        }
        if name == "SearchItem":
            out["score"] = None if obj.score is None else round(obj.score, 6)
        return out
    if isinstance(obj, BaseException):
        return {"raised": name}
    if isinstance(obj, dict):
        return {k: observe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(observe(x) for x in obj)
    return obj


def attempt(fn) -> Any:
    try:
        return fn()
    except Exception as exc:
        return exc


def keyset(items: list) -> list:
    return sorted((tuple(i.namespace), i.key) for i in items)


def assert_same(pair: list) -> None:
    lg, jit = pair
    assert jit == lg


DATA = [
    (("a", "b"), "k1", {"text": "hello", "n": 3, "tags": ["x", "y"], "b": True, "s": "10"}),
    (("a", "c"), "k2", {"text": "banana", "n": 5, "b": False, "s": "9", "d": {"e": 2}}),
    (("a", "c"), "k3", {"text": "aaa", "n": 5.5, "s": 10, "tags": []}),
    (("a", "c", "d"), "k4", {"text": "zz", "n": 7, "tags": ["x"]}),
    (("b",), "k5", {"n": 1, "text": "other"}),
]

# Filters on which LangGraph's SQLite and PostgreSQL stores agree.
FILTERS = [
    {"n": 3},
    {"n": 5.5},
    {"n": 5.0},
    {"n": 1},
    {"n": {"$gt": 4}},
    {"n": {"$gte": 5}},
    {"n": {"$lt": 5}},
    {"n": {"$lte": 5}},
    {"n": {"$gt": 4.5}},
    {"n": {"$ne": 3}},
    {"n": {"$eq": 3}},
    {"n": {"$gt": 4, "$lt": 6}},
    {"n": {"$ne": None}},
    {"s": "10"},
    {"s": 10},
    {"s": {"$gt": "9"}},
    {"tags": ["x", "y"]},
    {"tags": ["x"]},
    {"tags": "x"},
    {"b": True},
    {"b": False},
    {"text": {"$ne": "aaa"}},
    {"text": {"$eq": "aaa"}},
    {"text": {"$gt": "b"}},
    {"n": 3, "text": "hello"},
    {"n": 3, "text": "nope"},
    {"missing": 1},
]
BAD_FILTERS = [
    {"d": {"e": 2}},
    {"n": {"$in": [3, 5]}},
    {"n": {"$nin": [3]}},
    {"n": {"$bad": 1}},
]


def fill(store) -> None:
    for ns, key, value in DATA:
        store.put(ns, key, value)


# --------------------------------------------------------------------------- put / get / search


@pytest.mark.parametrize("backend", BACKENDS)
def test_put_get_delete(target, backend):
    def program(store, engine):
        fill(store)
        out = {
            "get": [store.get(ns, key) for ns, key, _ in DATA],
            "missing": [store.get(("a", "b"), "nope"), store.get(("zz",), "k1")],
        }
        store.put(("a", "b"), "k1", {"text": "replaced"})
        out["replaced"] = store.get(("a", "b"), "k1")
        store.delete(("a", "b"), "k1")
        store.delete(("a", "b"), "never-there")
        out["deleted"] = store.get(("a", "b"), "k1")
        store.put(("ü", "日本"), "ключ", {"emoji": "🦜", "nested": {"l": [1, 2.5, None]}})
        out["unicode"] = store.get(("ü", "日本"), "ключ")
        store.put(("a",), "int-key", {"v": 1})
        out["key_types"] = store.get(("a",), "int-key")
        return out

    assert_same(both(target, backend)(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_filters(target, backend):
    def program(store, engine):
        fill(store)
        out = {}
        for f in FILTERS:
            out[repr(f)] = keyset(store.search(("a",), filter=f, limit=100))
        for f in BAD_FILTERS:
            out[repr(f)] = attempt(lambda f=f: store.search(("a",), filter=f))
        out["all"] = keyset(store.search((), limit=100))
        out["prefix-b"] = keyset(store.search(("b",), limit=100))
        out["prefix-a-c"] = keyset(store.search(("a", "c"), limit=100))
        out["prefix-none"] = keyset(store.search(("a", "zz"), limit=100))
        # "a" is not a prefix of "ab"
        store.put(("ab",), "k6", {"n": 0})
        out["label-boundary"] = keyset(store.search(("a",), limit=100))
        return out

    assert_same(both(target, backend)(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_order_limit_offset(target, backend):
    """Newest update first. LangGraph's SQLite rows keep whole seconds, so items are
    written a second apart there to give both engines one order."""

    def run(engine):
        with sync_store(engine, backend, target(backend, engine)) as store:
            yield store
            out = {}
            out["all"] = store.search(("o",))
            for limit, offset in ((1, 0), (2, 1), (10, 2), (2, 5), (0, 0)):
                out[f"{limit}/{offset}"] = store.search(("o",), limit=limit, offset=offset)
            out["filtered"] = store.search(("o",), filter={"n": {"$gte": 1}}, limit=2)
            yield observe(out)

    runs = [run(engine) for engine in ENGINES]
    stores = [next(r) for r in runs]
    for i, key in enumerate(["k0", "k1", "k2", "k0"]):  # k0 updated last
        for store in stores:
            store.put(("o", str(i % 2)), key, {"n": i})
        time.sleep(1.05 if backend == "sqlite" else 0.01)
    assert_same([next(r) for r in runs])
    for r in runs:
        with pytest.raises(StopIteration):
            next(r)


@pytest.mark.parametrize("backend", BACKENDS)
def test_list_namespaces(target, backend):
    def program(store, engine):
        for ns in [
            ("a", "b", "c"),
            ("a", "b", "d", "e"),
            ("a", "x"),
            ("b", "b", "c"),
            ("users", "u1", "memories"),
            ("users", "u2", "memories"),
            ("users", "u2", "prefs"),
        ]:
            store.put(ns, "k", {"v": 1})
        out = {"all": store.list_namespaces()}
        for kwargs in [
            {"prefix": ("a",)},
            {"prefix": ("a", "b")},
            {"prefix": ("a", "*")},
            {"prefix": ("*", "b")},
            {"suffix": ("c",)},
            {"suffix": ("*", "memories")},
            {"suffix": ("memories",), "prefix": ("users",)},
            {"max_depth": 1},
            {"max_depth": 2},
            {"max_depth": 2, "prefix": ("users",)},
            {"limit": 2},
            {"limit": 2, "offset": 2},
            {"offset": 5},
            {"prefix": ("zz",)},
        ]:
            out[repr(kwargs)] = store.list_namespaces(**kwargs)
        store.delete(("a", "x"), "k")
        out["after_delete"] = store.list_namespaces(prefix=("a",))
        return out

    assert_same(both(target, backend)(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_batch(target, backend):
    """Reads in a batch see the store as before the batch; the last put to a key wins."""

    def program(store, engine):
        b = module(engine, "store.base")
        fill(store)
        ops = [
            b.GetOp(("a", "b"), "k1"),
            b.PutOp(("a", "b"), "k1", {"v": "new"}),
            b.GetOp(("a", "b"), "k1"),
            b.PutOp(("a", "c"), "k2", None),
            b.SearchOp(("a", "c"), filter={"n": {"$gt": 4}}, limit=10),
            b.PutOp(("new",), "k9", {"v": 1}),
            b.PutOp(("new",), "k9", {"v": 2}),
            b.ListNamespacesOp(max_depth=1),
            b.GetOp(("new",), "k9"),
            b.GetOp(("a", "b"), "k1"),
        ]
        results = store.batch(ops)
        results[4] = keyset(results[4])
        return {
            "results": results,
            "after": [store.get(("a", "b"), "k1"), store.get(("a", "c"), "k2")],
            "new": store.get(("new",), "k9"),
            "ns": store.list_namespaces(max_depth=1),
            "empty": store.batch([]),
        }

    assert_same(both(target, backend)(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_errors(target, backend):
    def program(store, engine):
        b = module(engine, "store.base")
        fill(store)
        cases = {
            "empty_ns": lambda: store.put((), "k", {"v": 1}),
            "reserved_root": lambda: store.put(("langgraph", "x"), "k", {"v": 1}),
            "period": lambda: store.put(("a.b",), "k", {"v": 1}),
            "empty_label": lambda: store.get(("a", ""), "k"),
            "non_str_label": lambda: store.put(("a", 1), "k", {"v": 1}),  # type: ignore[arg-type]
            "search_period": lambda: store.search(("a.b",)),
            "list_period": lambda: store.list_namespaces(prefix=("a.b",)),
            "not_a_dict": lambda: store.put(("a",), "k", "text"),  # type: ignore[arg-type]
            "batch_bad_ns": lambda: store.batch([b.PutOp(("a.b",), "k", {"v": 1})]),
            "batch_bad_filter": lambda: store.batch(
                [b.PutOp(("a",), "z", {"v": 1}), b.SearchOp(("a",), filter={"n": {"$x": 1}})]
            ),
        }
        out = {name: attempt(fn) for name, fn in cases.items()}
        # nothing of a failed batch was written
        out["after"] = [store.get(("a",), "z"), store.get(("a",), "k")]
        return out

    assert_same(both(target, backend)(program))


# --------------------------------------------------------------------------- TTL


@pytest.mark.parametrize("backend", BACKENDS)
def test_ttl_sweep(target, backend):
    """Expired items stay readable until swept; a sweep deletes exactly them."""

    def program(store, engine):
        store.put(("t",), "k1", {"v": 1}, ttl=1)
        store.put(("t",), "k2", {"v": 2}, ttl=1)
        store.put(("t",), "k3", {"v": 3})
        store.put(("t",), "k4", {"v": 4}, ttl=None)
        expire(store, backend, "k1")
        out = {
            "expired_get": store.get(("t",), "k1", refresh_ttl=False),
            "expired_search": keyset(store.search(("t",), refresh_ttl=False)),
            "swept": store.sweep_ttl(),
            "after": keyset(store.search(("t",))),
            "again": store.sweep_ttl(),
            "ns": store.list_namespaces(),
        }
        return out

    assert_same(both(target, backend)(program))


def expire(store, backend: str, key: str) -> None:
    """Move an item's expiry into the past, in the database."""
    if backend == "sqlite":
        store.conn.execute(
            "UPDATE store SET expires_at = '2000-01-01 00:00:00' WHERE key = ?", (key,)
        )
        return
    with store.conn.cursor() as cur:
        cur.execute("UPDATE store SET expires_at = '2000-01-01 00:00:00+00' WHERE key = %s", (key,))


def expiry(store, backend: str, key: str) -> Any:
    if backend == "sqlite":
        return store.conn.execute("SELECT expires_at FROM store WHERE key = ?", (key,)).fetchone()[
            0
        ]
    with store.conn.cursor() as cur:
        cur.execute("SELECT expires_at FROM store WHERE key = %s", (key,))
        return next(iter(cur.fetchone().values()))


def test_ttl_refresh_postgres(target):
    """Reads push an item's expiry forward unless refresh_ttl=False. (LangGraph's SQLite
    store leaves it as written; ours refreshes there too: test_store_sql_semantics.)"""

    def program(store, engine):
        store.put(("t",), "k", {"v": 1}, ttl=5)
        store.put(("t",), "plain", {"v": 1})
        seen = [expiry(store, "postgres", "k")]
        for read in (
            lambda: store.get(("t",), "k", refresh_ttl=False),
            lambda: store.get(("t",), "k"),
            lambda: store.search(("t",), refresh_ttl=False),
            lambda: store.search(("t",)),
            lambda: store.batch([module(engine, "store.base").GetOp(("t",), "k", False)]),
        ):
            time.sleep(0.01)
            read()
            seen.append(expiry(store, "postgres", "k"))
        moved = [b > a for a, b in itertools.pairwise(seen)]
        return {"moved": moved, "plain": expiry(store, "postgres", "plain")}

    assert_same(both(target, "postgres")(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ttl_default_config(target, backend):
    def program(store, engine):
        store.put(("t",), "default", {"v": 1})
        store.put(("t",), "none", {"v": 1}, ttl=None)
        store.put(("t",), "own", {"v": 1}, ttl=30)
        return {
            "has_expiry": [
                expiry(store, backend, k) is not None for k in ("default", "none", "own")
            ],
            "supports_ttl": store.supports_ttl,
            "sweeper_stopped": store.stop_ttl_sweeper(1),
        }

    assert_same(both(target, backend, ttl={"default_ttl": 10, "refresh_on_read": False})(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ttl_sweeper_starts_and_stops(target, backend):
    def program(store, engine):
        future = store.start_ttl_sweeper(sweep_interval_minutes=1)
        stopped = store.stop_ttl_sweeper(timeout=5)
        return {"future": type(future).__name__, "stopped": stopped}

    assert_same(both(target, backend, ttl={"default_ttl": 1})(program))


# --------------------------------------------------------------------------- async


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_stores(target, backend):
    async def program(store, engine):
        b = module(engine, "store.base")
        for ns, key, value in DATA:
            await store.aput(ns, key, value)
        out = {
            "get": [await store.aget(ns, key) for ns, key, _ in DATA[:3]],
            "missing": await store.aget(("a",), "zz"),
            "filters": [keyset(await store.asearch(("a",), filter=f, limit=100)) for f in FILTERS],
            "ns": await store.alist_namespaces(prefix=("a",), max_depth=2),
            "batch": await store.abatch(
                [b.GetOp(("b",), "k5"), b.PutOp(("b",), "k5", None), b.GetOp(("b",), "k5")]
            ),
            "deleted": await store.aget(("b",), "k5"),
        }
        try:
            await store.asearch(("a",), filter={"d": {"e": 1}})
        except Exception as exc:
            out["bad_filter"] = exc
        await store.adelete(("a", "b"), "k1")
        out["after_delete"] = await store.aget(("a", "b"), "k1")
        try:
            store.get(("a",), "k")
        except Exception as exc:
            out["sync_in_loop"] = exc
        out["sync_from_thread"] = await asyncio.to_thread(store.get, ("a", "c"), "k2")
        task = await store.start_ttl_sweeper()
        out["sweeper"] = (type(task).__name__, await store.stop_ttl_sweeper(5))
        out["swept"] = await store.sweep_ttl()
        return out

    async def main():
        found = []
        for engine in ENGINES:
            async with async_store(engine, backend, target(backend, engine)) as store:
                found.append(observe(await program(store, engine)))
        return found

    assert_same(asyncio.run(main()))


def test_sync_store_async_methods(target):
    """(LangGraph's SqliteStore has no async methods; ours runs them in a thread.)"""

    def program(store, engine):
        async def go():
            await store.aput(("x",), "k", {"v": 1})
            return [await store.aget(("x",), "k"), keyset(await store.asearch(("x",)))]

        return asyncio.run(go())

    assert_same(both(target, "postgres")(program))


# --------------------------------------------------------------------------- in a graph


def _graph(engine: str, store, is_async: bool):
    from typing_extensions import TypedDict

    g = module(engine, "graph")
    Runtime = module(engine, "runtime").Runtime

    class State(TypedDict):
        user: str
        n: int
        seen: list

    def remember(state: State, runtime: Runtime) -> dict:
        runtime.store.put(("mem", state["user"]), f"k{state['n']}", {"n": state["n"]})
        found = runtime.store.search(("mem", state["user"]), filter={"n": {"$gte": 1}})
        return {"seen": sorted(item.value["n"] for item in found)}

    async def aremember(state: State, runtime: Runtime) -> dict:
        await runtime.store.aput(("mem", state["user"]), f"k{state['n']}", {"n": state["n"]})
        found = await runtime.store.asearch(("mem", state["user"]), filter={"n": {"$gte": 1}})
        return {"seen": sorted(item.value["n"] for item in found)}

    builder = g.StateGraph(State)
    builder.add_node("remember", aremember if is_async else remember)
    builder.add_edge(g.START, "remember")
    builder.add_edge("remember", g.END)
    return builder.compile(store=store)


@pytest.mark.parametrize("backend", BACKENDS)
def test_store_in_graph_node(target, backend):
    def program(store, engine):
        graph = _graph(engine, store, is_async=False)
        runs = [graph.invoke({"user": "u1", "n": n, "seen": []}) for n in (1, 2, 3)]
        runs.append(graph.invoke({"user": "u2", "n": 5, "seen": []}))
        return {"runs": runs, "ns": store.list_namespaces(), "item": store.get(("mem", "u1"), "k2")}

    assert_same(both(target, backend)(program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_store_in_graph_node(target, backend):
    async def main():
        found = []
        for engine in ENGINES:
            async with async_store(engine, backend, target(backend, engine)) as store:
                graph = _graph(engine, store, is_async=True)
                runs = [await graph.ainvoke({"user": "u1", "n": n, "seen": []}) for n in (1, 2)]
                found.append(observe({"runs": runs, "ns": await store.alist_namespaces()}))
        return found

    assert_same(asyncio.run(main()))


# --------------------------------------------------------------------------- one database, two engines


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("writer", ENGINES)
def test_database_written_by_the_other_engine(target, backend, writer):
    """Same tables and migration versions: a database set up and filled by one engine is
    read (and written) by the other, and gives what the writer itself reads."""
    reader = ENGINES[1 - ENGINES.index(writer)]
    where = target(backend, "shared")

    def read(store):
        return observe(
            {
                "get": [store.get(ns, key) for ns, key, _ in DATA],
                "search": keyset(store.search(("a",), filter={"n": {"$gt": 4}}, limit=100)),
                "ns": store.list_namespaces(max_depth=2),
            }
        )

    with sync_store(writer, backend, where) as store:
        fill(store)
        store.put(("t",), "ttl", {"v": 1}, ttl=5)
        expected = read(store)
    with sync_store(reader, backend, where) as store:
        assert read(store) == expected
        store.put(("a", "b"), "k1", {"text": "by reader", "n": 100})
        assert store.sweep_ttl() == 0
    with sync_store(writer, backend, where) as store:
        assert store.get(("a", "b"), "k1").value == {"text": "by reader", "n": 100}
        assert keyset(store.search(("a",), filter={"text": "by reader"})) == [(("a", "b"), "k1")]


def test_setup_is_idempotent(target):
    for backend in BACKENDS:
        where = target(backend, "jit")
        with sync_store("langgraph_jit", backend, where) as store:
            store.setup()
            store.put(("a",), "k", {"v": 1})
        with sync_store("langgraph_jit", backend, where) as store:
            assert store.get(("a",), "k").value == {"v": 1}


@pytest.mark.parametrize("backend", BACKENDS)
def test_negative_limit_and_offset(target, backend):
    """As the database takes LIMIT/OFFSET: SQLite reads -1 as none, PostgreSQL refuses."""

    def program(store, engine):
        store.put(("a",), "k1", {"v": 1})
        store.put(("a", "b"), "k2", {"v": 2})
        out = {}
        for kwargs in ({"limit": -1}, {"offset": -1}, {"limit": 0}, {"limit": 1, "offset": 1}):
            out[f"list {kwargs}"] = attempt(lambda kwargs=kwargs: store.list_namespaces(**kwargs))
            out[f"search {kwargs}"] = attempt(
                lambda kwargs=kwargs: len(store.search(("a",), **kwargs))
            )
        return out

    assert_same(both(target, backend)(program))
