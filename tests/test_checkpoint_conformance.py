"""LangGraph's public checkpointer conformance suite (`langgraph-checkpoint-conformance`) on our savers.

The suite drives a saver through its async methods only, so the sync savers
run behind `SyncDriven`, which sends each async call to the sync method in a
worker thread. Every capability (the five base ones plus delete_for_runs,
copy_thread and prune) must be detected and pass.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401


def sync_driven(cls):
    """A subclass of sync saver `cls` whose async methods call the sync ones in a thread."""

    class SyncDriven(cls):
        async def aget_tuple(self, config):
            return await asyncio.to_thread(self.get_tuple, config)

        async def alist(self, config, *, filter=None, before=None, limit=None):
            items = await asyncio.to_thread(
                lambda: list(self.list(config, filter=filter, before=before, limit=limit))
            )
            for item in items:
                yield item

        async def aput(self, config, checkpoint, metadata, new_versions):
            return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

        async def aput_writes(self, config, writes, task_id, task_path=""):
            return await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

        async def adelete_thread(self, thread_id):
            return await asyncio.to_thread(self.delete_thread, thread_id)

        async def adelete_for_runs(self, run_ids):
            return await asyncio.to_thread(self.delete_for_runs, run_ids)

        async def acopy_thread(self, source_thread_id, target_thread_id):
            return await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

        async def aprune(self, thread_ids, *, strategy="keep_latest"):
            return await asyncio.to_thread(self.prune, thread_ids, strategy=strategy)

    SyncDriven.__name__ = f"SyncDriven{cls.__name__}"
    return SyncDriven


SAVERS = ["InMemorySaver", "SqliteSaver", "AsyncSqliteSaver", "PostgresSaver", "AsyncPostgresSaver"]


def _factory(name, tmp_path, dsn_factory):
    async def factory():
        if name == "InMemorySaver":
            from langgraph_jit.checkpoint.memory import InMemorySaver

            yield InMemorySaver()
        elif name == "SqliteSaver":
            from langgraph_jit.checkpoint.sqlite import SqliteSaver

            with sync_driven(SqliteSaver).from_conn_string(
                str(tmp_path / f"{uuid.uuid4().hex}.db")
            ) as saver:
                yield saver
        elif name == "AsyncSqliteSaver":
            from langgraph_jit.checkpoint.sqlite.aio import AsyncSqliteSaver

            async with AsyncSqliteSaver.from_conn_string(
                str(tmp_path / f"{uuid.uuid4().hex}.db")
            ) as saver:
                yield saver
        elif name == "PostgresSaver":
            from langgraph_jit.checkpoint.postgres import PostgresSaver

            with dsn_factory() as dsn, sync_driven(PostgresSaver).from_conn_string(dsn) as saver:
                saver.setup()
                yield saver
        else:
            from psycopg_pool import AsyncConnectionPool

            from langgraph_jit.checkpoint.postgres.aio import AsyncPostgresSaver

            # The async PostgreSQL saver runs on a pool, the sync one on a connection.
            with dsn_factory() as dsn:
                async with AsyncConnectionPool(
                    dsn,
                    min_size=1,
                    max_size=4,
                    kwargs={"autocommit": True, "prepare_threshold": 0},
                    open=False,
                ) as pool:
                    saver = AsyncPostgresSaver(pool)
                    await saver.setup()
                    yield saver

    return factory


@pytest.mark.parametrize("name", SAVERS)
def test_conformance_full_capabilities(name, tmp_path, request):
    from langgraph.checkpoint.conformance import checkpointer_test, validate
    from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES

    def dsn_factory():
        return fresh_database(request.getfixturevalue("pg_dsn"))

    registered = checkpointer_test(name=name)(_factory(name, tmp_path, dsn_factory))
    report = asyncio.run(validate(registered))
    failures = {
        cap: result.failures for cap, result in report.results.items() if result.passed is not True
    }
    assert not failures, failures
    assert {cap for cap, r in report.results.items() if r.detected} == {
        c.value for c in ALL_CAPABILITIES
    }
    assert report.passed_all_base() and report.passed_all()
