"""langchain `create_agent` (which compiles every agent with `ToolCallTransformer`)
streamed with v3: what `run.tool_calls` shows, written against `langgraph` and run
with and without the switch."""

import asyncio
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
warnings.filterwarnings("ignore")

from _common import ScriptedChat, ai, call, dump, record, scenario  # noqa: E402
from langchain_core.messages import HumanMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.prebuilt import ToolRuntime  # noqa: E402
from langgraph.types import Command, interrupt  # noqa: E402


@tool
def progress(steps: int, runtime: ToolRuntime) -> str:
    """Works in steps, streaming each."""
    for i in range(steps):
        runtime.emit_output_delta({"step": i})
    return f"did {steps}"


@tool
def lookup(city: str) -> str:
    """Looks a city up."""
    return f"{city}: sunny"


@tool
def ask(question: str) -> str:
    """Asks a human."""
    return f"human said {interrupt(question)}"


@tool
def fail(x: int) -> str:
    """Always fails."""
    raise RuntimeError(f"tool broke on {x}")


def model():
    return ScriptedChat(
        responses=[
            # one call per turn: calls of one turn run concurrently, and the deltas of
            # a call the reader has not reached yet are not kept
            ai("", call("progress", {"steps": 2}, "p1"), id="m1"),
            ai("", call("lookup", {"city": "Oslo"}, "l1"), id="m1b"),
            ai("", call("ask", {"question": "ok?"}, "a1"), id="m2"),
            ai("", call("fail", {"x": 1}, "f1"), id="m3"),
            ai("never", id="m4"),
        ]
    )


def seen(tc):
    return [tc.tool_call_id, tc.tool_name, tc.input, tc.output, tc.error, tc.completed, repr(tc)]


def outcome(run):
    try:
        return {"output": run.output, "interrupted": run.interrupted, "interrupts": run.interrupts}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def agent():
    from langchain.agents import create_agent

    return create_agent(model(), [progress, lookup, ask, fail], checkpointer=InMemorySaver())


@scenario
def agent_sync():
    graph = agent()
    cfg = {"configurable": {"thread_id": "s"}}
    runs = []
    for inp in ({"messages": [HumanMessage("go")]}, Command(resume="yes")):
        run = graph.stream_events(inp, cfg, version="v3")
        calls = []
        try:
            for tc in run.tool_calls:
                calls.append({"deltas": list(tc), "last": seen(tc)})
        except Exception as exc:
            calls.append(f"{type(exc).__name__}: {exc}")
        runs.append({"calls": calls, "outcome": outcome(run)})
    record("agent_sync", runs)


@scenario
def agent_async():
    async def main():
        graph = agent()
        cfg = {"configurable": {"thread_id": "a"}}
        runs = []
        for inp in ({"messages": [HumanMessage("go")]}, Command(resume="yes")):
            run = await graph.astream_events(inp, cfg, version="v3")
            calls = []
            try:
                async for tc in run.tool_calls:
                    deltas = [d async for d in tc]
                    calls.append({"deltas": deltas, "last": seen(tc)})
            except Exception as exc:
                calls.append(f"{type(exc).__name__}: {exc}")
            try:
                output = await run.output()
                result = {
                    "output": output,
                    "interrupted": await run.interrupted(),
                    "interrupts": await run.interrupts(),
                }
            except Exception as exc:
                result = {"error": f"{type(exc).__name__}: {exc}"}
            runs.append({"calls": calls, "outcome": result})
        return runs

    record("agent_async", asyncio.run(main()))


def boss_with_researcher():
    """An agent whose tool runs another agent (a subagent, shown on `run.subagents`)."""
    from langchain.agents import create_agent

    researcher = create_agent(
        ScriptedChat(
            responses=[
                ai("", call("progress", {"steps": 1}, "s1"), id="r1"),
                ai("researched", id="r2"),
            ]
        ),
        [progress],
        name="researcher",
    )

    @tool
    def research(topic: str) -> str:
        """Delegates to the researcher."""
        return researcher.invoke({"messages": [HumanMessage(topic)]})["messages"][-1].content

    return create_agent(
        ScriptedChat(
            responses=[
                ai("", call("research", {"topic": "sky"}, "b1"), id="b1m"),
                ai("ok", id="b2m"),
            ]
        ),
        [research],
        name="boss",
    )


@scenario
def subagent_sync():
    run = boss_with_researcher().stream_events({"messages": [HumanMessage("go")]}, version="v3")
    subs = []
    for sub in run.subagents:
        calls = [{"deltas": list(tc), "last": seen(tc)} for tc in sub.tool_calls]
        subs.append({"name": sub.graph_name, "cause": sub.cause, "calls": calls})
    run = boss_with_researcher().stream_events({"messages": [HumanMessage("go")]}, version="v3")
    root = [{"deltas": list(tc), "last": seen(tc)} for tc in run.tool_calls]
    record("subagent_sync", {"subagents": subs, "root": root})


@scenario
def subagent_async():
    async def main():
        run = await boss_with_researcher().astream_events(
            {"messages": [HumanMessage("go")]}, version="v3"
        )
        subs = []
        async for sub in run.subagents:
            calls = []
            async for tc in sub.tool_calls:
                calls.append({"deltas": [d async for d in tc], "last": seen(tc)})
            subs.append({"name": sub.graph_name, "cause": sub.cause, "calls": calls})
        return subs

    record("subagent_async", asyncio.run(main()))


dump()
