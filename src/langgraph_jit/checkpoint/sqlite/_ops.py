"""SQLite statements of every saver operation, as generators for `checkpoint._sql` drivers.

Tables `checkpoints` and `writes` have LangGraph's SqliteSaver columns, so its
files can be read and continued. A checkpoint row we write stores what changed
since its parent (checkpoint/_delta_rows.py: versions, small values inline,
what lists appended); larger values sit once per (channel, version) in
`checkpoint_blobs`. LangGraph cannot read our rows: `checkpoints convert` moves
threads to its format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit.checkpoint._delta_rows import (
    DELTA,
    DOC_KEYS,
    INHERIT,
    SNAPSHOT,
    WRITER_KEEPS_MAX,
    BrokenLineageError,
    apply_delta,
    blob_keys,
    digest,
    encode,
    keep_row,
    kept_row,
    parse_type,
    rebuild,
    recall,
    remember,
    row_type,
    snapshot_doc,
    snapshot_state,
    typed_loader,
)
from langgraph_jit.checkpoint._sql import (
    ALL,
    EMIT,
    EXEC,
    MANY,
    ONE,
    UnreadableCheckpointError,
    as_tuples,
    chunks,
    config_of,
    group_writes,
    history_entries,
    json_dumps,
    write_rows,
)
from langgraph_jit.checkpoint.base import WRITES_IDX_MAP, get_checkpoint_metadata

# New files keep checkpoints and writes in their primary-key b-tree (WITHOUT
# ROWID: no second copy of the key in an index; their rows are small now that
# checkpoints store changes), blobs (large) in a rowid table. Files made before
# keep their tables; every statement works on either layout.
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
) WITHOUT ROWID;
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
) WITHOUT ROWID;
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

_PAGE = 1000  # checkpoints decoded per batch of blob/write look-ups
_MAX_KEYS = 2000  # (channel, version) pairs per blob query (2 parameters each)
_FILTER_KEY = re.compile(r"^[a-zA-Z0-9_.-]+$")


# ---------------------------------------------------------------- reading

# A row and its ancestors down to the row that holds its whole state (at most
# MAX_DEPTH deltas), in one statement; `seed` selects the first rows.
_CHAIN_SQL = (
    "WITH RECURSIVE chain({cols}, n) AS (SELECT {cols}, 0 FROM ({seed}) "
    "UNION ALL SELECT {ccols}, chain.n + 1 FROM chain JOIN checkpoints AS c "
    "ON c.thread_id = chain.thread_id AND c.checkpoint_ns = chain.checkpoint_ns "
    "AND c.checkpoint_id = chain.parent_checkpoint_id "
    "WHERE substr(chain.type, 1, 1) IN ('+', '~') AND chain.n < 100000) "
    "SELECT {cols} FROM chain"
)
_CCOLS = ", ".join("c." + c for c in _COLS.split(", "))


def _chain_sql(seed: str) -> str:
    return _CHAIN_SQL.format(cols=_COLS, ccols=_CCOLS, seed=seed)


def _load_doc(serde: Any):
    loads = typed_loader(serde)

    def load(row: Sequence[Any], serde_type: str | None) -> dict:
        try:
            doc = loads((serde_type, row[5]))
            if not isinstance(doc, dict):
                raise TypeError(f"a checkpoint row holds {type(doc).__name__}, not a mapping")
        except Exception as exc:
            raise UnreadableCheckpointError(row[0], row[1], row[2]) from exc
        return doc

    return load


def _states(serde: Any, rows: dict, targets: Any, keep_all: bool = False) -> dict:
    try:
        return rebuild(rows, targets, _load_doc(serde), keep_all=keep_all)
    except BrokenLineageError as exc:
        thread_id, ns, checkpoint_id = exc.args[0]
        raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc


def _fetch_blobs(thread_id: str, ns: str, keys: set[tuple[str, str]]):
    blobs: dict[tuple[str, str], tuple[str, Any]] = {}
    for part in chunks(sorted(keys), _MAX_KEYS):
        pairs = ", ".join(["(?, ?)"] * len(part))
        params: list[Any] = []
        for channel, version in part:
            params += (channel, version)
        # Driving the join from the VALUES list makes each pair one
        # primary-key lookup, however many versions the thread has.
        found = yield (
            ALL,
            f"SELECT b.channel, b.version, b.type, b.blob FROM (VALUES {pairs}) AS k "
            "CROSS JOIN checkpoint_blobs AS b ON b.thread_id = ? AND b.checkpoint_ns = ? "
            "AND b.channel = k.column1 AND b.version = k.column2",
            [*params, thread_id, ns],
        )
        for channel, version, type_, blob in found:
            blobs[(channel, version)] = (type_, blob)
    return blobs


def _page_reads(rows: Sequence[tuple], states: dict, contiguous: bool = True):
    """The blobs (per thread and namespace) and writes (per checkpoint, rows in
    replay order) of checkpoint rows whose states are rebuilt in `states`, in
    one look-up each. `contiguous`: each namespace's rows are all its
    checkpoints between their first and last id."""
    wanted: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for row in rows:
        state = states[(row[0], row[1], row[2])][1]
        wanted.setdefault((row[0], row[1]), set()).update(blob_keys(state))
    blobs: dict[tuple[str, str], dict] = {}
    for (thread_id, ns), keys in wanted.items():
        blobs[(thread_id, ns)] = yield from _fetch_blobs(thread_id, ns, keys)

    writes: dict[tuple[str, str, str], list[tuple]] = {}
    if not contiguous:
        by_id: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            by_id.setdefault((row[0], row[1]), []).append(row[2])
        for (thread_id, ns), ids in by_id.items():
            for part in chunks(ids, _MAX_KEYS):
                marks = ", ".join("?" * len(part))
                found = yield (
                    ALL,
                    "SELECT checkpoint_id, task_id, channel, type, value, task_path FROM writes "
                    f"WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id IN ({marks}) "
                    "ORDER BY checkpoint_id, task_id, idx",
                    [thread_id, ns, *part],
                )
                group_writes(thread_id, ns, found, writes)
    elif len(rows) == 1:
        row = rows[0]
        found = yield (
            ALL,
            "SELECT checkpoint_id, task_id, channel, type, value, task_path FROM writes "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
            "ORDER BY task_id, idx",
            (row[0], row[1], row[2]),
        )
        group_writes(row[0], row[1], found, writes)
    else:
        by_checkpoint: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            by_checkpoint.setdefault((row[0], row[1]), []).append(row[2])
        for (thread_id, ns), ids in by_checkpoint.items():
            # One range scan of the primary key: the page's ids are all the
            # namespace's between the first and the last (`contiguous`).
            found = yield (
                ALL,
                "SELECT checkpoint_id, task_id, channel, type, value, task_path FROM writes "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id BETWEEN ? AND ? "
                "ORDER BY checkpoint_id, task_id, idx",
                (thread_id, ns, min(ids), max(ids)),
            )
            group_writes(thread_id, ns, found, writes)
    return blobs, writes


def _decode(serde: Any, row: tuple, states: dict, config: dict | None):
    """One checkpoint row (its state rebuilt in `states`) -> its CheckpointTuple
    (`config`: the caller's, else made from the row), and the blob rows that
    give a LangGraph row's inline values blobs, so rows written on top of it
    find them."""
    blobs, writes = yield from _page_reads([row], states)
    entry = next(history_entries(serde, [row], states, blobs, writes))
    found = entry.as_tuple()
    if config:
        found = found._replace(config=config)
    thread_id, ns = row[0], row[1]
    have = blobs[(thread_id, ns)]
    state = entry.state
    missing = [
        (thread_id, ns, channel, str(state.cv[channel]), *serde.dumps_typed(rep[1]))
        for channel, rep in state.reps.items()
        if rep[0] == "v" and (channel, str(state.cv[channel])) not in have
    ]
    if missing:
        yield (MANY, _INSERT_BLOBS, missing)
    return found


def get_tuple(serde: Any, config: dict):
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    checkpoint_id = conf.get("checkpoint_id")
    if checkpoint_id:
        seed = (
            f"SELECT {_COLS} FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
        )
        params: tuple = (thread_id, ns, checkpoint_id)
    else:
        seed = (
            f"SELECT {_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
            "ORDER BY checkpoint_id DESC LIMIT 1"
        )
        params = (thread_id, ns)
    target = yield (ONE, seed, params)
    if target is None:
        return
    key = (thread_id, ns, target[2])
    kind, own, parent_digest, serde_type = parse_type(target[4])
    cached = recall(thread_id, ns, target[2]) if kind else None
    parent = None
    if kind == DELTA and (cached is None or cached.digest != own) and target[3]:
        parent = recall(thread_id, ns, target[3])
    if cached is not None and cached.digest == own:  # the state this process last saw
        states = {key: (_load_doc(serde)(target, serde_type), cached)}
    elif parent is not None and parent.digest == parent_digest:  # one step after it
        doc = _load_doc(serde)(target, serde_type)
        states = {key: (doc, apply_delta(parent, doc, own))}
    else:
        rows = [target]
        if kind in (DELTA, INHERIT):
            rows += yield (
                ALL,
                _chain_sql(
                    f"SELECT {_COLS} FROM checkpoints "
                    "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
                ),
                (thread_id, ns, target[3]),
            )
        states = _states(serde, {(r[0], r[1], r[2]): r for r in rows}, [key])
    # the latest checkpoint gets its config built from the row
    found = yield from _decode(serde, target, states, config if checkpoint_id else None)
    state = states[key][1]
    if state.digest:
        values = found.checkpoint["channel_values"]
        state.items = {c: tuple(v) for c, v in values.items() if type(v) is list}
        remember(thread_id, ns, target[2], state)
    yield (EMIT, found)


def _load_state(serde: Any, thread_id: str, ns: str, checkpoint_id: str):
    """The stored state of one checkpoint, or None when it has no row."""
    rows = yield (
        ALL,
        _chain_sql(
            f"SELECT {_COLS} FROM checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
        ),
        (thread_id, ns, checkpoint_id),
    )
    if not rows:
        return None
    key = (thread_id, ns, checkpoint_id)
    return _states(serde, {(r[0], r[1], r[2]): r for r in rows}, [key])[key]


def _ancestors(rows: list):
    """Rows of `rows` keyed, plus the ancestors their deltas replay from."""
    by_key = {(r[0], r[1], r[2]): r for r in rows}
    need = {
        (r[0], r[1], r[3])
        for r in rows
        if r[3] is not None
        and r[4]
        and r[4][0] in (DELTA, INHERIT)
        and (r[0], r[1], r[3]) not in by_key
        and kept_row((r[0], r[1], r[2]), r[4], r[5]) is None  # else rebuilt already
    }
    for part in chunks(sorted(need), _MAX_KEYS // 3):
        triples = ", ".join(["(?, ?, ?)"] * len(part))
        seed = (
            f"SELECT {_CCOLS} FROM (VALUES {triples}) AS k JOIN checkpoints AS c "
            "ON c.thread_id = k.column1 AND c.checkpoint_ns = k.column2 AND c.checkpoint_id = k.column3"
        )
        found = yield (ALL, _chain_sql(seed), [x for key in part for x in key])
        for r in found:
            by_key.setdefault((r[0], r[1], r[2]), r)
    return by_key


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


def history(serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None):
    """Matching checkpoints, newest first, as pages of HistoryEntry items (see
    `_sql`): each page's rows, states, blobs and writes read at once, each
    entry decoded when the caller reaches it."""
    where, params = search_where(config, filter, before)
    sql = f"SELECT {_COLS} FROM checkpoints {where} ORDER BY checkpoint_id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = yield (ALL, sql, params)
    if not rows:
        return
    by_key = yield from _ancestors(rows)
    for page in chunks(rows, _PAGE):
        # Oldest first, so each lineage is replayed once and shared down the page.
        keys = [(r[0], r[1], r[2]) for r in reversed(page)]
        states = _states(serde, by_key, keys, keep_all=True)
        blobs, writes = yield from _page_reads(page, states, contiguous=not filter)
        # A page: its entries are decoded as the caller reaches them.
        yield (EMIT, history_entries(serde, page, states, blobs, writes))


def list_(serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None):
    return as_tuples(history(serde, config, filter, before, limit))


# ---------------------------------------------------------------- writing


def put(
    serde: Any,
    config: dict,
    checkpoint: Mapping[str, Any],
    metadata: Any,
    new_versions: Mapping[str, Any],
    _written: dict | None = None,
):
    """Store `checkpoint` as the changes from its parent's state (whole every
    MAX_DEPTH rows, or when that state is unknown); values of `new_versions`
    inline when small, appended pieces for a list that grew, else blobs.
    `_written`: states this op already wrote (write_steps), trusted as bases."""
    conf = config["configurable"]
    thread_id = str(conf["thread_id"])
    ns = conf.get("checkpoint_ns", "")
    parent_id = conf.get("checkpoint_id")
    base = None
    if parent_id:
        key = (thread_id, ns, parent_id)
        if _written is not None and key in _written:
            base = _written[key]
        else:
            cached = recall(thread_id, ns, parent_id)
            row = yield (
                ONE,
                "SELECT type FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                key,
            )
            if row is not None:
                if cached is not None and parse_type(row[0])[1] == cached.digest:
                    base = cached
                else:
                    try:
                        found = yield from _load_state(serde, thread_id, ns, parent_id)
                    except UnreadableCheckpointError:
                        found = None  # write this one whole
                    if found is not None:
                        base = found[1]
    doc, blobs, state = encode(serde, thread_id, ns, checkpoint, new_versions, base)
    if blobs:
        yield (MANY, _INSERT_BLOBS, blobs)
    serde_type, data = serde.dumps_typed(doc)
    if state.depth:
        assert base is not None
        state.digest = digest(base.digest, data)
        type_ = row_type(DELTA, state.digest, base.digest, serde_type)
    else:
        state.digest = digest("", data)
        type_ = row_type(SNAPSHOT, state.digest, "", serde_type)
    meta = json_dumps(get_checkpoint_metadata(config, metadata)).encode("utf-8", "ignore")
    yield (
        EXEC,
        _INSERT_CHECKPOINT,
        (thread_id, ns, checkpoint["id"], parent_id, type_, data, meta),
    )
    if _written is not None:
        _written[(thread_id, ns, checkpoint["id"])] = state
    remember(thread_id, ns, checkpoint["id"], state)
    if len(state.cv) <= WRITER_KEEPS_MAX:
        keep_row((thread_id, ns, checkpoint["id"]), type_, data, doc, state)


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
    written: dict = {}
    for method, args in calls:
        if method == "put":
            config, checkpoint, metadata, new_versions = args
            yield from put(serde, config, checkpoint, metadata, new_versions, _written=written)
        elif method == "put_writes":
            yield from put_writes(serde, *args)
        else:
            raise ValueError(f"write_steps cannot perform {method!r}")


def delete_thread(thread_id: str):
    for table in ("checkpoints", "writes", "checkpoint_blobs"):
        yield (EXEC, f"DELETE FROM {table} WHERE thread_id = ?", (str(thread_id),))


def _delete_checkpoints(serde: Any, doomed: Sequence[tuple[str, ...]]):
    """Delete checkpoints and their writes. A surviving delta row whose parent
    goes is rewritten whole first (same state, same digest); then the blobs
    of the namespace that no surviving checkpoint uses are deleted."""
    if not doomed:
        return
    doomed_set = {(str(t), str(n), str(c)) for t, n, c in doomed}
    for thread_id, ns in sorted({(t, n) for t, n, _ in doomed_set}):
        rows = yield (
            ALL,
            f"SELECT {_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?",
            (thread_id, ns),
        )
        by_key = {(r[0], r[1], r[2]): r for r in rows}
        keep = [k for k in by_key if k not in doomed_set]
        states = _states(serde, by_key, keep, keep_all=True) if keep else {}
        used: set[tuple[str, str]] = set()
        for key in keep:
            row = by_key[key]
            doc, state = states[key]
            if row[4] and row[4][0] in (DELTA, INHERIT) and (thread_id, ns, row[3]) in doomed_set:
                blobs: list[tuple] = []
                extras = {k: v for k, v in doc.items() if k not in DOC_KEYS}
                whole = snapshot_doc(serde, thread_id, ns, extras, state.copy(), blobs)
                serde_type, data = serde.dumps_typed(whole)
                state = snapshot_state(whole, state.digest)
                if blobs:
                    yield (MANY, _INSERT_BLOBS, blobs)
                yield (
                    EXEC,
                    "UPDATE checkpoints SET type = ?, checkpoint = ? "
                    "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                    (row_type(SNAPSHOT, state.digest, "", serde_type), data, *key),
                )
            used.update(blob_keys(state))
        gone = [k for k in doomed_set if k[0] == thread_id and k[1] == ns]
        for table in ("checkpoints", "writes"):
            yield (
                MANY,
                f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                gone,
            )
        stored = yield (
            ALL,
            "SELECT channel, version FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ?",
            (thread_id, ns),
        )
        garbage = [(thread_id, ns, c, v) for c, v in stored if (c, v) not in used]
        if garbage:
            yield (
                MANY,
                "DELETE FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ? "
                "AND channel = ? AND version = ?",
                garbage,
            )


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
            yield from _delete_checkpoints(serde, [tuple(r) for r in doomed])
            yield (
                EXEC,
                "UPDATE checkpoints SET parent_checkpoint_id = NULL "
                "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (thread_id, ns, keep),
            )


__all__ = ["ADD_TASK_PATH_SQL", "SETUP_SQL", "config_of"]
