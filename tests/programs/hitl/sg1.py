"""Program for tests/test_hitl_diff.py: StateGraph basics: branches, Send map-reduce, Command routing.

Run as `python sg1.py <package>` with package langgraph or langgraph_jit; prints
what a user sees, with ids and timestamps normalised.
"""

import importlib
import operator
import sys
from typing import Annotated, TypedDict

pkg = sys.argv[1]

g = importlib.import_module(pkg + ".graph")
types = importlib.import_module(pkg + ".types")
mem = importlib.import_module(pkg + ".checkpoint.memory")


class State(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def a(s):
    return {"x": s["x"] + 1, "log": ["a"]}


def b(s):
    return {"x": s["x"] * 2, "log": ["b"]}


def c(s):
    return {"log": ["c"]}


def route(s) -> str:
    return "c" if s["x"] > 3 else "b"


builder = g.StateGraph(State)
builder.add_node("a", a)
builder.add_node("b", b)
builder.add_node("c", c)
builder.add_edge(g.START, "a")
builder.add_conditional_edges("a", route)
builder.add_edge("b", "a")
builder.add_edge("c", g.END)
app = builder.compile(checkpointer=mem.InMemorySaver())
cfg = {"configurable": {"thread_id": "1"}}
print(app.invoke({"x": 1, "log": []}, cfg))
for ch in app.stream(
    {"x": 1}, {"configurable": {"thread_id": "2"}}, stream_mode=["updates", "values"]
):
    print(ch)
print(sorted(app.channels))
s = app.get_state(cfg)
print(s.values, s.next, s.metadata)
print(len(list(app.get_state_history(cfg))))


# Send map-reduce
class S2(TypedDict):
    items: list
    out: Annotated[list, operator.add]


def fan(s):
    return [types.Send("w", {"v": i}) for i in s["items"]]


def w(s):
    return {"out": [s["v"] * 10]}


b2 = g.StateGraph(S2)
b2.add_node("w", w)
b2.add_conditional_edges(g.START, fan, ["w"])
print(b2.compile().invoke({"items": [1, 2, 3]}))


# Command
def r(s) -> types.Command:
    return types.Command(update={"x": 100}, goto="c")


b3 = g.StateGraph(State)
b3.add_node("r", r, destinations=("c",))
b3.add_node("c", c)
b3.add_edge(g.START, "r")
print(b3.compile().invoke({"x": 0}))
print(list(b3.compile().stream({"x": 0})))
