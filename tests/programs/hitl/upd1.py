"""Program for tests/test_hitl_diff.py: update_state (as_node inference, END, empty thread), replay from a past checkpoint and fork.

Run as `python upd1.py <package>` with package langgraph or langgraph_jit; prints
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
    log: Annotated[list, operator.add]


def a(s):
    return {"x": s["x"] + 1, "log": ["a"]}


def b(s):
    return {"x": s["x"] * 10, "log": ["b"]}


def route(s):
    return "b" if s["x"] < 5 else g.END


bd = g.StateGraph(State)
bd.add_node("a", a)
bd.add_node("b", b)
bd.add_edge(g.START, "a")
bd.add_conditional_edges("a", route)
app = bd.compile(checkpointer=mem.InMemorySaver(), interrupt_before=["b"])
cfg = {"configurable": {"thread_id": "1"}}
print(norm(app.invoke({"x": 1, "log": []}, cfg)))
st = app.get_state(cfg)
print(norm((st.values, st.next)))
c2 = app.update_state(cfg, {"x": 100, "log": ["human"]})
print(norm(c2))
st = app.get_state(cfg)
print(norm((st.values, st.next, st.metadata)))
print(norm(app.invoke(None, cfg)))
c3 = app.update_state(cfg, {"x": 2}, as_node="a")
st = app.get_state(cfg)
print(norm((st.values, st.next, st.metadata)))
print(norm(app.invoke(None, cfg)))
hist = list(app.get_state_history(cfg))
print(norm([(h.metadata["source"], h.metadata["step"], h.next, h.values) for h in hist]))
# update on empty thread
cfg2 = {"configurable": {"thread_id": "2"}}
print(norm(app.update_state(cfg2, {"x": 7, "log": []}, as_node="a")))
print(norm(app.get_state(cfg2)[:2]))
# ambiguous / unknown
try:
    app.update_state(cfg, {"x": 1}, as_node="zz")
except Exception as e:
    print(type(e).__name__, e)
# END clears
cfg3 = {"configurable": {"thread_id": "3"}}
app.invoke({"x": 1, "log": []}, cfg3)
app.update_state(cfg3, None, as_node=g.END)
st = app.get_state(cfg3)
print(norm((st.values, st.next, st.metadata)))
# replay from past checkpoint and fork
cfg4 = {"configurable": {"thread_id": "4"}}
app2 = bd.compile(checkpointer=mem.InMemorySaver())
print(norm(app2.invoke({"x": 1, "log": []}, cfg4)))
hist = list(app2.get_state_history(cfg4))
past = hist[2]
print(norm((past.metadata, past.next, past.values)))
print(norm(app2.invoke(None, past.config)))
fork = app2.update_state(past.config, {"x": 50})
print(norm(app2.invoke(None, fork)))
print(
    norm([(h.metadata["source"], h.metadata["step"], h.next) for h in app2.get_state_history(cfg4)])
)
