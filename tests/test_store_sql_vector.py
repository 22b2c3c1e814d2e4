"""Semantic search on our SQL stores (issue 19): vectors stored as float32 bytes and ranked
in process, on SQLite and PostgreSQL, sync and async. LangGraph's SQL stores need sqlite-vec
(an extension this Python cannot load) or pgvector (absent from the test cluster), so the
oracle is LangGraph's InMemoryStore, whose ranking rules (best vector per item, paging by
item, unscored items after the scored ones) the SQL stores follow."""

from __future__ import annotations

import asyncio

import pytest
from langgraph.store.memory import InMemoryStore as LgMemoryStore

from _store_diff_common import DIMS, DOCS, aembed_fn, embed_fn
from saver_fixtures import fresh_database, pg_dsn  # noqa: F401
from test_store_sql_diff import BACKENDS, async_store, sync_store

pytestmark = pytest.mark.timeout(120)

CONFIGS = {
    "whole": {"dims": DIMS, "embed": embed_fn},
    "fields": {"dims": DIMS, "embed": embed_fn, "fields": ["text", "meta.lang", "sub[*].t"]},
}
QUERIES = ["quick brown", "programming", "bread", "zzz", "notes"]


@pytest.fixture
def where(request, tmp_path):
    made = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"v{len(made)}.db")
        cm = fresh_database(request.getfixturevalue("pg_dsn"))
        made.append(cm)
        return cm.__enter__()

    yield make
    for cm in made:
        cm.__exit__(None, None, None)


def ranked(items: list) -> list:
    """Scored items in order (score rounded: float32 storage); unscored as a set."""
    scored = [
        (tuple(i.namespace), i.key, i.value, round(i.score, 5))
        for i in items
        if i.score is not None
    ]
    unscored = sorted((tuple(i.namespace), i.key) for i in items if i.score is None)
    return [scored, unscored]


def searches(store) -> dict:
    out = {}
    for q in QUERIES:
        for prefix in [(), ("docs",), ("notes",)]:
            out[f"{q}|{prefix}"] = ranked(store.search(prefix, query=q, limit=4))
            out[f"{q}|{prefix}|off"] = ranked(store.search(prefix, query=q, limit=2, offset=1))
    out["filter"] = ranked(store.search(("docs",), query="brown", filter={"n": {"$gt": 1}}))
    out["no_query"] = sorted((tuple(i.namespace), i.key) for i in store.search(("docs",)))
    return out


def overrides(store) -> dict:
    store.put(("docs", "x"), "no_index", {"text": "quick brown fox"}, index=False)
    store.put(("docs", "x"), "paths", {"text": "nope", "title": "quick brown"}, index=["title"])
    store.put(("docs", "x"), "dollar", {"text": "quick brown fox"}, index=["$"])
    out = {"overrides": ranked(store.search(("docs", "x"), query="quick brown fox", limit=10))}
    store.delete(("docs", "a"), "1")
    out["after_delete"] = ranked(store.search(("docs",), query="quick brown", limit=3))
    return out


def expected(config: str) -> dict:
    store = LgMemoryStore(index=CONFIGS[config])
    for ns, key, value in DOCS:
        store.put(ns, key, value)
    return {**searches(store), **overrides(store)}


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("backend", BACKENDS)
def test_vector_search_sync(where, backend, config):
    with sync_store("langgraph_jit", backend, where(backend), index=CONFIGS[config]) as store:
        for ns, key, value in DOCS:
            store.put(ns, key, value)
        found = {**searches(store), **overrides(store)}
    assert found == expected(config)


@pytest.mark.parametrize("backend", BACKENDS)
def test_vector_search_async(where, backend):
    config = {"dims": DIMS, "embed": aembed_fn, "fields": ["text"]}
    oracle = LgMemoryStore(index=config)

    async def main():
        for ns, key, value in DOCS:
            await oracle.aput(ns, key, value)
        want = [ranked(await oracle.asearch((), query=q, limit=5)) for q in QUERIES]
        async with async_store("langgraph_jit", backend, where(backend), index=config) as store:
            for ns, key, value in DOCS:
                await store.aput(ns, key, value)
            got = [ranked(await store.asearch((), query=q, limit=5)) for q in QUERIES]
            # a replaced item is ranked by its new text only
            await store.aput(("notes",), "6", {"text": "python programming"})
            top = await store.asearch(("notes",), query="python programming", limit=1)
        return want, got, top

    want, got, top = asyncio.run(main())
    assert got == want
    assert top[0].key == "6" and top[0].score == pytest.approx(1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_vectors_follow_their_items(where, backend):
    """Replacing an item drops its old vectors; deleting or sweeping it drops them all."""
    with sync_store(
        "langgraph_jit", backend, where(backend), index={"dims": DIMS, "embed": embed_fn}
    ) as store:
        store.put(("v",), "a", {"text": "alpha"}, ttl=1)
        store.put(("v",), "b", {"text": "beta"})
        store.put(("v",), "a", {"text": "gamma"}, ttl=1)
        table = store._core.dialect.vector_table

        def sql(text: str):
            cur = store.conn.cursor()
            try:
                cur.execute(text)
                return cur.fetchone() if cur.description else None
            finally:
                cur.close()

        def count() -> int:
            row = sql(f"SELECT count(*) AS n FROM {table}")
            return row[0] if isinstance(row, tuple) else row["n"]

        assert count() == 2
        store.delete(("v",), "b")
        assert count() == 1
        sql("UPDATE store SET expires_at = '2000-01-01 00:00:00'")
        assert store.sweep_ttl() == 1
        assert count() == 0


def test_postgres_distance_other_than_cosine(where):
    from langgraph_jit.store.postgres import PostgresStore

    with pytest.raises(ValueError, match="cosine"):
        PostgresStore(None, index={"dims": 2, "embed": embed_fn, "distance_type": "l2"})
