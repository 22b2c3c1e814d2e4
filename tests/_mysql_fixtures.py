"""Fixtures for the MySQL store tests: a private MariaDB server and fresh databases.

`scripts/test.sh` may start one server and export LANGGRAPH_JIT_TEST_MYSQL_DSN;
without it, the `mysql_dsn` fixture starts (and at session end stops) its own with
`scripts/mysql.sh`, and skips the tests, saying why, if the server cannot start.
Each test gets a new database (utf8mb4, binary collation unless asked otherwise).
"""

from __future__ import annotations

import os
import subprocess
import urllib.parse
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DSN_ENV = "LANGGRAPH_JIT_TEST_MYSQL_DSN"
DIR_ENV = "LANGGRAPH_JIT_TEST_MYSQL_DIR"


# The server this session started: test modules import `mysql_dsn` each, which makes
# one session fixture per module, and they must share one server.
_started: dict[str, str] = {}


@pytest.fixture(scope="session")
def mysql_dsn():
    dsn = os.environ.get(DSN_ENV) or _started.get(DSN_ENV)
    if dsn:
        yield dsn
        return
    try:
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "mysql.sh"), "start"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not start MariaDB with scripts/mysql.sh: {exc}")
    if done.returncode != 0:
        pytest.skip(
            f"could not start MariaDB with scripts/mysql.sh (exit {done.returncode}):"
            f" {done.stderr.strip()[-500:]}"
        )
    for line in done.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            _started[key] = value.strip("'")
    try:
        yield _started[DSN_ENV]
    finally:
        directory = _started.pop(DIR_ENV)
        _started.clear()
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "mysql.sh"), "stop", directory],
            check=False,
            stdin=subprocess.DEVNULL,
        )


def admin_connection(dsn: str):
    import pymysql

    url = urllib.parse.urlparse(dsn)
    return pymysql.connect(
        host=url.hostname,
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        autocommit=True,
        charset="utf8mb4",
    )


@contextmanager
def fresh_mysql_database(dsn: str, collation: str = "utf8mb4_bin"):
    """A new, empty database on the test server (its URL); dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:16]
    with admin_connection(dsn) as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {collation}")
    try:
        yield dsn.rpartition("/")[0] + "/" + name
    finally:
        with admin_connection(dsn) as admin, admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def mysql_db(mysql_dsn):
    """A factory of fresh databases (URLs), all dropped at the test's end."""
    made: list = []

    def make(collation: str = "utf8mb4_bin") -> str:
        cm = fresh_mysql_database(mysql_dsn, collation)
        made.append(cm)
        return cm.__enter__()

    yield make
    for cm in reversed(made):
        cm.__exit__(None, None, None)
