"""Long-term memory in MySQL or MariaDB: `PyMySQLStore` (PyMySQL), `AIOMySQLStore`
(aiomysql) and `AsyncMyStore` (asyncmy), on langgraph-checkpoint-mysql's store tables."""

from langgraph_jit.store.mysql.aio import AIOMySQLStore
from langgraph_jit.store.mysql.asyncmy import AsyncMyStore
from langgraph_jit.store.mysql.pymysql import PyMySQLStore

__all__ = ["AIOMySQLStore", "AsyncMyStore", "PyMySQLStore"]
