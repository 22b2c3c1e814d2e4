"""The profiler with a task runner (issue 20): nodes that run on the runner's workers
show up as remote, with the caller's wait for them; local nodes as usual. The runner here
is an in-process one (a thread pool as the "cluster"), so no Dask or Ray is needed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any, TypedDict

import pytest

from langgraph_jit.graph import END, START, StateGraph
from langgraph_jit.profiling import profile

pytest.importorskip("cloudpickle")
from langgraph_jit.distributed._base import TaskRunner


class S(TypedDict):
    x: int


class ThreadRunner(TaskRunner):
    """Ships each remote call to a thread pool: the full remote path, in process."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.executor = concurrent.futures.ThreadPoolExecutor(2)

    def submit(self, fn: Any, *args: Any) -> Any:
        return self.executor.submit(fn, *args)

    def wait(self, handle: Any, node: str) -> Any:
        return handle.result()

    async def await_(self, handle: Any, node: str) -> Any:
        return await asyncio.wrap_future(handle)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        super().close()


def heavy(state: S) -> dict:
    time.sleep(0.04)
    return {"x": state["x"] + 1}


def light(state: S) -> dict:
    return {"x": state["x"] * 2}


def build(runner: TaskRunner) -> Any:
    g = StateGraph(S)
    g.add_node("heavy", heavy)
    g.add_node("light", light)
    g.add_edge(START, "heavy")
    g.add_edge("heavy", "light")
    g.add_edge("light", END)
    return g.compile(task_runner=runner)


def test_remote_nodes_show_up():
    with ThreadRunner(local_nodes=["light"]) as runner:
        app = build(runner)
        with profile() as prof:
            assert app.invoke({"x": 1}) == {"x": 4}
            assert asyncio.run(app.ainvoke({"x": 1})) == {"x": 4}
    heavy_row = prof.node("heavy")
    assert heavy_row["remote"] and heavy_row["calls"] == 2
    assert heavy_row["total_s"] >= 0.07
    assert not prof.node("light")["remote"]
    assert "heavy (remote)" in str(prof)
    assert sum(prof.breakdown.values()) == pytest.approx(prof.wall, rel=1e-6)
