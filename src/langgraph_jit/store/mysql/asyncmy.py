"""`AsyncMyStore`: the MySQL store on an asyncmy connection or pool."""

from __future__ import annotations

from langgraph_jit.store.mysql.aio_base import BaseAsyncMySQLStore

__all__ = ["AsyncMyStore"]


class AsyncMyStore(BaseAsyncMySQLStore):
    driver = "asyncmy"
    cursor_path = ("asyncmy.cursors", "Cursor")
