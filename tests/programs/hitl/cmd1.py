"""Program for tests/test_hitl_diff.py: Command as input: update, goto, on a fresh thread.

Run as `python cmd1.py <package>` with package langgraph or langgraph_jit; prints
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


class S(TypedDict):
    x: str
    log: Annotated[list, operator.add]


def mk(n):
    return lambda s: {"log": [n + ":" + s["x"]]}


b = g.StateGraph(S)
for n in "abc":
    b.add_node(n, mk(n))
b.add_edge(g.START, "a")
b.add_edge("a", "b")
b.add_edge("b", "c")
app = b.compile(checkpointer=mem.InMemorySaver(), interrupt_before=["b"])
cfg = {"configurable": {"thread_id": "1"}}
print(app.invoke({"x": "in"}, cfg))
print(app.invoke(types.Command(update={"x": "upd"}), cfg))
print(app.get_state(cfg).next)
cfg2 = {"configurable": {"thread_id": "2"}}
app.invoke({"x": "in"}, cfg2)
print(app.invoke(types.Command(goto="c"), cfg2))
cfg3 = {"configurable": {"thread_id": "3"}}
app2 = b.compile(checkpointer=mem.InMemorySaver())
print(app2.invoke(types.Command(goto="b", update={"x": "new"}), cfg3))
