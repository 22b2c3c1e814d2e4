"""LangChain callbacks of graph runs compared with LangGraph: the runs a tracer
records (graph, tasks, conditional edges, task calls), astream_events, astream_log,
trace policies and LangSmith's current run inside a node."""

import asyncio
import contextlib
import warnings
from typing import Any
from unittest import mock

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from typing_extensions import TypedDict

import langgraph_jit.types as jit_types
from _runnable_diff_common import (
    State,
    _counter,
    _routed,
    both,
    lg_types,
    traced_trees,
)

# ---------------------------------------------------------------- traced runs


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


def test_langsmith_run_tree_inside_a_node() -> None:
    import langsmith
    from langsmith.run_helpers import get_current_run_tree

    class Doc(TypedDict):
        run: Any

    def build(b: Any) -> Any:
        def node(state: Doc) -> dict:
            tree = get_current_run_tree()
            return {"run": None if tree is None else tree.name}

        g = b.StateGraph(Doc)
        g.add_node("node", node)
        g.add_edge(b.START, "node")
        return g.compile()

    def run(graph: Any) -> Any:
        with (
            mock.patch("langsmith.client.Client", spec=langsmith.Client) as client,
            mock.patch("langchain_core.tracers.langchain.get_client") as get_client,
        ):
            get_client.return_value = client
            with langsmith.tracing_context(enabled=True):
                return graph.invoke({"run": None})

    lg, jit = both(build)
    assert run(jit) == run(lg) == {"run": "node"}
