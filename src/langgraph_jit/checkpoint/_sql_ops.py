"""Every saver operation written once for the SQL databases whose rows are read
in several statements (SQLite, MySQL/MariaDB), as generators for `_sql` drivers.

A `Dialect` says what differs: the parameter mark, table and column names, the
column that keys a namespace, how a checkpoint row's document is stored (the
serializer's bytes, or JSON text) and the few statements whose syntax differs
(insert-or-ignore, upsert, metadata filters). `SqlOps(dialect)` holds the
operations; each database's `_ops` module makes one and names its functions.

A checkpoint row stores what changed since its parent (checkpoint/_delta_rows.py:
versions, small values inline, what lists appended); larger values sit once per
(channel, version) in the blobs table.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

try:  # a faster encoder for JSON row documents, when installed
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

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
    group_writes,
    history_entries,
    json_dumps,
    parse_json,
    write_rows,
)
from langgraph_jit.checkpoint.base import (
    WRITES_IDX_MAP,
    get_checkpoint_metadata,
    get_serializable_checkpoint_metadata,
)

ROW_COLS = ("thread_id", "checkpoint_ns", "checkpoint_id", "parent_checkpoint_id", "type")
_PAGE = 1000  # checkpoints decoded per batch of blob/write look-ups
_MAX_KEYS = 2000  # (channel, version) pairs per blob query (2 parameters each)
FILTER_KEY = re.compile(r"^[a-zA-Z0-9_.-]+$")


# ---------------------------------------------------------------- JSON row documents

# Rows stored as JSON (PostgreSQL's jsonb, MySQL's JSON column: LangGraph's
# schemas) keep inline values as base64 text.


def rep_to_json(rep: Any) -> Any:
    if rep is None or rep[0] not in ("i", "+", "p"):
        return rep  # None, or ("v", a LangGraph row's inline JSON value)
    if rep[0] == "p":
        return ["p", rep[1], [[t, _b64(d)] for t, d in rep[2]]]
    return [rep[0], rep[1], _b64(rep[2]), *rep[3:]]


def rep_from_json(rep: Any) -> Any:
    if rep is None or rep[0] == "v":
        return rep
    if rep[0] == "p":
        return ("p", rep[1], tuple((t, _unb64(d)) for t, d in rep[2]))
    return (rep[0], rep[1], _unb64(rep[2]), *rep[3:])


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def _doc_default(obj: Any) -> Any:
    if isinstance(obj, (MappingProxyType, Mapping)):
        return dict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def doc_json(doc: dict) -> str:
    """A row document (versions, base64 values, the checkpoint's small keys) as JSON."""
    if orjson is not None:
        try:
            return orjson.dumps(doc, default=_doc_default, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            pass  # e.g. an int beyond 64 bits: the standard encoder writes it
    return json_dumps(doc)


def load_json_doc(row: Sequence[Any], serde_type: str | None) -> dict:
    """A JSON row's document (`row[5]`: text, or already parsed), reps decoded."""
    doc = row[5]
    if isinstance(doc, (str, bytes)):
        try:
            doc = parse_json(doc)
        except ValueError as exc:
            raise UnreadableCheckpointError(row[0], row[1], row[2]) from exc
    if not isinstance(doc, dict):
        raise UnreadableCheckpointError(row[0], row[1], row[2])
    if "r" in doc and row[4] and row[4][0] in (DELTA, SNAPSHOT, INHERIT):
        try:
            doc = {**doc, "r": {c: rep_from_json(r) for c, r in doc["r"].items()}}
        except Exception as exc:
            raise UnreadableCheckpointError(row[0], row[1], row[2]) from exc
    return doc


def json_row_data(row: Sequence[Any]) -> Any:
    """A JSON row's document as JSON values (what a remembered row is compared
    to: a database may print JSON its own way)."""
    doc = row[5]
    if isinstance(doc, (str, bytes)):
        try:
            return parse_json(doc)
        except ValueError:
            return None
    return doc


# ---------------------------------------------------------------- dialects


class Dialect:
    """What one database spells its own way. Statements are written with `?`
    marks; `mark` is what the driver wants instead."""

    mark = "?"
    writes_table = "writes"
    write_value = "value"  # the writes table's value column
    blob_col = "blob"
    # The column that keys a namespace in every primary key, and the parameter
    # a namespace is compared to it with (`ns_value`).
    ns_key = "checkpoint_ns"
    json_docs = False  # row documents: JSON text (else the serializer's bytes)
    insert_ignore = "INSERT OR IGNORE INTO"
    ignore_suffix = ""  # what an insert-or-ignore ends with
    replace = "INSERT OR REPLACE INTO"
    # copy_thread's insert: over rows the target already has (SQLite, MySQL) or not.
    copy_insert = "INSERT OR REPLACE INTO"
    copy_suffix = ""
    json_param = "?"  # a JSON column's parameter
    checks_filter_keys = True  # filter keys are spliced into JSON paths
    # A listing of one whole namespace reads all its blobs and writes at once.
    reads_whole_namespace = False

    def upsert(self, table: str, cols: str, keys: str, updated: tuple[str, ...]) -> str:
        """Insert a row of `cols` (marks `?`), or update `updated` of the row with its `keys`."""
        marks = ", ".join(m.strip() for m in self._marks(cols))
        return f"{self.replace} {table} ({cols}) VALUES ({marks})"

    def _marks(self, cols: str) -> list[str]:
        return [
            self.json_param if c.strip() in ("checkpoint", "metadata") else "?"
            for c in cols.split(",")
        ]

    @staticmethod
    def ns_value(ns: str) -> Any:
        return ns

    @staticmethod
    def ns_of(column: str) -> str:
        """An expression: the namespace key of a namespace column."""
        return column

    def q(self, sql: str) -> str:
        return sql if self.mark == "?" else sql.replace("?", self.mark)

    @property
    def extra_cols(self) -> str:
        """Columns every insert adds after its own (the namespace key when it is not the namespace)."""
        return "" if self.ns_key == "checkpoint_ns" else f", {self.ns_key}"

    def with_key(self, rows: list[tuple], ns_at: int = 1) -> list[tuple]:
        """Insert rows with the namespace key appended, when the dialect has one."""
        if self.ns_key == "checkpoint_ns":
            return rows
        value = self.ns_value
        return [(*r, value(r[ns_at])) for r in rows]

    def blobs_of_pairs(self, n: int) -> str:
        """Blobs of one namespace by n (channel, version) pairs: params pairs, thread, ns."""
        pairs = ", ".join(["(?, ?)"] * n)
        # Driving the join from the VALUES list makes each pair one
        # primary-key lookup, however many versions the thread has.
        return (
            f"SELECT b.channel, b.version, b.type, b.{self.blob_col} FROM (VALUES {pairs}) AS k "
            f"CROSS JOIN checkpoint_blobs AS b ON b.thread_id = ? AND b.{self.ns_key} = ? "
            "AND b.channel = k.column1 AND b.version = k.column2"
        )

    def rows_of_keys(self, n: int, cols: str) -> str:
        """Checkpoint rows by n (thread, ns key, id) triples."""
        triples = ", ".join(["(?, ?, ?)"] * n)
        return (
            f"SELECT {cols} FROM (VALUES {triples}) AS k JOIN checkpoints AS c "
            f"ON c.thread_id = k.column1 AND c.{self.ns_key} = k.column2 "
            "AND c.checkpoint_id = k.column3"
        )

    def metadata_filter(self, key: str, value: Any) -> tuple[str, Any]:
        """A WHERE term for metadata `key` equal to `value`, and its parameter."""
        path = f"json_extract(CAST(metadata AS TEXT), '$.{key}')"
        if value is None:
            return f"{path} IS ?", None
        if isinstance(value, bool):
            return f"{path} = ?", 1 if value else 0
        if isinstance(value, (str, int, float)):
            return f"{path} = ?", value
        if isinstance(value, (dict, list)):
            return f"{path} = ?", json.dumps(value, separators=(",", ":"))
        return f"{path} = ?", str(value)

    def metadata_text(self, key: str) -> str:
        """An expression: metadata `key` as text."""
        return f"json_extract(CAST(metadata AS TEXT), '$.{key}')"


class SqliteDialect(Dialect):
    reads_whole_namespace = True


def ns_hash(ns: str) -> bytes:
    """LangGraph's MySQL savers key a namespace by the MD5 of its UTF-8 bytes."""
    return hashlib.md5(ns.encode("utf-8", "surrogatepass")).digest()


class MySqlDialect(Dialect):
    mark = "%s"
    writes_table = "checkpoint_writes"
    write_value = "`blob`"
    blob_col = "`blob`"
    ns_key = "checkpoint_ns_hash"
    json_docs = True
    # A no-op update, not INSERT IGNORE: that warns on each duplicate (which
    # the async drivers turn into Python warnings) and ignores other errors too.
    insert_ignore = "INSERT INTO"
    ignore_suffix = " ON DUPLICATE KEY UPDATE thread_id = thread_id"
    replace = "REPLACE INTO"
    copy_insert = "REPLACE INTO"

    def upsert(self, table: str, cols: str, keys: str, updated: tuple[str, ...]) -> str:
        marks = ", ".join(self._marks(cols))
        sets = ", ".join(f"{c} = VALUES({c})" for c in updated)
        return f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {sets}"

    ns_value = staticmethod(ns_hash)

    @staticmethod
    def ns_of(column: str) -> str:
        return f"UNHEX(MD5({column}))"

    def blobs_of_pairs(self, n: int) -> str:
        pairs = ", ".join(["(?, ?)"] * n)
        return (
            f"SELECT channel, version, type, {self.blob_col} FROM checkpoint_blobs "
            f"WHERE (channel, version) IN ({pairs}) AND thread_id = ? AND {self.ns_key} = ?"
        )

    def rows_of_keys(self, n: int, cols: str) -> str:
        triples = ", ".join(["(?, ?, ?)"] * n)
        return (
            f"SELECT {cols} FROM checkpoints AS c "
            f"WHERE (c.thread_id, c.{self.ns_key}, c.checkpoint_id) IN ({triples})"
        )

    def metadata_filter(self, key: str, value: Any) -> tuple[str, Any]:
        # Containment at the key, as PostgreSQL's `@>`: a dict matches a
        # metadata dict holding at least its items; null only a null value.
        return f"JSON_CONTAINS(metadata, ?, '$.\"{key}\"')", json_dumps(value)

    def metadata_text(self, key: str) -> str:
        return f"JSON_UNQUOTE(JSON_EXTRACT(metadata, '$.\"{key}\"'))"


class PostgresDialect(Dialect):
    """LangGraph's PostgresSaver tables (its get_tuple, history and put are
    PostgreSQL's own: checkpoint/postgres/_ops.py)."""

    mark = "%s"
    writes_table = "checkpoint_writes"
    write_value = "blob"
    blob_col = "blob"
    json_docs = True
    json_param = "?::jsonb"
    insert_ignore = "INSERT INTO"
    ignore_suffix = " ON CONFLICT DO NOTHING"
    copy_insert = "INSERT INTO"
    copy_suffix = " ON CONFLICT DO NOTHING"
    checks_filter_keys = False

    def upsert(self, table: str, cols: str, keys: str, updated: tuple[str, ...]) -> str:
        marks = ", ".join(self._marks(cols))
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
        return f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({keys}) DO UPDATE SET {sets}"

    def metadata_filter(self, key: str, value: Any) -> tuple[str, Any]:
        return "metadata @> ?::jsonb", json_dumps({key: value})

    def metadata_text(self, key: str) -> str:
        return f"metadata ->> '{key}'"


def whole_namespace(config: dict | None, filter: Any, limit: int | None) -> tuple[str, str] | None:
    """(thread, namespace) when a listing reads all of one namespace's
    checkpoints (at most cut by `before`), else None."""
    if config is None or filter or limit is not None:
        return None
    conf = config["configurable"]
    ns = conf.get("checkpoint_ns")
    if ns is None or conf.get("checkpoint_id"):
        return None
    return str(conf["thread_id"]), ns


# ---------------------------------------------------------------- the operations


class SqlOps:
    """The saver operations on one dialect's tables."""

    def __init__(self, dialect: Dialect) -> None:
        d = self.d = dialect
        q = d.q
        cols = ", ".join(ROW_COLS) + ", checkpoint, metadata"
        self.cols = cols
        self.ccols = ", ".join("c." + c for c in cols.split(", "))
        extra = d.extra_cols
        mark_extra = ", ?" if extra else ""
        self.insert_blobs = q(
            f"{d.insert_ignore} checkpoint_blobs (thread_id, checkpoint_ns, channel, version, "
            f"type, {d.blob_col}{extra}) VALUES (?, ?, ?, ?, ?, ?{mark_extra}){d.ignore_suffix}"
        )
        ckpt_cols = ", ".join(ROW_COLS) + ", checkpoint, metadata" + extra
        self.write_cols = (
            "thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, "
            f"{d.write_value}"
        )
        self.insert_checkpoint = q(
            d.upsert(
                "checkpoints",
                ckpt_cols,
                f"thread_id, {d.ns_key}, checkpoint_id",
                ("type", "checkpoint", "metadata"),
            )
        )
        self.upsert_writes = q(
            d.upsert(
                d.writes_table,
                self.write_cols + extra,
                f"thread_id, {d.ns_key}, checkpoint_id, task_id, idx",
                ("channel", "type", d.write_value),
            )
        )
        self.insert_writes = q(
            f"{d.insert_ignore} {d.writes_table} ({self.write_cols}{extra}) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?{mark_extra}){d.ignore_suffix}"
        )
        self.where_key = f"thread_id = ? AND {d.ns_key} = ? AND checkpoint_id = ?"
        self.where_ns = f"thread_id = ? AND {d.ns_key} = ?"
        # A row and its ancestors down to the row that holds its whole state
        # (at most MAX_DEPTH deltas), in one statement; `seed` selects the first rows.
        self._chain = (
            "WITH RECURSIVE chain({cols}, n) AS (SELECT {cols}, 0 FROM ({seed}) AS seed "
            "UNION ALL SELECT {ccols}, chain.n + 1 FROM chain JOIN checkpoints AS c "
            f"ON c.thread_id = chain.thread_id AND c.{d.ns_key} = {d.ns_of('chain.checkpoint_ns')} "
            "AND c.checkpoint_id = chain.parent_checkpoint_id "
            "WHERE substr(chain.type, 1, 1) IN ('+', '~') AND chain.n < 100000) "
            "SELECT {cols} FROM chain"
        )
        self.row_data: Callable[[Sequence[Any]], Any] | None = (
            json_row_data if d.json_docs else None
        )

    # -- helpers

    def chain_sql(self, seed: str) -> str:
        return self.d.q(self._chain.format(cols=self.cols, ccols=self.ccols, seed=seed))

    def key(self, thread_id: str, ns: str, checkpoint_id: str) -> tuple:
        """Parameters of `where_key`."""
        return (thread_id, self.d.ns_value(ns), checkpoint_id)

    def load_doc(self, serde: Any) -> Callable[[Sequence[Any], str | None], dict]:
        if self.d.json_docs:
            return load_json_doc
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

    def dump_doc(self, serde: Any, doc: dict) -> tuple[str, Any, bytes, Any]:
        """(serde type, stored data, the bytes its digest hashes, what a read is
        compared to when the row is remembered) of a row document."""
        if self.d.json_docs:
            if "r" in doc:
                doc = {**doc, "r": {c: rep_to_json(r) for c, r in doc["r"].items()}}
            data = doc_json(doc)
            return "", data, data.encode(), doc
        serde_type, data = serde.dumps_typed(doc)
        return serde_type, data, data, data

    def states(self, serde: Any, rows: dict, targets: Any, keep_all: bool = False) -> dict:
        try:
            return rebuild(
                rows, targets, self.load_doc(serde), keep_all=keep_all, row_data=self.row_data
            )
        except BrokenLineageError as exc:
            thread_id, ns, checkpoint_id = exc.args[0]
            raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc

    def _rows_by_key(self, rows: Sequence[Sequence[Any]]) -> dict:
        return {(r[0], r[1], r[2]): r for r in rows}

    # -- reading

    def fetch_blobs(self, thread_id: str, ns: str, keys: set[tuple[str, str]]):
        blobs: dict[tuple[str, str], tuple[str, Any]] = {}
        for part in chunks(sorted(keys), _MAX_KEYS):
            params: list[Any] = []
            for channel, version in part:
                params += (channel, version)
            found = yield (
                ALL,
                self.d.q(self.d.blobs_of_pairs(len(part))),
                [*params, thread_id, self.d.ns_value(ns)],
            )
            for channel, version, type_, blob in found:
                blobs[(channel, version)] = (type_, blob)
        return blobs

    def page_reads(self, rows: Sequence[tuple], states: dict, contiguous: bool = True):
        """The blobs (per thread and namespace) and writes (per checkpoint, rows in
        replay order) of checkpoint rows whose states are rebuilt in `states`, in
        one look-up each. `contiguous`: each namespace's rows are all its
        checkpoints between their first and last id."""
        d = self.d
        wanted: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for row in rows:
            state = states[(row[0], row[1], row[2])][1]
            wanted.setdefault((row[0], row[1]), set()).update(blob_keys(state))
        blobs: dict[tuple[str, str], dict] = {}
        for (thread_id, ns), keys in wanted.items():
            blobs[(thread_id, ns)] = yield from self.fetch_blobs(thread_id, ns, keys)

        select = (
            f"SELECT checkpoint_id, task_id, channel, type, {d.write_value}, task_path "
            f"FROM {d.writes_table} WHERE {self.where_ns} AND "
        )
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
                        d.q(
                            f"{select}checkpoint_id IN ({marks}) "
                            "ORDER BY checkpoint_id, task_id, idx"
                        ),
                        [thread_id, d.ns_value(ns), *part],
                    )
                    group_writes(thread_id, ns, found, writes)
        elif len(rows) == 1:
            row = rows[0]
            found = yield (
                ALL,
                d.q(f"{select}checkpoint_id = ? ORDER BY task_id, idx"),
                self.key(row[0], row[1], row[2]),
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
                    d.q(
                        f"{select}checkpoint_id BETWEEN ? AND ? "
                        "ORDER BY checkpoint_id, task_id, idx"
                    ),
                    (thread_id, d.ns_value(ns), min(ids), max(ids)),
                )
                group_writes(thread_id, ns, found, writes)
        return blobs, writes

    def decode(self, serde: Any, row: tuple, states: dict, config: dict | None):
        """One checkpoint row (its state rebuilt in `states`) -> its CheckpointTuple
        (`config`: the caller's, else made from the row), and the blob rows that
        give a LangGraph row's inline values blobs, so rows written on top of it
        find them."""
        blobs, writes = yield from self.page_reads([row], states)
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
            yield (MANY, self.insert_blobs, self.d.with_key(missing))
        return found

    def get_tuple(self, serde: Any, config: dict):
        conf = config["configurable"]
        thread_id = str(conf["thread_id"])
        ns = conf.get("checkpoint_ns", "")
        checkpoint_id = conf.get("checkpoint_id")
        q = self.d.q
        if checkpoint_id:
            seed = f"SELECT {self.cols} FROM checkpoints WHERE {self.where_key}"
            params: tuple = self.key(thread_id, ns, checkpoint_id)
        else:
            seed = (
                f"SELECT {self.cols} FROM checkpoints WHERE {self.where_ns} "
                "ORDER BY checkpoint_id DESC LIMIT 1"
            )
            params = (thread_id, self.d.ns_value(ns))
        target = yield (ONE, q(seed), params)
        if target is None:
            return
        key = (thread_id, ns, target[2])
        kind, own, parent_digest, serde_type = parse_type(target[4])
        cached = recall(thread_id, ns, target[2]) if kind else None
        parent = None
        if kind == DELTA and (cached is None or cached.digest != own) and target[3]:
            parent = recall(thread_id, ns, target[3])
        if cached is not None and cached.digest == own:  # the state this process last saw
            states = {key: (self.load_doc(serde)(target, serde_type), cached)}
        elif parent is not None and parent.digest == parent_digest:  # one step after it
            doc = self.load_doc(serde)(target, serde_type)
            states = {key: (doc, apply_delta(parent, doc, own))}
        else:
            rows = [target]
            if kind in (DELTA, INHERIT):
                rows += yield (
                    ALL,
                    self.chain_sql(f"SELECT {self.cols} FROM checkpoints WHERE {self.where_key}"),
                    self.key(thread_id, ns, target[3]),
                )
            states = self.states(serde, self._rows_by_key(rows), [key])
        # the latest checkpoint gets its config built from the row
        found = yield from self.decode(serde, target, states, config if checkpoint_id else None)
        state = states[key][1]
        if state.digest:
            values = found.checkpoint["channel_values"]
            state.items = {c: tuple(v) for c, v in values.items() if type(v) is list}
            remember(thread_id, ns, target[2], state)
        yield (EMIT, found)

    def load_state(self, serde: Any, thread_id: str, ns: str, checkpoint_id: str):
        """The stored state of one checkpoint, or None when it has no row."""
        rows = yield (
            ALL,
            self.chain_sql(f"SELECT {self.cols} FROM checkpoints WHERE {self.where_key}"),
            self.key(thread_id, ns, checkpoint_id),
        )
        if not rows:
            return None
        key = (thread_id, ns, checkpoint_id)
        return self.states(serde, self._rows_by_key(rows), [key])[key]

    def ancestors(self, rows: list):
        """Rows of `rows` keyed, plus the ancestors their deltas replay from."""
        by_key = self._rows_by_key(rows)
        row_data = self.row_data
        need = {
            (r[0], r[1], r[3])
            for r in rows
            if r[3] is not None
            and r[4]
            and r[4][0] in (DELTA, INHERIT)
            and (r[0], r[1], r[3]) not in by_key
            # else rebuilt already
            and kept_row((r[0], r[1], r[2]), r[4], r[5] if row_data is None else row_data(r))
            is None
        }
        for part in chunks(sorted(need), _MAX_KEYS // 3):
            seed = self.d.rows_of_keys(len(part), self.ccols)
            found = yield (
                ALL,
                self.chain_sql(seed),
                [x for key in part for x in self.key(*key)],
            )
            for r in found:
                by_key.setdefault((r[0], r[1], r[2]), r)
        return by_key

    def search_where(
        self, config: dict | None, filter: Mapping[str, Any] | None, before: dict | None
    ):
        d = self.d
        wheres: list[str] = []
        params: list[Any] = []
        if config is not None:
            conf = config["configurable"]
            wheres.append("thread_id = ?")
            params.append(str(conf["thread_id"]))
            ns = conf.get("checkpoint_ns")
            if ns is not None:
                wheres.append(f"{d.ns_key} = ?")
                params.append(d.ns_value(ns))
            if conf.get("checkpoint_id"):
                wheres.append("checkpoint_id = ?")
                params.append(conf["checkpoint_id"])
        for key, value in (filter or {}).items():
            if d.checks_filter_keys and not FILTER_KEY.match(key):
                raise ValueError(
                    f"Invalid filter key: '{key}'. Filter keys must contain only "
                    "alphanumeric characters, underscores, dots, and hyphens."
                )
            term, param = d.metadata_filter(key, value)
            wheres.append(term)
            params.append(param)
        if before is not None:
            wheres.append("checkpoint_id < ?")
            params.append(before["configurable"].get("checkpoint_id"))
        return ("WHERE " + " AND ".join(wheres) if wheres else ""), params

    def history(
        self, serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None
    ):
        """Matching checkpoints, newest first, as pages of HistoryEntry items (see
        `_sql`): each page's rows, states, blobs and writes read at once, each
        entry decoded when the caller reaches it."""
        where, params = self.search_where(config, filter, before)
        sql = f"SELECT {self.cols} FROM checkpoints {where} ORDER BY checkpoint_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = yield (ALL, self.d.q(sql), params)
        if not rows:
            return
        by_key = yield from self.ancestors(rows)
        whole = whole_namespace(config, filter, limit) if self.d.reads_whole_namespace else None
        if whole is not None:
            # All of one namespace's checkpoints (at most cut by `before`): its
            # blobs and writes in one look-up each, without working out keys.
            thread_id, ns = whole
            d = self.d
            found = yield (
                ALL,
                d.q(
                    f"SELECT channel, version, type, {d.blob_col} FROM checkpoint_blobs "
                    f"WHERE {self.where_ns}"
                ),
                (thread_id, d.ns_value(ns)),
            )
            blobs = {(thread_id, ns): {(c, v): (t, b) for c, v, t, b in found}}
            before_id = before["configurable"].get("checkpoint_id") if before else None
            found = yield (
                ALL,
                d.q(
                    f"SELECT checkpoint_id, task_id, channel, type, {d.write_value}, task_path "
                    f"FROM {d.writes_table} WHERE {self.where_ns}"
                    + (" AND checkpoint_id < ?" if before_id is not None else "")
                    + " ORDER BY checkpoint_id, task_id, idx"
                ),
                (thread_id, d.ns_value(ns))
                if before_id is None
                else (thread_id, d.ns_value(ns), before_id),
            )
            writes: dict[tuple[str, str, str], list] = {}
            group_writes(thread_id, ns, found, writes)
            for page in chunks(rows, _PAGE):
                keys = [(r[0], r[1], r[2]) for r in reversed(page)]
                states = self.states(serde, by_key, keys, keep_all=True)
                yield (EMIT, history_entries(serde, page, states, blobs, writes))
            return
        for page in chunks(rows, _PAGE):
            # Oldest first, so each lineage is replayed once and shared down the page.
            keys = [(r[0], r[1], r[2]) for r in reversed(page)]
            states = self.states(serde, by_key, keys, keep_all=True)
            blobs, writes = yield from self.page_reads(page, states, contiguous=not filter)
            # A page: its entries are decoded as the caller reaches them.
            yield (EMIT, history_entries(serde, page, states, blobs, writes))

    def list_(
        self, serde: Any, config: dict | None, filter: Any, before: dict | None, limit: int | None
    ):
        return as_tuples(self.history(serde, config, filter, before, limit))

    # -- writing

    def put(
        self,
        serde: Any,
        config: dict,
        checkpoint: Mapping[str, Any],
        metadata: Any,
        new_versions: Mapping[str, Any],
        _written: dict | None = None,
        _whole: bool = False,
    ):
        """Store `checkpoint` as the changes from its parent's state (whole every
        MAX_DEPTH rows, or when that state is unknown); values of `new_versions`
        inline when small, appended pieces for a list that grew, else blobs.
        `_written`: states this op already wrote (write_steps), trusted as bases.
        `_whole`: always a snapshot (a shallow saver keeps no parent row)."""
        d = self.d
        conf = config["configurable"]
        thread_id = str(conf["thread_id"])
        ns = conf.get("checkpoint_ns", "")
        parent_id = conf.get("checkpoint_id")
        base = None
        if parent_id and not _whole:
            key = (thread_id, ns, parent_id)
            if _written is not None and key in _written:
                base = _written[key]
            else:
                cached = recall(thread_id, ns, parent_id)
                row = yield (
                    ONE,
                    d.q(f"SELECT type FROM checkpoints WHERE {self.where_key}"),
                    self.key(*key),
                )
                if row is not None:
                    if cached is not None and parse_type(row[0])[1] == cached.digest:
                        base = cached
                    else:
                        try:
                            found = yield from self.load_state(serde, thread_id, ns, parent_id)
                        except UnreadableCheckpointError:
                            found = None  # write this one whole
                        if found is not None:
                            base = found[1]
        doc, blobs, state = encode(
            serde, thread_id, ns, checkpoint, new_versions, base, legacy_inline=d.json_docs
        )
        if blobs:
            yield (MANY, self.insert_blobs, d.with_key(blobs))
        serde_type, data, hashed, kept = self.dump_doc(serde, doc)
        if state.depth:
            assert base is not None
            state.digest = digest(base.digest, hashed)
            type_ = row_type(DELTA, state.digest, base.digest, serde_type)
        else:
            state.digest = digest("", hashed)
            type_ = row_type(SNAPSHOT, state.digest, "", serde_type)
        if d.json_docs:
            meta: Any = json_dumps(get_serializable_checkpoint_metadata(config, metadata))
        else:
            meta = json_dumps(get_checkpoint_metadata(config, metadata)).encode("utf-8", "ignore")
        row = (thread_id, ns, checkpoint["id"], None if _whole else parent_id, type_, data, meta)
        yield (EXEC, self.insert_checkpoint, d.with_key([row])[0])
        if _written is not None:
            _written[(thread_id, ns, checkpoint["id"])] = state
        remember(thread_id, ns, checkpoint["id"], state)
        if len(state.cv) <= WRITER_KEEPS_MAX:
            # A JSON row is kept as JSON values (a read compares what it parses).
            keep_row(
                (thread_id, ns, checkpoint["id"]), type_, kept, kept if d.json_docs else doc, state
            )
        if _whole:  # the namespace keeps this checkpoint only
            yield from self._keep_only(thread_id, ns, checkpoint["id"], state)

    def _keep_only(self, thread_id: str, ns: str, checkpoint_id: str, state: Any):
        d = self.d
        params = (thread_id, d.ns_value(ns), checkpoint_id)
        for table in ("checkpoints", d.writes_table):
            yield (
                EXEC,
                d.q(f"DELETE FROM {table} WHERE {self.where_ns} AND checkpoint_id <> ?"),
                params,
            )
        stored = yield (
            ALL,
            d.q(f"SELECT channel, version FROM checkpoint_blobs WHERE {self.where_ns}"),
            params[:2],
        )
        used = set(blob_keys(state))
        garbage = [(thread_id, params[1], c, v) for c, v in stored if (c, v) not in used]
        if garbage:
            yield (
                MANY,
                d.q(
                    f"DELETE FROM checkpoint_blobs WHERE {self.where_ns} AND channel = ? AND version = ?"
                ),
                garbage,
            )

    def put_writes(
        self,
        serde: Any,
        config: dict,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ):
        if not writes:
            return
        conf = config["configurable"]
        sql = (
            self.upsert_writes
            if all(w[0] in WRITES_IDX_MAP for w in writes)
            else self.insert_writes
        )
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
        yield (MANY, sql, self.d.with_key(rows))

    def write_steps(self, serde: Any, calls: Sequence[tuple[str, tuple]], whole: bool = False):
        """Saver calls queued by runs, in order (`("put", args)` / `("put_writes", args)`,
        the saver methods' positional arguments; several steps, maybe of several
        threads), as one op: the write pipeline runs it in one transaction."""
        written: dict = {}
        for method, args in calls:
            if method == "put":
                config, checkpoint, metadata, new_versions = args
                yield from self.put(
                    serde,
                    config,
                    checkpoint,
                    metadata,
                    new_versions,
                    _written=written,
                    _whole=whole,
                )
            elif method == "put_writes":
                yield from self.put_writes(serde, *args)
            else:
                raise ValueError(f"write_steps cannot perform {method!r}")

    def delete_thread(self, thread_id: str):
        for table in ("checkpoints", self.d.writes_table, "checkpoint_blobs"):
            yield (EXEC, self.d.q(f"DELETE FROM {table} WHERE thread_id = ?"), (str(thread_id),))

    def delete_checkpoints(self, serde: Any, doomed: Sequence[tuple[str, ...]]):
        """Delete checkpoints and their writes. A surviving delta row whose parent
        goes is rewritten whole first (same state, same digest); then the blobs
        of the namespace that no surviving checkpoint uses are deleted."""
        if not doomed:
            return
        d = self.d
        doomed_set = {(str(t), str(n), str(c)) for t, n, c in doomed}
        for thread_id, ns in sorted({(t, n) for t, n, _ in doomed_set}):
            nsv = d.ns_value(ns)
            rows = yield (
                ALL,
                d.q(f"SELECT {self.cols} FROM checkpoints WHERE {self.where_ns}"),
                (thread_id, nsv),
            )
            by_key = self._rows_by_key(rows)
            keep = [k for k in by_key if k not in doomed_set]
            states = self.states(serde, by_key, keep, keep_all=True) if keep else {}
            used: set[tuple[str, str]] = set()
            for key in keep:
                row = by_key[key]
                doc, state = states[key]
                if (
                    row[4]
                    and row[4][0] in (DELTA, INHERIT)
                    and (thread_id, ns, row[3]) in doomed_set
                ):
                    blobs: list[tuple] = []
                    extras = {k: v for k, v in doc.items() if k not in DOC_KEYS}
                    whole = snapshot_doc(
                        serde, thread_id, ns, extras, state.copy(), blobs, legacy_inline=d.json_docs
                    )
                    serde_type, data, _, _ = self.dump_doc(serde, whole)
                    state = snapshot_state(whole, state.digest)
                    if blobs:
                        yield (MANY, self.insert_blobs, d.with_key(blobs))
                    yield (
                        EXEC,
                        d.q(
                            f"UPDATE checkpoints SET type = ?, checkpoint = ? WHERE {self.where_key}"
                        ),
                        (row_type(SNAPSHOT, state.digest, "", serde_type), data, *self.key(*key)),
                    )
                used.update(blob_keys(state))
            gone = [self.key(*k) for k in doomed_set if k[0] == thread_id and k[1] == ns]
            for table in ("checkpoints", d.writes_table):
                yield (MANY, d.q(f"DELETE FROM {table} WHERE {self.where_key}"), gone)
            stored = yield (
                ALL,
                d.q(f"SELECT channel, version FROM checkpoint_blobs WHERE {self.where_ns}"),
                (thread_id, nsv),
            )
            garbage = [(thread_id, nsv, c, v) for c, v in stored if (c, v) not in used]
            if garbage:
                yield (
                    MANY,
                    d.q(
                        f"DELETE FROM checkpoint_blobs WHERE {self.where_ns} "
                        "AND channel = ? AND version = ?"
                    ),
                    garbage,
                )

    def delete_for_runs(self, serde: Any, run_ids: Sequence[str]):
        run_ids = [str(r) for r in run_ids]
        doomed: list[tuple[str, str, str]] = []
        for part in chunks(run_ids, 500):
            marks = ", ".join("?" * len(part))
            doomed += yield (
                ALL,
                self.d.q(
                    "SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints "
                    f"WHERE {self.d.metadata_text('run_id')} IN ({marks})"
                ),
                part,
            )
        yield from self.delete_checkpoints(serde, [tuple(r) for r in doomed])

    def copy_thread(self, source: str, target: str):
        d = self.d
        source, target = str(source), str(target)
        extra = d.extra_cols
        ckpt = "checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata"
        writes = self.write_cols.split(", ", 1)[1]
        blobs = f"checkpoint_ns, channel, version, type, {d.blob_col}"
        for table, cols in (
            ("checkpoints", ckpt),
            (d.writes_table, writes),
            ("checkpoint_blobs", blobs),
        ):
            yield (
                EXEC,
                d.q(
                    f"{d.copy_insert} {table} (thread_id, {cols}{extra}) "
                    f"SELECT ?, {cols}{extra} FROM {table} WHERE thread_id = ?{d.copy_suffix}"
                ),
                (target, source),
            )

    def prune(self, serde: Any, thread_ids: Sequence[str], strategy: str):
        """`keep_latest`: each namespace keeps its latest checkpoint (now without a
        parent), its writes and the blobs it uses; `delete`: drop the threads."""
        d = self.d
        if strategy == "delete":
            for thread_id in thread_ids:
                yield from self.delete_thread(thread_id)
            return
        for thread_id in thread_ids:
            thread_id = str(thread_id)
            latest = yield (
                ALL,
                d.q(
                    "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints "
                    "WHERE thread_id = ? GROUP BY checkpoint_ns"
                ),
                (thread_id,),
            )
            for ns, keep in latest:
                doomed = yield (
                    ALL,
                    d.q(
                        "SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints "
                        f"WHERE {self.where_ns} AND checkpoint_id <> ?"
                    ),
                    (thread_id, d.ns_value(ns), keep),
                )
                yield from self.delete_checkpoints(serde, [tuple(r) for r in doomed])
                yield (
                    EXEC,
                    d.q(
                        f"UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE {self.where_key}"
                    ),
                    self.key(thread_id, ns, keep),
                )
