"""`AsyncMySaver` and `ShallowAsyncMySaver`: the MySQL savers on asyncmy."""

from __future__ import annotations

from langgraph_jit.checkpoint.mysql.aio_base import BaseAsyncMySQLSaver
from langgraph_jit.checkpoint.mysql.shallow import BaseShallowAsyncMySQLSaver

__all__ = ["AsyncMySaver", "ShallowAsyncMySaver"]


class AsyncMySaver(BaseAsyncMySQLSaver):
    """Async checkpoint saver on an asyncmy connection or pool."""

    driver = "asyncmy"
    cursor_path = ("asyncmy.cursors", "Cursor")
    extra = "asyncmy"


class ShallowAsyncMySaver(BaseShallowAsyncMySQLSaver):
    """The latest checkpoint of each namespace only, on asyncmy."""

    driver = "asyncmy"
    cursor_path = ("asyncmy.cursors", "Cursor")
    extra = "asyncmy"
