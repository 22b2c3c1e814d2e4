"""PostgresStore options that change how, not what: `pipeline=True` keeps the connection in
psycopg's pipeline mode (same results); `ann_index_config` has no index to configure here
and says so with a warning instead of being dropped silently."""

from __future__ import annotations

import asyncio

import pytest

from langgraph_jit.store.postgres import AsyncPostgresStore, PostgresStore
from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)


def _work(store) -> list:
    store.setup()
    for i in range(5):
        store.put(("docs", str(i % 2)), f"k{i}", {"n": i, "tag": "even" if i % 2 == 0 else "odd"})
    store.delete(("docs", "1"), "k3")
    got = store.get(("docs", "0"), "k2")
    found = store.search(("docs",), filter={"tag": "even"}, limit=10)
    spaces = store.list_namespaces(prefix=("docs",))
    return [got.value, sorted((i.key, i.value["n"]) for i in found), spaces]


def test_pipeline_mode_gives_the_same_results(pg_dsn):  # noqa: F811
    results = []
    for pipeline in (False, True):
        with (
            fresh_database(pg_dsn) as dsn,
            PostgresStore.from_conn_string(dsn, pipeline=pipeline) as store,
        ):
            assert store.supports_pipeline is pipeline
            assert (store.conn._pipeline is not None) is pipeline
            results.append(_work(store))
    assert results[0] == results[1]


def test_async_pipeline_mode_gives_the_same_results(pg_dsn):  # noqa: F811
    async def work(dsn: str, pipeline: bool) -> list:
        async with AsyncPostgresStore.from_conn_string(dsn, pipeline=pipeline) as store:
            assert store.supports_pipeline is pipeline
            await store.setup()
            await store.aput(("a",), "x", {"v": 1})
            await store.aput(("a",), "y", {"v": 2})
            items = await store.asearch(("a",))
            return sorted((i.key, i.value["v"]) for i in items)

    results = []
    for pipeline in (False, True):
        with fresh_database(pg_dsn) as dsn:
            results.append(asyncio.run(work(dsn, pipeline)))
    assert results[0] == results[1] == [("x", 1), ("y", 2)]


def test_ann_index_config_is_not_dropped_silently(pg_dsn):  # noqa: F811
    index = {
        "dims": 2,
        "embed": lambda texts: [[1.0, 0.0] for _ in texts],
        "ann_index_config": {"kind": "hnsw"},
    }
    with (
        fresh_database(pg_dsn) as dsn,
        pytest.warns(UserWarning, match="ann_index_config"),
        PostgresStore.from_conn_string(dsn, index=index) as store,
    ):
        store.setup()
