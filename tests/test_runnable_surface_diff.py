"""A compiled graph as a LangChain Runnable, compared with LangGraph: schemas, the
Runnable methods (map, pipe, bind, retry, transform), and what can be a node."""

import asyncio
import dataclasses
import operator
import subprocess
import sys
import warnings
from typing import Annotated, Any
from unittest import mock

import pytest
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel
from typing_extensions import TypedDict

from _runnable_diff_common import (
    JIT,
    LG,
    State,
    _counter,
    both,
    traced_trees,
)

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
