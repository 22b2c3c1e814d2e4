"""Child process for tests/test_crash_resume.py: a 200-step checkpointed
graph on a SQLite file. Starts the thread, or resumes it where it stopped."""

import operator
import sys
import time
from typing import Annotated, TypedDict

from langgraph_jit.checkpoint.sqlite import SqliteSaver
from langgraph_jit.graph import END, START, StateGraph

STEPS = 200


class State(TypedDict):
    i: int
    total: int
    trail: Annotated[list, operator.add]


def step(state: State) -> dict:
    time.sleep(0.003)  # widen the window in which the parent can kill us
    i = state["i"] + 1
    return {"i": i, "total": state["total"] + i * i, "trail": [i % 7]}


def route(state: State) -> str:
    return END if state["i"] >= STEPS else "step"


def main(path: str, thread: str) -> None:
    builder = StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", route)
    with SqliteSaver.from_conn_string(path) as saver:
        graph = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": thread}, "recursion_limit": STEPS + 10}
        started = graph.get_state(config).values
        result = graph.invoke(None if started else {"i": 0, "total": 0, "trail": []}, config)
        print(result["i"], result["total"], sum(result["trail"]), len(result["trail"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
