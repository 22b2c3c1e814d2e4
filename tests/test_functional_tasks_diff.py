"""Functional API task calls and state updates compared with LangGraph: the
debug/tasks events of task calls (also when a resumed run answers a call from
its saved writes), task names, a UUID thread id as savers and streams show it,
pydantic/dataclass objects as a Command's update, and the prebuilt agent
states' schemas."""

import dataclasses
import functools
import uuid
import warnings
from typing import Any

import langgraph.func as lg_func
import langgraph.graph as lg_graph
import langgraph.types as lg_types
import pytest
from langgraph.checkpoint.memory import InMemorySaver as LgInMemorySaver
from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypedDict

import langgraph_jit.func as jit_func
import langgraph_jit.graph as jit_graph
import langgraph_jit.types as jit_types
from diff_helpers import arun, collect_astream, collect_stream, normalise
from langgraph_jit.checkpoint.memory import InMemorySaver as JitInMemorySaver

IMPLS = {
    "lg": (lg_func, lg_graph, lg_types, LgInMemorySaver),
    "jit": (jit_func, jit_graph, jit_types, JitInMemorySaver),
}


def both(observe: Any) -> tuple[Any, Any]:
    """`observe(func, graph, types, saver class)` run on LangGraph and on ours, normalised."""
    return tuple(normalise(observe(*IMPLS[name])) for name in ("lg", "jit"))


# ------------------------------------------------------- task calls in streams


def _interrupting_workflow(func: Any, types: Any, saver: Any, returned: Any) -> Any:
    @func.task
    def step() -> Any:
        return returned

    @func.entrypoint(checkpointer=saver())
    def graph(state: dict) -> dict:
        step().result()
        types.interrupt("test")
        return {"done": True}

    return graph


@pytest.mark.parametrize("returned", [False, 0, "", None, 7], ids=repr)
@pytest.mark.parametrize("durability", ["exit", "sync", "async"])
@pytest.mark.parametrize("mode", ["debug", "tasks", ["debug", "checkpoints", "updates"]], ids=str)
def test_task_call_events_across_a_resume(returned: Any, durability: str, mode: Any) -> None:
    def observe(func: Any, graph: Any, types: Any, saver: Any) -> list:
        app = _interrupting_workflow(func, types, saver, returned)
        config = {"configurable": {"thread_id": "t"}}
        return [
            collect_stream(
                lambda: app.stream({"a": 5}, config, stream_mode=mode, durability=durability)
            ),
            collect_stream(
                lambda: app.stream(
                    types.Command(resume="r"), config, stream_mode=mode, durability=durability
                )
            ),
        ]

    lg, jit = both(observe)
    assert jit == lg


@pytest.mark.parametrize("durability", ["exit", "sync"])
def test_task_call_events_across_a_resume_async(durability: str) -> None:
    def observe(func: Any, graph: Any, types: Any, saver: Any) -> list:
        app = _interrupting_workflow(func, types, saver, False)
        config = {"configurable": {"thread_id": "t"}}
        return [
            collect_astream(
                lambda: app.astream({"a": 5}, config, stream_mode="debug", durability=durability)
            ),
            collect_astream(
                lambda: app.astream(
                    types.Command(resume="r"), config, stream_mode="debug", durability=durability
                )
            ),
        ]

    lg, jit = both(observe)
    assert jit == lg


def test_uuid_thread_id_is_shown_as_a_string() -> None:
    class S(TypedDict):
        a: int

    thread = uuid.UUID("12345678-1234-5678-1234-567812345678")

    def observe(func: Any, graph: Any, types: Any, saver: Any) -> dict:
        app = (
            graph.StateGraph(S)
            .add_node("n", lambda s: {"a": s["a"] + 1})
            .add_edge(graph.START, "n")
            .compile(checkpointer=saver())
        )
        config = {"configurable": {"thread_id": thread}}
        streamed = collect_stream(
            lambda: app.stream({"a": 1}, config, stream_mode=["checkpoints", "debug"])
        )
        state = app.get_state(config)
        return {
            "streamed": streamed,
            "state": (state.values, state.config),
            "listed": [c.config for c in app.checkpointer.list(None)],
            "again": app.invoke({"a": 5}, config),
        }

    lg, jit = both(observe)
    assert jit == lg


# ---------------------------------------------------------------- task names


def test_task_names() -> None:
    class Holder:
        def method(self, value: str) -> str:
            return value + "|method"

        def __call__(self, value: str) -> str:
            return value + "|call"

    def joined(suffix: str, value: str) -> str:
        return value + "|" + suffix

    def observe(func: Any, graph: Any, types: Any, saver: Any) -> Any:
        h = Holder()
        tasks = [
            func.task(h.method),
            func.task(h.method, name="named_method"),
            func.task(functools.partial(joined, "p")),
            func.task(functools.partial(functools.partial(joined), "pp")),
            func.task(functools.partial(joined, "np"), name="named_partial"),
            func.task(Holder(), name="named_callable"),
            func.task(Holder()),
            func.task(lambda value: value + "|lambda"),
        ]

        @func.entrypoint()
        def workflow(value: str) -> str:
            for t in tasks:
                value = t(value).result()
            return value

        return [
            [getattr(t, "__name__", None) for t in tasks],
            list(workflow.stream("", stream_mode="updates")),
        ]

    lg, jit = both(observe)
    assert jit == lg


def test_task_names_async() -> None:
    def joined(suffix: str, value: str) -> str:
        return value + "|" + suffix

    def observe(func: Any, graph: Any, types: Any, saver: Any) -> Any:
        first = func.task(functools.partial(joined, "a"))
        second = func.task(functools.partial(joined, "b"), name="second")

        @func.entrypoint()
        async def workflow(value: str) -> str:
            return await second(await first(value))

        return arun(lambda: _achunks(workflow.astream("", stream_mode="updates")))

    lg, jit = both(observe)
    assert jit == lg


async def _achunks(stream: Any) -> list:
    return [c async for c in stream]


# ------------------------------------------------- objects as a Command update


class Optional2(BaseModel):
    foo: str | None = None
    bar: str | None = None


class Required1(BaseModel):
    foo: str | None


@dataclasses.dataclass
class Pair:
    foo: str | None = None
    bar: str | None = None


@pytest.mark.parametrize(
    ("schema", "start", "first", "second"),
    [
        (Optional2, Optional2(), Optional2(foo="foo"), Optional2(bar="bar")),
        (Optional2, Optional2(foo="x"), Optional2(bar="b"), Optional2(foo=None)),
        (Required1, {"foo": ""}, Required1(foo="f"), Required1(foo=None)),
        (Pair, Pair(foo="x"), Pair(bar="b"), Pair(foo=None, bar="c")),
    ],
    ids=["pydantic-defaults", "pydantic-set-none", "pydantic-required", "dataclass"],
)
def test_object_as_command_update(schema: Any, start: Any, first: Any, second: Any) -> None:
    def observe(func: Any, graph: Any, types: Any, saver: Any) -> Any:
        def node_a(state: Any) -> Any:
            return first

        def node_b(state: Any) -> Any:
            return types.Command(update=second)

        app = (
            graph.StateGraph(schema)
            .add_node("node_a", node_a)
            .add_node("node_b", node_b)
            .add_edge(graph.START, "node_a")
            .add_edge("node_a", "node_b")
            .compile()
        )
        return [app.invoke(start), list(app.stream(start, stream_mode="updates"))]

    lg, jit = both(observe)
    assert jit == lg


# --------------------------------------------------------- prebuilt agent states

STATES = (
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
)


def _agent_states(prefix: str) -> Any:
    import importlib

    return importlib.import_module(f"{prefix}.prebuilt.chat_agent_executor")


@pytest.mark.parametrize("name", STATES)
def test_agent_state_schema_is_marked_deprecated(name: str) -> None:
    def observe(prefix: str) -> Any:
        cls = getattr(_agent_states(prefix), name)
        schema = TypeAdapter(cls).json_schema()
        return [bool(getattr(cls, "__deprecated__", None)), schema.get("deprecated")]

    assert observe("langgraph_jit") == observe("langgraph")


def test_agent_state_docstring_in_the_input_schema() -> None:
    def observe(prefix: str) -> Any:
        schema = TypeAdapter(_agent_states(prefix).AgentState).json_schema()
        return schema.get("description")

    assert observe("langgraph_jit") == observe("langgraph")


@pytest.mark.parametrize("name", STATES)
def test_agent_state_use_warns_as_langgraph(name: str) -> None:
    def observe(prefix: str) -> Any:
        cls = getattr(_agent_states(prefix), name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(messages=[], structured_response={})

            class Sub(cls):  # type: ignore[misc, valid-type]
                extra: int

        return [type(w.message).__name__ for w in caught]

    assert observe("langgraph_jit") == observe("langgraph")


@pytest.mark.parametrize("durability", ["exit", "sync"])
def test_resumed_checkpoint_shows_the_saved_interrupts(durability: str) -> None:
    """The checkpoint a resumed run streams first shows each task's saved
    interrupts (and the results of tasks that finished)."""
    import operator
    from typing import Annotated

    class S(TypedDict):
        log: Annotated[list, operator.add]

    def observe(func: Any, graph: Any, types: Any, saver: Any) -> Any:
        def asks(state: S) -> dict:
            return {"log": [types.interrupt("question")]}

        def works(state: S) -> dict:
            return {"log": ["worked"]}

        app = (
            graph.StateGraph(S)
            .add_node("asks", asks)
            .add_node("works", works)
            .add_edge(graph.START, "asks")
            .add_edge(graph.START, "works")
            .compile(checkpointer=saver())
        )
        config = {"configurable": {"thread_id": "t"}}
        return [
            collect_stream(
                lambda: app.stream({"log": []}, config, stream_mode="debug", durability=durability)
            ),
            collect_stream(
                lambda: app.stream(
                    types.Command(resume="answer"),
                    config,
                    stream_mode=["debug", "checkpoints"],
                    durability=durability,
                )
            ),
        ]

    lg, jit = both(observe)
    assert jit == lg


def _cached_graph(graph: Any, types: Any, cache: Any) -> Any:
    class S(TypedDict):
        n: int

    return (
        graph.StateGraph(S)
        .add_node("inc", lambda s: {"n": s["n"] + 1}, cache_policy=types.CachePolicy())
        .add_edge(graph.START, "inc")
        .compile(cache=cache())
    )


@pytest.mark.parametrize("mode", ["debug", "tasks", "updates"])
def test_cache_hits_in_streams(mode: str) -> None:
    """A node whose writes come from the cache shows its start and its
    (cached) update, but no result event: it did not run."""
    from langgraph.cache.memory import InMemoryCache as LgCache

    from langgraph_jit.cache.memory import InMemoryCache as JitCache

    def observe(func: Any, graph: Any, types: Any, saver: Any) -> Any:
        app = _cached_graph(graph, types, LgCache if func is lg_func else JitCache)
        return [collect_stream(lambda: app.stream({"n": 1}, stream_mode=mode)) for _ in range(2)]

    lg, jit = both(observe)
    assert jit == lg


@pytest.mark.parametrize("mode", ["debug", "tasks", "updates"])
def test_cached_task_calls_in_streams(mode: str) -> None:
    from langgraph.cache.memory import InMemoryCache as LgCache

    from langgraph_jit.cache.memory import InMemoryCache as JitCache

    def observe(func: Any, graph: Any, types: Any, saver: Any) -> Any:
        @func.task(cache_policy=types.CachePolicy())
        def double(x: int) -> int:
            return 2 * x

        @func.entrypoint(cache=LgCache() if func is lg_func else JitCache())
        def workflow(x: int) -> int:
            return double(x).result()

        return [collect_stream(lambda: workflow.stream(3, stream_mode=mode)) for _ in range(2)]

    lg, jit = both(observe)
    assert jit == lg
