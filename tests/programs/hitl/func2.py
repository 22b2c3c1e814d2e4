"""Program for tests/test_hitl_diff.py: functional API, async entrypoints and tasks.

Run as `python func2.py <package>` with package langgraph or langgraph_jit; prints
what a user sees, with ids and timestamps normalised.
"""

import asyncio
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
    return re.sub(
        r"'[0-9a-f]{32}'",
        "<iid>",
        re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", s),
    )


@func.task
async def inc(x):
    await asyncio.sleep(0.01)
    return x + 1


@func.task
def sq(x):
    return x * x


@func.entrypoint(checkpointer=mem.InMemorySaver())
async def wf(n):
    a = await inc(n)
    b = await asyncio.gather(*[inc(i) for i in range(3)])
    return {"a": a, "b": list(b)}


@func.entrypoint()
def swf(n):
    return sq(n).result() + sq(n + 1).result()


async def main():
    print(await wf.ainvoke(1, {"configurable": {"thread_id": "1"}}))
    print(norm([c async for c in wf.astream(2, {"configurable": {"thread_id": "2"}})]))
    print(await swf.ainvoke(3))
    print(norm([c async for c in swf.astream(3, stream_mode=["updates", "values"])]))


asyncio.run(main())
print(swf.invoke(2), [c["type"] for c in swf.stream(2, stream_mode="debug")])
print(norm([c["payload"] for c in swf.stream(2, stream_mode="debug") if c["type"] != "checkpoint"]))
