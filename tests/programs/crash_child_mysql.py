"""Child process for tests/test_checkpoint_mysql_crash.py: crash_child_savers.py's
120-step graph on a MySQL saver (pymysql, aiomysql or asyncmy)."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from crash_child_savers import _config, _graph, _report


def run_sync(target: str, thread: str, durability: str) -> None:
    from langgraph_jit.checkpoint.mysql.pymysql import PyMySQLSaver

    with PyMySQLSaver.from_conn_string(target) as saver:
        saver.setup()
        graph = _graph(saver)
        config = _config(thread)
        started = graph.get_state(config).values
        start = None if started else {"i": 0, "total": 0, "trail": []}
        _report(graph.invoke(start, config, durability=durability))


async def run_async(kind: str, target: str, thread: str, durability: str) -> None:
    if kind == "aiomysql":
        from langgraph_jit.checkpoint.mysql.aio import AIOMySQLSaver as Saver
    else:
        from langgraph_jit.checkpoint.mysql.asyncmy import AsyncMySaver as Saver
    async with Saver.from_conn_string(target) as saver:
        await saver.setup()
        graph = _graph(saver)
        config = _config(thread)
        started = (await graph.aget_state(config)).values
        start = None if started else {"i": 0, "total": 0, "trail": []}
        _report(await graph.ainvoke(start, config, durability=durability))


if __name__ == "__main__":
    kind, target, thread, durability = sys.argv[1:5]
    if kind == "pymysql":
        run_sync(target, thread, durability)
    else:
        asyncio.run(run_async(kind, target, thread, durability))
