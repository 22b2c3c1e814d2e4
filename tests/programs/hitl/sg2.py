"""Program for tests/test_hitl_diff.py: subgraphs: as a node, streamed with subgraphs=True, invoked in a node, Command(graph=PARENT).

Run as `python sg2.py <package>` with package langgraph or langgraph_jit; prints
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
    return re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "<id>",
        pprint.pformat(x, width=150),
    )


class Sub(TypedDict):
    x: int
    sub_only: str


def s1(s):
    return {"x": s["x"] + 10, "sub_only": "hi"}


def s2(s):
    return {"x": s["x"] * 2}


sb = g.StateGraph(Sub)
sb.add_node("s1", s1)
sb.add_node("s2", s2)
sb.add_edge(g.START, "s1")
sb.add_edge("s1", "s2")
sub = sb.compile()


class P(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def p1(s):
    return {"x": s["x"] + 1, "log": ["p1"]}


pb = g.StateGraph(P)
pb.add_node("p1", p1)
pb.add_node("sub", sub)
pb.add_edge(g.START, "p1")
pb.add_edge("p1", "sub")
app = pb.compile(checkpointer=mem.InMemorySaver())
cfg = {"configurable": {"thread_id": "1"}}
print(app.invoke({"x": 1}, cfg))
for c in app.stream({"x": 1}, {"configurable": {"thread_id": "2"}}, subgraphs=True):
    print(norm(c))
for c in app.stream(
    {"x": 1},
    {"configurable": {"thread_id": "3"}},
    subgraphs=True,
    stream_mode=["values", "updates"],
):
    print(norm(c))
st = app.get_state(cfg)
print(norm(st))


# subgraph invoked inside a node
def inner_call(s):
    return {"x": sub.invoke({"x": s["x"]})["x"]}


pb2 = g.StateGraph(P)
pb2.add_node("call", inner_call)
pb2.add_edge(g.START, "call")
app2 = pb2.compile(checkpointer=mem.InMemorySaver())
for c in app2.stream({"x": 1}, {"configurable": {"thread_id": "4"}}, subgraphs=True):
    print(norm(c))


# Command PARENT
def jump(s):
    return types.Command(graph=types.Command.PARENT, goto="done", update={"x": 99})


sb3 = g.StateGraph(Sub)
sb3.add_node("jump", jump)
sb3.add_edge(g.START, "jump")


def done(s):
    return {"log": ["done"]}


pb3 = g.StateGraph(P)
pb3.add_node("sub", sb3.compile(), destinations=("done",))
pb3.add_node("done", done)
pb3.add_edge(g.START, "sub")
print(pb3.compile().invoke({"x": 1}))
print([norm(c) for c in pb3.compile().stream({"x": 1}, subgraphs=True)])
