"""`AIOMySQLSaver` and `ShallowAIOMySQLSaver`: the MySQL savers on aiomysql."""

from __future__ import annotations

import functools
from typing import Any

from langgraph_jit.checkpoint.mysql.aio_base import BaseAsyncMySQLSaver
from langgraph_jit.checkpoint.mysql.shallow import BaseShallowAsyncMySQLSaver

__all__ = ["AIOMySQLSaver", "ShallowAIOMySQLSaver"]


@functools.cache
def _cursor_class(base: type) -> type:
    """aiomysql's tuple cursor, sending bytes as hex literals: aiomysql (0.3.2)
    escapes bytes with a PyMySQL function that PyMySQL 1.2 no longer provides."""

    class BytesSafeCursor(base):
        def _escape_args(self, args: Any, conn: Any) -> Any:
            if isinstance(args, (tuple, list)):
                return tuple(_escape(arg, conn) for arg in args)
            return super()._escape_args(args, conn)

    return BytesSafeCursor


def _escape(arg: Any, conn: Any) -> Any:
    if isinstance(arg, (bytes, bytearray)):
        return f"X'{arg.hex()}'" if arg else "''"
    return conn.escape(arg)


class _AIOMySQL:
    driver = "aiomysql"
    cursor_path = ("aiomysql", "Cursor")

    @classmethod
    def _cursor_class(cls) -> Any:
        module, name = cls.cursor_path
        return _cursor_class(getattr(cls._module(module), name))  # type: ignore[attr-defined]


class AIOMySQLSaver(_AIOMySQL, BaseAsyncMySQLSaver):
    """Async checkpoint saver on an aiomysql connection or pool."""


class ShallowAIOMySQLSaver(_AIOMySQL, BaseShallowAsyncMySQLSaver):
    """The latest checkpoint of each namespace only, on aiomysql."""
