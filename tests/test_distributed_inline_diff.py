"""The remote-task protocol on many graph shapes, without a cluster.

An `InlineRunner` runs each node call through the exact path a worker takes (the node's
function, input and task view pickled with cloudpickle, run under a `WorkerTask`, the
result pickled back and replayed on the task) but in this process, so many graph shapes
are cheap to check: outputs, stream chunks and checkpoints must equal a run without a
runner. The real clusters are in test_distributed_tasks.py / test_distributed_ray.py.
"""

from __future__ import annotations

import asyncio
import operator
import re
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytest.importorskip("cloudpickle", reason="the [dask] extra is not installed")

from langgraph_jit.checkpoint.memory import InMemorySaver
from langgraph_jit.config import get_stream_writer
from langgraph_jit.distributed import TaskRunner
from langgraph_jit.graph import END, START, StateGraph
from langgraph_jit.runtime import Runtime
from langgraph_jit.types import CachePolicy, Command, Send, interrupt


class InlineRunner(TaskRunner):
    """Runs `run_on_worker` here: every byte a worker would get and send back."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def submit(self, fn: Any, *args: Any) -> Any:
        self.calls += 1
        return fn(*args)

    def wait(self, handle: Any, node: str) -> Any:
        return handle

    async def await_(self, handle: Any, node: str) -> Any:
        return handle


class State(TypedDict):
    n: int
    log: Annotated[list, operator.add]


@dataclass
class Ctx:
    user: str


def _history(app: Any, config: dict) -> list[Any]:
    out = []
    for snap in app.get_state_history(config):
        meta = {k: v for k, v in (snap.metadata or {}).items() if k != "run_id"}
        out.append(
            (
                snap.values,
                snap.next,
                meta,
                [(t.name, [i.value for i in t.interrupts]) for t in snap.tasks],
            )
        )
    return out


def _norm(chunk: Any) -> str:
    # Task and interrupt ids derive from checkpoint ids, which differ between runs (as
    # the times do).
    text = repr(chunk)
    text = re.sub(r"'[0-9a-f]{8}-[0-9a-f-]{27}'|'[0-9a-f]{32}'", "ID", text)
    return re.sub(r"'timestamp': '[^']*'", "TIME", text)


def _goto(s: State) -> Command:
    return Command(
        update={"log": ["goto"]}, goto=[Send("work", {"n": i, "log": []}) for i in range(3)]
    )


def _work(s: State, runtime: Runtime[Ctx]) -> dict:
    get_stream_writer()(f"work {s['n']}")
    return {"log": [f"{runtime.context.user}:{s['n']}"]}


def _config_node(s: State, config) -> dict:  # unannotated: the config is passed
    return {"log": [config["configurable"].get("tag"), config["metadata"]["langgraph_node"]]}


def _ask(s: State) -> dict:
    return {"log": [interrupt({"q": s["n"]})]}


def build(runner: Any) -> Any:
    builder = StateGraph(State, context_schema=Ctx)
    builder.add_node("goto", _goto)
    builder.add_node("work", _work)
    builder.add_node("config", _config_node, cache_policy=CachePolicy())
    builder.add_node("ask", _ask)
    builder.add_edge(START, "goto")
    builder.add_edge("work", "config")
    builder.add_edge("config", "ask")
    builder.add_edge("ask", END)
    from langgraph_jit.cache.memory import InMemoryCache

    return builder.compile(checkpointer=InMemorySaver(), task_runner=runner, cache=InMemoryCache())


MODES = ["updates", "values", "custom", "tasks", "checkpoints", "debug"]


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_shapes_match_a_run_without_runner(durability):
    runner = InlineRunner()
    results = []
    for app in (build(None), build(runner)):
        cfg = {"configurable": {"thread_id": "t", "tag": "x"}}
        ctx = Ctx(user="ann")
        first = [
            _norm(c)
            for c in app.stream(
                {"n": 0, "log": []}, cfg, stream_mode=MODES, context=ctx, durability=durability
            )
        ]
        second = [
            _norm(c)
            for c in app.stream(
                Command(resume="a"), cfg, stream_mode=MODES, context=ctx, durability=durability
            )
        ]
        results.append(
            (sorted(first), sorted(second), _history(app, cfg), app.get_state(cfg).values)
        )
    assert runner.calls > 0
    assert results[1] == results[0]


def test_async_shapes_match_a_run_without_runner():
    runner = InlineRunner()

    async def go(app: Any) -> Any:
        cfg = {"configurable": {"thread_id": "a", "tag": "y"}}
        ctx = Ctx(user="bo")
        first = [
            _norm(c)
            async for c in app.astream({"n": 0, "log": []}, cfg, stream_mode=MODES, context=ctx)
        ]
        second = await app.ainvoke(Command(resume="b"), cfg, context=ctx)
        return sorted(first), second, _history(app, cfg)

    local = asyncio.run(go(build(None)))
    remote = asyncio.run(go(build(runner)))
    assert runner.calls > 0
    assert remote == local


def test_node_errors_come_back_as_raised():
    runner = InlineRunner()

    def bad(s: State) -> dict:
        raise KeyError("missing")

    builder = StateGraph(State)
    builder.add_node("bad", bad)
    builder.add_edge(START, "bad")
    for r in (None, runner):
        with pytest.raises(KeyError, match="missing") as info:
            builder.compile(task_runner=r).invoke({"n": 0, "log": []})
        assert "During task with name 'bad'" in "".join(info.value.__notes__)
