"""SIGKILL at random points, then resume, on the MySQL savers (the three
drivers) under every durability, against a real MariaDB: as
tests/test_crash_resume_savers.py does for SQLite and PostgreSQL, the thread
ends exactly as an uninterrupted run and every saved checkpoint loads with its
parent saved too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from _crash_common import SIGKILL_AVAILABLE, check_saved_history, kill_and_resume
from _mysql_fixtures import DSN_ENV, fresh_mysql_database

pytestmark = pytest.mark.skipif(
    not os.environ.get(DSN_ENV),
    reason=f"{DSN_ENV} is unset: no MariaDB server for the MySQL saver tests "
    '(scripts/test.sh starts one: eval "$(bash scripts/mysql.sh start)")',
)

CHILD = Path(__file__).parent / "programs" / "crash_child_mysql.py"


@pytest.mark.skipif(not SIGKILL_AVAILABLE, reason="needs SIGKILL (POSIX)")
@pytest.mark.parametrize("durability", ["async", "sync", "exit"])
@pytest.mark.parametrize("kind", ["pymysql", "aiomysql", "asyncmy"])
def test_sigkill_then_resume_on_mysql(kind, durability):
    from langgraph_jit.checkpoint.mysql.aio import AIOMySQLSaver

    with fresh_mysql_database(os.environ[DSN_ENV]) as target:
        threads = kill_and_resume(
            CHILD, lambda thread: [kind, target, thread, durability], f"{kind}/{durability}"
        )
        check_saved_history(AIOMySQLSaver, target, threads)
