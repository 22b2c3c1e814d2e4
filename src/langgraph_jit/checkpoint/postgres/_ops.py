"""PostgreSQL statements of every saver operation, as generators for `checkpoint._sql` drivers.

The schema and migrations are LangGraph's PostgresSaver's, so either saver can
read and continue the other's threads. We keep no values inline in the
`checkpoints` row: every value is a (channel, version) blob, written once.
"""

from __future__ import annotations

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
    json_dumps,
    make_tuple,
    skeleton,
    write_rows,
)
from langgraph_jit.checkpoint.base import WRITES_IDX_MAP, get_serializable_checkpoint_metadata

# LangGraph's list, verbatim: the position is the version recorded in
# checkpoint_migrations, so both savers agree on what has been applied.
MIGRATIONS = [
    """CREATE TABLE IF NOT EXISTS checkpoint_migrations (
    v INTEGER PRIMARY KEY
);""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    checkpoint_id TEXT NOT NULL,
    parent_checkpoint_id TEXT,
    type TEXT,
    checkpoint JSONB NOT NULL,
    metadata JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);""",
    """CREATE TABLE IF NOT EXISTS checkpoint_blobs (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    type TEXT NOT NULL,
    blob BYTEA,
    PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
);""",
    """CREATE TABLE IF NOT EXISTS checkpoint_writes (
    thread_id TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    checkpoint_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    channel TEXT NOT NULL,
    type TEXT,
    blob BYTEA NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);""",
    "ALTER TABLE checkpoint_blobs ALTER COLUMN blob DROP not null;",
    "SELECT 1;",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS checkpoints_thread_id_idx ON checkpoints(thread_id);",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS checkpoint_blobs_thread_id_idx ON checkpoint_blobs(thread_id);",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS checkpoint_writes_thread_id_idx ON checkpoint_writes(thread_id);",
    "ALTER TABLE checkpoint_writes ADD COLUMN IF NOT EXISTS task_path TEXT NOT NULL DEFAULT '';",
]

# One round trip per checkpoint: its blobs and writes come back as arrays.
SELECT_SQL = """
SELECT
    thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata,
    (
        SELECT array_agg(array[convert_to(bl.channel, 'UTF8'), convert_to(bl.type, 'UTF8'), bl.blob])
        FROM jsonb_each_text(checkpoint -> 'channel_versions')
        INNER JOIN checkpoint_blobs bl
            ON bl.thread_id = checkpoints.thread_id
            AND bl.checkpoint_ns = checkpoints.checkpoint_ns
            AND bl.channel = jsonb_each_text.key
            AND bl.version = jsonb_each_text.value
    ) AS blobs,
    (
        SELECT array_agg(array[
            convert_to(cw.task_id, 'UTF8'), convert_to(cw.channel, 'UTF8'), convert_to(cw.type, 'UTF8'),
            cw.blob, convert_to(cw.task_path, 'UTF8'), convert_to(cw.idx::text, 'UTF8')])
        FROM checkpoint_writes cw
        WHERE cw.thread_id = checkpoints.thread_id
            AND cw.checkpoint_ns = checkpoints.checkpoint_ns
            AND cw.checkpoint_id = checkpoints.checkpoint_id
    ) AS writes
FROM checkpoints """

INSERT_BLOBS_SQL = """
INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
"""

UPSERT_CHECKPOINT_SQL = """
INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
"""

_WRITE_COLS = (
    "thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob"
)
UPSERT_WRITES_SQL = f"""
INSERT INTO checkpoint_writes ({_WRITE_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob
"""
INSERT_WRITES_SQL = f"""
INSERT INTO checkpoint_writes ({_WRITE_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING
"""

_GC_BLOBS_SQL = """
DELETE FROM checkpoint_blobs b
WHERE b.thread_id = %s AND b.checkpoint_ns = %s AND NOT EXISTS (
    SELECT 1 FROM checkpoints c
    WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
    AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version
)
"""


def _s(b: Any) -> str:
    if isinstance(b, memoryview):  # memoryview has no decode()
        b = b.tobytes()
    return b.decode() if isinstance(b, bytes) else b


def _decode(
    serde: Any, row: Sequence[Any], config: dict | None = None, missing: list | None = None
):
    thread_id, ns, checkpoint_id, parent_id, checkpoint, metadata, blobs, writes = row
    blobs = [(_s(c), _s(t), bytes(v) if v is not None else None) for c, t, v in (blobs or ())]
    writes = [
        (_s(task), _s(ch), _s(t), bytes(v), _s(path), int(_s(idx)))
        for task, ch, t, v, path, idx in (writes or ())
    ]
    inline = checkpoint.get("channel_values")
    if missing is not None and inline:
        # A row written by LangGraph keeps primitive values inline. Give them
        # blobs, so the checkpoints we write on top of it still find them.
        have = {c for c, _, _ in blobs}
        versions = checkpoint.get("channel_versions") or {}
        for channel, value in inline.items():
            if channel not in have and channel in versions:
                missing.append(
                    (thread_id, ns, channel, str(versions[channel]), *serde.dumps_typed(value))
                )
    try:
        return make_tuple(
            serde,
            thread_id,
            ns,
            checkpoint_id,
            parent_id,
            checkpoint,
            metadata,
            blobs,
            writes,
            config,
        )
    except Exception as exc:  # a value or a write that cannot be decoded
        raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc


def get_tuple(serde: Any, config: dict):
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    checkpoint_id = conf.get("checkpoint_id")
    if checkpoint_id:
        row = yield (
            ONE,
            SELECT_SQL + "WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
            (thread_id, ns, checkpoint_id),
        )
    else:
        row = yield (
            ONE,
            SELECT_SQL
            + "WHERE thread_id = %s AND checkpoint_ns = %s ORDER BY checkpoint_id DESC LIMIT 1",
            (thread_id, ns),
        )
    if row is None:
        return
    missing: list = []
    # the latest checkpoint gets its config built from the row
    found = _decode(serde, row, config if checkpoint_id else None, missing)
    if missing:
        yield (MANY, INSERT_BLOBS_SQL, missing)
    yield (EMIT, found)


def search_where(config: dict | None, filter: Mapping[str, Any] | None, before: dict | None):
    wheres: list[str] = []
    params: list[Any] = []
    if config:
        conf = config["configurable"]
        wheres.append("thread_id = %s")
        params.append(str(conf["thread_id"]))
        ns = conf.get("checkpoint_ns")
        if ns is not None:
            wheres.append("checkpoint_ns = %s")
            params.append(ns)
        if conf.get("checkpoint_id"):
            wheres.append("checkpoint_id = %s")
            params.append(conf["checkpoint_id"])
    if filter:
        wheres.append("metadata @> %s::jsonb")
        params.append(json_dumps(filter))
    if before is not None:
        wheres.append("checkpoint_id < %s")
        params.append(before["configurable"].get("checkpoint_id"))
    return ("WHERE " + " AND ".join(wheres) + " " if wheres else ""), params


def list_(serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None):
    where, params = search_where(config, filter, before)
    sql = SELECT_SQL + where + "ORDER BY checkpoint_id DESC"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(int(limit))
    rows = yield (ALL, sql, params)
    for row in rows:
        yield (EMIT, _decode(serde, row))


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
        yield (MANY, INSERT_BLOBS_SQL, rows)
    yield (
        EXEC,
        UPSERT_CHECKPOINT_SQL,
        (
            thread_id,
            ns,
            checkpoint["id"],
            conf.get("checkpoint_id"),
            json_dumps(skeleton(checkpoint)),
            json_dumps(get_serializable_checkpoint_metadata(config, metadata)),
        ),
    )


def put_writes(
    serde: Any, config: dict, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
):
    if not writes:
        return
    conf = config["configurable"]
    sql = UPSERT_WRITES_SQL if all(w[0] in WRITES_IDX_MAP for w in writes) else INSERT_WRITES_SQL
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
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
        yield (EXEC, f"DELETE FROM {table} WHERE thread_id = %s", (str(thread_id),))


def _delete_checkpoints(doomed: Sequence[Sequence[str]]):
    if not doomed:
        return
    yield (
        MANY,
        "DELETE FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
        [tuple(d) for d in doomed],
    )
    for thread_id, ns in sorted({(d[0], d[1]) for d in doomed}):
        yield (EXEC, _GC_BLOBS_SQL, (thread_id, ns))


def delete_for_runs(run_ids: Sequence[str]):
    run_ids = [str(r) for r in run_ids]
    if not run_ids:
        return
    doomed = yield (
        ALL,
        "DELETE FROM checkpoints WHERE metadata ->> 'run_id' = ANY(%s) "
        "RETURNING thread_id, checkpoint_ns, checkpoint_id",
        (run_ids,),
    )
    yield from _delete_checkpoints(doomed)


def copy_thread(source: str, target: str):
    source, target = str(source), str(target)
    yield (
        EXEC,
        "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata) "
        "SELECT %s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata "
        "FROM checkpoints WHERE thread_id = %s ON CONFLICT DO NOTHING",
        (target, source),
    )
    yield (
        EXEC,
        f"INSERT INTO checkpoint_writes ({_WRITE_COLS}) "
        "SELECT %s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob "
        "FROM checkpoint_writes WHERE thread_id = %s ON CONFLICT DO NOTHING",
        (target, source),
    )
    yield (
        EXEC,
        "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) "
        "SELECT %s, checkpoint_ns, channel, version, type, blob "
        "FROM checkpoint_blobs WHERE thread_id = %s ON CONFLICT DO NOTHING",
        (target, source),
    )


def prune(thread_ids: Sequence[str], strategy: str):
    """`keep_latest`: each namespace keeps its latest checkpoint (now without a
    parent), its writes and the blobs it uses; `delete`: drop the threads."""
    if strategy == "delete":
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            yield (EXEC, f"DELETE FROM {table} WHERE thread_id = ANY(%s)", (list(thread_ids),))
        return
    for thread_id in thread_ids:
        heads = yield (
            ALL,
            "SELECT DISTINCT ON (checkpoint_ns) checkpoint_ns, checkpoint_id FROM checkpoints "
            "WHERE thread_id = %s ORDER BY checkpoint_ns, checkpoint_id DESC",
            (thread_id,),
        )
        for ns, keep in heads:
            doomed = yield (
                ALL,
                "DELETE FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id <> %s "
                "RETURNING thread_id, checkpoint_ns, checkpoint_id",
                (thread_id, ns, keep),
            )
            yield (
                EXEC,
                "UPDATE checkpoints SET parent_checkpoint_id = NULL "
                "WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
                (thread_id, ns, keep),
            )
            yield from _delete_checkpoints(doomed)
