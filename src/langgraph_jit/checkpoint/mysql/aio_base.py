"""`BaseAsyncMySQLSaver`: the MySQL savers on an asyncio driver (aiomysql, asyncmy)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

from langgraph_jit.checkpoint import _sql
from langgraph_jit.checkpoint._pipeline import AsyncWritePipeline
from langgraph_jit.checkpoint._sql_saver import AsyncSqlSaver
from langgraph_jit.checkpoint.base import SerializerProtocol
from langgraph_jit.checkpoint.mysql import _ops, _single, in_transaction
from langgraph_jit.store.mysql.base import (
    SESSION_STATEMENTS,
    areconnecting,
    areopen,
    connection_closed,
    parse_conn_string,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BaseAsyncMySQLSaver"]


def statement_runner(cur: Any) -> Any:
    async def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            if params:
                await cur.executemany(sql, params)
            return None
        await cur.execute(sql, params)
        if kind == _sql.ONE:
            return await cur.fetchone()
        if kind == _sql.ALL:
            return await cur.fetchall()
        return None

    return execute


class BaseAsyncMySQLSaver(AsyncSqlSaver):
    """Async checkpoint saver on an asyncio MySQL driver's connection (used under
    a lock) or pool (`acquire()`); same tables as the sync savers. Its sync
    methods may be called from threads other than the event loop's."""

    ops = _ops.OPS
    # The driver: its module (with `connect`), and where its tuple cursor class lives.
    driver: str = ""
    cursor_path: tuple[str, str] = ("", "")
    extra = "mysql"

    def __init__(self, conn: Any, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.conn = conn
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.is_setup = False
        self.session_statements: tuple[str, ...] = ()
        self.write_pipeline = AsyncWritePipeline(self._commit_calls)

    @classmethod
    def _module(cls, name: str) -> Any:
        try:
            return importlib.import_module(name)
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise ImportError(
                f"{cls.__name__} needs {cls.driver}: pip install 'langgraph-jit[{cls.extra}]'"
            ) from exc

    @classmethod
    def _cursor_class(cls) -> Any:
        module, name = cls.cursor_path
        return getattr(cls._module(module), name)

    @staticmethod
    def parse_conn_string(conn_string: str) -> dict[str, Any]:
        return parse_conn_string(conn_string, "db")

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls, conn_string: str, *, serde: SerializerProtocol | None = None
    ) -> AsyncIterator[Self]:
        """`async with Saver.from_conn_string("mysql://user:pw@host:3306/db") as saver:`
        (one autocommit utf8mb4 connection, READ COMMITTED, strict mode)."""
        connect = cls._module(cls.driver).connect
        async with connect(
            **cls.parse_conn_string(conn_string), autocommit=True, charset="utf8mb4"
        ) as conn:
            async with conn.cursor() as cur:
                for statement in SESSION_STATEMENTS:
                    await cur.execute(statement)
            saver = cls(conn, serde=serde)
            saver.session_statements = SESSION_STATEMENTS
            try:
                yield saver
            finally:
                await saver._drain()

    async def _run(self, op: _sql.Op, write: bool) -> Any:
        conn = self.conn
        if hasattr(conn, "cursor"):
            async with self.lock:
                return await self._run_on(conn, op, write)
        if hasattr(conn, "acquire"):
            async with conn.acquire() as acquired:
                return await self._run_on(acquired, op, write)
        raise TypeError(f"Invalid connection or pool type: {type(conn)}")

    async def _run_on(self, conn: Any, op: _sql.Op, write: bool) -> Any:
        autocommit = conn.get_autocommit()
        if write and autocommit:
            op = in_transaction(op)
        try:
            async with conn.cursor(self._cursor_class()) as cur:
                own = conn is self.conn
                execute = areconnecting(
                    statement_runner(cur),
                    conn,
                    (lambda: areopen(conn, self.session_statements)) if own else None,
                )
                result = await _sql.arun(op, execute)
            if not autocommit:  # ends a read's snapshot too
                await conn.commit()
            return result
        except BaseException:
            if not connection_closed(conn):
                with suppress(Exception):
                    await conn.rollback()
            raise

    async def setup(self) -> None:
        """Create the tables if missing (a database langgraph-checkpoint-mysql set
        up is used as it is). Call once."""
        await self._run(_ops.setup(), write=False)
        self.is_setup = True

    async def _execute(self, kind: int, sql: str, params: Any) -> Any:
        return await self._run(_single(kind, sql, params), write=False)

    async def _write(self, op: _sql.Op) -> None:
        await self._run(op, write=True)
