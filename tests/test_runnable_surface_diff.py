"""A compiled graph as a LangChain Runnable, compared with LangGraph: schemas, the
Runnable methods (map, pipe, bind, retry, transform, astream_events), the runs
LangChain callbacks record, trace policies, and what can be a node."""

import asyncio
import contextlib
import dataclasses
import operator
import subprocess
import sys
import types
import warnings
from typing import Annotated, Any
from unittest import mock

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tracers import BaseTracer
from pydantic import BaseModel
from typing_extensions import TypedDict

import langgraph_jit.channels as jit_channels
import langgraph_jit.checkpoint.memory as jit_memory
import langgraph_jit.func as jit_func
import langgraph_jit.graph as jit_graph
import langgraph_jit.pregel as jit_pregel
import langgraph_jit.types as jit_types

lg_channels = pytest.importorskip("langgraph.channels")
import langgraph.checkpoint.memory as lg_memory  # noqa: E402
import langgraph.func as lg_func  # noqa: E402
import langgraph.graph as lg_graph  # noqa: E402
import langgraph.pregel as lg_pregel  # noqa: E402
import langgraph.types as lg_types  # noqa: E402


def _backend(graph: Any, pregel: Any, channels: Any, types_: Any, memory: Any, func: Any) -> Any:
    return types.SimpleNamespace(
        StateGraph=graph.StateGraph,
        START=graph.START,
        END=graph.END,
        MessagesState=graph.MessagesState,
        Pregel=pregel.Pregel,
        NodeBuilder=pregel.NodeBuilder,
        LastValue=channels.LastValue,
        EphemeralValue=channels.EphemeralValue,
        Send=types_.Send,
        Command=types_.Command,
        interrupt=types_.interrupt,
        TracePolicy=types_.TracePolicy,
        InMemorySaver=memory.InMemorySaver,
        entrypoint=func.entrypoint,
        task=func.task,
    )


LG = _backend(lg_graph, lg_pregel, lg_channels, lg_types, lg_memory, lg_func)
JIT = _backend(jit_graph, jit_pregel, jit_channels, jit_types, jit_memory, jit_func)


def both(build: Any) -> tuple[Any, Any]:
    return build(LG), build(JIT)


class State(TypedDict):
    v: Annotated[list, operator.add]


class Recorder(BaseTracer):
    """Keeps finished root runs."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[Any] = []

    def _persist_run(self, run: Any) -> None:
        self.runs.append(run)


_METADATA_SHOWN = ("langgraph_step", "langgraph_node", "thread_id", "ls_integration")


def tree(run: Any) -> tuple:
    """A run as comparable data (children in start order)."""
    metadata = (run.extra or {}).get("metadata", {})
    children = sorted(run.child_runs, key=lambda c: (c.start_time, c.name))
    return (
        run.name,
        run.run_type,
        list(run.tags or ()),
        {k: metadata[k] for k in _METADATA_SHOWN if k in metadata},
        # By repr: Send, Command and Interrupt of the two packages never compare equal.
        repr(run.inputs),
        repr(run.outputs),
        (run.error or "").split("(")[0],
        [tree(c) for c in children],
    )


def traced_trees(run: Any) -> list[tuple]:
    recorder = Recorder()
    run({"callbacks": [recorder]})
    return [tree(r) for r in recorder.runs]


# ---------------------------------------------------------------- import cost


def test_import_does_not_load_langchain() -> None:
    code = (
        "import sys, langgraph_jit, langgraph_jit.graph, langgraph_jit.func\n"
        "from langgraph_jit.graph import StateGraph\n"
        "assert 'langchain_core' not in sys.modules, 'langchain_core imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- schemas


def _pregel(b: Any) -> Any:
    return b.Pregel(
        nodes={
            "one": b.NodeBuilder().subscribe_only("input").do(lambda x: x + 1).write_to("output")
        },
        channels={"input": b.LastValue(int), "output": b.LastValue(int)},
        input_channels="input",
        output_channels="output",
    )


def _pregel_many(b: Any) -> Any:
    @dataclasses.dataclass
    class Ctx:
        x: int
        y: str = "foo"

    return b.Pregel(
        nodes={"one": b.NodeBuilder().subscribe_to("input").do(lambda x: 1).write_to("output")},
        channels={
            "input": b.LastValue(int),
            "extra": b.EphemeralValue(Any),
            "output": b.LastValue(int),
        },
        input_channels=["input", "extra"],
        output_channels=["output"],
        context_schema=Ctx,
    )


class PState(BaseModel):
    name: str
    count: int = 0


@dataclasses.dataclass
class DState:
    name: str
    items: Annotated[list[str], operator.add] = dataclasses.field(default_factory=list)
    note: str | None = None


class TDState(TypedDict, total=False):
    a: int
    b: Annotated[list[int], operator.add]


class OnlyOut(TypedDict):
    a: int


def _state_graph(schema: Any, output: Any = None) -> Any:
    def build(b: Any) -> Any:
        g = b.StateGraph(schema, output_schema=output)
        g.add_node("n", lambda s: {})
        g.add_edge(b.START, "n")
        return g.compile()

    return build


@pytest.mark.parametrize(
    "build",
    [
        _pregel,
        _pregel_many,
        _state_graph(PState),
        _state_graph(DState),
        _state_graph(TDState),
        _state_graph(TDState, OnlyOut),
        _state_graph(Annotated[list[str], operator.add]),
    ],
    ids=["pregel", "pregel_many", "pydantic", "dataclass", "typeddict", "output", "root"],
)
def test_schemas(build: Any) -> None:
    lg, jit = both(build)
    assert jit.get_input_jsonschema() == lg.get_input_jsonschema()
    assert jit.get_output_jsonschema() == lg.get_output_jsonschema()
    assert jit.input_schema.model_json_schema() == lg.input_schema.model_json_schema()
    assert jit.output_schema.model_json_schema() == lg.output_schema.model_json_schema()
    assert jit.get_context_jsonschema() == lg.get_context_jsonschema()
    assert jit.InputType == lg.InputType
    assert jit.OutputType == lg.OutputType
    assert jit.config_specs == lg.config_specs


def test_deprecated_config_schema() -> None:
    lg, jit = both(_pregel_many)
    for name in ("config_schema", "get_config_jsonschema"):
        with warnings.catch_warnings(record=True) as lg_w:
            warnings.simplefilter("always")
            lg_value = getattr(lg, name)(include=["tags"])
        with warnings.catch_warnings(record=True) as jit_w:
            warnings.simplefilter("always")
            jit_value = getattr(jit, name)(include=["tags"])
        if name == "config_schema":
            lg_value, jit_value = lg_value.model_json_schema(), jit_value.model_json_schema()
        assert jit_value == lg_value
        assert [str(w.message) for w in jit_w] == [str(w.message) for w in lg_w]
        assert [w.category.__name__ for w in jit_w] == [w.category.__name__ for w in lg_w]


def test_entrypoint_schemas() -> None:
    def build(b: Any) -> Any:
        @b.entrypoint()
        def wf(numbers: list[int], *, previous: Any) -> b.entrypoint.final[str, int]:
            return b.entrypoint.final(value="x", save=1)

        return wf

    lg, jit = both(build)
    assert jit.name == lg.name
    assert jit.get_input_jsonschema() == lg.get_input_jsonschema()
    assert jit.get_output_jsonschema() == lg.get_output_jsonschema()


# ---------------------------------------------------------------- Runnable methods


def _counter(b: Any) -> Any:
    g = b.StateGraph(State)
    g.add_node("a", lambda s: {"v": ["a"]})
    g.add_edge(b.START, "a")
    return g.compile()


def test_runnable_methods() -> None:
    lg, jit = both(_counter)
    inputs = [{"v": [1]}, {"v": [2]}]
    assert jit.map().invoke(inputs) == lg.map().invoke(inputs)
    assert jit.pipe(lambda s: len(s["v"])).invoke(inputs[0]) == 2
    assert (RunnableLambda(lambda x: {"v": [x]}) | jit).invoke(0) == {"v": [0, "a"]}
    assert jit.with_retry(stop_after_attempt=2).invoke(inputs[0]) == lg.invoke(inputs[0])
    assert jit.bind(stream_mode="updates").invoke(inputs[0]) == lg.bind(
        stream_mode="updates"
    ).invoke(inputs[0])
    assert list(jit.transform(iter(inputs[:1]))) == list(lg.transform(iter(inputs[:1])))
    assert jit.batch(inputs) == lg.batch(inputs)
    assert jit.with_config(tags=["t"]).invoke(inputs[0]) == lg.invoke(inputs[0])
    with pytest.raises(AttributeError):
        jit.no_such_method  # noqa: B018


def test_graph_as_node_of_a_chain_in_a_graph() -> None:
    def build(b: Any) -> Any:
        inner = _counter(b)
        chain = RunnableLambda(lambda s: {"v": s["v"]}) | inner
        g = b.StateGraph(State)
        g.add_node("outer", chain)
        g.add_edge(b.START, "outer")
        return g.compile()

    lg, jit = both(build)
    assert jit.invoke({"v": [0]}) == lg.invoke({"v": [0]})
    assert traced_trees(lambda c: jit.invoke({"v": [0]}, c)) == traced_trees(
        lambda c: lg.invoke({"v": [0]}, c)
    )


# ---------------------------------------------------------------- traced runs


def _routed(b: Any) -> Any:
    def route(s: State) -> str:
        return "b" if len(s["v"]) < 3 else b.END

    sub = b.StateGraph(State)
    sub.add_node("sa", lambda s: {"v": ["sa"]})
    sub.add_edge(b.START, "sa")
    g = b.StateGraph(State)
    g.add_node("a", lambda s: {"v": ["a"]})
    g.add_node("b", lambda s: {"v": ["b"]})
    g.add_node("sub", sub.compile())
    g.add_edge(b.START, "a")
    g.add_conditional_edges("a", route)
    g.add_edge("b", "sub")
    g.add_edge("sub", "a")
    return g.compile()


def _sends_and_failure(b: Any) -> Any:
    def fan(s: State) -> list:
        return [b.Send("b", {"v": ["x"]})]

    def fail(s: State) -> dict:
        raise ValueError("boom")

    g = b.StateGraph(State)
    g.add_node("b", lambda s: {"v": s["v"]})
    g.add_node("c", fail)
    g.add_conditional_edges(b.START, fan)
    g.add_edge("b", "c")
    return g.compile()


@pytest.mark.parametrize(
    "config", [{}, {"tags": ["t"], "metadata": {"m": 1}, "run_name": "R"}], ids=["plain", "named"]
)
def test_traced_runs_of_a_graph(config: dict) -> None:
    lg, jit = both(_routed)
    assert traced_trees(lambda c: jit.invoke({"v": []}, {**config, **c})) == traced_trees(
        lambda c: lg.invoke({"v": []}, {**config, **c})
    )
    assert traced_trees(
        lambda c: list(jit.stream({"v": []}, {**config, **c}, stream_mode="updates"))
    ) == traced_trees(lambda c: list(lg.stream({"v": []}, {**config, **c}, stream_mode="updates")))


def test_traced_runs_of_a_failing_graph() -> None:
    def run(graph: Any) -> Any:
        def go(config: dict) -> None:
            with pytest.raises(ValueError):
                graph.invoke({"v": []}, config)

        return go

    lg, jit = both(_sends_and_failure)
    assert traced_trees(run(jit)) == traced_trees(run(lg))


def test_traced_runs_with_interrupt_and_resume() -> None:
    def build(b: Any) -> Any:
        def ask(s: State) -> dict:
            return {"v": [b.interrupt("q")]}

        g = b.StateGraph(State)
        g.add_node("a", lambda s: {"v": ["a"]})
        g.add_node("ask", ask)
        g.add_edge(b.START, "a")
        g.add_edge("a", "ask")
        return g.compile(checkpointer=b.InMemorySaver()), b.Command

    def run(pair: Any) -> Any:
        graph, command = pair

        def go(config: dict) -> None:
            config = {**config, "configurable": {"thread_id": "1"}}
            graph.invoke({"v": []}, config)
            graph.invoke(command(resume="yes"), config)

        return go

    lg, jit = both(build)
    lg_trees, jit_trees = traced_trees(run(lg)), traced_trees(run(jit))
    assert jit_trees == lg_trees


def test_traced_runs_of_tasks() -> None:
    def build(b: Any) -> Any:
        @b.task
        def double(x: int, *, factor: int = 2) -> int:
            return factor * x

        @b.entrypoint(checkpointer=b.InMemorySaver())
        def wf(n: int) -> int:
            return double(n).result() + double(n + 1, factor=3).result()

        return wf

    lg, jit = both(build)
    config = {"configurable": {"thread_id": "1"}}
    assert traced_trees(lambda c: jit.invoke(3, {**config, **c})) == traced_trees(
        lambda c: lg.invoke(3, {**config, **c})
    )


def test_traced_async_runs() -> None:
    def build(b: Any) -> Any:
        async def a(s: State) -> dict:
            return {"v": ["a"]}

        async def route(s: State) -> str:
            return b.END

        g = b.StateGraph(State)
        g.add_node("a", a)
        g.add_edge(b.START, "a")
        g.add_conditional_edges("a", route)
        return g.compile()

    lg, jit = both(build)

    def run(graph: Any) -> Any:
        return lambda c: asyncio.run(graph.ainvoke({"v": []}, c))

    assert traced_trees(run(jit)) == traced_trees(run(lg))


def test_callbacks_reach_nodes_and_models() -> None:
    def build(b: Any) -> Any:
        model = FakeMessagesListChatModel(responses=[AIMessage("hi", id="ai")])

        def chat(state: Any, config: RunnableConfig) -> dict:
            return {"messages": [model.invoke(state["messages"], config)]}

        g = b.StateGraph(b.MessagesState)
        g.add_node("chat", chat)
        g.add_edge(b.START, "chat")
        return g.compile()

    lg, jit = both(build)
    inputs = {"messages": [HumanMessage("q", id="h")]}
    jit_trees = traced_trees(lambda c: jit.invoke(inputs, c))
    assert jit_trees == traced_trees(lambda c: lg.invoke(inputs, c))
    assert jit_trees[0][7][0][7][0][0] == "FakeMessagesListChatModel"


def _event_names(events: list[dict]) -> list[tuple]:
    return [(e["event"], e["name"], e["tags"], len(e["parent_ids"])) for e in events]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_astream_events(version: str) -> None:
    async def collect(graph: Any) -> list[dict]:
        return [e async for e in graph.astream_events({"v": []}, version=version)]

    lg, jit = both(_routed)
    lg_events, jit_events = asyncio.run(collect(lg)), asyncio.run(collect(jit))
    assert _event_names(jit_events) == _event_names(lg_events)
    assert [e["data"] for e in jit_events] == [e["data"] for e in lg_events]


def test_astream_log() -> None:
    async def collect(graph: Any) -> Any:
        state = None
        async for patch in graph.astream_log({"v": []}, diff=False):
            state = patch
        return state.state["final_output"], sorted(state.state["logs"])

    lg, jit = both(_counter)
    assert asyncio.run(collect(jit)) == asyncio.run(collect(lg))


def test_astream_log_of_a_sequence_node() -> None:
    from langchain_core.language_models.fake import FakeStreamingListLLM
    from langchain_core.prompts import PromptTemplate

    class Doc(TypedDict):
        input: str
        out: str

    def build(b: Any) -> Any:
        llm = FakeStreamingListLLM(responses=["a:b"])
        agent = PromptTemplate.from_template("Hello!") | llm | (lambda s: {"out": s})
        g = b.StateGraph(Doc)
        g.add_node("agent", agent)
        g.add_edge(b.START, "agent")
        return g.compile()

    async def collect(graph: Any) -> list:
        ops = []
        async for log in graph.astream_log({"input": "x"}):
            for op in log.ops:
                if op["path"].endswith("final_output"):
                    ops.append((op["path"], repr(op["value"])))
                elif op["path"].startswith("/logs/") and op["path"].count("/") == 2:
                    ops.append((op["path"], op["value"]["name"], op["value"]["tags"]))
        return ops

    lg, jit = both(build)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert asyncio.run(collect(jit)) == asyncio.run(collect(lg))


# ---------------------------------------------------------------- trace policies


def test_trace_policy() -> None:
    def build(b: Any) -> Any:
        policy = b.TracePolicy(
            process_inputs=lambda _: {"recorded": "in"},
            process_outputs=lambda _: {"recorded": "out"},
        )
        g = b.StateGraph(State)
        g.add_node("n", lambda s: {"v": ["n"]}, trace_policy=policy)
        g.add_edge(b.START, "n")
        return g.compile()

    lg, jit = both(build)
    jit_trees = traced_trees(lambda c: jit.invoke({"v": []}, c))
    assert jit_trees == traced_trees(lambda c: lg.invoke({"v": []}, c))
    assert jit_trees[0][7][0][4:6] == (repr({"recorded": "in"}), repr({"recorded": "out"}))


def test_runnable_seq() -> None:
    from langgraph._internal._runnable import RunnableSeq as LgSeq

    from langgraph_jit._internal._runnable import RunnableSeq as JitSeq

    def run(seq_cls: Any, policy_cls: Any) -> Any:
        seq = seq_cls(
            lambda x: x + 1,
            RunnableLambda(lambda x: x * 2),
            name="seq",
            trace_policy=policy_cls(process_outputs=lambda o: {"out": "hidden"}),
        )
        return lambda c: seq.invoke(1, c)

    assert traced_trees(run(JitSeq, jit_types.TracePolicy)) == traced_trees(
        run(LgSeq, lg_types.TracePolicy)
    )


# ---------------------------------------------------------------- what can be a node


def test_mock_nodes_are_called_as_functions() -> None:
    def build(b: Any) -> tuple[Any, Any]:
        add_one = mock.Mock(side_effect=lambda x: x + 1)
        app = b.Pregel(
            nodes={"one": b.NodeBuilder().subscribe_only("input").do(add_one).write_to("output")},
            channels={"input": b.LastValue(int), "output": b.LastValue(int)},
            input_channels="input",
            output_channels="output",
        )
        return app, add_one

    (lg, lg_mock), (jit, jit_mock) = both(build)
    assert jit.invoke(2) == lg.invoke(2) == 3
    assert asyncio.run(jit.ainvoke(2)) == asyncio.run(lg.ainvoke(2)) == 3
    assert jit_mock.call_count == lg_mock.call_count == 2


def test_dict_node_runs_as_runnable_parallel() -> None:
    def build(b: Any) -> Any:
        g = b.StateGraph(State)
        g.add_node("n", {"v": RunnableLambda(lambda s: [len(s["v"])])})
        g.add_edge(b.START, "n")
        return g.compile()

    lg, jit = both(build)
    assert jit.invoke({"v": [0]}) == lg.invoke({"v": [0]})
    assert asyncio.run(jit.ainvoke({"v": [0]})) == asyncio.run(lg.ainvoke({"v": [0]}))


def test_branch_sees_keys_the_node_returned() -> None:
    def build(b: Any) -> Any:
        seen = []

        def route(data: dict) -> str:
            seen.append(data.get("extra"))
            return b.END

        g = b.StateGraph(State)
        g.add_node("a", lambda s: {"v": ["a"], "extra": "x"})
        g.add_edge(b.START, "a")
        g.add_conditional_edges("a", route)
        return g.compile(), seen

    (lg, lg_seen), (jit, jit_seen) = both(build)
    assert jit.invoke({"v": []}) == lg.invoke({"v": []})
    assert jit_seen == lg_seen == ["x"]


def test_aupdate_state_runs_async_branches() -> None:
    def build(b: Any) -> Any:
        async def route(s: State) -> str:
            return "b"

        g = b.StateGraph(State)
        g.add_node("a", lambda s: {"v": ["a"]})
        g.add_node("b", lambda s: {"v": ["b"]})
        g.add_edge(b.START, "a")
        g.add_conditional_edges("a", route, ["b"])
        return g.compile(checkpointer=b.InMemorySaver())

    async def run(graph: Any) -> Any:
        config = {"configurable": {"thread_id": "1"}}
        await graph.aupdate_state(config, {"v": ["x"]}, as_node="a")
        return (await graph.aget_state(config)).next

    lg, jit = both(build)
    assert asyncio.run(run(jit)) == asyncio.run(run(lg)) == ("b",)


def test_drawn_ids_of_prebuilt_nodes() -> None:
    import langgraph.prebuilt as lg_prebuilt
    from langchain_core.tools import tool

    import langgraph_jit.prebuilt as jit_prebuilt

    @tool
    def search(query: str) -> str:
        """Searches."""
        return query

    def build(b: Any, prebuilt: Any) -> Any:
        g = b.StateGraph(b.MessagesState)
        g.add_node("tools", prebuilt.ToolNode([search]))
        g.add_edge(b.START, "tools")
        return g.compile()

    lg, jit = build(LG, lg_prebuilt), build(JIT, jit_prebuilt)
    assert jit.get_graph().to_json() == lg.get_graph().to_json()


def test_graph_called_by_langchain_code_is_a_child_run() -> None:
    def build(b: Any) -> tuple[Any, Any]:
        graph = _counter(b)

        async def acall(x: Any) -> Any:
            return await graph.ainvoke(x)

        return RunnableLambda(lambda x: graph.invoke(x)), RunnableLambda(acall)

    (lg, lg_async), (jit, jit_async) = both(build)
    assert traced_trees(lambda c: jit.invoke({"v": [0]}, c)) == traced_trees(
        lambda c: lg.invoke({"v": [0]}, c)
    )
    assert traced_trees(lambda c: asyncio.run(jit_async.ainvoke({"v": [0]}, c))) == traced_trees(
        lambda c: asyncio.run(lg_async.ainvoke({"v": [0]}, c))
    )


def test_traced_runs_of_an_interrupted_subgraph() -> None:
    def build(b: Any) -> Any:
        def ask(s: State) -> dict:
            return {"v": [b.interrupt("q")]}

        sub = b.StateGraph(State)
        sub.add_node("ask", ask)
        sub.add_edge(b.START, "ask")
        g = b.StateGraph(State)
        g.add_node("sub", sub.compile())
        g.add_edge(b.START, "sub")
        return g.compile(checkpointer=b.InMemorySaver()), b.Command

    def run(pair: Any) -> Any:
        graph, command = pair

        def go(config: dict) -> None:
            config = {**config, "configurable": {"thread_id": "1"}}
            graph.invoke({"v": []}, config)
            graph.invoke(command(resume="x"), config)

        return go

    lg, jit = both(build)
    assert traced_trees(run(jit)) == traced_trees(run(lg))


def test_traced_messages_stream() -> None:
    def build(b: Any) -> Any:
        model = FakeMessagesListChatModel(responses=[AIMessage("hi", id="ai")])

        def chat(state: Any) -> dict:
            return {"messages": [model.invoke(state["messages"])]}

        g = b.StateGraph(b.MessagesState)
        g.add_node("chat", chat)
        g.add_edge(b.START, "chat")
        return g.compile()

    lg, jit = both(build)
    inputs = {"messages": [HumanMessage("q", id="h")]}
    chunks: dict[str, list] = {"lg": [], "jit": []}

    def run(graph: Any, key: str) -> Any:
        def go(config: dict) -> None:
            for message, metadata in graph.stream(inputs, config, stream_mode="messages"):
                chunks[key].append((message.content, metadata["langgraph_node"]))

        return go

    assert traced_trees(run(jit, "jit")) == traced_trees(run(lg, "lg"))
    assert chunks["jit"] == chunks["lg"] == [("hi", "chat")]


def test_astream_events_of_tasks() -> None:
    def build(b: Any) -> Any:
        @b.task()
        async def double(n: int) -> int:
            await asyncio.sleep(0.01)
            return 2 * n

        @b.task()
        async def fail(n: int) -> int:
            await asyncio.sleep(0.01)
            raise ValueError("no")

        @b.entrypoint(checkpointer=b.InMemorySaver())
        async def wf(n: int) -> str:
            await double(n)
            with contextlib.suppress(ValueError):
                await fail(n)
            await double(n)
            return "done"

        return wf

    async def collect(graph: Any) -> list:
        config = {"configurable": {"thread_id": "1"}}
        return [
            (e["event"], e["name"], e["tags"], repr(e["data"]))
            async for e in graph.astream_events(1, config, version="v2")
        ]

    lg, jit = both(build)
    assert asyncio.run(collect(jit)) == asyncio.run(collect(lg))
