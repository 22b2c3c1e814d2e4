"""SQLite statements of every saver operation, as generators for `checkpoint._sql` drivers.

Tables `checkpoints` and `writes` are LangGraph's SqliteSaver schema, so its
files can be read and continued; `checkpoint_blobs` holds each channel value
once per version, so a checkpoint row stores only versions, not the state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit.checkpoint._sql import (
    ALL,
    EMIT,
    EXEC,
    MANY,
    ONE,
    UnreadableCheckpointError,
    blob_rows,
    chunks,
    config_of,
    json_dumps,
    make_tuple,
    skeleton,
    write_rows,
)
from langgraph_jit.checkpoint.base import WRITES_IDX_MAP, get_checkpoint_metadata

SETUP_SQL = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS checkpoints (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    checkpoint_id TEXT NOT NULL,
    parent_checkpoint_id TEXT,
    type TEXT,
    checkpoint BLOB,
    metadata BLOB,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);
CREATE TABLE IF NOT EXISTS writes (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    checkpoint_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    task_path TEXT NOT NULL DEFAULT '',
    idx INTEGER NOT NULL,
    channel TEXT NOT NULL,
    type TEXT,
    value BLOB,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);
CREATE TABLE IF NOT EXISTS checkpoint_blobs (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    type TEXT NOT NULL,
    blob BLOB,
    PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
);
"""
# Databases created before LangGraph added `task_path` lack the column.
ADD_TASK_PATH_SQL = "ALTER TABLE writes ADD COLUMN task_path TEXT NOT NULL DEFAULT ''"

_COLS = "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata"
_INSERT_BLOBS = (
    "INSERT OR IGNORE INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_CHECKPOINT = f"INSERT OR REPLACE INTO checkpoints ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
_WRITE_COLS = (
    "thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, value"
)
_UPSERT_WRITES = f"INSERT OR REPLACE INTO writes ({_WRITE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_WRITES = f"INSERT OR IGNORE INTO writes ({_WRITE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

_PAGE = 100  # checkpoints decoded per batch of blob/write look-ups
_MAX_KEYS = 2000  # (channel, version) pairs per blob query (2 parameters each)
_FILTER_KEY = re.compile(r"^[a-zA-Z0-9_.-]+$")


# ---------------------------------------------------------------- reading


def _decode(
    serde: Any, rows: Sequence[tuple], *, backfill: bool = False, config: dict | None = None
):
    """Checkpoint rows -> CheckpointTuples, looking up blobs and writes in batches."""
    loads = serde.loads_typed
    decoded = []
    wanted: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for thread_id, ns, checkpoint_id, parent_id, type_, data, metadata in rows:
        try:
            checkpoint = loads((type_, data))
            meta = json.loads(metadata) if metadata is not None else {}
        except Exception as exc:
            raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc
        versions = checkpoint.get("channel_versions") or {}
        keys = wanted.setdefault((thread_id, ns), set())
        keys.update((channel, str(version)) for channel, version in versions.items())
        decoded.append((thread_id, ns, checkpoint_id, parent_id, checkpoint, meta))

    blobs: dict[tuple[str, str, str, str], tuple[str, Any]] = {}
    for (thread_id, ns), keys in wanted.items():
        for part in chunks(sorted(keys), _MAX_KEYS):
            pairs = ", ".join(["(?, ?)"] * len(part))
            params: list[Any] = [thread_id, ns]
            for channel, version in part:
                params += (channel, version)
            # Driving the join from the VALUES list makes each pair one
            # primary-key lookup, however many versions the thread has.
            found = yield (
                ALL,
                f"SELECT b.channel, b.version, b.type, b.blob FROM (VALUES {pairs}) AS k "
                "CROSS JOIN checkpoint_blobs AS b ON b.thread_id = ? AND b.checkpoint_ns = ? "
                "AND b.channel = k.column1 AND b.version = k.column2",
                params[2:] + params[:2],
            )
            for channel, version, type_, blob in found:
                blobs[(thread_id, ns, channel, version)] = (type_, blob)

    by_checkpoint: dict[tuple[str, str], list[str]] = {}
    for thread_id, ns, checkpoint_id, *_ in decoded:
        by_checkpoint.setdefault((thread_id, ns), []).append(checkpoint_id)
    writes: dict[tuple[str, str, str], list[tuple]] = {}
    for (thread_id, ns), ids in by_checkpoint.items():
        for part in chunks(ids, _MAX_KEYS):
            marks = ", ".join("?" * len(part))
            found = yield (
                ALL,
                "SELECT checkpoint_id, task_id, channel, type, value, task_path, idx FROM writes "
                f"WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id IN ({marks})",
                [thread_id, ns, *part],
            )
            for checkpoint_id, *write in found:
                writes.setdefault((thread_id, ns, checkpoint_id), []).append(tuple(write))

    out = []
    missing: list[tuple] = []
    for thread_id, ns, checkpoint_id, parent_id, checkpoint, meta in decoded:
        versions = checkpoint.get("channel_versions") or {}
        row_blobs = []
        for channel, version in versions.items():
            blob = blobs.get((thread_id, ns, channel, str(version)))
            if blob is not None:
                row_blobs.append((channel, *blob))
        inline = checkpoint.get("channel_values")
        if backfill and inline:
            # A row written by LangGraph keeps every value inline. Give those
            # values blobs, so the checkpoints we write on top of it (values
            # for changed channels only) still find the unchanged ones.
            for channel, value in inline.items():
                version = versions.get(channel)
                if version is not None and (thread_id, ns, channel, str(version)) not in blobs:
                    missing.append(
                        (thread_id, ns, channel, str(version), *serde.dumps_typed(value))
                    )
        try:
            made = make_tuple(
                serde,
                thread_id,
                ns,
                checkpoint_id,
                parent_id,
                checkpoint,
                meta,
                row_blobs,
                writes.get((thread_id, ns, checkpoint_id), ()),
                config,
            )
        except Exception as exc:  # a value or a write that cannot be decoded
            raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc
        out.append(made)
    if missing:
        yield (MANY, _INSERT_BLOBS, missing)
    return out


def get_tuple(serde: Any, config: dict):
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    checkpoint_id = conf.get("checkpoint_id")
    if checkpoint_id:
        row = yield (
            ONE,
            f"SELECT {_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (thread_id, ns, checkpoint_id),
        )
    else:
        row = yield (
            ONE,
            f"SELECT {_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (thread_id, ns),
        )
    if row is None:
        return
    # the latest checkpoint gets its config built from the row
    given = config if checkpoint_id else None
    found = yield from _decode(serde, [row], backfill=True, config=given)
    yield (EMIT, found[0])


def _where_value(value: Any) -> tuple[str, Any]:
    if value is None:
        return "IS ?", None
    if isinstance(value, bool):
        return "= ?", 1 if value else 0
    if isinstance(value, (str, int, float)):
        return "= ?", value
    if isinstance(value, (dict, list)):
        return "= ?", json.dumps(value, separators=(",", ":"))
    return "= ?", str(value)


def search_where(config: dict | None, filter: Mapping[str, Any] | None, before: dict | None):
    wheres: list[str] = []
    params: list[Any] = []
    if config is not None:
        conf = config["configurable"]
        wheres.append("thread_id = ?")
        params.append(str(conf["thread_id"]))
        ns = conf.get("checkpoint_ns")
        if ns is not None:
            wheres.append("checkpoint_ns = ?")
            params.append(ns)
        if conf.get("checkpoint_id"):
            wheres.append("checkpoint_id = ?")
            params.append(conf["checkpoint_id"])
    for key, value in (filter or {}).items():
        if not _FILTER_KEY.match(key):
            raise ValueError(
                f"Invalid filter key: '{key}'. Filter keys must contain only "
                "alphanumeric characters, underscores, dots, and hyphens."
            )
        op, param = _where_value(value)
        wheres.append(f"json_extract(CAST(metadata AS TEXT), '$.{key}') {op}")
        params.append(param)
    if before is not None:
        wheres.append("checkpoint_id < ?")
        params.append(before["configurable"].get("checkpoint_id"))
    return ("WHERE " + " AND ".join(wheres) if wheres else ""), params


def list_(serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None):
    where, params = search_where(config, filter, before)
    sql = f"SELECT {_COLS} FROM checkpoints {where} ORDER BY checkpoint_id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = yield (ALL, sql, params)
    for page in chunks(rows, _PAGE):
        found = yield from _decode(serde, page)
        for item in found:
            yield (EMIT, item)


# ---------------------------------------------------------------- writing


def put(
    serde: Any,
    config: dict,
    checkpoint: Mapping[str, Any],
    metadata: Any,
    new_versions: Mapping[str, Any],
):
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    rows = blob_rows(serde, thread_id, ns, checkpoint["channel_values"], new_versions)
    if rows:
        yield (MANY, _INSERT_BLOBS, rows)
    type_, data = serde.dumps_typed(skeleton(checkpoint))
    meta = json_dumps(get_checkpoint_metadata(config, metadata)).encode("utf-8", "ignore")
    yield (
        EXEC,
        _INSERT_CHECKPOINT,
        (thread_id, ns, checkpoint["id"], conf.get("checkpoint_id"), type_, data, meta),
    )


def put_writes(
    serde: Any, config: dict, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
):
    if not writes:
        return
    conf = config["configurable"]
    sql = _UPSERT_WRITES if all(w[0] in WRITES_IDX_MAP for w in writes) else _INSERT_WRITES
    rows = write_rows(
        serde,
        str(conf["thread_id"]),
        conf.get("checkpoint_ns", ""),
        str(conf["checkpoint_id"]),
        task_id,
        task_path,
        writes,
        WRITES_IDX_MAP,
    )
    yield (MANY, sql, rows)


def write_steps(serde: Any, calls: Sequence[tuple[str, tuple]]):
    """Saver calls queued by runs, in order (`("put", args)` / `("put_writes", args)`,
    the saver methods' positional arguments; several steps, maybe of several
    threads), as one op: the write pipeline runs it in one transaction."""
    for method, args in calls:
        if method == "put":
            yield from put(serde, *args)
        elif method == "put_writes":
            yield from put_writes(serde, *args)
        else:
            raise ValueError(f"write_steps cannot perform {method!r}")


def delete_thread(thread_id: str):
    for table in ("checkpoints", "writes", "checkpoint_blobs"):
        yield (EXEC, f"DELETE FROM {table} WHERE thread_id = ?", (str(thread_id),))


def _collect_garbage(serde: Any, thread_id: str, ns: str):
    """Delete the blobs of (thread, ns) that no remaining checkpoint refers to."""
    rows = yield (
        ALL,
        "SELECT type, checkpoint FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?",
        (thread_id, ns),
    )
    used = set()
    for type_, data in rows:
        for channel, version in (
            serde.loads_typed((type_, data)).get("channel_versions") or {}
        ).items():
            used.add((channel, str(version)))
    stored = yield (
        ALL,
        "SELECT channel, version FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ?",
        (thread_id, ns),
    )
    garbage = [(thread_id, ns, c, v) for c, v in stored if (c, v) not in used]
    if garbage:
        yield (
            MANY,
            "DELETE FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?",
            garbage,
        )


def _delete_checkpoints(serde: Any, doomed: Sequence[tuple[str, ...]]):
    if not doomed:
        return
    for table in ("checkpoints", "writes"):
        yield (
            MANY,
            f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            list(doomed),
        )
    for thread_id, ns in sorted({(t, n) for t, n, _ in doomed}):
        yield from _collect_garbage(serde, thread_id, ns)


def delete_for_runs(serde: Any, run_ids: Sequence[str]):
    run_ids = [str(r) for r in run_ids]
    doomed: list[tuple[str, str, str]] = []
    for part in chunks(run_ids, 500):
        marks = ", ".join("?" * len(part))
        doomed += yield (
            ALL,
            "SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints "
            f"WHERE json_extract(CAST(metadata AS TEXT), '$.run_id') IN ({marks})",
            part,
        )
    yield from _delete_checkpoints(serde, [tuple(r) for r in doomed])


def copy_thread(source: str, target: str):
    source, target = str(source), str(target)
    yield (
        EXEC,
        f"INSERT OR REPLACE INTO checkpoints ({_COLS}) SELECT ?, checkpoint_ns, checkpoint_id, "
        "parent_checkpoint_id, type, checkpoint, metadata FROM checkpoints WHERE thread_id = ?",
        (target, source),
    )
    yield (
        EXEC,
        f"INSERT OR REPLACE INTO writes ({_WRITE_COLS}) SELECT ?, checkpoint_ns, checkpoint_id, "
        "task_id, task_path, idx, channel, type, value FROM writes WHERE thread_id = ?",
        (target, source),
    )
    yield (
        EXEC,
        "INSERT OR REPLACE INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) "
        "SELECT ?, checkpoint_ns, channel, version, type, blob FROM checkpoint_blobs WHERE thread_id = ?",
        (target, source),
    )


def prune(serde: Any, thread_ids: Sequence[str], strategy: str):
    """`keep_latest`: each namespace keeps its latest checkpoint (now without a
    parent), its writes and the blobs it uses; `delete`: drop the threads."""
    if strategy == "delete":
        for thread_id in thread_ids:
            yield from delete_thread(thread_id)
        return
    for thread_id in thread_ids:
        thread_id = str(thread_id)
        latest = yield (
            ALL,
            "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? GROUP BY checkpoint_ns",
            (thread_id,),
        )
        for ns, keep in latest:
            doomed = yield (
                ALL,
                "SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id <> ?",
                (thread_id, ns, keep),
            )
            yield (
                EXEC,
                "UPDATE checkpoints SET parent_checkpoint_id = NULL "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (thread_id, ns, keep),
            )
            yield from _delete_checkpoints(serde, [tuple(r) for r in doomed])


__all__ = ["ADD_TASK_PATH_SQL", "SETUP_SQL", "config_of"]
