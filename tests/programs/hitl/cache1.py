"""Program for tests/test_hitl_diff.py: node cache: CachePolicy, InMemoryCache, clear_cache.

Run as `python cache1.py <package>` with package langgraph or langgraph_jit; prints
what a user sees, with ids and timestamps normalised.
"""

import importlib
import sys
from typing import TypedDict

pkg = sys.argv[1]

g = importlib.import_module(pkg + ".graph")
types = importlib.import_module(pkg + ".types")
cm = importlib.import_module(pkg + ".cache.memory")
calls = []


class State(TypedDict):
    x: int
    y: int


def slow(s):
    calls.append(s["x"])
    return {"y": s["x"] * 2}


b = g.StateGraph(State)
b.add_node("slow", slow, cache_policy=types.CachePolicy(ttl=None))
b.add_edge(g.START, "slow")
app = b.compile(cache=cm.InMemoryCache())
print(app.invoke({"x": 3}))
print(list(app.stream({"x": 3})))
print(list(app.stream({"x": 4})))
print(calls)
app.clear_cache()
print(list(app.stream({"x": 3})))
print(calls)
