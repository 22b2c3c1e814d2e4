"""`convert` between langgraph-checkpoint-mysql and our MySQL saver, both ways,
on MariaDB: test_checkpoint_convert.py's round trips (convert half-way through a
scenario, finish it on the other engine, compare with finishing it unconverted)
with `mysql://` databases. Our saver reads that package's threads directly (same
tables); a thread we wrote needs the conversion before its saver can read it."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from _mysql_fixtures import DSN_ENV, fresh_mysql_database

pytestmark = pytest.mark.skipif(
    not os.environ.get(DSN_ENV),
    reason=f"{DSN_ENV} is unset: no MariaDB server for the MySQL saver tests "
    '(scripts/test.sh starts one: eval "$(bash scripts/mysql.sh start)")',
)

tc = pytest.importorskip("test_checkpoint_convert")


@pytest.fixture
def mysql_saver_opener(monkeypatch):
    original = tc.open_saver

    @contextmanager
    def open_saver(engine: str, location: str):
        if not location.startswith("mysql://"):
            with original(engine, location) as saver:
                yield saver
            return
        if engine == "langgraph":
            from langgraph.checkpoint.mysql.pymysql import PyMySQLSaver
        else:
            from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver
        with PyMySQLSaver.from_conn_string(location) as saver:
            saver.setup()
            yield saver

    monkeypatch.setattr(tc, "open_saver", open_saver)
    original_assert = tc.assert_same_stored

    def assert_same_stored(got: dict, want: dict) -> None:
        # langgraph-checkpoint-mysql lists a checkpoint's pending writes in key
        # order (task id, index), ours in LangGraph's savers' replay order (task
        # path, task id, index): compared per task.
        for stored in (got, want):
            for checkpoints in stored.values():
                for one in checkpoints:
                    one["writes"] = sorted(one["writes"], key=lambda w: w[0])
        original_assert(got, want)

    monkeypatch.setattr(tc, "assert_same_stored", assert_same_stored)


# langgraph-checkpoint-mysql 3.0.0 predates DeltaChannel: on its saver the "delta"
# scenario shows other states than on LangGraph's own SqliteSaver (ours shows
# LangGraph's: test_delta_channels_on_our_mysql_saver_match_langgraph_sqlite),
# so there is no reference to round-trip against.
ROUND_TRIPS = sorted(s for s in tc.SCENARIOS if s != "delta")


@pytest.mark.parametrize("scenario", ROUND_TRIPS)
@pytest.mark.parametrize("src_engine", ["langgraph", "langgraph_jit"])
def test_mysql_round_trip(mysql_saver_opener, scenario, src_engine):
    dsn = os.environ[DSN_ENV]
    with fresh_mysql_database(dsn) as src, fresh_mysql_database(dsn) as dst:
        tc.run_round_trip(scenario, src_engine, src, dst)


@pytest.mark.parametrize("src_engine", ["langgraph", "langgraph_jit"])
def test_sqlite_to_mysql(mysql_saver_opener, tmp_path, src_engine):
    with fresh_mysql_database(os.environ[DSN_ENV]) as dst:
        tc.run_round_trip("main", src_engine, str(tmp_path / "src.sqlite"), dst)


def test_convert_refuses_the_same_mysql_database():
    from langgraph_jit._checkpoint_convert import ConvertError, convert

    with fresh_mysql_database(os.environ[DSN_ENV]) as db:
        with pytest.raises(ConvertError, match="same database"):
            convert(db, db, to="langgraph")
        with (
            fresh_mysql_database(os.environ[DSN_ENV]) as other,
            pytest.raises(ConvertError, match=r"no `checkpoints` table"),
        ):
            convert(other, db, to="langgraph")


def test_delta_channels_on_our_mysql_saver_match_langgraph_sqlite(mysql_saver_opener, tmp_path):
    build, part1, part2, threads = tc.SCENARIOS["delta"]

    def run(engine: str, location: str):
        with tc.open_saver(engine, location) as saver:
            app = build(engine, saver)
            part1(engine, app)
            before = tc.observe(app, threads)
            out = tc.plain(part2(engine, app))
            return [tc.without_new_ids(x, set()) for x in (before, out, tc.observe(app, threads))]

    with fresh_mysql_database(os.environ[DSN_ENV]) as db:
        ours = run("langgraph_jit", db)
    assert ours == run("langgraph", str(tmp_path / "reference.sqlite"))
