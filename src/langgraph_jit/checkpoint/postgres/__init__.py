"""`PostgresSaver`: checkpoints in PostgreSQL via psycopg 3, on LangGraph's schema.

Takes a `psycopg.Connection` (autocommit, as LangGraph requires) or a
`psycopg_pool.ConnectionPool`; each write is one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import Calls, WritePipeline
from langgraph_jit.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    OwnPutCapability,
    OwnWritesCapability,
    SerializerProtocol,
)
from langgraph_jit.checkpoint.postgres import _ops

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


class PostgresSaver(BaseCheckpointSaver[str]):
    """Checkpoint saver on PostgreSQL (psycopg 3 connection or pool)."""

    stores_values_by_version = OwnPutCapability()
    accepts_frozen_versions_seen = OwnPutCapability()
    pipelines_writes = OwnWritesCapability()
    reads_history = _sql.ReadsHistory()
    MIGRATIONS = _ops.MIGRATIONS

    def __init__(
        self, conn: Any, pipe: Any = None, serde: SerializerProtocol | None = None
    ) -> None:
        super().__init__(serde=serde)
        self.conn = conn
        self.pipe = pipe  # accepted for LangGraph compatibility; statements are batched anyway
        self.is_pool = ConnectionPool is not None and isinstance(conn, ConnectionPool)
        if not self.is_pool and not isinstance(conn, Connection):
            raise TypeError(f"Invalid connection type: {type(conn)}")
        self.lock = threading.RLock()
        self.write_pipeline = WritePipeline(self._commit_calls, name="postgres-checkpoint-writer")

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

    def _commit_calls(self, calls: Calls) -> None:
        self._write(_sql.coalesced(_ops.write_steps(self.serde, calls)))

    def _drain(self) -> None:
        """Wait for queued steps, so a read sees them."""
        if self.write_pipeline.busy:
            self.write_pipeline.drain()

    # -- API

    def get_tuple(self, config: dict) -> CheckpointTuple | None:
        """The checkpoint named by `config` (its `checkpoint_id`, else the latest), or None."""
        self._drain()
        return _sql.run(_ops.get_tuple(self.serde, config), self._execute)

    def list(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Matching checkpoints, newest first."""
        self._drain()
        yield from _sql.drive(_ops.list_(self.serde, config, filter, before, limit), self._execute)

    def history(
        self,
        config: dict | None,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[_sql.HistoryEntry]:
        """`list` before it makes CheckpointTuples (`reads_history`: what
        get_state_history reads when this class's listing is not overridden)."""
        self._drain()
        op = _ops.history(self.serde, config, filter, before, limit)
        for page in _sql.drive(op, self._execute):
            yield from page

    def put(
        self,
        config: dict,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict:
        """Store `checkpoint` (blobs only for `new_versions`) in one transaction; return its config."""
        self._write(_ops.put(self.serde, config, checkpoint, metadata, new_versions))
        conf = config["configurable"]
        return {
            "configurable": {
                "thread_id": conf["thread_id"],
                "checkpoint_ns": conf.get("checkpoint_ns", ""),
                "checkpoint_id": checkpoint["id"],
            }
        }

    def put_writes(
        self,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against `config`'s checkpoint (idempotent)."""
        self._write(_ops.put_writes(self.serde, config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        self._drain()
        self._write(_ops.delete_thread(thread_id))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) whose metadata `run_id` is listed."""
        self._drain()
        self._write(_ops.delete_for_runs(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._drain()
        self._write(_ops.copy_thread(source_thread_id, target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`keep_latest` (latest checkpoint of each namespace) or `delete` (everything)."""
        ids = _sql.check_prune_args(thread_ids, strategy)
        self._drain()
        if ids:
            self._write(_ops.prune(ids, strategy))

    def get_next_version(self, current: str | int | None, channel: None = None) -> str:
        return _sql.next_version(current)

    # -- async: use AsyncPostgresSaver

    async def aget_tuple(self, config: dict) -> CheckpointTuple | None:
        raise NotImplementedError(_AIO_ERROR_MSG)

    async def alist(self, config: dict | None, **kwargs: Any) -> AsyncIterator[CheckpointTuple]:
        raise NotImplementedError(_AIO_ERROR_MSG)
        yield

    async def aput(self, *args: Any, **kwargs: Any) -> dict:
        raise NotImplementedError(_AIO_ERROR_MSG)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(_AIO_ERROR_MSG)

    async def adelete_thread(self, thread_id: str) -> None:
        raise NotImplementedError(_AIO_ERROR_MSG)


def _rollback(conn: Any) -> None:
    """End a failed explicit transaction (the connection stays usable)."""
    if conn.info.transaction_status == TransactionStatus.IDLE or conn.closed:
        return
    with suppress(Exception):
        conn.execute("ROLLBACK")
