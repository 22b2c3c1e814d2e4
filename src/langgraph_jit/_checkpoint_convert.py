"""Moving threads between LangGraph's savers and ours, in either direction:
`convert(src, dst, to=...)`, and `python -m langgraph_jit checkpoints convert` on top of it.

Everything goes through the savers' public API (`list` on the source, `setup`, `put`
and `put_writes` on the destination), so the converter keeps working whatever
either side stores in its tables. Two things that API hides are taken care of here:
values are re-encoded from one engine's classes to the other's (`Send`, `Interrupt`,
`_DeltaSnapshot`, ... are different classes in each), and the `task_path` every
write was saved with (savers order a checkpoint's writes by it; `get_tuple` does not
return it) is read back from the source's writes table when it has one, else made
up so that the writes keep their order.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from langgraph_jit.checkpoint._sql import langgraph_version
from langgraph_jit.checkpoint.base import WRITES_IDX_MAP

__all__ = ("TARGETS", "ConversionReport", "ConvertError", "ThreadReport", "convert")

Target = Literal["langgraph", "langgraph_jit"]
# Which engine's savers write the destination (the source is read by the other's).
TARGETS: tuple[Target, ...] = ("langgraph", "langgraph_jit")

_PG_SCHEMES = ("postgresql://", "postgres://")
_MYSQL_SCHEMES = ("mysql://",)
_DSN_SCHEMES = _PG_SCHEMES + _MYSQL_SCHEMES
# A SQLite file written by our savers has this table; LangGraph's savers never make it.
_OUR_SQLITE_TABLE = "checkpoint_blobs"
# The pip package that provides LangGraph's saver for each backend.
_LANGGRAPH_PACKAGES = {
    "sqlite": "langgraph-checkpoint-sqlite",
    "postgres": "langgraph-checkpoint-postgres",
    "mysql": "langgraph-checkpoint-mysql",
}


class ConvertError(Exception):
    """A conversion that cannot start or go on; the message says why and what to do."""


@dataclass
class ThreadReport:
    """What was copied of one thread."""

    thread_id: str
    checkpoints: int
    namespaces: int
    writes: int


@dataclass
class ConversionReport:
    """Every thread copied, in order."""

    threads: list[ThreadReport] = field(default_factory=list)

    @property
    def checkpoints(self) -> int:
        return sum(t.checkpoints for t in self.threads)

    @property
    def writes(self) -> int:
        return sum(t.writes for t in self.threads)


# ---------------------------------------------------------------- the conversion


def convert(
    src: Any,
    dst: Any,
    *,
    to: str,
    threads: Iterable[str] | None = None,
    append: bool = False,
    progress: Callable[[ThreadReport], None] | None = None,
) -> ConversionReport:
    """Copy threads from `src` to `dst`, to be continued by the engine `to` names.

    `to="langgraph"`: `src` was written by langgraph_jit and `dst` is for LangGraph's
    savers; `to="langgraph_jit"`: the other way round. `src`/`dst` are SQLite file
    paths, `postgresql://` or `mysql://` DSNs, or saver instances of either engine. Every thread
    (or only `threads`) is copied with all its checkpoint namespaces, checkpoints
    (ids, timestamps, metadata, parent links) and pending writes. A `dst` that
    already holds checkpoints is refused unless `append` (then checkpoints with the
    same ids are overwritten). `progress` is called after each thread.
    """
    if to not in TARGETS:
        raise ConvertError(f"unknown format {to!r}: --to takes one of {', '.join(TARGETS)}")
    src_engine: Target = "langgraph_jit" if to == "langgraph" else "langgraph"
    dst_engine: Target = "langgraph" if to == "langgraph" else "langgraph_jit"
    wanted = None if threads is None else list(dict.fromkeys(str(t) for t in threads))
    if _same_place(src, dst):
        raise ConvertError(f"SRC and DST are the same database ({_describe(src)})")
    report = ConversionReport()
    with ExitStack() as stack:
        source = stack.enter_context(_open(src, src_engine, "SRC", create=False))
        target = stack.enter_context(_open(dst, dst_engine, "DST", create=True))
        if target.engine != dst_engine:
            raise ConvertError(
                f"DST is a {target.engine} saver, but --to asks for {dst_engine}'s format"
            )
        if not append and _has_checkpoints(target, "DST"):
            raise ConvertError(
                f"DST {_describe(dst)} already holds checkpoints; pass --append "
                "(append=True) to add threads to it"
            )
        if wanted is None:
            thread_ids = _all_threads(source)
        else:
            missing = [t for t in wanted if not _thread_exists(source, t)]
            if missing:
                raise ConvertError(f"SRC {_describe(src)} has no thread {missing[0]!r}")
            thread_ids = wanted
        translate = _translator(source.engine, target.engine)
        for thread_id in thread_ids:
            done = _copy_thread(source, target, thread_id, translate)
            report.threads.append(done)
            if progress is not None:
                progress(done)
    return report


def _copy_thread(
    source: _Side, target: _Side, thread_id: str, translate: Callable[[Any], Any]
) -> ThreadReport:
    try:
        tuples = list(source.saver.list({"configurable": {"thread_id": thread_id}}))
    except Exception as exc:
        raise ConvertError(f"SRC: cannot read thread {thread_id!r}: {exc}") from exc
    # Oldest first, so every parent is written before its children.
    tuples.sort(key=lambda t: t.checkpoint["id"])
    paths = _task_paths(source, thread_id)
    namespaces: set[str] = set()
    writes = 0
    for saved in tuples:
        conf = saved.config["configurable"]
        ns = conf.get("checkpoint_ns", "") or ""
        namespaces.add(ns)
        parent = (saved.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        put_config: dict[str, Any] = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
        if parent:
            put_config["configurable"]["checkpoint_id"] = parent
        checkpoint = dict(saved.checkpoint)
        checkpoint["channel_values"] = translate(dict(checkpoint.get("channel_values") or {}))
        if "pending_sends" in checkpoint:  # checkpoints older than format 4
            checkpoint["pending_sends"] = translate(list(checkpoint["pending_sends"]))
        version = langgraph_version if target.engine == "langgraph" else _same
        versions = {c: version(v) for c, v in (checkpoint.get("channel_versions") or {}).items()}
        checkpoint["channel_versions"] = versions
        checkpoint["versions_seen"] = {
            node: {c: version(v) for c, v in seen.items()}
            for node, seen in (checkpoint.get("versions_seen") or {}).items()
        }
        metadata = translate(dict(saved.metadata or {}))
        # Every value is "new", so the destination stores them all. A channel
        # without a value gets no entry: savers that keep a value per version
        # would otherwise record "no value" for that version, and a later
        # checkpoint that stores one for it (a DeltaChannel snapshot in a
        # LangGraph SQLite file) could not.
        values = checkpoint["channel_values"]
        new_versions = {c: v for c, v in versions.items() if c in values}
        try:
            stored = target.saver.put(put_config, checkpoint, metadata, new_versions)
            for task_id, task_path, group in _write_groups(
                saved.pending_writes or (), paths, ns, checkpoint["id"]
            ):
                target.saver.put_writes(stored, translate(group), task_id, task_path)
                writes += len(group)
        except Exception as exc:
            raise ConvertError(
                f"DST: cannot write checkpoint {checkpoint['id']!r} of thread {thread_id!r}: {exc}"
            ) from exc
    return ThreadReport(thread_id, len(tuples), len(namespaces), writes)


def _same(version: Any) -> Any:
    return version


def _write_groups(
    pending: Sequence[Any],
    paths: dict[tuple[str, str, str], str] | None,
    ns: str,
    checkpoint_id: str,
) -> Iterator[tuple[str, str, list[tuple[str, Any]]]]:
    """(task id, task path, writes) per put_writes call that rebuilds `pending`.

    A task's plain writes go in one call, so they get back their positions as
    indexes; each reserved-channel write (interrupt, resume, error, ...) goes alone,
    since savers give those fixed negative indexes whatever the position.
    """
    order: list[str] = []
    by_task: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in pending:
        if task_id not in by_task:
            order.append(task_id)
            by_task[task_id] = []
        by_task[task_id].append((channel, value))
    for k, task_id in enumerate(order):
        if paths is not None:
            task_path = paths.get((ns, checkpoint_id, task_id), "")
        else:
            # The source order is the savers' (task_path, task_id, idx) order:
            # made-up paths that sort the same way keep it.
            task_path = f"{k:08d}"
        plain = [w for w in by_task[task_id] if w[0] not in WRITES_IDX_MAP]
        for write in by_task[task_id]:
            if write[0] in WRITES_IDX_MAP:
                yield task_id, task_path, [write]
        if plain:
            yield task_id, task_path, plain


# ---------------------------------------------------------------- values across engines


def _plain_serde(engine: Target) -> Any:
    if engine == "langgraph":
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer as LGSerializer

        return LGSerializer(pickle_fallback=True, allowed_msgpack_modules=True)
    from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer

    return JsonPlusSerializer(pickle_fallback=True, allowed_msgpack_modules=True)


def _translator(src_engine: Target, dst_engine: Target) -> Callable[[Any], Any]:
    """Values read with one engine's classes -> the same values with the other's.

    Both engines' serializers share one wire format, so encoding with the
    source's and decoding with the destination's maps every class across
    (and leaves user and LangChain classes as they are)."""
    if src_engine == dst_engine:
        return lambda value: value
    dumps = _plain_serde(src_engine).dumps_typed
    loads = _plain_serde(dst_engine).loads_typed

    def translate(value: Any) -> Any:
        return loads(dumps(value))

    return translate


# ---------------------------------------------------------------- opening savers


@dataclass
class _Side:
    saver: Any
    engine: Target
    # (kind, connection) to read task paths with, when we opened the saver.
    conn: Any = None
    kind: str = ""


def _engine_of(saver: Any) -> Target:
    module = type(saver).__module__
    return "langgraph_jit" if module.split(".")[0] == "langgraph_jit" else "langgraph"


def _describe(location: Any) -> str:
    if isinstance(location, (str, os.PathLike)):
        text = os.fspath(location)
        if text.startswith(_DSN_SCHEMES):
            return _redact(text)
        return repr(text)
    return type(location).__name__


def _same_place(src: Any, dst: Any) -> bool:
    if isinstance(src, (str, os.PathLike)) and isinstance(dst, (str, os.PathLike)):
        a, b = os.fspath(src), os.fspath(dst)
        if a.startswith(_DSN_SCHEMES) or b.startswith(_DSN_SCHEMES):
            return a == b
        return Path(a).resolve() == Path(b).resolve()
    return src is dst


def _redact(dsn: str) -> str:
    """The DSN without its password."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<postgresql DSN>"
    if parts.password is None:
        return dsn
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def _open(location: Any, engine: Target, role: str, *, create: bool) -> Iterator[_Side]:
    if not isinstance(location, (str, os.PathLike)):
        if not (hasattr(location, "list") and hasattr(location, "put")):
            raise ConvertError(
                f"{role} must be a SQLite path, a postgresql:// or mysql:// DSN or a checkpoint saver, "
                f"not {type(location).__name__}"
            )
        yield _Side(location, _engine_of(location), getattr(location, "conn", None), "")
        return
    text = os.fspath(location)
    if text.startswith(_PG_SCHEMES):
        with _open_postgres(text, engine, role, create=create) as side:
            yield side
    elif text.startswith(_MYSQL_SCHEMES):
        with _open_mysql(text, engine, role, create=create) as side:
            yield side
    else:
        with _open_sqlite(text, engine, role, create=create) as side:
            yield side


def _saver_class(engine: Target, backend: str) -> Any:
    if backend == "mysql":
        return _mysql_saver_class(engine)
    if engine == "langgraph_jit":
        if backend == "sqlite":
            from langgraph_jit.checkpoint.sqlite import SqliteSaver

            return SqliteSaver
        from langgraph_jit.checkpoint.postgres import PostgresSaver

        return PostgresSaver
    package = _LANGGRAPH_PACKAGES[backend]
    try:
        if backend == "sqlite":
            from langgraph.checkpoint.sqlite import SqliteSaver as LGSqliteSaver

            cls: Any = LGSqliteSaver
        else:
            from langgraph.checkpoint.postgres import PostgresSaver as LGPostgresSaver

            cls = LGPostgresSaver
    except ImportError as exc:
        raise ConvertError(
            f"LangGraph's {backend} saver is not installed: pip install {package}"
        ) from exc
    if _engine_of(cls) != "langgraph":
        # `langgraph` is switched to langgraph_jit in this process.
        raise ConvertError(
            "`langgraph` resolves to langgraph_jit in this process (the import switch is "
            "on); run the conversion without it"
        )
    return cls


def _mysql_saver_class(engine: Target) -> Any:
    if engine == "langgraph_jit":
        from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

        return PyMySQLSaver
    try:
        from langgraph.checkpoint.mysql.pymysql import PyMySQLSaver as LGMySQLSaver
    except ImportError as exc:
        raise ConvertError(
            f"LangGraph's mysql saver is not installed: pip install {_LANGGRAPH_PACKAGES['mysql']}"
        ) from exc
    if _engine_of(LGMySQLSaver) != "langgraph":
        raise ConvertError(
            "`langgraph` resolves to langgraph_jit in this process (the import switch is "
            "on); run the conversion without it"
        )
    return LGMySQLSaver


def _table_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


@contextmanager
def _open_sqlite(path: str, engine: Target, role: str, *, create: bool) -> Iterator[_Side]:
    cls = _saver_class(engine, "sqlite")
    file = Path(path)
    if not create:
        if not file.is_file():
            raise ConvertError(f"{role} {path!r}: no such file")
        # Read-only: converting never changes the source.
        uri = f"file:{quote(str(file.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    else:
        if file.exists() and not file.is_file():
            raise ConvertError(f"{role} {path!r} is not a file")
        if not file.parent.is_dir():
            raise ConvertError(f"{role} {path!r}: directory {str(file.parent)!r} does not exist")
        conn = sqlite3.connect(str(file), check_same_thread=False)
    try:
        try:
            tables = _table_names(conn)
        except sqlite3.DatabaseError as exc:
            raise ConvertError(f"{role} {path!r} is not a SQLite database ({exc})") from exc
        if not create and "checkpoints" not in tables:
            raise ConvertError(
                f"{role} {path!r} holds no checkpoints (no `checkpoints` table): unknown format"
            )
        if engine == "langgraph" and _OUR_SQLITE_TABLE in tables:
            other = "langgraph" if role == "SRC" else "langgraph_jit"
            raise ConvertError(
                f"{role} {path!r} was written by langgraph_jit (it has a "
                f"`{_OUR_SQLITE_TABLE}` table), which LangGraph's SqliteSaver reads without "
                f"its values; did you mean --to {other}?"
            )
        saver = cls(conn)
        if create:
            saver.setup()
        else:
            # The tables exist; mark the saver set up so it never tries to
            # create anything in a file opened read-only.
            saver.is_setup = True
        yield _Side(saver, engine, conn, "sqlite")
    finally:
        conn.close()


@contextmanager
def _open_postgres(dsn: str, engine: Target, role: str, *, create: bool) -> Iterator[_Side]:
    cls = _saver_class(engine, "postgres")
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the saver class needs it too
        raise ConvertError("PostgreSQL needs psycopg 3: pip install 'psycopg[binary]'") from exc
    with ExitStack() as stack:
        try:
            saver = stack.enter_context(cls.from_conn_string(dsn))
        except (psycopg.Error, ValueError) as exc:
            raise ConvertError(f"{role}: cannot connect to {_redact(dsn)}: {exc}") from exc
        if create:
            try:
                saver.setup()
            except psycopg.Error as exc:
                raise ConvertError(f"{role}: cannot create the checkpoint tables: {exc}") from exc
        else:
            with saver.conn.cursor() as cur:
                found = cur.execute(
                    "SELECT to_regclass('checkpoints') IS NOT NULL AS ok"
                ).fetchone()
            ok = found["ok"] if isinstance(found, dict) else found[0]
            if not ok:
                raise ConvertError(
                    f"{role} {_redact(dsn)} holds no checkpoints (no `checkpoints` table)"
                )
        yield _Side(saver, engine, saver.conn, "postgres")


@contextmanager
def _open_mysql(dsn: str, engine: Target, role: str, *, create: bool) -> Iterator[_Side]:
    """Both engines' MySQL savers use langgraph-checkpoint-mysql's tables; ours
    hold rows LangGraph's saver cannot read (changes since the parent)."""
    cls = _saver_class(engine, "mysql")
    try:
        pymysql = importlib.import_module("pymysql")
    except ImportError as exc:  # pragma: no cover - the saver class needs it too
        raise ConvertError("MySQL needs PyMySQL: pip install 'langgraph-jit[mysql]'") from exc
    with ExitStack() as stack:
        try:
            saver = stack.enter_context(cls.from_conn_string(dsn))
        except (pymysql.Error, ValueError) as exc:
            raise ConvertError(f"{role}: cannot connect to {_redact(dsn)}: {exc}") from exc
        if create:
            try:
                saver.setup()
            except (pymysql.Error, RuntimeError) as exc:
                raise ConvertError(f"{role}: cannot create the checkpoint tables: {exc}") from exc
        else:
            with saver.conn.cursor(importlib.import_module("pymysql.cursors").Cursor) as cur:
                cur.execute(
                    "SELECT COUNT(*) FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_name = 'checkpoints'"
                )
                if not cur.fetchone()[0]:
                    raise ConvertError(
                        f"{role} {_redact(dsn)} holds no checkpoints (no `checkpoints` table)"
                    )
        yield _Side(saver, engine, saver.conn, "mysql")


# ---------------------------------------------------------------- reading the source


def _has_checkpoints(side: _Side, role: str) -> bool:
    try:
        return next(iter(side.saver.list(None, limit=1)), None) is not None
    except Exception as exc:
        raise ConvertError(f"{role}: cannot read checkpoints: {exc}") from exc


def _thread_exists(side: _Side, thread_id: str) -> bool:
    try:
        found = side.saver.list({"configurable": {"thread_id": thread_id}}, limit=1)
        return next(iter(found), None) is not None
    except Exception as exc:
        raise ConvertError(f"SRC: cannot read thread {thread_id!r}: {exc}") from exc


def _all_threads(side: _Side) -> list[str]:
    """Every thread id of the source, sorted."""
    seen: set[str] = set()
    try:
        for saved in side.saver.list(None):
            seen.add(str(saved.config["configurable"]["thread_id"]))
    except Exception as exc:
        raise ConvertError(f"SRC: cannot read checkpoints: {exc}") from exc
    return sorted(seen)


# Where LangGraph's savers and ours keep each write's task path.
_TASK_PATH_SQL = {
    "sqlite": "SELECT checkpoint_ns, checkpoint_id, task_id, task_path FROM writes WHERE thread_id = ?",
    "postgres": (
        "SELECT checkpoint_ns, checkpoint_id, task_id, task_path FROM checkpoint_writes "
        "WHERE thread_id = %s"
    ),
}
_TASK_PATH_SQL["mysql"] = _TASK_PATH_SQL["postgres"]


def _task_paths(side: _Side, thread_id: str) -> dict[tuple[str, str, str], str] | None:
    """(ns, checkpoint id, task id) -> the task path its writes were saved with, or
    None when the source keeps no such column (then paths are made up in order)."""
    conn, kind = side.conn, side.kind
    if not kind:
        if isinstance(conn, sqlite3.Connection):
            kind = "sqlite"
        elif type(conn).__module__.startswith("psycopg"):
            kind = "postgres"
        elif type(conn).__module__.startswith("pymysql"):
            kind = "mysql"
        else:
            return None
    try:
        if kind == "sqlite":
            rows = conn.execute(_TASK_PATH_SQL[kind], (thread_id,)).fetchall()
        elif kind == "mysql":
            with conn.cursor(importlib.import_module("pymysql.cursors").Cursor) as cur:
                cur.execute(_TASK_PATH_SQL[kind], (thread_id,))
                rows = cur.fetchall()
        else:
            from psycopg.rows import tuple_row

            if hasattr(conn, "connection") and not hasattr(conn, "cursor"):  # a pool
                with conn.connection() as one, one.cursor(row_factory=tuple_row) as cur:
                    rows = cur.execute(_TASK_PATH_SQL[kind], (thread_id,)).fetchall()
            else:
                with conn.cursor(row_factory=tuple_row) as cur:
                    rows = cur.execute(_TASK_PATH_SQL[kind], (thread_id,)).fetchall()
    except Exception:
        return None
    return {(ns or "", cid, tid): path or "" for ns, cid, tid, path in rows}
