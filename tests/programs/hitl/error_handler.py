"""Program for tests/test_hitl_diff.py: add_node(error_handler=...) handling a failing node.

Run as `python error_handler.py <package>`."""

import importlib
import operator
import pprint
import re
import sys
from typing import Annotated, TypedDict

pkg = sys.argv[1]

g = importlib.import_module(pkg + ".graph")
errors = importlib.import_module(pkg + ".errors")
mem = importlib.import_module(pkg + ".checkpoint.memory")


def norm(x):
    s = pprint.pformat(x, width=160)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", s)


class S(TypedDict):
    x: str
    log: Annotated[list, operator.add]


def bad(state):
    raise ValueError("bad node")


def handler(state, error: errors.NodeError):
    return {"log": [f"handled:{error.node}:{type(error.error).__name__}"]}


def nxt(s):
    return {"log": ["next"]}


b = g.StateGraph(S)
b.add_node("bad", bad, error_handler=handler)
b.add_node("next", nxt)
b.add_edge(g.START, "bad")
b.add_edge("bad", "next")
app = b.compile(checkpointer=mem.InMemorySaver())
cfg = {"configurable": {"thread_id": "1"}}
print(norm(list(app.stream({"x": "in"}, cfg, stream_mode=["updates", "tasks"]))))
print(
    norm(
        [
            (s.metadata["step"], s.next, [(t.name, t.error, t.result) for t in s.tasks])
            for s in app.get_state_history(cfg)
        ]
    )
)
print(sorted(app.nodes), sorted(app.channels))
print(sorted(app.checkpointer.get_tuple(cfg).checkpoint["versions_seen"]))
