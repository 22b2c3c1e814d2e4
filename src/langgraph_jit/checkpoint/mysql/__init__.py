"""Checkpoints in MySQL/MariaDB: the sync savers' shared driver.

`langgraph_jit.checkpoint.mysql.pymysql.PyMySQLSaver` (PyMySQL),
`.aio.AIOMySQLSaver` (aiomysql) and `.asyncmy.AsyncMySaver` (asyncmy), and
their shallow variants, store on langgraph-checkpoint-mysql's tables (see
`_ops`). The drivers are optional extras, imported when a saver connects:
`pip install 'langgraph-jit[mysql]'` (PyMySQL, aiomysql) or `[asyncmy]`.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import WritePipeline
from langgraph_jit.checkpoint._sql_saver import SqlSaver
from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.mysql import _ops
from langgraph_jit.store.mysql.base import borrowed, connection_closed, reconnecting, reopen

__all__ = ["BaseSyncMySQLSaver"]

BEGIN = (_sql.EXEC, "BEGIN", None)
COMMIT = (_sql.EXEC, "COMMIT", None)


def in_transaction(op: _sql.Op) -> _sql.Op:
    """`op` between BEGIN and COMMIT, unless it is a single write (atomic alone:
    one round trip instead of three) or writes nothing."""
    pending: tuple | None = None
    began = False
    try:
        msg = next(op)
        while True:
            if msg[0] in (_sql.EXEC, _sql.MANY):
                if pending is not None:
                    if not began:
                        began = True
                        yield BEGIN
                    yield pending
                pending = msg
                msg = next(op)
                continue
            if pending is not None:  # a read after a write: it must see it
                if not began:
                    began = True
                    yield BEGIN
                yield pending
                pending = None
            msg = op.send((yield msg))
    except StopIteration:
        pass
    if pending is not None:
        yield pending
    if began:
        yield COMMIT


def statement_runner(cur: Any) -> Any:
    def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            if params:
                cur.executemany(sql, params)
            return None
        cur.execute(sql, params)
        if kind == _sql.ONE:
            return cur.fetchone()
        if kind == _sql.ALL:
            return cur.fetchall()
        return None

    return execute


class BaseSyncMySQLSaver(SqlSaver):
    """Checkpoint saver on a blocking MySQL driver's connection (used under a
    lock), or a callable / pool (`connect()`) that hands one out. Each write
    is one transaction; a connection the server dropped (restart,
    wait_timeout, KILL) is reopened before an operation's first statement."""

    ops = _ops.OPS
    _aio_error = (
        "This MySQL saver has no async methods. Use AIOMySQLSaver "
        "(langgraph_jit.checkpoint.mysql.aio) or AsyncMySaver (.asyncmy)."
    )

    def __init__(self, conn: Any, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.conn = conn
        self.lock = threading.RLock()
        self.is_setup = False
        # Re-run after a reconnect (from_conn_string sets them).
        self.session_statements: tuple[str, ...] = ()
        self._pipeline = WritePipeline(self._commit_calls, name="mysql-checkpoint-writer")

    @staticmethod
    def _cursor_class() -> Any:
        """The driver's tuple cursor (whatever cursor the connection defaults to)."""
        raise NotImplementedError

    def _run(self, op: _sql.Op, write: bool) -> Any:
        with borrowed(self.conn, self.lock) as conn:
            autocommit = conn.get_autocommit()
            if write and autocommit:
                op = in_transaction(op)
            try:
                with conn.cursor(self._cursor_class()) as cur:
                    own = conn is self.conn
                    execute = reconnecting(
                        statement_runner(cur),
                        conn,
                        (lambda: reopen(conn, self.session_statements)) if own else None,
                    )
                    result = _sql.run(op, execute)
                if not autocommit:  # ends a read's snapshot too
                    conn.commit()
                return result
            except BaseException:
                if not connection_closed(conn):
                    with suppress(Exception):
                        conn.rollback()
                raise

    def setup(self) -> None:
        """Create the tables if missing (a database langgraph-checkpoint-mysql set
        up is used as it is). Call once."""
        self._run(_ops.setup(), write=False)
        self.is_setup = True

    def _execute(self, kind: int, sql: str, params: Any) -> Any:
        # One statement of a read op: reads run outside a transaction.
        return self._run(_single(kind, sql, params), write=False)

    def _write(self, op: _sql.Op) -> None:
        self._run(op, write=True)


def _single(kind: int, sql: str, params: Any) -> _sql.Op:
    result = yield (kind, sql, params)
    yield (_sql.EMIT, result)
