"""Child process for tests/test_crash_resume_savers.py: a 120-step checkpointed
graph on one of our SQL savers (sqlite, asqlite, postgres, apostgres) with a
given durability. Starts the thread, or resumes it where it stopped, and
prints the result."""

import asyncio
import operator
import sys
import time
from typing import Annotated, TypedDict

from langgraph_jit.graph import END, START, StateGraph

STEPS = 120


class State(TypedDict):
    i: int
    total: int
    trail: Annotated[list, operator.add]


def step(state: State) -> dict:
    if state["i"] == 0 or state["i"] % 40 == 1:
        print("running", file=sys.stderr, flush=True)  # the parent kills after this
    time.sleep(0.003)  # widen the window in which the parent can kill us
    i = state["i"] + 1
    return {"i": i, "total": state["total"] + i * i, "trail": [i % 7]}


def route(state: State) -> str:
    return END if state["i"] >= STEPS else "step"


def _graph(saver):
    builder = StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", route)
    return builder.compile(checkpointer=saver)


def _report(result: dict) -> None:
    print(result["i"], result["total"], sum(result["trail"]), len(result["trail"]), flush=True)


def _config(thread: str) -> dict:
    return {"configurable": {"thread_id": thread}, "recursion_limit": STEPS + 10}


def run_sync(kind: str, target: str, thread: str, durability: str) -> None:
    if kind == "sqlite":
        from langgraph_jit.checkpoint.sqlite import SqliteSaver as Saver
    else:
        from langgraph_jit.checkpoint.postgres import PostgresSaver as Saver
    with Saver.from_conn_string(target) as saver:
        if kind == "postgres":
            saver.setup()
        graph = _graph(saver)
        config = _config(thread)
        started = graph.get_state(config).values
        start = None if started else {"i": 0, "total": 0, "trail": []}
        _report(graph.invoke(start, config, durability=durability))


async def run_async(kind: str, target: str, thread: str, durability: str) -> None:
    if kind == "asqlite":
        from langgraph_jit.checkpoint.sqlite.aio import AsyncSqliteSaver as Saver
    else:
        from langgraph_jit.checkpoint.postgres.aio import AsyncPostgresSaver as Saver
    async with Saver.from_conn_string(target) as saver:
        if kind == "apostgres":
            await saver.setup()
        graph = _graph(saver)
        config = _config(thread)
        started = (await graph.aget_state(config)).values
        start = None if started else {"i": 0, "total": 0, "trail": []}
        _report(await graph.ainvoke(start, config, durability=durability))


if __name__ == "__main__":
    kind, target, thread, durability = sys.argv[1:5]
    if kind in ("sqlite", "postgres"):
        run_sync(kind, target, thread, durability)
    else:
        asyncio.run(run_async(kind, target, thread, durability))
