"""`BaseAsyncMySQLStore`: the MySQL store on an asyncio driver's connection or pool
(aiomysql, asyncmy)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from langgraph_jit.store import _sql
from langgraph_jit.store.base import Op, Result, TTLConfig
from langgraph_jit.store.mysql.base import (
    SESSION_STATEMENTS,
    MySQLIndexConfig,
    areconnecting,
    areopen,
    connection_closed,
    fewest_round_trips,
    in_transaction,
    parse_conn_string,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BaseAsyncMySQLStore"]


def async_executor(cur: Any) -> Callable[[int, str, Any], Any]:
    async def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            if params:
                await cur.executemany(sql, params)
            return None
        await cur.execute(sql, params or None)
        return await cur.fetchall() if kind == _sql.ALL else None

    return execute


class BaseAsyncMySQLStore(_sql.AsyncSqlStore):
    """The MySQL store for asyncio; same tables as `PyMySQLStore`. `conn` is a
    connection (used under a lock) or a pool with `acquire()`. Its sync methods may be
    called from other threads than the event loop's."""

    def __init__(
        self,
        conn: Any,
        *,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: MySQLIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self._sweeper: _sql.TaskSweeper | None = None
        # Re-run after a reconnect (set by from_conn_string, which ran them first).
        self.session_statements: tuple[str, ...] = ()
        self._init_core(_sql.MYSQL, index, ttl, deserializer)

    # The driver: its module (with `connect`), and where its tuple cursor class lives.
    driver: str = ""
    cursor_path: tuple[str, str] = ("", "")

    @classmethod
    def _cursor_class(cls) -> Any:
        """The driver's tuple cursor."""
        module, name = cls.cursor_path
        return getattr(importlib.import_module(module), name)

    @staticmethod
    def parse_conn_string(conn_string: str) -> dict[str, Any]:
        return parse_conn_string(conn_string, "db")

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        index: MySQLIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[Self]:
        """`async with Store.from_conn_string("mysql://user:pw@host:3306/db") as store:`
        (one autocommit utf8mb4 connection, READ COMMITTED, strict mode)."""
        connect = importlib.import_module(cls.driver).connect
        async with connect(
            **cls.parse_conn_string(conn_string), autocommit=True, charset="utf8mb4"
        ) as conn:
            async with conn.cursor() as cur:
                for statement in SESSION_STATEMENTS:
                    await cur.execute(statement)
            store = cls(conn, index=index, ttl=ttl)
            store.session_statements = SESSION_STATEMENTS
            try:
                yield store
            finally:
                await store.stop_ttl_sweeper()

    async def _arun(self, op: _sql.Batch) -> Any:
        conn = self.conn
        if hasattr(conn, "cursor"):
            async with self.lock:
                return await self._in_transaction(conn, op)
        if hasattr(conn, "acquire"):
            async with conn.acquire() as acquired:
                return await self._in_transaction(acquired, op)
        raise TypeError(f"Invalid connection or pool type: {type(conn)}")

    async def _in_transaction(self, conn: Any, op: _sql.Batch) -> Any:
        op = fewest_round_trips(op) if conn.get_autocommit() else in_transaction(op)
        try:
            async with conn.cursor(self._cursor_class()) as cur:
                own = conn is self.conn
                execute = areconnecting(
                    async_executor(cur),
                    conn,
                    (lambda: areopen(conn, self.session_statements)) if own else None,
                )
                return await _sql.arun(op, execute, self.embeddings)
        except BaseException:
            if not connection_closed(conn):
                await conn.rollback()
            raise

    async def setup(self) -> None:
        """Create or migrate the tables. Idempotent."""
        await self._arun(self._core.setup())

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await self._arun(self._core.batch(ops))
