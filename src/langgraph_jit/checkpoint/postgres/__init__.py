"""`PostgresSaver`: checkpoints in PostgreSQL via psycopg 3, on LangGraph's schema.

Takes a `psycopg.Connection` (autocommit, as LangGraph requires) or a
`psycopg_pool.ConnectionPool`; each write is one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from typing import Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import WritePipeline
from langgraph_jit.checkpoint._sql_saver import SqlSaver
from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.postgres import _ops
from langgraph_jit.checkpoint.serde.lz4 import default_store_serde

try:
    from psycopg import Connection
    from psycopg.pq import TransactionStatus
    from psycopg.rows import dict_row, tuple_row
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "PostgresSaver needs psycopg 3: pip install 'langgraph-jit[postgres]'"
    ) from exc

try:
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover
    ConnectionPool = None  # type: ignore[assignment,misc]

__all__ = ("PostgresSaver",)

_AIO_ERROR_MSG = (
    "PostgresSaver has no async methods. Use AsyncPostgresSaver instead:\n"
    "from langgraph_jit.checkpoint.postgres.aio import AsyncPostgresSaver"
)


class PostgresSaver(SqlSaver):
    """Checkpoint saver on PostgreSQL (psycopg 3 connection or pool)."""

    ops = _ops
    _aio_error = _AIO_ERROR_MSG
    MIGRATIONS = _ops.MIGRATIONS

    def __init__(
        self, conn: Any, pipe: Any = None, serde: SerializerProtocol | None = None
    ) -> None:
        # Values of 512 bytes or more are stored lz4-compressed (when lz4 is
        # installed): PostgreSQL compresses only rows over ~2 KB, so a message
        # list's appended pieces and writes would be stored raw.
        super().__init__(serde=serde or default_store_serde())
        self.conn = conn
        self.pipe = pipe  # accepted for LangGraph compatibility; statements are batched anyway
        self.is_pool = ConnectionPool is not None and isinstance(conn, ConnectionPool)
        if not self.is_pool and not isinstance(conn, Connection):
            raise TypeError(f"Invalid connection type: {type(conn)}")
        self.lock = threading.RLock()
        self._pipeline = WritePipeline(self._commit_calls, name="postgres-checkpoint-writer")

    @classmethod
    @contextmanager
    def from_conn_string(
        cls, conn_string: str, *, pipeline: bool = False
    ) -> Iterator[PostgresSaver]:
        """`with PostgresSaver.from_conn_string(dsn) as saver:` (one autocommit connection)."""
        with Connection.connect(
            conn_string, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn:
            saver = cls(conn)
            try:
                yield saver
            finally:
                saver._drain()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.is_pool:
            with self.conn.connection() as conn:
                yield conn
        else:
            with self.lock:
                yield self.conn

    def setup(self) -> None:
        """Create the tables and run pending migrations (LangGraph's list). Call once."""
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(self.MIGRATIONS[0])
            row = cur.execute(
                "SELECT v FROM checkpoint_migrations ORDER BY v DESC LIMIT 1"
            ).fetchone()
            done = -1 if row is None else row[0]
            for v in range(done + 1, len(self.MIGRATIONS)):
                cur.execute(self.MIGRATIONS[v])
                cur.execute("INSERT INTO checkpoint_migrations (v) VALUES (%s)", (v,))

    @staticmethod
    def _run_statement(cur: Any, kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            cur.executemany(sql, params)
            return None
        cur.execute(sql, params)
        if kind == _sql.ONE:
            return cur.fetchone()
        if kind == _sql.ALL:
            return cur.fetchall()
        return None

    def _execute(self, kind: int, sql: str, params: Any) -> Any:
        with self._connection() as conn:
            if kind == _sql.READS:
                # Pipeline mode: the statements go out together, one round trip.
                with conn.pipeline():
                    cursors = []
                    for statement, args in params:
                        cur = conn.cursor(binary=True, row_factory=tuple_row)
                        cur.execute(statement, args)
                        cursors.append(cur)
                    try:
                        return [cur.fetchall() for cur in cursors]
                    finally:
                        for cur in cursors:
                            cur.close()
            writes = kind in (_sql.EXEC, _sql.MANY)
            with (
                conn.transaction() if writes else nullcontext(),
                conn.cursor(binary=True, row_factory=tuple_row) as cur,
            ):
                return self._run_statement(cur, kind, sql, params)

    def _write(self, op: _sql.Op) -> None:
        # Pipeline mode sends BEGIN, the statements and COMMIT in one round
        # trip. The explicit BEGIN/COMMIT spares the syncs psycopg's nested
        # transaction() blocks add (~1/3 of a small transaction's time).
        with self._connection() as conn:
            if not conn.autocommit:
                with (
                    conn.pipeline(),
                    conn.transaction(),
                    conn.cursor(binary=True, row_factory=tuple_row) as cur,
                ):
                    _sql.run(
                        op, lambda kind, sql, params: self._run_statement(cur, kind, sql, params)
                    )
                return
            try:
                with conn.pipeline(), conn.cursor(binary=True, row_factory=tuple_row) as cur:
                    cur.execute("BEGIN")
                    _sql.run(
                        op, lambda kind, sql, params: self._run_statement(cur, kind, sql, params)
                    )
                    cur.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise


def _rollback(conn: Any) -> None:
    """End a failed explicit transaction (the connection stays usable)."""
    if conn.info.transaction_status == TransactionStatus.IDLE or conn.closed:
        return
    with suppress(Exception):
        conn.execute("ROLLBACK")
