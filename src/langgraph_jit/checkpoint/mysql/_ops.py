"""MySQL/MariaDB's dialect of the SQL savers' operations (checkpoint/_sql_ops.py).

The tables are langgraph-checkpoint-mysql's (3.0.0), so we read and continue
its threads: a namespace is keyed by `checkpoint_ns_hash` (the MD5 of the
namespace, which we compute), checkpoint rows hold JSON. A row we write holds
what changed since its parent as JSON (small values inline as base64),
larger values sit once per (channel, version) in `checkpoint_blobs` (LONGBLOB).
"""

from __future__ import annotations

from langgraph_jit.checkpoint._sql import ALL, EXEC, MANY
from langgraph_jit.checkpoint._sql_ops import MySqlDialect, SqlOps

# What langgraph-checkpoint-mysql 3.0.0 records in `checkpoint_migrations`
# once its schema is complete (versions 0 to 21): a database we set up says
# the same, so either saver can be pointed at it afterwards.
LATEST_MIGRATION = 21

CREATE_MIGRATIONS_SQL = "CREATE TABLE IF NOT EXISTS checkpoint_migrations (v INTEGER PRIMARY KEY)"

# The tables as that schema ends up, each key a namespace by its hash (a
# VARCHAR(2000) namespace cannot be in a key), utf8mb4 with a binary
# collation: ids with 4-byte characters, and ids that differ in case or
# accents, stay distinct whatever the database's default.
_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
CREATE_TABLES_SQL = (
    f"""CREATE TABLE IF NOT EXISTS checkpoints (
    thread_id VARCHAR(150) NOT NULL,
    checkpoint_ns VARCHAR(2000) NOT NULL DEFAULT '',
    checkpoint_id VARCHAR(150) NOT NULL,
    parent_checkpoint_id VARCHAR(150),
    type VARCHAR(150),
    checkpoint JSON NOT NULL,
    metadata JSON NOT NULL DEFAULT ('{{}}'),
    checkpoint_ns_hash BINARY(16) NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns_hash, checkpoint_id),
    KEY checkpoints_thread_id_idx (thread_id),
    KEY checkpoints_checkpoint_id_idx (checkpoint_id)
) {_TABLE_OPTIONS}""",
    f"""CREATE TABLE IF NOT EXISTS checkpoint_blobs (
    thread_id VARCHAR(150) NOT NULL,
    checkpoint_ns VARCHAR(2000) NOT NULL DEFAULT '',
    channel VARCHAR(150) NOT NULL,
    version VARCHAR(150) NOT NULL,
    type VARCHAR(150) NOT NULL,
    `blob` LONGBLOB,
    checkpoint_ns_hash BINARY(16) NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns_hash, channel, version),
    KEY checkpoint_blobs_thread_id_idx (thread_id)
) {_TABLE_OPTIONS}""",
    f"""CREATE TABLE IF NOT EXISTS checkpoint_writes (
    thread_id VARCHAR(150) NOT NULL,
    checkpoint_ns VARCHAR(2000) NOT NULL DEFAULT '',
    checkpoint_id VARCHAR(150) NOT NULL,
    task_id VARCHAR(150) NOT NULL,
    idx INTEGER NOT NULL,
    channel VARCHAR(150) NOT NULL,
    type VARCHAR(150),
    `blob` LONGBLOB NOT NULL,
    checkpoint_ns_hash BINARY(16) NOT NULL,
    task_path VARCHAR(2000) NOT NULL DEFAULT '',
    PRIMARY KEY (thread_id, checkpoint_ns_hash, checkpoint_id, task_id, idx),
    KEY checkpoint_writes_thread_id_idx (thread_id)
) {_TABLE_OPTIONS}""",
)


class OldSchemaError(RuntimeError):
    """The database holds an earlier langgraph-checkpoint-mysql schema."""


def setup():
    """Create the tables in a new database; accept one langgraph-checkpoint-mysql
    set up completely. An earlier schema of that package is refused (its own
    `setup()` migrates it)."""
    found = yield (
        ALL,
        "SELECT COUNT(*) FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_name = 'checkpoint_migrations'",
        (),
    )
    if not found[0][0]:  # (IF NOT EXISTS on an existing table warns)
        yield (EXEC, CREATE_MIGRATIONS_SQL, ())
    rows = yield (ALL, "SELECT MAX(v) FROM checkpoint_migrations", ())
    done = rows[0][0] if rows and rows[0][0] is not None else -1
    if done >= LATEST_MIGRATION:
        return
    if done >= 0:
        raise OldSchemaError(
            f"the checkpoint tables are at migration {done} of langgraph-checkpoint-mysql; "
            f"run its setup() once to bring them to {LATEST_MIGRATION}, then use this saver"
        )
    for sql in CREATE_TABLES_SQL:
        yield (EXEC, sql, ())
    yield (
        MANY,
        "INSERT IGNORE INTO checkpoint_migrations (v) VALUES (%s)",
        [(v,) for v in range(LATEST_MIGRATION + 1)],
    )


OPS = SqlOps(MySqlDialect())
