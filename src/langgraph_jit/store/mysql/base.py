"""MySQL's shared part (the stores' and the checkpoint savers'): connection
strings, session settings, borrowing a connection and reopening one the server
closed; and `BaseSyncMySQLStore`, the store on a sync DB-API connection (PyMySQL's)."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from typing import Any

from langgraph_jit.store import _sql
from langgraph_jit.store.base import IndexConfig, TTLConfig

__all__ = ["BaseSyncMySQLStore", "MySQLIndexConfig", "parse_conn_string"]

MySQLIndexConfig = IndexConfig

# Run on the connections `from_conn_string` opens: READ COMMITTED (no gap locks
# between concurrent upserts and sweeps, as on the other databases) and strict mode
# (a key over 150 characters is an error, never silently cut).
SESSION_STATEMENTS = (
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES')",
)


def parse_conn_string(conn_string: str, database_key: str = "database") -> dict[str, Any]:
    """Connect arguments of a `mysql://user:password@host:port/db?unix_socket=...` URL
    (user and password percent-decoded)."""
    parsed = urllib.parse.urlparse(conn_string)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    unquote = urllib.parse.unquote
    return {
        "host": parsed.hostname or "localhost",
        "user": unquote(parsed.username) if parsed.username else None,
        "password": unquote(parsed.password) if parsed.password else "",
        database_key: parsed.path[1:] or None,
        "port": parsed.port or 3306,
        "unix_socket": query.get("unix_socket"),
    }


BEGIN = (_sql.EXEC, "BEGIN", ())
COMMIT = (_sql.EXEC, "COMMIT", ())


def in_transaction(op: _sql.Batch) -> _sql.Batch:
    """`op` between BEGIN and COMMIT."""
    yield BEGIN
    result = yield from op
    yield COMMIT
    return result


def fewest_round_trips(op: _sql.Batch) -> _sql.Batch:
    """`op` on an autocommit connection with as few round trips as it stays atomic with.
    Reads run as they come: under READ COMMITTED a transaction gives them no snapshot,
    and the core reads before it writes. A write is held back one step: alone at the
    end of the batch it is sent by itself (a statement is atomic); followed by anything,
    a transaction is opened first and committed at the end. So a get, a search or a
    single put costs one round trip instead of three. A locking read (SELECT ... FOR
    UPDATE) opens the transaction too."""
    pending: tuple | None = None
    began = False
    try:
        msg = next(op)
        while True:
            reply: Any = None
            if msg[0] == _sql.EMBED:
                reply = yield msg
            else:
                if pending is not None:  # more follows a write
                    if not began:
                        began = True
                        yield BEGIN
                    yield pending
                    pending = None
                if msg[0] == _sql.ALL:
                    if not began and msg[1].endswith("FOR UPDATE"):
                        began = True
                        yield BEGIN
                    reply = yield msg
                else:
                    pending = msg
            msg = op.send(reply)
    except StopIteration as stop:
        result = stop.value
    if pending is not None:
        yield pending
    if began:
        yield COMMIT
    return result


def connection_closed(conn: Any) -> bool:
    """Has the driver marked this connection closed (PyMySQL, aiomysql, asyncmy)?"""
    if hasattr(conn, "open"):
        return not conn.open
    if hasattr(conn, "closed"):
        return bool(conn.closed)
    return hasattr(conn, "connected") and not conn.connected


@contextmanager
def borrowed(conn: Any, lock: AbstractContextManager[Any]) -> Iterator[Any]:
    """The connection a batch of statements runs on: `conn` itself, under `lock`;
    or one that `conn` (a callable) or its `connect()` (a pool) makes, closed after."""
    if hasattr(conn, "cursor"):
        with lock:
            yield conn
        return
    factory = conn if callable(conn) else getattr(conn, "connect", None)
    if factory is None:
        raise TypeError(f"Invalid connection or pool type: {type(conn)}")
    made = factory()
    with made if isinstance(made, AbstractContextManager) else closing(made) as found:
        yield found


def reopen(conn: Any, session_statements: tuple[str, ...]) -> None:
    """Reconnect a closed sync connection and rerun its session settings."""
    conn.connect()
    if session_statements:
        with conn.cursor() as cur:
            for statement in session_statements:
                cur.execute(statement)


async def areopen(conn: Any, session_statements: tuple[str, ...]) -> None:
    """Reconnect a closed async connection and rerun its session settings."""
    await conn.ping(reconnect=True)
    if session_statements:
        async with conn.cursor() as cur:
            for statement in session_statements:
                await cur.execute(statement)


Execute = Callable[[int, str, Any], Any]


def reconnecting(execute: Execute, conn: Any, reopen_it: Callable[[], None] | None) -> Execute:
    """`execute`, except that when the server had closed the connection (restart,
    wait_timeout, KILL) before the first statement, it reopens it once
    (`reopen_it`; None for a borrowed connection, which its pool replaces) and goes on."""
    first = True

    def run(kind: int, sql: str, params: Any) -> Any:
        nonlocal first
        if not first:
            return execute(kind, sql, params)
        first = False
        try:
            return execute(kind, sql, params)
        except Exception:
            if reopen_it is None or not connection_closed(conn):
                raise
        reopen_it()
        return execute(kind, sql, params)

    return run


def areconnecting(
    execute: Execute, conn: Any, reopen_it: Callable[[], Awaitable[None]] | None
) -> Execute:
    """`reconnecting` for an async driver's `execute` coroutine function."""
    first = True

    async def run(kind: int, sql: str, params: Any) -> Any:
        nonlocal first
        if not first:
            return await execute(kind, sql, params)
        first = False
        try:
            return await execute(kind, sql, params)
        except Exception:
            if reopen_it is None or not connection_closed(conn):
                raise
        await reopen_it()
        return await execute(kind, sql, params)

    return run


def dbapi_executor(cur: Any) -> Callable[[int, str, Any], Any]:
    def execute(kind: int, sql: str, params: Any) -> Any:
        if kind == _sql.MANY:
            if params:
                cur.executemany(sql, params)
            return None
        # No parameters: None, so that the driver does not %-format the statement.
        cur.execute(sql, params or None)
        return cur.fetchall() if kind == _sql.ALL else None

    return execute


class BaseSyncMySQLStore(_sql.SyncSqlStore):
    """Items in MySQL/MariaDB (tables `store`, `store_migrations`, `store_vectors`);
    call `setup()` once. `conn` is a connection (used under a lock), a callable that
    returns one, or a pool with `connect()`. Each batch is atomic (`fewest_round_trips`)."""

    def __init__(
        self,
        conn: Any,
        *,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: MySQLIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        self.conn = conn
        self.lock = threading.Lock()
        self._sweeper: _sql.ThreadSweeper | None = None
        # Re-run after a reconnect (set by from_conn_string, which ran them first).
        self.session_statements: tuple[str, ...] = ()
        self._init_core(_sql.MYSQL, index, ttl, deserializer)

    @staticmethod
    def _cursor_class() -> Any:
        """The driver's tuple cursor (whatever cursor class the connection defaults to)."""
        raise NotImplementedError

    def _run(self, op: _sql.Batch) -> Any:
        with borrowed(self.conn, self.lock) as conn:
            op = fewest_round_trips(op) if conn.get_autocommit() else in_transaction(op)
            try:
                with conn.cursor(self._cursor_class()) as cur:
                    own = conn is self.conn
                    execute = reconnecting(
                        dbapi_executor(cur),
                        conn,
                        (lambda: reopen(conn, self.session_statements)) if own else None,
                    )
                    return _sql.run(op, execute, self.embeddings)
            except BaseException:
                if not connection_closed(conn):
                    conn.rollback()
                raise
