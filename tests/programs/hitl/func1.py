"""Program for tests/test_hitl_diff.py: functional API: tasks, previous, entrypoint.final, an interrupt inside a task.

Run as `python func1.py <package>` with package langgraph or langgraph_jit; prints
what a user sees, with ids and timestamps normalised.
"""

import importlib
import pprint
import re
import sys

pkg = sys.argv[1]

func = importlib.import_module(pkg + ".func")
types = importlib.import_module(pkg + ".types")
mem = importlib.import_module(pkg + ".checkpoint.memory")


def norm(x):
    s = pprint.pformat(x, width=150)
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", s)
    return re.sub(r"'[0-9a-f]{32}'", "<iid>", re.sub(r"created_at='[^']*'", "", s))


calls = []


@func.task
def double(x):
    calls.append(("double", x))
    return x * 2


@func.task()
def add(a, b):
    calls.append(("add", a, b))
    return a + b


@func.entrypoint(checkpointer=mem.InMemorySaver())
def wf(inp, *, previous=None):
    futs = [double(i) for i in inp["nums"]]
    vals = [f.result() for f in futs]
    total = add(sum(vals), previous or 0).result()
    return total


cfg = {"configurable": {"thread_id": "1"}}
print(wf.invoke({"nums": [1, 2, 3]}, cfg))
print(wf.invoke({"nums": [1]}, cfg))
print(norm(list(wf.stream({"nums": [5]}, {"configurable": {"thread_id": "2"}}))))
print(sorted(calls))


@func.task
def ask(q):
    return types.interrupt(q)


@func.entrypoint(checkpointer=mem.InMemorySaver())
def hitl(inp):
    d = double(inp).result()
    ans = ask(f"ok {d}?").result()
    return {"d": d, "ans": ans}


cfg3 = {"configurable": {"thread_id": "3"}}
calls.clear()
print(norm(list(hitl.stream(4, cfg3))))
print(norm(hitl.get_state(cfg3)[:2]))
print(norm(list(hitl.stream(types.Command(resume="yes"), cfg3))))
print(calls)


@func.entrypoint(checkpointer=mem.InMemorySaver())
def fin(inp, *, previous=None):
    return func.entrypoint.final(value=inp, save=(previous or 0) + inp)


cfg4 = {"configurable": {"thread_id": "4"}}
print(fin.invoke(3, cfg4), fin.invoke(4, cfg4), norm(fin.get_state(cfg4).values))
print(
    type(wf).__name__,
    sorted(wf.channels),
    wf.input_channels,
    wf.output_channels,
    wf.stream_mode,
    list(wf.nodes),
)
try:
    double(3)
except Exception as e:
    print(type(e).__name__, e)
