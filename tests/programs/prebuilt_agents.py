"""create_react_agent / ToolNode programs, written against `langgraph` (run with and without the switch)."""

import os
import sys
import time
import warnings
from typing import Annotated, Any

sys.path.insert(0, os.path.dirname(__file__))
warnings.filterwarnings("ignore")

from _common import ScriptedChat, ai, call, dump, record, scenario  # noqa: E402
from langchain_core.messages import HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.graph import START, MessagesState, StateGraph  # noqa: E402
from langgraph.prebuilt import (  # noqa: E402
    InjectedState,
    InjectedStore,
    ToolNode,
    create_react_agent,
    tools_condition,
)
from langgraph.types import Command  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from typing_extensions import TypedDict  # noqa: E402


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def weather(city: str) -> str:
    """Weather in a city."""
    time.sleep(0.05)  # finishes after `add`: parallel completion order is fixed
    return f"sunny in {city}"


@tool
def slow_add(a: int, b: int) -> int:
    """Add two integers, slowly."""
    time.sleep(0.1)
    return a + b


@tool
def broken(x: int) -> str:
    """Always fails."""
    raise ValueError(f"broken for {x}")


def two_tool_model():
    return ScriptedChat(
        responses=[
            ai(
                "",
                call("add", {"a": 1, "b": 2}, "c1"),
                call("weather", {"city": "Oslo"}, "c2"),
                id="r1",
            ),
            ai("3 and sunny", id="r2"),
        ]
    )


def q(text="go", id="h1"):
    return {"messages": [HumanMessage(text, id=id)]}


@scenario
def react_invoke():
    agent = create_react_agent(two_tool_model(), [add, weather], prompt="Be brief.")
    record("react_invoke", agent.invoke(q()))


@scenario
def react_stream_modes():
    for mode in ("updates", "values", "messages"):
        agent = create_react_agent(two_tool_model(), [add, weather])
        record(f"react_stream_{mode}", list(agent.stream(q(), stream_mode=mode)))
    agent = create_react_agent(two_tool_model(), [add, weather])
    record("react_stream_multi", list(agent.stream(q(), stream_mode=["updates", "values"])))


@scenario
def react_checkpointer():
    agent = create_react_agent(two_tool_model(), [add, weather], checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    r1 = agent.invoke(q("first", "h1"), cfg)
    r2 = agent.invoke(q("second", "h2"), cfg)
    state = agent.get_state(cfg)
    history = [s.next for s in agent.get_state_history(cfg)]
    record("react_checkpointer", {"r1": r1, "r2": r2, "state": state, "history": history})


@scenario
def react_interrupt_before_tools():
    agent = create_react_agent(
        two_tool_model(), [add, weather], checkpointer=InMemorySaver(), interrupt_before=["tools"]
    )
    cfg = {"configurable": {"thread_id": "t"}}
    first = list(agent.stream(q(), cfg, stream_mode="updates"))
    mid = agent.get_state(cfg)
    rest = list(agent.stream(None, cfg, stream_mode="updates"))
    record("react_interrupt_before_tools", {"first": first, "mid": mid, "rest": rest})


@scenario
def react_interrupt_after_agent():
    agent = create_react_agent(
        two_tool_model(), [add, weather], checkpointer=InMemorySaver(), interrupt_after=["agent"]
    )
    cfg = {"configurable": {"thread_id": "t"}}
    a = agent.invoke(q(), cfg)
    b = agent.invoke(None, cfg)
    c = agent.invoke(None, cfg)
    record(
        "react_interrupt_after_agent", {"a": a, "b": b, "c": c, "next": agent.get_state(cfg).next}
    )


@scenario
def react_tool_errors():
    model = ScriptedChat(
        responses=[
            ai(
                "",
                call("broken", {"x": 1}, "c1"),
                call("add", {"a": "x", "b": 2}, "c2"),
                call("nope", {}, "c3"),
                id="r1",
            ),
            ai("done", id="r2"),
        ]
    )
    agent = create_react_agent(model, ToolNode([broken, add], handle_tool_errors=True))
    record("react_tool_errors", agent.invoke(q()))
    model = ScriptedChat(
        responses=[ai("", call("add", {"a": "x", "b": 2}, "c2"), id="r1"), ai("ok", id="r2")]
    )
    record("react_tool_bad_args_default", create_react_agent(model, [add]).invoke(q()))
    model = ScriptedChat(responses=[ai("", call("broken", {"x": 1}, "c1"), id="r1")])
    try:
        create_react_agent(model, [broken]).invoke(q())
    except ValueError as exc:
        record("react_tool_raises_default", str(exc))


class Answer(BaseModel):
    total: int
    sky: str


@scenario
def react_structured_response():
    model = ScriptedChat(
        responses=[
            ai("", call("add", {"a": 1, "b": 2}, "c1"), id="r1"),
            ai("the total is 3", id="r2"),
            ai("", call("Answer", {"total": 3, "sky": "blue"}, "s1"), id="r3"),
        ]
    )
    agent = create_react_agent(model, [add], response_format=Answer)
    out = agent.invoke(q())
    record("react_structured_response", out)


@scenario
def react_hooks():
    def pre(state):
        return {"llm_input_messages": state["messages"][-1:]}

    seen = []

    def post(state):
        seen.append(len(state["messages"]))
        return {}

    agent = create_react_agent(
        two_tool_model(), [add, weather], pre_model_hook=pre, post_model_hook=post
    )
    out = list(agent.stream(q(), stream_mode="updates"))
    record("react_hooks", {"chunks": out, "post_seen": seen})


@scenario
def react_v1_and_return_direct():
    @tool(return_direct=True)
    def final(x: str) -> str:
        """Finish."""
        return "final " + x

    model = ScriptedChat(
        responses=[
            ai("", call("add", {"a": 1, "b": 2}, "c1"), call("final", {"x": "y"}, "c2"), id="r1"),
            ai("never", id="r2"),
        ]
    )
    agent = create_react_agent(model, [add, final], version="v1")
    record("react_v1_return_direct", list(agent.stream(q(), stream_mode="updates")))


@scenario
def react_injection():
    from langgraph.store.memory import InMemoryStore

    @tool
    def remember(
        fact: str,
        state: Annotated[dict, InjectedState],
        store: Annotated[Any, InjectedStore()],
        tool_call_id: Annotated[str, InjectedToolCallId],
    ) -> Command:
        """Remember a fact."""
        store.put(("facts",), "f", {"fact": fact, "n": len(state["messages"])})
        return Command(
            update={"messages": [ToolMessage("stored", tool_call_id=tool_call_id)], "note": fact}
        )

    @tool
    def recall(note: Annotated[str, InjectedState("note")]) -> str:
        """Recall the note."""
        return "note=" + note

    class S(TypedDict):
        messages: Annotated[
            list, __import__("langgraph.graph.message", fromlist=["x"]).add_messages
        ]
        remaining_steps: Any
        note: str

    from langgraph.managed import RemainingSteps

    S.__annotations__["remaining_steps"] = RemainingSteps

    model = ScriptedChat(
        responses=[
            ai("", call("remember", {"fact": "sky"}, "c1"), id="r1"),
            ai("", call("recall", {}, "c2"), id="r2"),
            ai("ok", id="r3"),
        ]
    )
    store = InMemoryStore()
    agent = create_react_agent(model, [remember, recall], store=store, state_schema=S)
    out = agent.invoke(q())
    record("react_injection", {"out": out, "stored": store.get(("facts",), "f").value})


@scenario
def toolnode_handbuilt():
    model = two_tool_model()
    bound = model.bind_tools([add, weather])

    def chatbot(state: MessagesState):
        return {"messages": [bound.invoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("chatbot", chatbot)
    g.add_node("tools", ToolNode([add, weather]))
    g.add_edge(START, "chatbot")
    g.add_conditional_edges("chatbot", tools_condition)
    g.add_edge("tools", "chatbot")
    app = g.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    record(
        "toolnode_handbuilt",
        {"updates": list(app.stream(q(), cfg, stream_mode="updates")), "state": app.get_state(cfg)},
    )
    # ToolNode on its own, list input and dict input
    node = ToolNode([add])
    msg = ai("", call("add", {"a": 2, "b": 5}, "x1"), id="m")
    record(
        "toolnode_direct", {"list": node.invoke([msg]), "dict": node.invoke({"messages": [msg]})}
    )


@scenario
def react_parallel_order():
    model = ScriptedChat(
        responses=[
            ai(
                "",
                call("slow_add", {"a": 1, "b": 2}, "c1"),
                call("weather", {"city": "Oslo"}, "c2"),
                id="r1",
            ),
            ai("done", id="r2"),
        ]
    )
    agent = create_react_agent(model, [slow_add, weather])
    record("react_parallel_order", list(agent.stream(q(), stream_mode="updates")))


@scenario
def react_async():
    import asyncio

    async def main():
        agent = create_react_agent(two_tool_model(), [add, weather], checkpointer=InMemorySaver())
        cfg = {"configurable": {"thread_id": "a"}}
        chunks = [c async for c in agent.astream(q(), cfg, stream_mode="updates")]
        return {"chunks": chunks, "final": await agent.ainvoke(q("again", "h2"), cfg)}

    record("react_async", asyncio.run(main()))


dump()
