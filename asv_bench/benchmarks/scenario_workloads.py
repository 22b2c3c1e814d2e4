"""Single-configuration workloads of the investigation scripts (`SCENARIOS`):
interrupt/resume, state history, a message loop, create_react_agent. Built the same way
on LangGraph and on langgraph_jit, from the `Api` and `Workload` of workloads.py, which
also re-exports these names. No asv names (time_*, track_*) here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .workloads import Api, Workload, _checkpointer, graph_api_available

# -- workloads of the investigation scripts (SCENARIOS below) -------------------


def message_loop(api: Api, turns: int, saver: Any) -> Workload:
    """Low-level Pregel chat loop: each turn (one invoke on the same thread) appends
    a user message and a ~1 KB assistant reply to a `messages` reducer."""
    import uuid

    def reply(msgs):
        last = msgs[-1]
        return [
            {
                "role": "assistant",
                "id": str(uuid.uuid4()),
                "content": ("answer to " + last["content"]) * 30,
                "usage": {"in": 100, "out": 200},
            }
        ]

    wrap = lambda x: [x]
    nb = api.NodeBuilder
    checkpointer = _checkpointer(api, saver)
    graph = api.Pregel(
        nodes={
            "agent": nb().subscribe_only("inbox").do(wrap).write_to("messages"),
            "llm": nb().subscribe_only("messages").do(reply).write_to("replies"),
        },
        channels={
            "inbox": api.EphemeralValue(dict),
            "messages": api.BinaryOperatorAggregate(list, operator.add),
            "replies": api.Topic(dict, accumulate=True),
            "turns": api.LastValue(int),
        },
        input_channels="inbox",
        output_channels=["messages"],
        checkpointer=checkpointer,
    )
    inputs = [{"role": "user", "id": str(i), "content": f"question {i}"} for i in range(turns)]
    counter = iter(range(10**9))

    def run():
        cfg = (
            {"configurable": {"thread_id": f"t{next(counter)}"}} if checkpointer is not None else {}
        )
        for inp in inputs:
            out = graph.invoke(inp, cfg)
        return out

    def floor():
        msgs = []
        for inp in inputs:
            msgs += wrap(inp)
            msgs += reply(msgs)

    return Workload(
        f"message-loop-{turns}", run, 2 * turns, 2 * turns, "step", floor, graph, checkpointer
    )


def graph_interrupt_resume(api: Api) -> Workload:
    """A human-in-the-loop round trip on InMemorySaver: invoke a 2-node StateGraph
    until `interrupt()`, then resume it with Command(resume=...), on a fresh thread."""
    from typing import Annotated, TypedDict

    g = api.graph()
    types = api.module("types")
    State = TypedDict("State", {"i": int, "log": Annotated[list, operator.add]})  # noqa: UP013

    def ask(state):
        answer = types.interrupt({"question": "approve?", "i": state["i"]})
        return {"log": [answer]}

    def done(state):
        return {"i": state["i"] + 1}

    builder = g.StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_node("done", done)
    builder.add_edge(g.START, "ask")
    builder.add_edge("ask", "done")
    checkpointer = api.InMemorySaver()
    graph = builder.compile(checkpointer=checkpointer)
    counter = iter(range(10**9))

    def run():
        cfg = {"configurable": {"thread_id": f"h{next(counter)}"}}
        out = graph.invoke({"i": 0, "log": []}, cfg)
        assert "__interrupt__" in out, out
        out = graph.invoke(types.Command(resume="yes"), cfg)
        assert out == {"i": 1, "log": ["yes"]}, out
        return out

    return Workload("interrupt-resume", run, 3, 3, "step", lambda: None, graph, checkpointer)


def graph_state_history(api: Api, steps: int) -> Workload:
    """get_state_history over a thread of `steps` supersteps (run once at build time)."""
    from typing import Annotated, TypedDict

    g = api.graph()
    State = TypedDict("State", {"i": int, "log": Annotated[list, operator.add]})  # noqa: UP013

    def step(state):
        return {"i": state["i"] + 1, "log": [state["i"]]}

    def route(state):
        return g.END if state["i"] >= steps else "step"

    builder = g.StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(g.START, "step")
    builder.add_conditional_edges("step", route)
    checkpointer = api.InMemorySaver()
    graph = builder.compile(checkpointer=checkpointer)
    cfg = {"configurable": {"thread_id": "long"}}
    graph.invoke({"i": 0, "log": []}, {**cfg, "recursion_limit": steps + 50})

    def run():
        snaps = list(graph.get_state_history(cfg))
        # input checkpoint + the START step + one per superstep
        assert len(snaps) == steps + 2, len(snaps)
        return snaps

    return Workload(
        f"state-history-{steps}", run, steps, steps, "step", lambda: None, graph, checkpointer
    )


def react_agent(api: Api, turns: int, saver: Any) -> Workload:
    """`<pkg>.prebuilt.create_react_agent` with a scripted chat model and two tools:
    one run is a `turns`-turn conversation (each turn: the model calls both tools,
    then answers). Without a checkpointer the caller carries the messages across
    turns; with one, the turns share a fresh thread. The floor is not separated
    (0): model and tools run inside LangChain's Runnable machinery."""
    import warnings

    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.tools import tool
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from pydantic import PrivateAttr

    class Scripted(BaseChatModel):
        _n: list = PrivateAttr(default_factory=lambda: [0])

        @property
        def _llm_type(self):
            return "scripted"

        def _generate(self, messages, stop=None, run_manager=None, **kw):
            i = self._n[0]
            self._n[0] += 1
            if i % 2 == 0:
                calls = [
                    {"name": "add", "args": {"a": i, "b": 1}, "id": f"a{i}", "type": "tool_call"},
                    {
                        "name": "weather",
                        "args": {"city": "Oslo"},
                        "id": f"w{i}",
                        "type": "tool_call",
                    },
                ]
                msg = AIMessage("", tool_calls=calls)
            else:
                msg = AIMessage(f"answer {i}")
            return ChatResult(generations=[ChatGeneration(message=msg)])

        def bind_tools(self, tools, **kw):
            return self.bind(tools=[convert_to_openai_tool(t) for t in tools])

    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    @tool
    def weather(city: str) -> str:
        """Weather."""
        return "sunny in " + city

    model = Scripted()
    checkpointer = _checkpointer(api, saver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_react_agent is deprecated in LangGraph 1.x
        create_react_agent = api.module("prebuilt").create_react_agent
        agent = create_react_agent(model, [add, weather], checkpointer=checkpointer)
    counter = iter(range(10**9))

    def run():
        model._n[0] = 0
        cfg = (
            {"configurable": {"thread_id": f"t{next(counter)}"}} if checkpointer is not None else {}
        )
        messages: list = []
        for turn in range(turns):
            msg = [HumanMessage(f"turn {turn}")]
            if checkpointer is not None:
                out = agent.invoke({"messages": msg}, cfg)
            else:
                out = agent.invoke({"messages": messages + msg})
                messages = list(out["messages"])
        assert len(out["messages"]) == 5 * turns, len(out["messages"])
        return out

    name = f"react-agent-{turns}" + ("-saver" if checkpointer is not None else "")
    return Workload(name, run, 3 * turns, 4 * turns, "step", lambda: None, agent, checkpointer)


# Single-configuration workloads of the investigation scripts (also timed by the
# asv suite): name -> (builder(api), needs StateGraph).
SCENARIOS: dict[str, tuple[Callable[[Api], Workload], bool]] = {
    "interrupt-resume": (graph_interrupt_resume, True),
    "state-history-200": (lambda api: graph_state_history(api, 200), True),
    "message-loop-30": (lambda api: message_loop(api, 30, True), False),
    "react-agent-10": (lambda api: react_agent(api, 10, False), True),
    "react-agent-10-saver": (lambda api: react_agent(api, 10, True), True),
}


def build_scenario(engine: str, name: str) -> Workload:
    """Build `SCENARIOS[name]` on `engine`, as `workloads.build` does."""
    builder, needs_graph = SCENARIOS[name]
    api = Api(engine)
    if needs_graph and not graph_api_available(api.pkg):
        raise NotImplementedError(f"{api.pkg}.graph (StateGraph) is not available yet")
    return builder(api)
