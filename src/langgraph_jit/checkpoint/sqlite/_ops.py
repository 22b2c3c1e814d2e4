"""SQLite's dialect of the SQL savers' operations (checkpoint/_sql_ops.py).

Tables `checkpoints` and `writes` have LangGraph's SqliteSaver columns, so its
files can be read and continued. A checkpoint row we write stores what changed
since its parent (checkpoint/_delta_rows.py: versions, small values inline,
what lists appended); larger values sit once per (channel, version) in
`checkpoint_blobs`. LangGraph cannot read our rows: `checkpoints convert` moves
threads to its format.
"""

from __future__ import annotations

from langgraph_jit.checkpoint._sql import config_of
from langgraph_jit.checkpoint._sql_ops import SqliteDialect, SqlOps

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

OPS = SqlOps(SqliteDialect())

get_tuple = OPS.get_tuple
history = OPS.history
list_ = OPS.list_
put = OPS.put
put_writes = OPS.put_writes
write_steps = OPS.write_steps
delete_thread = OPS.delete_thread
delete_for_runs = OPS.delete_for_runs
copy_thread = OPS.copy_thread
prune = OPS.prune
search_where = OPS.search_where

__all__ = ["ADD_TASK_PATH_SQL", "OPS", "SETUP_SQL", "config_of"]
