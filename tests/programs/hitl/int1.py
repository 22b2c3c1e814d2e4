"""Program for tests/test_hitl_diff.py: interrupts and resume: single, parallel with a resume map, several in one node, in a subgraph, breakpoints.

Run as `python int1.py <package>` with package langgraph or langgraph_jit; prints
what a user sees, with ids and timestamps normalised.
"""

import importlib
import operator
import pprint
import re
import sys
from typing import Annotated, TypedDict

pkg = sys.argv[1]

g = importlib.import_module(pkg + ".graph")
types = importlib.import_module(pkg + ".types")
mem = importlib.import_module(pkg + ".checkpoint.memory")


def norm(x):
    s = pprint.pformat(x, width=150)
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", s)
    return re.sub(r"'[0-9a-f]{32}'", "<iid>", re.sub(r"created_at='[^']*'", "", s))


class State(TypedDict):
    x: int
    answer: str
    log: Annotated[list, operator.add]


def ask(s):
    a = types.interrupt({"q": "approve?", "x": s["x"]})
    return {"answer": a, "log": ["ask"]}


def fin(s):
    return {"log": ["fin:" + s["answer"]]}


b = g.StateGraph(State)
b.add_node("ask", ask)
b.add_node("fin", fin)
b.add_edge(g.START, "ask")
b.add_edge("ask", "fin")
app = b.compile(checkpointer=mem.InMemorySaver())
cfg = {"configurable": {"thread_id": "1"}}
print(norm(app.invoke({"x": 1}, cfg)))
st = app.get_state(cfg)
print(norm((st.next, st.interrupts, st.tasks)))
print(norm(app.invoke(types.Command(resume="yes"), cfg)))
cfg2 = {"configurable": {"thread_id": "2"}}
for c in app.stream({"x": 2}, cfg2, stream_mode=["updates", "values"]):
    print(norm(c))
for c in app.stream(types.Command(resume="no"), cfg2, stream_mode=["updates", "values"]):
    print(norm(c))


# two interrupts in parallel + resume map
def a1(s):
    return {"log": [types.interrupt("a1")]}


def a2(s):
    return {"log": [types.interrupt("a2")]}


b2 = g.StateGraph(State)
b2.add_node("a1", a1)
b2.add_node("a2", a2)
b2.add_edge(g.START, "a1")
b2.add_edge(g.START, "a2")
app2 = b2.compile(checkpointer=mem.InMemorySaver())
cfg3 = {"configurable": {"thread_id": "3"}}
r = app2.invoke({"x": 1}, cfg3)
print(norm(r))
try:
    app2.invoke(types.Command(resume="z"), cfg3)
except RuntimeError as e:
    print("RE", e)
ids = {i.id: i.value.upper() for i in r["__interrupt__"]}
print(norm(app2.invoke(types.Command(resume=ids), cfg3)))


# two interrupts in one node
def two(s):
    x = types.interrupt("first")
    y = types.interrupt("second")
    return {"log": [x, y]}


b3 = g.StateGraph(State)
b3.add_node("two", two)
b3.add_edge(g.START, "two")
app3 = b3.compile(checkpointer=mem.InMemorySaver())
cfg4 = {"configurable": {"thread_id": "4"}}
print(norm(app3.invoke({"x": 1}, cfg4)))
print(norm(app3.invoke(types.Command(resume="A"), cfg4)))
print(norm(app3.get_state(cfg4).next))
print(norm(app3.invoke(types.Command(resume="B"), cfg4)))
# interrupt in subgraph
sb = g.StateGraph(State)
sb.add_node("ask", ask)
sb.add_edge(g.START, "ask")
pb = g.StateGraph(State)
pb.add_node("sub", sb.compile())
pb.add_node("fin", fin)
pb.add_edge(g.START, "sub")
pb.add_edge("sub", "fin")
app4 = pb.compile(checkpointer=mem.InMemorySaver())
cfg5 = {"configurable": {"thread_id": "5"}}
print(norm(app4.invoke({"x": 5}, cfg5)))
print(norm(app4.invoke(types.Command(resume="sub-yes"), cfg5)))
# breakpoints
app5 = b.compile(checkpointer=mem.InMemorySaver(), interrupt_before=["fin"])
cfg6 = {"configurable": {"thread_id": "6"}}
print(norm(list(app5.stream({"x": 1}, cfg6))))
print(norm(list(app5.stream(types.Command(resume="ok"), cfg6))))
print(norm(list(app5.stream(None, cfg6))))
