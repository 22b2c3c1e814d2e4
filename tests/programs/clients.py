"""Client-library programs (langchain create_agent, supervisor, swarm, trustcall), written
against `langgraph` and run with and without the switch."""

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
warnings.filterwarnings("ignore")

from _common import ScriptedChat, ai, call, dump, record, scenario  # noqa: E402
from langchain_core.messages import HumanMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.types import Command  # noqa: E402
from pydantic import BaseModel  # noqa: E402


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def weather(city: str) -> str:
    """Weather in a city."""
    time.sleep(0.05)
    return f"sunny in {city}"


def q(text="go", id="h1"):
    return {"messages": [HumanMessage(text, id=id)]}


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


@scenario
def create_agent_middleware():
    from langchain.agents import create_agent
    from langchain.agents.middleware import AgentMiddleware, wrap_tool_call

    class Counter(AgentMiddleware):
        def before_model(self, state, runtime):
            return {"messages": []} if False else None

        def after_model(self, state, runtime):
            return None

    seen = []

    @wrap_tool_call
    def log_calls(request, handler):
        seen.append(request.tool_call["name"])
        return handler(request)

    agent = create_agent(
        two_tool_model(),
        [add, weather],
        middleware=[Counter(), log_calls],
        system_prompt="Be brief.",
    )
    chunks = list(agent.stream(q(), stream_mode="updates"))
    record("create_agent_middleware", {"chunks": chunks, "seen": sorted(seen)})


@scenario
def create_agent_hitl():
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    agent = create_agent(
        two_tool_model(),
        [add, weather],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"add": True, "weather": False})],
        checkpointer=InMemorySaver(),
    )
    cfg = {"configurable": {"thread_id": "t"}}
    first = agent.invoke(q(), cfg)
    snap = agent.get_state(cfg)
    second = agent.invoke(Command(resume={"decisions": [{"type": "approve"}]}), cfg)
    record("create_agent_hitl", {"first": first, "snap": snap, "second": second})


@scenario
def supervisor():
    from langgraph.prebuilt import create_react_agent
    from langgraph_supervisor import create_supervisor

    math = create_react_agent(
        ScriptedChat(
            responses=[ai("", call("add", {"a": 2, "b": 3}, "m1"), id="ma1"), ai("5", id="ma2")]
        ),
        [add],
        name="math_expert",
    )
    sup_model = ScriptedChat(
        responses=[
            ai("", call("transfer_to_math_expert", {}, "s1"), id="sa1"),
            ai("The answer is 5", id="sa2"),
        ]
    )
    app = create_supervisor([math], model=sup_model, prompt="Route.").compile()
    record("supervisor", list(app.stream(q("2+3?"), stream_mode="updates", subgraphs=False)))
    app = create_supervisor(
        [math],
        model=ScriptedChat(
            responses=[
                ai("", call("transfer_to_math_expert", {}, "s1"), id="sa1"),
                ai("The answer is 5", id="sa2"),
            ]
        ),
        prompt="Route.",
    ).compile()
    record("supervisor_invoke", app.invoke(q("2+3?")))


@scenario
def swarm():
    from langgraph.prebuilt import create_react_agent
    from langgraph_swarm import create_handoff_tool, create_swarm

    alice = create_react_agent(
        ScriptedChat(responses=[ai("", call("transfer_to_bob", {}, "a1"), id="al1")]),
        [add, create_handoff_tool(agent_name="bob")],
        name="alice",
    )
    bob = create_react_agent(
        ScriptedChat(
            responses=[
                ai("", call("add", {"a": 1, "b": 1}, "b1"), id="bo1"),
                ai("2, says bob", id="bo2"),
            ]
        ),
        [add, create_handoff_tool(agent_name="alice")],
        name="bob",
    )
    app = create_swarm([alice, bob], default_active_agent="alice").compile(
        checkpointer=InMemorySaver()
    )
    cfg = {"configurable": {"thread_id": "s"}}
    out = app.invoke(q("1+1?"), cfg)
    record("swarm", {"out": out, "state": app.get_state(cfg)})


class Person(BaseModel):
    name: str
    age: int


@scenario
def trustcall_extract():
    from trustcall import create_extractor

    model = ScriptedChat(
        responses=[ai("", call("Person", {"name": "Ada", "age": 36}, "t1"), id="x1")]
    )
    extractor = create_extractor(model, tools=[Person], tool_choice="Person")
    out = extractor.invoke({"messages": [("user", "Ada is 36")]})
    record("trustcall_extract", {"responses": out["responses"], "messages": out["messages"]})
    # a first attempt that fails validation is repaired with a patch
    model = ScriptedChat(
        responses=[
            ai("", call("Person", {"name": "Ada", "age": "old"}, "t1"), id="x1"),
            ai(
                "",
                call(
                    "PatchFunctionErrors",
                    {
                        "json_doc_id": "t1",
                        "planned_edits": "fix age",
                        "patches": [{"op": "replace", "path": "/age", "value": 36}],
                    },
                    "p1",
                ),
                id="x2",
            ),
        ]
    )
    extractor = create_extractor(model, tools=[Person], tool_choice="Person")
    out = extractor.invoke({"messages": [("user", "Ada is 36")]})
    record("trustcall_repair", {"responses": out["responses"], "messages": out["messages"]})


dump()
