"""Shallow MySQL savers' bases: each namespace of a thread keeps its latest
checkpoint only (no history, no parent), as langgraph-checkpoint-mysql's
shallow savers. They store on the full savers' tables (one row per namespace
left after each put), not on that package's separate shallow schema."""

from __future__ import annotations

from langgraph_jit.checkpoint.mysql import BaseSyncMySQLSaver
from langgraph_jit.checkpoint.mysql.aio_base import BaseAsyncMySQLSaver

__all__ = ["BaseShallowAsyncMySQLSaver", "BaseShallowSyncMySQLSaver"]


class BaseShallowSyncMySQLSaver(BaseSyncMySQLSaver):
    shallow = True


class BaseShallowAsyncMySQLSaver(BaseAsyncMySQLSaver):
    shallow = True
