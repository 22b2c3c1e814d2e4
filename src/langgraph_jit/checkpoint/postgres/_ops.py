"""PostgreSQL statements of every saver operation, as generators for `checkpoint._sql` drivers.

The schema and migrations are LangGraph's PostgresSaver's, so we read and
continue its threads. A checkpoint row we write stores what changed since its
parent (checkpoint/_delta_rows.py: versions, small values inline as base64,
what lists appended) as JSON; larger values sit once per (channel, version)
in `checkpoint_blobs`. A step the write pipeline commits alone is written
guarded (`put`): no look at the parent row first, so one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit.checkpoint._delta_rows import (
    DELTA,
    INHERIT,
    SNAPSHOT,
    WRITER_KEEPS_MAX,
    BrokenLineageError,
    blob_keys,
    checkpoint_of,
    digest,
    encode,
    inherit_doc,
    keep_row,
    kept_row,
    parse_type,
    rebuild,
    recall,
    remember,
    row_type,
    values_of,
)
from langgraph_jit.checkpoint._sql import (
    ALL,
    EMIT,
    EXEC,
    MANY,
    ONE,
    READS,
    UnreadableCheckpointError,
    as_tuples,
    chunks,
    config_of,
    group_writes,
    history_entries,
    json_dumps,
    load_writes,
)
from langgraph_jit.checkpoint._sql_ops import (
    PostgresDialect,
    SqlOps,
    doc_json,
    json_row_data,
    load_json_doc,
    rep_to_json,
    whole_namespace,
)
from langgraph_jit.checkpoint.base import (
    CheckpointTuple,
    get_serializable_checkpoint_metadata,
)

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

OPS = SqlOps(PostgresDialect())

# A checkpoint row and its ancestors down to the row holding its whole state
# (`{seed}` picks the first), the blobs its values may need (each channel's
# latest version down the chain, and the bases of appended lists) and its
# writes, in one round trip. Ancestors come after the row (n > 0).
_CHAIN_SQL = """
WITH RECURSIVE chain AS (
    ({seed})
    UNION ALL
    SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.type,
        c.checkpoint, c.metadata, chain.n + 1
    FROM chain JOIN checkpoints c
        ON c.thread_id = chain.thread_id AND c.checkpoint_ns = chain.checkpoint_ns
        AND c.checkpoint_id = chain.parent_checkpoint_id
    WHERE left(chain.type, 1) IN ('+', '~') AND chain.n < 100000
),
keys AS (
    SELECT channel, version FROM (
        SELECT DISTINCT ON (e.key) e.key AS channel, e.value AS version
        FROM chain, jsonb_each_text(
            COALESCE(chain.checkpoint -> 'cv', chain.checkpoint -> 'channel_versions')) AS e
        ORDER BY e.key, chain.n
    ) AS latest
    UNION
    SELECT r.key, CASE WHEN r.value ->> 0 = 'p' THEN r.value ->> 1 ELSE r.value ->> 3 END
    FROM chain, jsonb_each(COALESCE(chain.checkpoint -> 'r', '{{}}'::jsonb)) AS r
    WHERE jsonb_typeof(r.value) = 'array' AND (r.value ->> 0 = 'p' OR
        (r.value ->> 0 = '+' AND jsonb_array_length(r.value) > 3))
)
SELECT chain.thread_id, chain.checkpoint_ns, chain.checkpoint_id, chain.parent_checkpoint_id,
    chain.type, chain.checkpoint::text, chain.metadata::text,
    CASE WHEN chain.n = 0 THEN (
        SELECT array_agg(array[convert_to(bl.channel, 'UTF8'), convert_to(bl.version, 'UTF8'),
            convert_to(bl.type, 'UTF8'), bl.blob])
        FROM keys JOIN checkpoint_blobs bl
            ON bl.thread_id = chain.thread_id AND bl.checkpoint_ns = chain.checkpoint_ns
            AND bl.channel = keys.channel AND bl.version = keys.version
    ) END AS blobs,
    CASE WHEN chain.n = 0 THEN ({writes}) END AS writes
FROM chain ORDER BY chain.n
"""
_ROW_COLS = (
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata"
)
# A checkpoint's writes as an array (`cp` names its row).
_WRITES_SQL = """
SELECT array_agg(array[
    convert_to(cw.task_id, 'UTF8'), convert_to(cw.channel, 'UTF8'), convert_to(cw.type, 'UTF8'),
    cw.blob, convert_to(cw.task_path, 'UTF8'), convert_to(cw.idx::text, 'UTF8')])
FROM checkpoint_writes cw
WHERE cw.thread_id = {cp}.thread_id AND cw.checkpoint_ns = {cp}.checkpoint_ns
    AND cw.checkpoint_id = {cp}.checkpoint_id
"""


UPSERT_CHECKPOINT_SQL = """
INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET type = EXCLUDED.type, checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
"""

# The checkpoint row: the delta if the parent row has the digest the writer
# remembers, else the inheriting row (valid on any parent), in one statement
# (no round trip to look at the parent first). The fallback comes as text,
# parsed only when it is kept.
GUARDED_UPSERT_CHECKPOINT_SQL = """
INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
SELECT %s, %s, %s, %s, CASE WHEN chk.ok THEN %s ELSE %s END,
    CASE WHEN chk.ok THEN %s::jsonb ELSE (%s::text)::jsonb END, %s::jsonb
FROM (SELECT EXISTS (
    SELECT 1 FROM checkpoints p
    WHERE p.thread_id = %s AND p.checkpoint_ns = %s AND p.checkpoint_id = %s
        AND left(p.type, 1) IN ('=', '+', '~') AND substr(p.type, 2, 12) = %s
) AS ok) AS chk
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET type = EXCLUDED.type, checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
"""

_PAGE = 1000  # listed checkpoints decoded per batch of blob and write look-ups


def _chain_sql(seed: str) -> str:
    return _CHAIN_SQL.format(seed=seed, writes=_WRITES_SQL.format(cp="chain"))


def _seed(where: str, latest: bool) -> str:
    return f"SELECT {_ROW_COLS}, 0 AS n FROM checkpoints WHERE {where}" + (
        " ORDER BY checkpoint_id DESC LIMIT 1" if latest else ""
    )


_BLOBS_SQL = """
SELECT k.channel, k.version, bl.type, bl.blob
FROM unnest(%s::text[], %s::text[]) AS k(channel, version)
JOIN checkpoint_blobs bl ON bl.thread_id = %s AND bl.checkpoint_ns = %s
    AND bl.channel = k.channel AND bl.version = k.version
"""


def _s(b: Any) -> str:
    if isinstance(b, memoryview):  # memoryview has no decode()
        b = b.tobytes()
    return b.decode() if isinstance(b, bytes) else b


def _b(v: Any) -> Any:
    return bytes(v) if v is not None else None


# Row documents as JSON: written once for PostgreSQL and MySQL (checkpoint/_sql_ops.py).
_rep_to_json = rep_to_json
_doc_json = doc_json
_load_doc = load_json_doc
_row_json = json_row_data


def _states(rows: dict, targets: Any, keep_all: bool = False) -> dict:
    try:
        return rebuild(rows, targets, _load_doc, keep_all=keep_all, row_data=_row_json)
    except BrokenLineageError as exc:
        thread_id, ns, checkpoint_id = exc.args[0]
        raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc


def _tuple(
    serde: Any,
    row: Sequence[Any],
    doc: dict,
    state: Any,
    blobs: dict,
    writes: Any,
    config: dict | None = None,
    values: dict | None = None,
) -> CheckpointTuple:
    thread_id, ns, checkpoint_id, parent_id = row[0], row[1], row[2], row[3]
    try:
        checkpoint = checkpoint_of(doc, checkpoint_id, state)
        if values is None:
            values = values_of(serde, state, blobs)
        checkpoint["channel_values"] = values
        pending = load_writes(
            serde,
            [
                (_s(task), _s(ch), _s(t), _b(v), _s(path), int(_s(idx)))
                for task, ch, t, v, path, idx in (writes or ())
            ],
        )
    except Exception as exc:  # a value or a write that cannot be decoded
        raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc
    return CheckpointTuple(
        config=config or config_of(thread_id, ns, checkpoint_id),  # type: ignore[arg-type]
        checkpoint=checkpoint,  # type: ignore[arg-type]
        metadata=json.loads(row[6]) if isinstance(row[6], str) else row[6],
        parent_config=config_of(thread_id, ns, parent_id),
        pending_writes=pending,
    )


def _legacy_blobs(serde: Any, row: Sequence[Any], state: Any, blobs: dict) -> list[tuple]:
    """Blob rows for a LangGraph row's inline values, so rows written on top find them."""
    return [
        (row[0], row[1], c, str(state.cv[c]), *serde.dumps_typed(rep[1]))
        for c, rep in state.reps.items()
        if rep[0] == "v" and (c, str(state.cv[c])) not in blobs
    ]


def get_tuple(serde: Any, config: dict):
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    checkpoint_id = conf.get("checkpoint_id")
    if checkpoint_id:
        sql = _chain_sql(
            _seed("thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s", False)
        )
        params: tuple = (thread_id, ns, checkpoint_id)
    else:
        sql = _chain_sql(_seed("thread_id = %s AND checkpoint_ns = %s", True))
        params = (thread_id, ns)
    rows = yield (ALL, sql, params)
    if not rows:
        return
    target = rows[0]
    key = (thread_id, ns, target[2])
    kind, own, _, _ = parse_type(target[4])
    cached = recall(thread_id, ns, target[2]) if kind else None
    if cached is not None and cached.digest == own:
        states = {key: (_load_doc(target, None), cached)}
    else:
        states = _states({(r[0], r[1], r[2]): r for r in rows}, [key])
    doc, state = states[key]
    blobs = {(_s(c), _s(v)): (_s(t), _b(b)) for c, v, t, b in (target[7] or ())}
    # the latest checkpoint gets its config built from the row
    found = _tuple(serde, target, doc, state, blobs, target[8], config if checkpoint_id else None)
    missing = _legacy_blobs(serde, target, state, blobs)
    if missing:
        yield (MANY, OPS.insert_blobs, missing)
    if state.digest:
        values = found.checkpoint["channel_values"]
        state.items = {c: tuple(v) for c, v in values.items() if type(v) is list}
        remember(thread_id, ns, target[2], state)
    yield (EMIT, found)


def _load_state(thread_id: str, ns: str, checkpoint_id: str):
    """The stored state of one checkpoint, or None when it has no row."""
    rows = yield (
        ALL,
        "WITH RECURSIVE chain AS (("
        + _seed("thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s", False)
        + ") UNION ALL SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id, "
        "c.parent_checkpoint_id, c.type, c.checkpoint, c.metadata, chain.n + 1 "
        "FROM chain JOIN checkpoints c ON c.thread_id = chain.thread_id "
        "AND c.checkpoint_ns = chain.checkpoint_ns AND c.checkpoint_id = chain.parent_checkpoint_id "
        "WHERE left(chain.type, 1) IN ('+', '~') AND chain.n < 100000) "
        f"SELECT {_ROW_COLS} FROM chain",
        (thread_id, ns, checkpoint_id),
    )
    if not rows:
        return None
    key = (thread_id, ns, checkpoint_id)
    return _states({(r[0], r[1], r[2]): r for r in rows}, [key])[key]


def _ancestors(listed: list):
    """Listed rows keyed, plus the ancestors their deltas replay from (rows
    the listing left out: before, limit, filter), fetched once per lineage."""
    by_key = {(r[0], r[1], r[2]): r for r in listed}
    need = [
        (r[0], r[1], r[3])
        for r in listed
        if r[3] is not None
        and r[4]
        and r[4][0] in (DELTA, INHERIT)
        and (r[0], r[1], r[3]) not in by_key
        and kept_row((r[0], r[1], r[2]), r[4], _row_json(r)) is None  # else rebuilt already
    ]
    if need:
        threads, namespaces, ids = (list(x) for x in zip(*sorted(set(need))))
        found = yield (
            ALL,
            "WITH RECURSIVE chain AS ("
            f"SELECT {_ROW_COLS}, 0 AS n FROM checkpoints WHERE (thread_id, checkpoint_ns, "
            "checkpoint_id) IN (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])) "
            "UNION ALL SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id, "
            "c.parent_checkpoint_id, c.type, c.checkpoint, c.metadata, chain.n + 1 "
            "FROM chain JOIN checkpoints c ON c.thread_id = chain.thread_id "
            "AND c.checkpoint_ns = chain.checkpoint_ns "
            "AND c.checkpoint_id = chain.parent_checkpoint_id "
            "WHERE left(chain.type, 1) IN ('+', '~') AND chain.n < 100000) "
            "SELECT DISTINCT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, "
            "type, checkpoint::text FROM chain",
            (threads, namespaces, ids),
        )
        for r in found:
            by_key.setdefault((r[0], r[1], r[2]), r)
    return by_key


def history(serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None):
    """Matching checkpoints, newest first, as pages of HistoryEntry items (see
    `_sql`): each page's rows, states, blobs and writes read at once, each
    entry decoded when the caller reaches it."""
    where, params = OPS.search_where(config, filter, before)
    sql = OPS.d.q(
        f"SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, "
        f"checkpoint::text, metadata::text FROM checkpoints {where} ORDER BY checkpoint_id DESC"
    )
    if limit is not None:
        sql += " LIMIT %s"
        params.append(int(limit))
    whole = whole_namespace(config, filter, limit)
    if whole is None:
        listed = yield (ALL, sql, params)
        prefetched = None
    else:
        # A namespace's whole history (or all of it before a checkpoint): its
        # writes and blobs are read with its rows, in one round trip.
        thread_id, ns = whole
        before_id = before["configurable"].get("checkpoint_id") if before is not None else None
        listed, found_writes, found_blobs = yield (
            READS,
            None,
            [
                (sql, params),
                (
                    "SELECT checkpoint_id, task_id, channel, type, blob, task_path "
                    "FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s"
                    + (" AND checkpoint_id < %s" if before_id is not None else "")
                    + " ORDER BY checkpoint_id, task_id, idx",
                    (thread_id, ns) if before_id is None else (thread_id, ns, before_id),
                ),
                (
                    "SELECT channel, version, type, blob FROM checkpoint_blobs "
                    "WHERE thread_id = %s AND checkpoint_ns = %s",
                    (thread_id, ns),
                ),
            ],
        )
        prefetched_writes: dict[tuple[str, str, str], list] = {}
        group_writes(thread_id, ns, found_writes, prefetched_writes)
        prefetched = (
            {(thread_id, ns): {(c, v): (t, _b(b)) for c, v, t, b in found_blobs}},
            prefetched_writes,
        )
    if not listed:
        return
    by_key = yield from _ancestors(listed)
    if prefetched is not None:
        for page in chunks(listed, _PAGE):
            states = _states(by_key, [(r[0], r[1], r[2]) for r in reversed(page)], keep_all=True)
            yield (EMIT, history_entries(serde, page, states, *prefetched))
        return
    for page in chunks(listed, _PAGE):
        # Oldest first, so each lineage is replayed once and shared down the page.
        states = _states(by_key, [(r[0], r[1], r[2]) for r in reversed(page)], keep_all=True)
        wanted: dict[tuple[str, str], set] = {}
        ids: dict[tuple[str, str], list] = {}
        for r in page:
            wanted.setdefault((r[0], r[1]), set()).update(blob_keys(states[(r[0], r[1], r[2])][1]))
            ids.setdefault((r[0], r[1]), []).append(r[2])
        blobs: dict[tuple[str, str], dict] = {}
        writes: dict[tuple[str, str, str], list] = {}
        for (thread_id, ns), keys in wanted.items():
            have: dict = {}
            if keys:
                channels, versions = zip(*sorted(keys))
                rows = yield (ALL, _BLOBS_SQL, (list(channels), list(versions), thread_id, ns))
                for c, v, t, b in rows:
                    have[(c, v)] = (t, _b(b))
            blobs[(thread_id, ns)] = have
            page_ids = ids[(thread_id, ns)]
            if filter:  # the page's ids are scattered
                where_ids = "checkpoint_id = ANY(%s)"
                id_params: tuple = (page_ids,)
            else:  # all the namespace's checkpoints between the first and the last
                where_ids = "checkpoint_id BETWEEN %s AND %s"
                id_params = (min(page_ids), max(page_ids))
            found = yield (
                ALL,
                "SELECT checkpoint_id, task_id, channel, type, blob, task_path "
                "FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s "
                f"AND {where_ids} ORDER BY checkpoint_id, task_id, idx",
                (thread_id, ns, *id_params),
            )
            group_writes(thread_id, ns, found, writes)
        # A page: its entries are decoded as the caller reaches them.
        yield (EMIT, history_entries(serde, page, states, blobs, writes))


def list_(serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None):
    return as_tuples(history(serde, config, filter, before, limit))


def put(
    serde: Any,
    config: dict,
    checkpoint: Mapping[str, Any],
    metadata: Any,
    new_versions: Mapping[str, Any],
    _written: dict | None = None,
    _unchecked: bool = False,
):
    """Store `checkpoint` as the changes from its parent's state (see
    checkpoint/_delta_rows.py); `_written`: states this op already wrote.
    `_unchecked`: when this process remembers the parent's state, do not look
    at the parent row first (a round trip before the write): send the delta
    with an inheriting row as its fallback, and let the database keep the
    delta only if the parent row still has the remembered digest."""
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    parent_id = conf.get("checkpoint_id")
    base = None
    guarded = False
    if parent_id:
        key = (thread_id, ns, parent_id)
        if _written is not None and key in _written:
            base = _written[key]
        else:
            cached = recall(thread_id, ns, parent_id)
            if _unchecked and cached is not None:
                base = cached
                guarded = True
            else:
                row = yield (
                    ONE,
                    "SELECT type FROM checkpoints "
                    "WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
                    key,
                )
                if row is not None:
                    if cached is not None and parse_type(row[0])[1] == cached.digest:
                        base = cached
                    else:
                        try:
                            found = yield from _load_state(thread_id, ns, parent_id)
                        except UnreadableCheckpointError:
                            found = None  # write this one whole
                        if found is not None:
                            base = found[1]
    doc, blobs, state = encode(
        serde, thread_id, ns, checkpoint, new_versions, base, legacy_inline=True
    )
    if blobs:
        yield (MANY, OPS.insert_blobs, blobs)
    if "r" in doc:
        doc["r"] = {c: _rep_to_json(r) for c, r in doc["r"].items()}
    data = _doc_json(doc)
    if state.depth:
        assert base is not None
        state.digest = digest(base.digest, data.encode())
        type_ = row_type(DELTA, state.digest, base.digest, "")
    else:
        state.digest = digest("", data.encode())
        type_ = row_type(SNAPSHOT, state.digest, "", "")
    meta = json_dumps(get_serializable_checkpoint_metadata(config, metadata))
    if guarded:
        assert base is not None
        fallback = inherit_doc(serde, checkpoint, new_versions)
        fallback["r"] = {c: _rep_to_json(r) for c, r in fallback["r"].items()}
        fallback_data = _doc_json(fallback)
        # Named after the delta it stands in for (whose digest chains its
        # contents to its parent's), not hashed again.
        fallback_type = row_type(INHERIT, digest(state.digest, b"~"), "", "")
        yield (
            EXEC,
            GUARDED_UPSERT_CHECKPOINT_SQL,
            (
                thread_id,
                ns,
                checkpoint["id"],
                parent_id,
                type_,
                fallback_type,
                data,
                fallback_data,
                meta,
                thread_id,
                ns,
                parent_id,
                base.digest,
            ),
        )
    else:
        yield (
            EXEC,
            UPSERT_CHECKPOINT_SQL,
            (thread_id, ns, checkpoint["id"], parent_id, type_, data, meta),
        )
    if _written is not None:
        _written[(thread_id, ns, checkpoint["id"])] = state
    remember(thread_id, ns, checkpoint["id"], state)
    # Kept under the document as JSON values (PostgreSQL prints jsonb its own
    # way: a read compares what it parses, `_row_json`).
    if len(state.cv) <= WRITER_KEEPS_MAX:
        keep_row((thread_id, ns, checkpoint["id"]), type_, doc, doc, state)


def write_steps(serde: Any, calls: Sequence[tuple[str, tuple]]):
    """Saver calls queued by runs, in order (`("put", args)` / `("put_writes", args)`,
    the saver methods' positional arguments; several steps, maybe of several
    threads), as one op: the write pipeline runs it in one transaction.

    A thread with one put in the op (every step of a `durability="sync"`
    run) has it written guarded (see `put`): the op stays one round trip.
    With more, the first looks at its parent row once (one sync for the op);
    the others build on what the op wrote."""
    puts: dict[tuple[str, str], int] = {}
    for method, args in calls:
        if method == "put":
            conf = args[0]["configurable"]
            key = (str(conf["thread_id"]), conf.get("checkpoint_ns", ""))
            puts[key] = puts.get(key, 0) + 1
    written: dict = {}
    for method, args in calls:
        if method == "put":
            config, checkpoint, metadata, new_versions = args
            conf = config["configurable"]
            single = puts[(str(conf["thread_id"]), conf.get("checkpoint_ns", ""))] == 1
            yield from put(
                serde,
                config,
                checkpoint,
                metadata,
                new_versions,
                _written=written,
                _unchecked=single,
            )
        elif method == "put_writes":
            yield from OPS.put_writes(serde, *args)
        else:
            raise ValueError(f"write_steps cannot perform {method!r}")


# What PostgreSQL does as the other SQL databases do (checkpoint/_sql_ops.py).
put_writes = OPS.put_writes
delete_thread = OPS.delete_thread
delete_for_runs = OPS.delete_for_runs
copy_thread = OPS.copy_thread
prune = OPS.prune
search_where = OPS.search_where
