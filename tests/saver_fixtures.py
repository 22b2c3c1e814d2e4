"""Fixtures for the saver tests: a private PostgreSQL cluster and fresh databases.

`scripts/test.sh` starts one cluster and exports LANGGRAPH_JIT_TEST_PG_DSN;
without it, the `pg_dsn` fixture starts (and finally removes) its own with
`scripts/postgres.sh`. Each test gets a new database, so tests never see
each other's threads.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DSN_ENV = "LANGGRAPH_JIT_TEST_PG_DSN"


@pytest.fixture(scope="session")
def pg_dsn():
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        yield dsn
        return
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh"), "start"],
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value.strip("'")
    try:
        yield env[DSN_ENV]
    finally:
        subprocess.run(
            [
                "bash",
                str(ROOT / "scripts" / "postgres.sh"),
                "stop",
                env["LANGGRAPH_JIT_TEST_PG_DIR"],
            ],
            check=False,
            stdin=subprocess.DEVNULL,
        )


def _with_db(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def fresh_database(pg_dsn: str):
    """A new, empty database on the test cluster; dropped afterwards."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(pg_dsn, name)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_db(pg_dsn):
    with fresh_database(pg_dsn) as dsn:
        yield dsn


# -- savers by kind, each a context manager yielding a ready saver

SYNC_KINDS = ("memory", "sqlite", "postgres")
ASYNC_KINDS = ("memory", "sqlite", "postgres")


@contextmanager
def sync_saver(kind: str, tmp_path: Path, pg_dsn_factory):
    if kind == "memory":
        from langgraph_jit.checkpoint.memory import InMemorySaver

        yield InMemorySaver()
    elif kind == "sqlite":
        from langgraph_jit.checkpoint.sqlite import SqliteSaver

        with SqliteSaver.from_conn_string(str(tmp_path / f"{uuid.uuid4().hex}.sqlite")) as saver:
            yield saver
    elif kind == "postgres":
        from langgraph_jit.checkpoint.postgres import PostgresSaver

        with pg_dsn_factory() as dsn, PostgresSaver.from_conn_string(dsn) as saver:
            saver.setup()
            yield saver
    else:  # pragma: no cover
        raise ValueError(kind)


@asynccontextmanager
async def async_saver(kind: str, tmp_path: Path, pg_dsn_factory):
    if kind == "memory":
        from langgraph_jit.checkpoint.memory import InMemorySaver

        yield InMemorySaver()
    elif kind == "sqlite":
        from langgraph_jit.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(
            str(tmp_path / f"{uuid.uuid4().hex}.sqlite")
        ) as saver:
            yield saver
    elif kind == "postgres":
        from langgraph_jit.checkpoint.postgres.aio import AsyncPostgresSaver

        with pg_dsn_factory() as dsn:
            async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
                await saver.setup()
                yield saver
    else:  # pragma: no cover
        raise ValueError(kind)
