"""What the SQL stores (SQLite, PostgreSQL, MySQL; sync and async) share: one sans-IO core.

A batch of store ops is a generator that yields statements `(kind, sql, params)`
and embedding requests, and receives their results; thin drivers run it on a
sqlite3/aiosqlite/psycopg/PyMySQL/aiomysql/asyncmy cursor and an embeddings
object, sync or async. The databases differ only in the `Dialect` (placeholders,
JSON and time types, how rows are written and deleted, the schema), so every
operation is written once.

Vector search is computed here, in process: vectors are stored as float32 bytes
and a search with a query reads the vectors of the items under its namespace
prefix that pass its filter, then ranks them (cosine) with numpy. It needs no
database extension (neither pgvector nor sqlite-vec); its cost grows with the
number of candidates times the vector size, so it suits stores where a search's
prefix holds up to some ten thousand embedded items.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
from array import array
from collections import defaultdict
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from langgraph_jit.store.base import (
    BaseStore,
    Embeddings,
    GetOp,
    IndexConfig,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
    validate_op_namespace,
)
from langgraph_jit.store.memory import _ns_matches

try:  # faster JSON, when installed
    import orjson

    def _dumps(value: Any) -> str:
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # what only the standard encoder writes (non-str keys, ...)
            return json.dumps(value, ensure_ascii=False)

    _loads: Callable[[Any], Any] = orjson.loads
except ImportError:  # pragma: no cover

    def _dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    _loads = json.loads


logger = logging.getLogger(__name__)

# Requests a batch yields: (kind, sql, params) statements, or (EMBED, queries, texts).
ALL = 0  # execute, reply = list of rows
MANY = 1  # executemany, reply = None
EXEC = 2  # execute, reply = None
EMBED = 3  # reply = (query vectors, text vectors)

Batch = Generator[tuple, Any, Any]
Namespace = tuple[str, ...]
# SQLite caps the parameters of one statement; IN lists are cut to this size.
_IN_CHUNK = 500
DEFAULT_SWEEP_MINUTES = 5


# ---------------------------------------------------------------- dialects


class Dialect:
    """What differs between SQLite and PostgreSQL: placeholders, how a JSON field
    is read and compared, timestamps, and the schema."""

    name: str
    p: str  # placeholder
    value_column: str  # the value as JSON text in a select list
    json_param: str  # a JSON text parameter where a value is written
    migrations_table_name = "store_migrations"
    # The schema as LangGraph's migration versions 0..n build it (versions done are
    # recorded, so either engine opens, and finishes migrating, a database the other
    # set up).
    migrations: tuple[str, ...]
    vector_table: str
    vector_ddl: str | None  # made at setup with an index config (None: a migration makes it)
    k = "key"  # the key column as SQL names it
    # Can DELETE return the deleted rows? (Else the sweep selects them first.)
    delete_returning = True

    def key_lookups(self, pairs: list[tuple[str, str]]) -> Iterable[tuple[str, tuple]]:
        """Conditions (with their parameters) that together select the rows of these
        (prefix text, key) pairs."""
        raise NotImplementedError

    def prefix_condition(self, prefix: Namespace) -> tuple[str, list]:
        """SQL that holds for namespaces at or under `prefix`."""
        raise NotImplementedError

    def stamp(self, moment: datetime) -> Any:
        """A timestamp as written to the database."""
        raise NotImplementedError

    def filter_condition(self, field: str, op: str, arg: Any) -> tuple[str, list]:
        raise NotImplementedError

    _UPSERT_TAIL = (
        " ON CONFLICT (prefix, key) DO UPDATE SET value = excluded.value,"
        " updated_at = excluded.updated_at, expires_at = excluded.expires_at,"
        " ttl_minutes = excluded.ttl_minutes"
    )

    def migrations_table(self) -> Batch:
        """Create the migrations table if it is missing."""
        yield (
            EXEC,
            f"CREATE TABLE IF NOT EXISTS {self.migrations_table_name} (v INTEGER PRIMARY KEY)",
            (),
        )

    def delete_keys(self, table: str, pairs: list[tuple[str, str]]) -> Iterable[tuple]:
        """Statements deleting the rows of these (prefix text, key) pairs from `table`."""
        p = self.p
        yield (MANY, f"DELETE FROM {table} WHERE prefix = {p} AND key = {p}", pairs)

    def upserts(self, rows: list[tuple]) -> Iterable[tuple]:
        """Statements writing these rows (see `upsert`)."""
        yield self.upsert(rows)

    def vector_upserts(self, rows: list[tuple]) -> Iterable[tuple]:
        """Statements writing vector rows (prefix, key, field, float32 bytes, created,
        updated)."""
        p = self.p
        yield (
            MANY,
            f"INSERT INTO {self.vector_table} (prefix, key, field_name, embedding,"
            f" created_at, updated_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p})"
            " ON CONFLICT (prefix, key, field_name) DO UPDATE SET"
            " embedding = excluded.embedding, updated_at = excluded.updated_at",
            rows,
        )

    def upsert(self, rows: list[tuple]) -> tuple:
        """The statement writing rows (prefix, key, value JSON, created, updated,
        expires, ttl minutes); an existing item keeps its `created_at`."""
        p = self.p
        return (
            MANY,
            "INSERT INTO store (prefix, key, value, created_at, updated_at, expires_at,"
            f" ttl_minutes) VALUES ({p}, {p}, {self.json_param}, {p}, {p}, {p}, {p})"
            + self._UPSERT_TAIL,
            rows,
        )


class SqliteDialect(Dialect):
    name = "sqlite"
    p = "?"
    value_column = "value"
    json_param = "?"
    migrations = (
        "CREATE TABLE IF NOT EXISTS store (prefix text NOT NULL, key text NOT NULL,"
        " value text NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
        " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (prefix, key))",
        "CREATE INDEX IF NOT EXISTS store_prefix_idx ON store (prefix)",
        "ALTER TABLE store ADD COLUMN expires_at TIMESTAMP",
        "ALTER TABLE store ADD COLUMN ttl_minutes REAL",
        "CREATE INDEX IF NOT EXISTS idx_store_expires_at ON store (expires_at)"
        " WHERE expires_at IS NOT NULL",
    )
    # LangGraph's SQLite layout (float32 bytes, as sqlite-vec reads them).
    vector_table = "store_vectors"
    vector_ddl = (
        "CREATE TABLE IF NOT EXISTS store_vectors (prefix text NOT NULL, key text NOT NULL,"
        " field_name text NOT NULL, embedding BLOB, created_at TIMESTAMP DEFAULT"
        " CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
        " PRIMARY KEY (prefix, key, field_name))"
    )

    def key_lookups(self, pairs: list[tuple[str, str]]) -> Iterable[tuple[str, tuple]]:
        # One IN list per namespace: primary-key lookups, no statement preparation
        # cost to speak of (SQLite has no round trips).
        by_prefix: dict[str, list[str]] = defaultdict(list)
        for prefix, key in pairs:
            by_prefix[prefix].append(key)
        for prefix, keys in by_prefix.items():
            for part in _chunks(keys, _IN_CHUNK):
                yield f"prefix = ? AND key IN ({', '.join(['?'] * len(part))})", (prefix, *part)

    def prefix_condition(self, prefix: Namespace) -> tuple[str, list]:
        if not prefix:
            return "1 = 1", []
        text = ".".join(prefix)
        # Binary collation: a range on the primary key; "/" sorts right after ".".
        return "(prefix = ? OR (prefix >= ? AND prefix < ?))", [text, text + ".", text + "/"]

    def stamp(self, moment: datetime) -> str:
        # Naive UTC text that sorts with CURRENT_TIMESTAMP's (LangGraph's rows).
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def filter_condition(self, field: str, op: str, arg: Any) -> tuple[str, list]:
        path = '$."' + field.replace('"', '\\"') + '"'
        kind = "json_type(value, ?)"
        got = "json_extract(value, ?)"
        if op == "$eq":
            return self._equal(path, arg)
        if op == "$ne":
            sql, params = self._equal(path, arg)
            return f"({kind} IS NOT NULL AND NOT {sql})", [path, *params]
        cmp = _COMPARISONS[op]
        if _is_number(arg):
            return f"({kind} IN ('integer', 'real') AND {got} {cmp} ?)", [path, path, arg]
        if isinstance(arg, str):
            return f"({kind} = 'text' AND {got} {cmp} ?)", [path, path, arg]
        return "0 = 1", []

    @staticmethod
    def _equal(path: str, arg: Any) -> tuple[str, list]:
        if arg is None:
            return "json_type(value, ?) = 'null'", [path]
        if arg is True or arg is False:
            return "json_type(value, ?) = ?", [path, "true" if arg else "false"]
        if _is_number(arg):
            return (
                "(json_type(value, ?) IN ('integer', 'real') AND json_extract(value, ?) = ?)",
                [path, path, arg],
            )
        if isinstance(arg, str):
            return "(json_type(value, ?) = 'text' AND json_extract(value, ?) = ?)", [
                path,
                path,
                arg,
            ]
        return (
            "(json_type(value, ?) IN ('array', 'object') AND json_extract(value, ?) = json(?))",
            [path, path, _dumps(arg)],
        )


class PostgresDialect(Dialect):
    name = "postgres"
    p = "%s"
    value_column = "value::text"
    json_param = "%s::jsonb"
    migrations = (
        "CREATE TABLE IF NOT EXISTS store (prefix text NOT NULL, key text NOT NULL,"
        " value jsonb NOT NULL, created_at timestamp with time zone DEFAULT"
        " CURRENT_TIMESTAMP, updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
        " PRIMARY KEY (prefix, key))",
        "CREATE INDEX IF NOT EXISTS store_prefix_idx ON store USING btree"
        " (prefix text_pattern_ops)",
        # real, not integer minutes: a TTL under a minute must not round to 0
        "ALTER TABLE store ADD COLUMN IF NOT EXISTS expires_at timestamp with time zone,"
        " ADD COLUMN IF NOT EXISTS ttl_minutes real",
        "CREATE INDEX IF NOT EXISTS idx_store_expires_at ON store (expires_at)"
        " WHERE expires_at IS NOT NULL",
    )
    # Not LangGraph's store_vectors (a pgvector column): float32 bytes, ranked in process.
    vector_table = "store_vectors_f32"
    vector_ddl = (
        "CREATE TABLE IF NOT EXISTS store_vectors_f32 (prefix text NOT NULL,"
        " key text NOT NULL, field_name text NOT NULL, embedding bytea,"
        " created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
        " updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP,"
        " PRIMARY KEY (prefix, key, field_name))"
    )

    def key_lookups(self, pairs: list[tuple[str, str]]) -> Iterable[tuple[str, tuple]]:
        # One statement (one round trip) for any number of keys: two array parameters.
        yield (
            "(prefix, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
            ([p for p, _ in pairs], [k for _, k in pairs]),
        )

    def prefix_condition(self, prefix: Namespace) -> tuple[str, list]:
        if not prefix:
            return "TRUE", []
        text = ".".join(prefix)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # LIKE 'x.%' uses the text_pattern_ops index whatever the database's collation.
        return "(prefix = %s OR prefix LIKE %s)", [text, escaped + ".%"]

    def stamp(self, moment: datetime) -> datetime:
        return moment

    def filter_condition(self, field: str, op: str, arg: Any) -> tuple[str, list]:
        if op == "$eq":
            return self._equal(field, arg)
        if op == "$ne":
            sql, params = self._equal(field, arg)
            return f"(value ? %s AND NOT {sql})", [field, *params]
        cmp = _COMPARISONS[op]
        if _is_number(arg):
            # jsonb orders numbers numerically, and never fails on another type.
            return (
                f"(jsonb_typeof(value -> %s) = 'number' AND value -> %s {cmp} %s::jsonb)",
                [field, field, _dumps(arg)],
            )
        if isinstance(arg, str):
            return (
                f"(jsonb_typeof(value -> %s) = 'string' AND (value ->> %s) COLLATE \"C\" {cmp} %s)",
                [field, field, arg],
            )
        return "FALSE", []

    @staticmethod
    def _equal(field: str, arg: Any) -> tuple[str, list]:
        return "COALESCE(value -> %s = %s::jsonb, FALSE)", [field, _dumps(arg)]


class MySqlDialect(Dialect):
    """MySQL 8.0.19+ and MariaDB 10.5+ (tested on MariaDB). Versions 0-1 of the schema
    are langgraph-checkpoint-mysql's store tables; 2-4 are ours (binary collation for
    the item's address, microsecond timestamps, TTL columns, the vector table). Where
    the two servers' SQL differs, one statement carries both forms in their executable
    comments (`/*!80019 MySQL only*/`, `/*M! MariaDB only*/`)."""

    name = "mysql"
    p = "%s"
    k = "`key`"  # a reserved word in MySQL
    value_column = "value"
    json_param = "%s"
    delete_returning = False  # MariaDB has DELETE ... RETURNING, MySQL has not
    migrations = (
        "CREATE TABLE IF NOT EXISTS store (prefix VARCHAR(500) NOT NULL,"
        " `key` VARCHAR(150) NOT NULL, value JSON NOT NULL,"
        " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
        " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (prefix, `key`))"
        " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        "CREATE INDEX store_prefix_idx ON store (prefix) USING btree",
        # Ours. Keys compare as code points whatever the database's default collation
        # (a case-insensitive one would make "A" and "a" one item, and breaks the
        # prefix ranges); updates a second apart are no longer needed for recency
        # order; TTL as in the other stores (DATETIME: no 2038 limit on expiry).
        "ALTER TABLE store"
        " MODIFY prefix VARCHAR(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
        " MODIFY `key` VARCHAR(150) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
        " MODIFY created_at TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6),"
        " MODIFY updated_at TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6),"
        " ADD COLUMN expires_at DATETIME(6) NULL, ADD COLUMN ttl_minutes DOUBLE NULL",
        "CREATE INDEX idx_store_expires_at ON store (expires_at)",
        # float32 bytes ranked in process; one row per embedded field of an item (the
        # core deletes an item's vectors before writing new ones, so no unique key on
        # the field, whose path may be long).
        "CREATE TABLE IF NOT EXISTS store_vectors (prefix VARCHAR(500) NOT NULL,"
        " `key` VARCHAR(150) NOT NULL, field_name VARCHAR(1000) NOT NULL,"
        " embedding MEDIUMBLOB NOT NULL,"
        " created_at TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6),"
        " updated_at TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6),"
        " KEY store_vectors_item_idx (prefix, `key`))"
        " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    )
    vector_table = "store_vectors"
    vector_ddl = None

    def migrations_table(self) -> Batch:
        # Looked up first: CREATE TABLE IF NOT EXISTS on an existing table leaves a
        # server warning, which aiomysql turns into a Python warning.
        name = self.migrations_table_name
        rows = yield (
            ALL,
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_name = %s",
            (name,),
        )
        if not rows:
            yield (EXEC, f"CREATE TABLE IF NOT EXISTS {name} (v INTEGER PRIMARY KEY)", ())

    def key_lookups(self, pairs: list[tuple[str, str]]) -> Iterable[tuple[str, tuple]]:
        # One statement per up to _IN_CHUNK keys: an OR of (prefix, IN list) groups, a
        # range scan of the primary key each.
        by_prefix: dict[str, list[str]] = defaultdict(list)
        for prefix, key in pairs:
            by_prefix[prefix].append(key)
        parts: list[str] = []
        params: list[str] = []
        size = 0
        for prefix, keys in by_prefix.items():
            for part in _chunks(keys, _IN_CHUNK):
                if size and size + len(part) > _IN_CHUNK:
                    yield "(" + " OR ".join(parts) + ")", tuple(params)
                    parts, params, size = [], [], 0
                parts.append(f"(prefix = %s AND `key` IN ({', '.join(['%s'] * len(part))}))")
                params.append(prefix)
                params.extend(part)
                size += len(part)
        if parts:
            yield "(" + " OR ".join(parts) + ")", tuple(params)

    def delete_keys(self, table: str, pairs: list[tuple[str, str]]) -> Iterable[tuple]:
        # IN lists rather than executemany: the drivers send one DELETE per row.
        for lookup, params in self.key_lookups(pairs):
            yield (EXEC, f"DELETE FROM {table} WHERE {lookup}", params)

    _UPSERT = (
        "INSERT INTO store (prefix, `key`, value, created_at, updated_at, expires_at,"
        " ttl_minutes) VALUES {rows} /*!80019 AS new*/ ON DUPLICATE KEY UPDATE"
        " value = /*!80019 new.value*//*M! VALUES(value)*/,"
        " updated_at = /*!80019 new.updated_at*//*M! VALUES(updated_at)*/,"
        " expires_at = /*!80019 new.expires_at*//*M! VALUES(expires_at)*/,"
        " ttl_minutes = /*!80019 new.ttl_minutes*//*M! VALUES(ttl_minutes)*/"
    )

    def upserts(self, rows: list[tuple]) -> Iterable[tuple]:
        # Multi-row INSERTs built here (the drivers' executemany cannot rewrite a
        # statement with SQL in its VALUES); the server's clock stamps the rows, as
        # langgraph-checkpoint-mysql's store does.
        one = "(%s, %s, %s, CURRENT_TIMESTAMP(6), CURRENT_TIMESTAMP(6), %s, %s)"
        for part in _chunks(rows, _IN_CHUNK):
            params: list[Any] = []
            for prefix, key, value, _, _, expires, ttl in part:
                params.extend((prefix, key, value, expires, ttl))
            yield (EXEC, self._UPSERT.format(rows=", ".join([one] * len(part))), params)

    def upsert(self, rows: list[tuple]) -> tuple:
        raise NotImplementedError("MySqlDialect writes through upserts()")

    def vector_upserts(self, rows: list[tuple]) -> Iterable[tuple]:
        # The vector as hex text: aiomysql 0.3.2 (with PyMySQL 1.2) fails to escape bytes.
        one = "(%s, %s, %s, UNHEX(%s))"
        for part in _chunks(rows, _IN_CHUNK):
            params = [x for p, k, f, blob, *_ in part for x in (p, k, f, blob.hex())]
            yield (
                EXEC,
                "INSERT INTO store_vectors (prefix, `key`, field_name, embedding) VALUES "
                + ", ".join([one] * len(part)),
                params,
            )

    def prefix_condition(self, prefix: Namespace) -> tuple[str, list]:
        if not prefix:
            return "TRUE", []
        text = ".".join(prefix)
        # utf8mb4_bin (migration 2): a range on the primary key, "/" right after ".".
        return "(prefix = %s OR (prefix >= %s AND prefix < %s))", [text, text + ".", text + "/"]

    def stamp(self, moment: datetime) -> datetime:
        # expires_at is a DATETIME holding naive UTC, written and compared only by us.
        return moment.astimezone(timezone.utc).replace(tzinfo=None)

    _NUMBER = "('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER')"

    def filter_condition(self, field: str, op: str, arg: Any) -> tuple[str, list]:
        path = '$."' + field.replace("\\", "\\\\").replace('"', '\\"') + '"'
        kind = "JSON_TYPE(JSON_EXTRACT(value, %s))"
        if op == "$eq":
            return self._equal(path, arg)
        if op == "$ne":
            sql, params = self._equal(path, arg)
            return f"({kind} IS NOT NULL AND NOT {sql})", [path, *params]
        cmp = _COMPARISONS[op]
        if _is_number(arg):
            return (
                f"({kind} IN {self._NUMBER} AND CAST(JSON_EXTRACT(value, %s) AS DOUBLE) {cmp} %s)",
                [path, path, arg],
            )
        if isinstance(arg, str):
            return (
                f"({kind} = 'STRING' AND JSON_UNQUOTE(JSON_EXTRACT(value, %s))"
                f" COLLATE utf8mb4_bin {cmp} %s)",
                [path, path, arg],
            )
        return "FALSE", []

    def _equal(self, path: str, arg: Any) -> tuple[str, list]:
        kind = "JSON_TYPE(JSON_EXTRACT(value, %s))"
        if arg is None:
            return f"COALESCE({kind} = 'NULL', FALSE)", [path]
        if arg is True or arg is False:
            return (
                f"COALESCE({kind} = 'BOOLEAN' AND JSON_UNQUOTE(JSON_EXTRACT(value, %s)) = %s,"
                " FALSE)",
                [path, path, "true" if arg else "false"],
            )
        if _is_number(arg):
            return (
                f"COALESCE({kind} IN {self._NUMBER} AND CAST(JSON_EXTRACT(value, %s) AS DOUBLE)"
                " = %s, FALSE)",
                [path, path, arg],
            )
        if isinstance(arg, str):
            return (
                f"COALESCE({kind} = 'STRING' AND JSON_UNQUOTE(JSON_EXTRACT(value, %s))"
                " COLLATE utf8mb4_bin = %s, FALSE)",
                [path, path, arg],
            )
        # Arrays and objects: JSON equality (MySQL compares JSON values with =;
        # MariaDB, whose JSON is text, has JSON_EQUALS).
        text = _dumps(arg)
        return (
            f"COALESCE({kind} IN ('ARRAY', 'OBJECT') AND"
            " /*!80019 JSON_EXTRACT(value, %s) = CAST(%s AS JSON)*/"
            "/*M! JSON_EQUALS(JSON_EXTRACT(value, %s), %s)*/, FALSE)",
            [path, path, text, path, text],
        )


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()
MYSQL = MySqlDialect()

_COMPARISONS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_OPERATORS = frozenset(("$eq", "$ne", *_COMPARISONS))


def _is_number(arg: Any) -> bool:
    return isinstance(arg, (int, float)) and not isinstance(arg, bool)


def filter_sql(dialect: Dialect, filter: Mapping[str, Any] | None) -> tuple[str, list]:
    """` AND ...` conditions for a search filter: `{field: value}` is JSON equality
    (types matter: 1 is not true, "1" is not 1; 5 equals 5.0), `{field: {"$op": arg}}`
    applies $eq/$ne/$gt/$gte/$lt/$lte ($ne needs the field present; comparisons
    hold between two numbers or two strings, strings in code point order)."""
    if not filter:
        return "", []
    parts: list[str] = []
    params: list = []
    for field, condition in filter.items():
        if isinstance(condition, dict):
            for name, arg in condition.items():
                if name not in _OPERATORS:
                    raise ValueError(f"Unsupported operator: {name}")
                sql, found = dialect.filter_condition(field, name, arg)
                parts.append(sql)
                params.extend(found)
        else:
            sql, found = dialect.filter_condition(field, "$eq", condition)
            parts.append(sql)
            params.extend(found)
    return "".join(" AND " + part for part in parts), params


# ---------------------------------------------------------------- the store state


class StoreCore:
    """A SQL store's settings (dialect, index, TTL) and its operations as generators."""

    __slots__ = ("dialect", "index_config", "embeddings", "ttl_config", "_fields", "loads")

    def __init__(
        self,
        dialect: Dialect,
        index: IndexConfig | None,
        ttl: TTLConfig | None,
        loads: Callable[[Any], Any] | None = None,
    ) -> None:
        self.dialect = dialect
        self.loads = loads or _loads  # the value column's JSON -> dict
        self.ttl_config = ttl
        self.embeddings: Embeddings | None = None
        self.index_config: dict | None = None
        self._fields: list[tuple[str, Any]] = []
        if index:
            self.index_config = dict(index)
            self.embeddings = ensure_embeddings(self.index_config.get("embed"))
            self._fields = [
                (path, path if path == "$" else tokenize_path(path))
                for path in (self.index_config.get("fields") or ["$"])
            ]
            self.index_config["__tokenized_fields"] = self._fields

    # -------------------------------------------------------------- setup

    def setup(self) -> Batch:
        d = self.dialect
        table = d.migrations_table_name
        yield from d.migrations_table()
        rows = yield (ALL, f"SELECT v FROM {table}", ())
        done = {row[0] for row in rows}
        for version, sql in enumerate(d.migrations):
            if version not in done:
                yield (EXEC, sql, ())
                yield (EXEC, f"INSERT INTO {table} (v) VALUES ({d.p})", (version,))
        if self.index_config is not None and d.vector_ddl:
            yield (EXEC, d.vector_ddl, ())

    def sweep(self, now: datetime) -> Batch:
        """Delete expired items (and their vectors); returns how many."""
        d = self.dialect
        expired = f"FROM store WHERE expires_at IS NOT NULL AND expires_at < {d.p}"
        if d.delete_returning:
            rows = yield (ALL, f"DELETE {expired} RETURNING prefix, key", (d.stamp(now),))
        else:  # the expired rows, locked, then deleted by key
            rows = yield (ALL, f"SELECT prefix, {d.k} {expired} FOR UPDATE", (d.stamp(now),))
            if rows:
                for statement in d.delete_keys("store", [tuple(row) for row in rows]):
                    yield statement
        if rows and self.index_config is not None:
            for statement in d.delete_keys(d.vector_table, [tuple(row) for row in rows]):
                yield statement
        return len(rows)

    # -------------------------------------------------------------- a batch

    def batch(self, ops: Iterable[Op]) -> Batch:
        """Run `ops`; returns one result per op. Every read sees the store as it was
        before the batch; of several puts to one key the last wins."""
        d = self.dialect
        results: list[Result] = []
        gets: dict[Namespace, dict[str, list[int]]] = {}
        searches: list[tuple[int, SearchOp]] = []
        listings: list[tuple[int, ListNamespacesOp]] = []
        puts: dict[tuple[Namespace, str], PutOp] = {}
        valid: set[Namespace] = set()  # namespaces whose labels were checked
        listed_ops: list[Any] = list(ops)
        for i, op in enumerate(listed_ops):
            results.append(None)
            kind = type(op)
            if kind is GetOp or kind is PutOp:
                namespace = op.namespace
                if namespace not in valid:
                    validate_op_namespace(op)
                    valid.add(namespace)
            else:
                validate_op_namespace(op)
            if kind is GetOp or isinstance(op, GetOp):
                by_key = gets.get(op.namespace)
                if by_key is None:
                    by_key = gets[op.namespace] = {}
                positions = by_key.get(op.key)
                if positions is None:
                    by_key[op.key] = [i]
                else:
                    positions.append(i)
            elif isinstance(op, SearchOp):
                searches.append((i, op))
            elif isinstance(op, ListNamespacesOp):
                listings.append((i, op))
            elif isinstance(op, PutOp):
                _check_put(op)
                puts[(op.namespace, op.key)] = op
            else:
                raise ValueError(f"Unknown operation type: {type(op)}")
        # Filters are checked before anything runs.
        search_sql = [(i, op, *self._search_sql(op)) for i, op in searches]

        # Embeddings: the searches' queries and the puts' texts, in one request.
        queries = (
            list({op.query for _, op in searches if op.query})
            if self.embeddings is not None
            else []
        )
        sites = self._texts_to_embed(puts) if self.embeddings is not None else {}
        query_vectors: dict[str, list[float]] = {}
        site_vectors: list[tuple[Namespace, str, str, list[float]]] = []
        if queries or sites:
            found_queries, found_texts = yield (EMBED, queries, list(sites))
            query_vectors = dict(zip(queries, found_queries))
            flat = [site for per_text in sites.values() for site in per_text]
            if len(flat) != len(found_texts):
                raise ValueError(
                    f"Number of embeddings ({len(found_texts)}) does not"
                    f" match number of indices ({len(flat)})"
                )
            site_vectors = [(*site, vec) for site, vec in zip(flat, found_texts)]

        now = datetime.now(timezone.utc)
        loads = self.loads
        namespaces = _NamespaceCache()
        make = _ItemMaker()
        refresh: list[tuple[Namespace, str, float]] = []
        if gets:
            wanted = [(".".join(ns), key) for ns, keys in gets.items() for key in keys]
            for lookup, lookup_params in d.key_lookups(wanted):
                rows = yield (
                    ALL,
                    f"SELECT prefix, {d.k}, {d.value_column}, created_at, updated_at,"
                    f" ttl_minutes FROM store WHERE {lookup}",
                    lookup_params,
                )
                for prefix, key, value, created, updated, ttl in rows:
                    namespace = namespaces(prefix)
                    item = make(Item, loads(value), key, namespace, created, updated)
                    positions = gets[namespace][key]
                    for i in positions:
                        results[i] = item
                    if ttl is not None and any(listed_ops[i].refresh_ttl for i in positions):
                        refresh.append((namespace, key, ttl))

        for i, op, where, params in search_sql:
            if op.query and self.embeddings is not None:
                items, rows = yield from self._ranked(op, where, params, query_vectors[op.query])
            else:
                rows = yield (
                    ALL,
                    f"SELECT prefix, {d.k}, {d.value_column}, created_at, updated_at,"
                    f" ttl_minutes FROM store WHERE {where}"
                    f" ORDER BY updated_at DESC LIMIT {d.p} OFFSET {d.p}",
                    (*params, op.limit, op.offset),
                )
                items = [
                    make(SearchItem, loads(row[2]), row[1], namespaces(row[0]), row[3], row[4])
                    for row in rows
                ]
            results[i] = items
            if op.refresh_ttl:
                refresh.extend(
                    (item.namespace, item.key, row[5])
                    for item, row in zip(items, rows)
                    if row[5] is not None
                )

        # Listings: the distinct namespaces under the literal start of a prefix
        # pattern (all of them without one), matched and cut in process.
        listed_under: dict[Namespace, list[Namespace]] = {}
        for i, op in listings:
            if op.limit < 0 or op.offset < 0:
                # The database judges these as in any query (PostgreSQL refuses them).
                yield (ALL, f"SELECT 1 LIMIT {d.p} OFFSET {d.p}", (op.limit, op.offset))
            start = _literal_prefix(op)
            if start not in listed_under:
                where, params = d.prefix_condition(start)
                rows = yield (ALL, f"SELECT DISTINCT prefix FROM store WHERE {where}", params)
                listed_under[start] = [namespaces(row[0]) for row in rows]
            results[i] = _list_namespaces(listed_under[start], op)

        if refresh:
            yield (
                MANY,
                f"UPDATE store SET expires_at = {d.p} WHERE prefix = {d.p} AND {d.k} = {d.p}",
                [
                    (d.stamp(now + timedelta(minutes=ttl)), ".".join(ns), key)
                    for ns, key, ttl in refresh
                ],
            )
        if puts:
            yield from self._write(puts, site_vectors, now)
        return results

    def _search_sql(self, op: SearchOp) -> tuple[str, list]:
        where, params = self.dialect.prefix_condition(op.namespace_prefix)
        conditions, found = filter_sql(self.dialect, op.filter)
        return where + conditions, params + found

    def _ranked(self, op: SearchOp, where: str, params: list, query: list[float]) -> Batch:
        """A search with a query: the candidates' rows and vectors, ranked in process."""
        d = self.dialect
        rows = yield (
            ALL,
            f"SELECT prefix, {d.k}, {d.value_column}, created_at, updated_at, ttl_minutes"
            f" FROM store WHERE {where} ORDER BY updated_at DESC",
            tuple(params),
        )
        if not rows:
            return [], []
        if op.filter:  # only the vectors of the items that pass the filter
            found = yield (
                ALL,
                f"SELECT prefix, {d.k}, embedding FROM {d.vector_table} WHERE (prefix, {d.k})"
                f" IN (SELECT prefix, {d.k} FROM store WHERE {where})",
                tuple(params),
            )
        else:
            prefix_sql, prefix_params = d.prefix_condition(op.namespace_prefix)
            found = yield (
                ALL,
                f"SELECT prefix, {d.k}, embedding FROM {d.vector_table} WHERE {prefix_sql}",
                tuple(prefix_params),
            )
        make = _ItemMaker()
        namespaces = _NamespaceCache()
        loads = self.loads
        kept = rank_rows(rows, found, query, op.offset, op.limit)
        items = [
            make(SearchItem, loads(row[2]), row[1], namespaces(row[0]), row[3], row[4])
            for row, _ in kept
        ]
        for item, (_, score) in zip(items, kept):
            item.score = score
        return items, [row for row, _ in kept]

    def _texts_to_embed(self, puts: dict[tuple[Namespace, str], PutOp]) -> dict[str, list]:
        sites: dict[str, list[tuple[Namespace, str, str]]] = defaultdict(list)
        for op in puts.values():
            if op.value is None or op.index is False:
                continue
            if op.index is None:
                paths = self._fields
            else:
                paths = [(path, tokenize_path(path)) for path in op.index]
            for path, tokens in paths:
                texts = get_text_at_path(op.value, tokens)
                if len(texts) == 1:
                    sites[texts[0]].append((op.namespace, op.key, path))
                else:
                    for n, text in enumerate(texts):
                        sites[text].append((op.namespace, op.key, f"{path}.{n}"))
        return sites

    def _write(
        self,
        puts: dict[tuple[Namespace, str], PutOp],
        site_vectors: list[tuple[Namespace, str, str, list[float]]],
        now: datetime,
    ) -> Batch:
        d = self.dialect
        stamp = d.stamp(now)
        deleted: list[tuple[str, str]] = []
        upserts: list[tuple] = []
        for (namespace, key), op in puts.items():
            text = ".".join(namespace)
            if op.value is None:
                deleted.append((text, key))
                continue
            ttl = op.ttl
            expires = d.stamp(now + timedelta(minutes=ttl)) if ttl is not None else None
            value = op.value if type(op.value) is dict else dict(op.value)
            upserts.append((text, key, _dumps(value), stamp, stamp, expires, ttl))
        if deleted:
            yield from d.delete_keys("store", deleted)
        if upserts:
            yield from d.upserts(upserts)
        if self.index_config is not None:
            # A replaced or deleted item's old vectors go; the new ones are written.
            yield from d.delete_keys(d.vector_table, deleted + [row[:2] for row in upserts])
            if site_vectors:
                yield from d.vector_upserts(
                    [
                        (".".join(ns), key, path, array("f", vec).tobytes(), stamp, stamp)
                        for ns, key, path, vec in site_vectors
                    ]
                )


class _NamespaceCache(dict):
    """prefix text -> namespace tuple, split once per batch."""

    def __call__(self, prefix: str) -> Namespace:
        found = self.get(prefix)
        if found is None:
            found = self[prefix] = tuple(prefix.split("."))
        return found


class _ItemMaker:
    """Items of rows: timestamps (text in SQLite, shared by the rows a batch wrote)
    parsed once each; slots set directly, as `Item.__init__` would."""

    __slots__ = ("stamps",)

    def __init__(self) -> None:
        self.stamps: dict[Any, datetime] = {}

    def stamp(self, value: Any) -> datetime:
        if type(value) is not str:
            return value
        found = self.stamps.get(value)
        if found is None:
            found = self.stamps[value] = datetime.fromisoformat(value)
        return found

    def __call__(
        self, cls: Any, value: Any, key: str, namespace: Namespace, created: Any, updated: Any
    ) -> Any:
        item = cls.__new__(cls)
        item.value = value
        item.key = key
        item.namespace = namespace
        item.created_at = self.stamp(created)
        item.updated_at = self.stamp(updated)
        if cls is SearchItem:
            item.score = None
        return item


def rank_rows(
    rows: list, vectors: Iterable[tuple], query: list[float], offset: int, limit: int
) -> list[tuple[Any, float | None]]:
    """(row, score) of a ranked search page, as LangGraph's InMemoryStore ranks: items
    by their best vector (ties keep the rows' order), paged by distinct item; the page
    is then topped up with items that have no vector (unscored, in the rows' order,
    offset not applied)."""
    index = {(row[0], row[1]): n for n, row in enumerate(rows)}
    pairs = []
    for prefix, key, blob in vectors:
        n = index.get((prefix, key))
        if n is not None:
            pairs.append((n, bytes(blob)))
    pairs.sort(key=_first)  # vectors in the rows' order, so ties do too
    owners = [n for n, _ in pairs]
    scores = cosine_scores(query, [blob for _, blob in pairs])
    order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
    kept: list[tuple[Any, float | None]] = []
    seen: set[int] = set()
    end = offset + limit
    for j in order:
        n = owners[j]
        if n in seen:
            continue
        position = len(seen)
        seen.add(n)
        if position >= end:
            break
        if position >= offset:
            kept.append((rows[n], float(scores[j])))
    if len(kept) < limit:
        scored = set(owners)
        for n, row in enumerate(rows):
            if len(kept) >= limit:
                break
            if n not in scored:
                kept.append((row, None))
    return kept


def _first(pair: tuple) -> Any:
    return pair[0]


def cosine_scores(query: list[float], blobs: list[bytes]) -> list[float]:
    """Cosine of `query` with each float32 vector (0.0 for a zero vector)."""
    if not blobs:
        return []
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        return _cosine_scores_py(query, blobs)
    if len({len(b) for b in blobs}) != 1:  # vectors of several sizes: one at a time
        return _cosine_scores_py(query, blobs)
    matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1)
    q = np.asarray(query, dtype=np.float64)
    dots = matrix @ q
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64)) * np.linalg.norm(q)
    out = np.zeros(len(blobs))
    nonzero = norms != 0
    out[nonzero] = dots[nonzero] / norms[nonzero]
    return out.tolist()


def _cosine_scores_py(query: list[float], blobs: list[bytes]) -> list[float]:
    q_norm = sum(a * a for a in query) ** 0.5
    out = []
    for blob in blobs:
        vector = array("f", blob)
        v_norm = sum(b * b for b in vector) ** 0.5
        if q_norm > 0 and v_norm > 0:
            out.append(sum(a * b for a, b in zip(query, vector)) / (q_norm * v_norm))
        else:
            out.append(0.0)
    return out


def _check_put(op: PutOp) -> None:
    namespace = op.namespace
    if not namespace:
        raise InvalidNamespaceError("Namespace cannot be empty.")
    if op.value is not None and not isinstance(op.value, Mapping):
        # dict() of a non-mapping fails the way LangGraph's stores fail.
        dict(op.value)


def _literal_prefix(op: ListNamespacesOp) -> Namespace:
    """The labels a listing's prefix condition fixes before its first wildcard."""
    for condition in op.match_conditions or ():
        if condition.match_type == "prefix":
            labels = []
            for label in condition.path:
                if label == "*":
                    break
                labels.append(label)
            return tuple(labels)
    return ()


def _list_namespaces(namespaces: list[Namespace], op: ListNamespacesOp) -> list[Namespace]:
    found: Iterable[Namespace] = namespaces
    if op.match_conditions:
        found = [ns for ns in found if all(_ns_matches(c, ns) for c in op.match_conditions)]
    if op.max_depth is not None:
        found = {ns[: op.max_depth] for ns in found}
    # SQL's LIMIT/OFFSET: a negative limit is no limit, a negative offset none.
    start = max(op.offset, 0)
    return sorted(found)[start : start + op.limit] if op.limit >= 0 else sorted(found)[start:]


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------- drivers


def run(
    op: Batch,
    execute: Callable[[int, str, Any], Any],
    embeddings: Embeddings | None = None,
) -> Any:
    """Run `op` synchronously; returns what it returns."""
    try:
        msg = next(op)
        while True:
            if msg[0] == EMBED:
                reply: Any = _embed(embeddings, msg[1], msg[2])
            else:
                reply = execute(msg[0], msg[1], msg[2])
            msg = op.send(reply)
    except StopIteration as stop:
        return stop.value


async def arun(
    op: Batch,
    execute: Callable[[int, str, Any], Awaitable[Any]],
    embeddings: Embeddings | None = None,
) -> Any:
    try:
        msg = next(op)
        while True:
            if msg[0] == EMBED:
                reply: Any = await _aembed(embeddings, msg[1], msg[2])
            else:
                reply = await execute(msg[0], msg[1], msg[2])
            msg = op.send(reply)
    except StopIteration as stop:
        return stop.value


def _embed(embeddings: Any, queries: list[str], texts: list[str]) -> tuple[list, list]:
    found_queries = [embeddings.embed_query(q) for q in queries]
    return found_queries, embeddings.embed_documents(texts) if texts else []


async def _aembed(embeddings: Any, queries: list[str], texts: list[str]) -> tuple[list, list]:
    found_queries = await asyncio.gather(*(embeddings.aembed_query(q) for q in queries))
    return list(found_queries), (await embeddings.aembed_documents(texts) if texts else [])


# ---------------------------------------------------------------- the classes' shared part


class SqlStore(BaseStore):
    """The four SQL stores' common state: the core, TTL settings, and the sweeper."""

    supports_ttl = True

    _core: StoreCore

    def _init_core(
        self,
        dialect: Dialect,
        index: IndexConfig | None,
        ttl: TTLConfig | None,
        deserializer: Callable[[Any], Any] | None,
    ) -> None:
        self._core = StoreCore(dialect, index, ttl, deserializer)
        self.ttl_config = ttl
        self.index_config = self._core.index_config
        self.embeddings = self._core.embeddings

    def _sweep_minutes(self, sweep_interval_minutes: int | None) -> float:
        if sweep_interval_minutes is not None:
            return sweep_interval_minutes
        configured = (self.ttl_config or {}).get("sweep_interval_minutes")
        return configured if configured is not None else DEFAULT_SWEEP_MINUTES


class ThreadSweeper:
    """A daemon thread that calls `sweep` every `minutes` until stopped."""

    def __init__(self, sweep: Callable[[], Any], minutes: float) -> None:
        self.stop_event = threading.Event()
        self.future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.thread = threading.Thread(
            target=self._loop, args=(sweep, minutes * 60), daemon=True, name="store-ttl-sweeper"
        )
        self.thread.start()

    def _loop(self, sweep: Callable[[], Any], seconds: float) -> None:
        try:
            while not self.stop_event.wait(seconds):
                try:
                    sweep()
                except Exception:  # a failed sweep is retried next time
                    logger.exception("TTL sweep failed")
        finally:
            self.future.set_result(None)

    def stop(self, timeout: float | None) -> bool:
        self.stop_event.set()
        self.thread.join(timeout)
        return not self.thread.is_alive()


def done_future() -> concurrent.futures.Future[None]:
    future: concurrent.futures.Future[None] = concurrent.futures.Future()
    future.set_result(None)
    return future


class TaskSweeper:
    """An asyncio task that awaits `sweep()` every `minutes` until stopped."""

    def __init__(self, sweep: Callable[[], Awaitable[Any]], minutes: float) -> None:
        self.stop_event = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._loop(sweep, minutes * 60))

    async def _loop(self, sweep: Callable[[], Awaitable[Any]], seconds: float) -> None:
        while True:
            try:
                await asyncio.wait_for(self.stop_event.wait(), seconds)
                return
            except asyncio.TimeoutError:
                pass
            try:
                await sweep()
            except Exception:  # a failed sweep is retried next time
                logger.exception("TTL sweep failed")

    def stop(self) -> bool:
        self.stop_event.set()
        if not self.task.done():
            self.task.cancel()
        return True


async def _done() -> None:
    return None


def done_task() -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(_done())


class AsyncSqlStore(SqlStore):
    """What the async SQL stores share: sync calls from other threads block on the
    event loop the store was made on; the TTL sweeper is a task on that loop."""

    loop: asyncio.AbstractEventLoop
    _sweeper: TaskSweeper | None

    async def _arun(self, op: Batch) -> Any:
        raise NotImplementedError

    async def sweep_ttl(self) -> int:
        """Delete the items whose TTL has passed; returns how many."""
        return await self._arun(self._core.sweep(datetime.now(timezone.utc)))

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise asyncio.InvalidStateError(
                f"Synchronous calls to {type(self).__name__} are only allowed from a "
                "different thread. From the event loop's thread, use the async methods, "
                "e.g. `await store.aput(...)` or `await store.aget(...)`."
            )
        return asyncio.run_coroutine_threadsafe(self.abatch(list(ops)), self.loop).result()

    async def start_ttl_sweeper(
        self, sweep_interval_minutes: int | None = None
    ) -> asyncio.Task[None]:
        """Sweep every `sweep_interval_minutes` (default: the ttl config's, else 5) in a
        task on the running loop. No-op without a ttl config."""
        if not self.ttl_config:
            return done_task()
        if self._sweeper is None:
            self._sweeper = TaskSweeper(
                self.sweep_ttl,
                self._sweep_minutes(sweep_interval_minutes),
            )
        return self._sweeper.task

    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper task; False if it had not ended after `timeout` seconds."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is None:
            return True
        sweeper.stop()
        try:
            await asyncio.wait_for(asyncio.shield(sweeper.task), timeout)
        except asyncio.CancelledError:
            pass
        except asyncio.TimeoutError:
            return False
        return True


class SyncSqlStore(SqlStore):
    """What the sync SQL stores on a driver share: `batch` and `setup` through `_run`,
    async methods in a worker thread, TTL sweeps on a daemon thread."""

    _sweeper: ThreadSweeper | None

    def _run(self, op: Batch) -> Any:
        raise NotImplementedError

    def setup(self) -> None:
        """Create or migrate the tables. Idempotent."""
        self._run(self._core.setup())

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return self._run(self._core.batch(ops))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        return await asyncio.get_running_loop().run_in_executor(None, self.batch, ops)

    def sweep_ttl(self) -> int:
        """Delete the items whose TTL has passed; returns how many."""
        return self._run(self._core.sweep(datetime.now(timezone.utc)))

    def start_ttl_sweeper(
        self, sweep_interval_minutes: int | None = None
    ) -> concurrent.futures.Future[None]:
        """Sweep every `sweep_interval_minutes` (default: the ttl config's, else 5) on a
        daemon thread; the future completes when it stops. No-op without a ttl config."""
        if not self.ttl_config:
            return done_future()
        if self._sweeper is None:
            self._sweeper = ThreadSweeper(
                self.sweep_ttl, self._sweep_minutes(sweep_interval_minutes)
            )
        return self._sweeper.future

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper thread; False if it was still running after `timeout`."""
        sweeper, self._sweeper = self._sweeper, None
        return True if sweeper is None else sweeper.stop(timeout)
