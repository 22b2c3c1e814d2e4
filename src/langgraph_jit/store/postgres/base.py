"""`PostgresStore`: a `BaseStore` on a psycopg 3 connection or pool."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Literal, TypedDict

from langgraph_jit.store import _sql
from langgraph_jit.store.base import IndexConfig, TTLConfig

__all__ = ["ANNIndexConfig", "PoolConfig", "PostgresIndexConfig", "PostgresStore"]


class PoolConfig(TypedDict, total=False):
    """Connection pool settings for `from_conn_string(pool_config=...)`."""

    min_size: int
    max_size: int | None
    kwargs: dict


class ANNIndexConfig(TypedDict, total=False):
    """Accepted for compatibility; vectors are ranked in process (no ANN index)."""

    kind: Literal["hnsw", "ivfflat", "flat"]
    vector_type: Literal["vector", "halfvec"]


class PostgresIndexConfig(IndexConfig, total=False):
    """`IndexConfig` plus LangGraph's pgvector options; only cosine ranking is done."""

    ann_index_config: ANNIndexConfig
    distance_type: Literal["l2", "inner_product", "cosine"]


def psycopg_executor(cur: Any) -> Callable[[int, str, Any], Any]:
    def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.ALL:
            cur.execute(sql, params)
            return cur.fetchall()
        if kind == _sql.MANY:
            if params:
                cur.executemany(sql, params)
            return None
        cur.execute(sql, params)
        return None

    return execute


def check_index(index: Any) -> None:
    distance = (index or {}).get("distance_type", "cosine")
    if distance != "cosine":
        raise ValueError(
            f"distance_type {distance!r} is not supported: langgraph_jit ranks stored vectors "
            "in process by cosine similarity (no pgvector needed)"
        )
    if (index or {}).get("ann_index_config"):
        warnings.warn(
            "ann_index_config has no effect: langgraph_jit's PostgresStore builds no ANN "
            "index (no pgvector); every search ranks the candidate vectors exactly",
            UserWarning,
            stacklevel=3,
        )


def is_pool(conn: Any, class_name: str) -> bool:
    """Is `conn` a psycopg_pool pool (psycopg_pool may be absent)?"""
    try:
        import psycopg_pool
    except ImportError:  # pragma: no cover
        return False
    return isinstance(conn, getattr(psycopg_pool, class_name))


def connect_kwargs(pool_config: PoolConfig | None, pipeline: bool = False) -> dict:
    from psycopg.rows import dict_row

    # Statements are prepared at once, except in pipeline mode, where psycopg can queue a
    # use of a prepared statement behind the batch that deallocates it.
    prepare = None if pipeline else 0
    kwargs = {"autocommit": True, "prepare_threshold": prepare, "row_factory": dict_row}
    if pool_config:
        kwargs.update(pool_config.get("kwargs") or {})
    return kwargs


class PostgresStore(_sql.SyncSqlStore):
    """Items in PostgreSQL (tables `store`, `store_migrations`, and with an `index`
    config `store_vectors_f32`); call `setup()` once. Semantic search ranks the stored
    vectors in process by cosine similarity: pgvector is not needed (nor used)."""

    def __init__(
        self,
        conn: Any,
        *,
        pipe: Any = None,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: PostgresIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        check_index(index)
        self.conn = conn
        self.pipe = pipe
        self.lock = threading.Lock()
        self.is_pool = is_pool(conn, "ConnectionPool")
        self.supports_pipeline = pipe is not None
        self._sweeper: _sql.ThreadSweeper | None = None
        self._init_core(_sql.POSTGRES, index, ttl, deserializer)

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        pipeline: bool = False,
        pool_config: PoolConfig | None = None,
        index: PostgresIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> Iterator[PostgresStore]:
        """`with PostgresStore.from_conn_string(dsn) as store:` (one autocommit
        connection, or a pool with `pool_config`)."""
        from psycopg import Connection
        from psycopg_pool import ConnectionPool

        if pool_config is not None:
            with ConnectionPool(
                conn_string,
                min_size=pool_config.get("min_size", 1),
                max_size=pool_config.get("max_size"),
                kwargs=connect_kwargs(pool_config),
            ) as pool:
                store = cls(pool, index=index, ttl=ttl)
                try:
                    yield store
                finally:
                    store.stop_ttl_sweeper(0)
            return
        # pipeline=True: the connection stays in pipeline mode, so a batch's
        # statements go out together and their results come back at its end.
        with (
            Connection.connect(conn_string, **connect_kwargs(None, pipeline)) as conn,
            conn.pipeline() if pipeline else nullcontext() as pipe,
        ):
            store = cls(conn, pipe=pipe, index=index, ttl=ttl)
            try:
                yield store
            finally:
                store.stop_ttl_sweeper(0)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.is_pool:
            with self.conn.connection() as conn:
                yield conn
        else:
            with self.lock:
                yield self.conn

    def _run(self, op: _sql.Batch) -> Any:
        from psycopg.rows import tuple_row

        with (
            self._connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            return _sql.run(op, psycopg_executor(cur), self.embeddings)
