"""LangGraph's checkpointer conformance suite (`langgraph-checkpoint-conformance`)
on the MySQL savers, against a real MariaDB: every capability (the five base
ones plus delete_for_runs, copy_thread and prune) detected and passing, for the
three drivers; the shallow savers pass what keeping one checkpoint allows."""

from __future__ import annotations

import asyncio
import os

import pytest

from _mysql_fixtures import DSN_ENV, fresh_mysql_database
from test_checkpoint_conformance import sync_driven

pytestmark = pytest.mark.skipif(
    not os.environ.get(DSN_ENV),
    reason=f"{DSN_ENV} is unset: no MariaDB server for the MySQL saver tests "
    '(scripts/test.sh starts one: eval "$(bash scripts/mysql.sh start)")',
)

SAVERS = ["PyMySQLSaver", "AIOMySQLSaver", "AsyncMySaver"]


def _saver_class(name):
    from langgraph_jit.checkpoint.mysql import aio, asyncmy, pymysql

    for module in (pymysql, aio, asyncmy):
        if hasattr(module, name):
            return getattr(module, name)
    raise LookupError(name)


def _factory(name):
    cls = _saver_class(name)
    dsn0 = os.environ[DSN_ENV]

    async def factory():
        with fresh_mysql_database(dsn0) as dsn:
            if "PyMySQL" in name:
                with sync_driven(cls).from_conn_string(dsn) as saver:
                    saver.setup()
                    yield saver
            else:
                async with cls.from_conn_string(dsn) as saver:
                    await saver.setup()
                    yield saver

    return factory


def _validate(name):
    from langgraph.checkpoint.conformance import checkpointer_test, validate

    registered = checkpointer_test(name=name)(_factory(name))
    return asyncio.run(validate(registered))


@pytest.mark.parametrize("name", SAVERS)
def test_mysql_conformance_full_capabilities(name):
    from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES

    report = _validate(name)
    failures = {
        cap: result.failures for cap, result in report.results.items() if result.passed is not True
    }
    assert not failures, failures
    assert {cap for cap, r in report.results.items() if r.detected} == {
        c.value for c in ALL_CAPABILITIES
    }
    assert report.passed_all_base() and report.passed_all()


@pytest.mark.parametrize(
    "name", ["ShallowPyMySQLSaver", "ShallowAIOMySQLSaver", "ShallowAsyncMySaver"]
)
def test_mysql_shallow_conformance(name):
    """A shallow saver keeps one checkpoint per namespace, so the suite's tests
    of several checkpoints per thread (history, parents, copies of histories)
    cannot pass: put_writes, delete_thread and prune do (langgraph-checkpoint-
    mysql's ShallowPyMySQLSaver passes put_writes only)."""
    report = _validate(name)
    assert {cap for cap, r in report.results.items() if r.passed is True} == {
        "put_writes",
        "delete_thread",
        "prune",
    }
