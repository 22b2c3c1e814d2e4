"""`SqliteSaver`: checkpoints in a SQLite file, readable where LangGraph's SqliteSaver wrote.

Channel values live in `checkpoint_blobs`, one row per (channel, version), so a
long thread stores what changed, not steps x state. Needs only the stdlib.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, Literal

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import WritePipeline
from langgraph_jit.checkpoint._sql_saver import SqlSaver
from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.serde.lz4 import default_store_serde
from langgraph_jit.checkpoint.sqlite import _ops

__all__ = ("SqliteSaver",)

_AIO_ERROR_MSG = (
    "The SqliteSaver does not support async methods. "
    "Use AsyncSqliteSaver instead:\n"
    "from langgraph_jit.checkpoint.sqlite.aio import AsyncSqliteSaver\n"
    "(it needs the aiosqlite package: pip install 'langgraph-jit[sqlite]')"
)

check_prune_args = _sql.check_prune_args


class SqliteSaver(SqlSaver):
    """Checkpoint saver on a `sqlite3.Connection` (thread-safe through a lock).

    Same tables as LangGraph's SqliteSaver plus `checkpoint_blobs`; a file
    written by LangGraph can be read and its threads continued. Files we wrote
    keep values out of the `checkpoints` rows, so LangGraph's saver would read
    them without values.
    """

    ops = _ops.OPS
    _aio_error = _AIO_ERROR_MSG

    conn: sqlite3.Connection
    is_setup: bool

    def __init__(
        self, conn: sqlite3.Connection, *, serde: SerializerProtocol | None = None
    ) -> None:
        # Our SQLite rows are ours alone (LangGraph keeps values inline), so
        # values may be compressed; LangGraph's rows still load unchanged.
        super().__init__(serde=serde or default_store_serde())
        self.conn = conn
        self.is_setup = False
        self.lock = threading.RLock()
        # Made on first use; False when the connection is bound to its thread.
        self._pipeline: WritePipeline | Literal[False] | None = None

    @classmethod
    @contextmanager
    def from_conn_string(cls, conn_string: str) -> Iterator[SqliteSaver]:
        """`with SqliteSaver.from_conn_string("file.sqlite") as saver:` (":memory:" works)."""
        with closing(sqlite3.connect(conn_string, check_same_thread=False)) as conn:
            saver = cls(conn)
            try:
                yield saver
            finally:
                saver._drain()

    def setup(self) -> None:
        """Create the tables if missing (called automatically on first use)."""
        with self.lock:
            if self.is_setup:
                return
            self.conn.executescript(_ops.SETUP_SQL)
            try:
                self.conn.execute(_ops.ADD_TASK_PATH_SQL)
            except sqlite3.OperationalError as exc:
                if "duplicate column name" not in str(exc) and "readonly" not in str(exc):
                    raise
            self.conn.commit()
            self.is_setup = True

    # -- drivers: reads lock per statement, writes hold the lock and commit once

    def _execute(self, kind: int, sql: str, params: Any) -> Any:
        with self.lock:
            if not self.is_setup:
                self.setup()
            cur = self.conn.cursor()
            try:
                if kind == _sql.MANY:
                    cur.executemany(sql, params)
                    self.conn.commit()
                    return None
                cur.execute(sql, params)
                if kind == _sql.ONE:
                    return cur.fetchone()
                if kind == _sql.ALL:
                    return cur.fetchall()
                self.conn.commit()
                return None
            finally:
                cur.close()

    def _write(self, op: _sql.Op) -> None:
        with self.lock:
            if not self.is_setup:
                self.setup()
            cur = self.conn.cursor()
            try:

                def execute(kind: int, sql: str, params: Any) -> Any:
                    if kind == _sql.MANY:
                        cur.executemany(sql, params)
                        return None
                    cur.execute(sql, params)
                    if kind == _sql.ONE:
                        return cur.fetchone()
                    if kind == _sql.ALL:
                        return cur.fetchall()
                    return None

                _sql.run(op, execute)
                self.conn.commit()
            except BaseException:
                self.conn.rollback()
                raise
            finally:
                cur.close()

    # -- the write pipeline

    @property
    def write_pipeline(self) -> WritePipeline | None:
        """Where runs queue their steps' saver calls (see checkpoint/_pipeline.py);
        None if this connection refuses other threads (`check_same_thread`)."""
        pipeline = self._pipeline
        if pipeline is None:
            pipeline = self._pipeline = (
                WritePipeline(self._commit_calls, name="sqlite-checkpoint-writer")
                if _usable_from_other_threads(self.conn)
                else False
            )
        return pipeline if isinstance(pipeline, WritePipeline) else None


def _usable_from_other_threads(conn: sqlite3.Connection) -> bool:
    """Whether `conn` was opened with check_same_thread=False (sqlite3 keeps
    that to itself, so a short-lived thread tries a statement)."""
    usable: list[bool] = []

    def probe() -> None:
        try:
            conn.execute("SELECT 1").close()
            usable.append(True)
        except sqlite3.ProgrammingError:
            usable.append(False)

    thread = threading.Thread(target=probe, name="sqlite-thread-probe")
    thread.start()
    thread.join()
    return bool(usable and usable[0])
