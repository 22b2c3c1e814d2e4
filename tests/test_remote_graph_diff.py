"""RemoteGraph compared with LangGraph's: the same mocked `langgraph-sdk` clients
driven through `langgraph.pregel.remote.RemoteGraph` and ours. Each case
returns what a user sees (outputs, stream chunks, errors, state snapshots) and
the calls made on the clients; both engines must agree.

No server runs: a client is a MagicMock whose methods return canned server
payloads, fresh for every call (the remote graph may mutate them).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import importlib
import operator
import sys
from collections.abc import Callable
from typing import Annotated, Any
from unittest.mock import AsyncMock, MagicMock

import langsmith as ls
import pytest
from langgraph_sdk.schema import StreamPart
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _remote(pkg: str) -> Any:
    return _mod(pkg, "pregel.remote")


def plain(value: Any) -> Any:
    """What a user can observe of a value, the same for both packages' types."""
    if isinstance(value, BaseException):
        return (type(value).__name__, plain(list(value.args)))
    if type(value).__name__ == "Interrupt":
        return ("Interrupt", plain(value.value), value.id)
    if type(value).__name__ == "GraphOutput":
        return ("GraphOutput", plain(value.value), plain(value.interrupts))
    if type(value).__name__ == "Command":
        return ("Command", plain(dataclasses.asdict(value)))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, *(plain(v) for v in value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def _calls(client: MagicMock) -> list:
    """The calls made on a mocked client (stream modes as a sorted list: a
    streaming parent's modes are a set, iterated in hash order)."""
    out = []
    for name, args, kwargs in client.mock_calls:
        kwargs = dict(kwargs)
        if isinstance(kwargs.get("stream_mode"), list):
            kwargs["stream_mode"] = sorted(kwargs["stream_mode"])
        out.append((name, plain(args), plain(kwargs)))
    return out


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", plain(fn()))
    except Exception as exc:
        return ("raised", plain(exc))


def _sync_client(parts: list[StreamPart] | None = None, **returns: Any) -> MagicMock:
    client = MagicMock()
    if parts is not None:
        client.runs.stream.side_effect = lambda **kw: iter(copy.deepcopy(parts))
    for path, value in returns.items():
        obj = client
        for part in path.split("__")[:-1]:
            obj = getattr(obj, part)
        getattr(obj, path.split("__")[-1]).side_effect = lambda *a, _v=value, **kw: copy.deepcopy(
            _v
        )
    return client


class _AsyncParts:
    def __init__(self, parts: list[StreamPart]) -> None:
        self._parts = iter(copy.deepcopy(parts))

    def __aiter__(self) -> _AsyncParts:
        return self

    async def __anext__(self) -> StreamPart:
        try:
            return next(self._parts)
        except StopIteration:
            raise StopAsyncIteration from None


def _async_client(parts: list[StreamPart] | None = None, **returns: Any) -> MagicMock:
    client = MagicMock()
    if parts is not None:
        client.runs.stream.side_effect = lambda **kw: _AsyncParts(parts)
    for path, value in returns.items():
        obj = client
        for part in path.split("__")[:-1]:
            obj = getattr(obj, part)
        setattr(
            obj,
            path.split("__")[-1],
            AsyncMock(side_effect=lambda *a, _v=value, **kw: copy.deepcopy(_v)),
        )
    return client


def _same(case: Callable[[str], Any]) -> Any:
    expected = case("langgraph")
    actual = case("langgraph_jit")
    assert actual == expected
    return actual


# ---------------------------------------------------------------- canned payloads

MESSAGE = [
    {"content": [{"text": "Hello", "type": "text", "index": 0}], "type": "AIMessageChunk"},
    {"langgraph_step": 1, "langgraph_node": "call_llm"},
]

PARTS = [
    StreamPart(event="values", data={"chunk": "data1"}),
    StreamPart(event="values", data={"chunk": "data2"}),
    StreamPart(event="updates", data={"chunk": "data4"}),
    StreamPart(event="messages", data=MESSAGE),
    StreamPart(event="custom", data={"progress": 1}),
    StreamPart(event="updates|sub:abc", data={"inner": {"chunk": "inner"}}),
    StreamPart(event="values|sub:abc", data={"chunk": "inner"}),
    StreamPart(event="messages|sub:abc", data=[{"content": "token"}, {}]),
    StreamPart(
        event="values", data={"chunk": "data3", "__interrupt__": [{"value": "q", "id": "i1"}]}
    ),
    StreamPart(
        event="updates",
        data={"__interrupt__": [{"value": {"question": "ok?"}, "id": "i2"}]},
    ),
]

STATE = {
    "values": {"messages": [{"type": "human", "content": "hello"}]},
    "next": ["agent"],
    "checkpoint": {
        "thread_id": "thread_1",
        "checkpoint_ns": "",
        "checkpoint_id": "c2",
        "checkpoint_map": {},
    },
    "metadata": {"step": 2, "source": "loop"},
    "created_at": "2026-01-01T00:00:00",
    "parent_checkpoint": {"thread_id": "thread_1", "checkpoint_ns": "", "checkpoint_id": "c1"},
    "tasks": [
        {
            "id": "t1",
            "name": "agent",
            "error": None,
            "interrupts": [{"value": "approve?", "id": "i1"}],
            "state": None,
            "checkpoint": {"thread_id": "thread_1", "checkpoint_ns": "agent:t1"},
            "result": None,
        },
        {
            "id": "t2",
            "name": "tools",
            "error": "boom",
            "interrupts": [],
            "state": {
                "values": {"x": 1},
                "next": None,
                "checkpoint": {
                    "thread_id": "thread_1",
                    "checkpoint_ns": "tools:t2",
                    "checkpoint_id": "s1",
                },
                "metadata": {},
                "created_at": None,
                "parent_checkpoint": None,
                "tasks": [],
            },
            "checkpoint": None,
            "result": {"x": 2},
        },
        {
            "id": "t3",
            "name": "other",
            "error": None,
            "interrupts": [],
            "state": None,
            "checkpoint": None,
        },
    ],
}

GRAPH = {
    "nodes": [
        {"id": "__start__", "type": "schema", "data": "__start__"},
        {"id": "__end__", "type": "schema", "data": "__end__"},
        {"id": "agent", "type": "runnable", "data": {"id": ["x", "Agent"], "name": "agent_1"}},
        {"id": "named", "name": "Named", "data": {"name": "ignored"}, "metadata": {"m": 1}},
    ],
    "edges": [
        {"source": "__start__", "target": "agent"},
        {"source": "agent", "target": "named", "conditional": True},
        {"source": "named", "target": "__end__", "data": "done"},
    ],
}

CALLER = {"configurable": {"thread_id": "thread_1", "checkpoint_ns": "outer:123"}}


# ---------------------------------------------------------------- construction, config


def test_constructor_attributes_and_with_config() -> None:
    def case(pkg: str) -> Any:
        remote = _remote(pkg)
        rg = remote.RemoteGraph("agent", config={"configurable": {"foo": "bar", "thread_id": "t"}})
        named = remote.RemoteGraph("agent", name="Nice", distributed_tracing=True)
        copy_ = rg.with_config({"configurable": {"hello": "world"}, "tags": ["a"]}, run_name="r")
        return (
            rg.assistant_id,
            rg.name,
            named.name,
            named.distributed_tracing,
            rg.client,
            rg.sync_client,
            copy_ is rg,
            copy_.config,
            copy_.name,
            rg.get_name(),
        )

    _same(case)


def test_runnable_surface() -> None:
    """A RemoteGraph is a LangChain Runnable: batch, abatch, pipe run on its invoke."""

    def case(pkg: str) -> Any:
        from langchain_core.runnables import Runnable

        rg = _remote(pkg).RemoteGraph(
            "agent",
            sync_client=_sync_client([StreamPart(event="values", data={"a": 1})]),
            client=_async_client([StreamPart(event="values", data={"a": 2})]),
        )
        return (
            isinstance(rg, Runnable),
            rg.get_name(),
            rg.batch([{"x": 1}, {"x": 2}]),
            asyncio.run(rg.abatch([{"x": 1}])),
            (rg | (lambda out: {"piped": out})).invoke({"x": 1}),
        )

    _same(case)


def test_url_builds_sdk_clients() -> None:
    def case(pkg: str) -> Any:
        rg = _remote(pkg).RemoteGraph(
            "agent", url="http://localhost:1", api_key="k", headers={"X": "y"}
        )
        return type(rg.client).__name__, type(rg.sync_client).__name__

    _same(case)


def test_missing_client_errors() -> None:
    def case(pkg: str) -> Any:
        rg = _remote(pkg).RemoteGraph("agent")
        return [
            _outcome(lambda: list(rg.stream({"x": 1}))),
            _outcome(lambda: asyncio.run(rg.aget_graph())),
            _outcome(lambda: rg.get_graph()),
        ]

    # Same error types; our messages are our own.
    assert [r[1][0] for r in case("langgraph_jit")] == [r[1][0] for r in case("langgraph")]


SANITIZE_CASES = [
    {
        "recursion_limit": 10,
        "tags": ["tag1", 123, {"obj": "tag"}, "tag2"],
        "metadata": {
            "nested": {"key": "value", "num": 42, "bad": lambda x: x},
            "list": [1, 2, "three", object()],
            "bad": lambda x: x,
            "tuple": (1, 2, 3),
            3: "non-str key",
        },
        "configurable": {
            "normal": "value",
            "checkpoint_map": {"k": "v"},
            "checkpoint_id": "123",
            "checkpoint_ns": "ns",
            "__pregel_strict_resume": True,
            "__pregel_task_id": "t",
            123: "invalid",
            "deep": {"a": [1, [2, [3]], {"b": None}]},
        },
        "callbacks": [object()],
        "run_name": "r",
    },
    {},
    {"configurable": {}},
]


@pytest.mark.parametrize("config", SANITIZE_CASES, ids=["full", "empty", "empty-conf"])
def test_sanitize_config(config: dict) -> None:
    _same(lambda pkg: _remote(pkg).RemoteGraph("g")._sanitize_config(config))


# ---------------------------------------------------------------- graph and state


def test_get_graph_sync_and_async() -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(assistants__get_graph=GRAPH)
        client = _async_client(assistants__get_graph=GRAPH)
        rg = _remote(pkg).RemoteGraph("agent", client=client, sync_client=sync)
        drawn = rg.get_graph(xray=2, headers={"h": "1"})
        adrawn = asyncio.run(rg.aget_graph(xray=True, params={"p": 1}))
        return (
            [tuple(n) for n in drawn.nodes.values()],
            [tuple(e) for e in drawn.edges],
            [tuple(n) for n in adrawn.nodes.values()],
            _calls(sync),
            _calls(client),
        )

    _same(case)


def test_state_methods_sync() -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(
            threads__get_state=STATE,
            threads__get_history=[STATE, STATE],
            threads__update_state={"checkpoint": STATE["checkpoint"]},
        )
        rg = _remote(pkg).RemoteGraph(
            "agent", sync_client=sync, config={"configurable": {"user": "u"}}
        )
        config = {"configurable": {"thread_id": "thread_1"}}
        at = {"configurable": {"thread_id": "thread_1", "checkpoint_id": "c1", "checkpoint_ns": ""}}
        return (
            rg.get_state(config),
            rg.get_state(at, subgraphs=True, headers={"h": "1"}),
            list(rg.get_state_history(config)),
            list(rg.get_state_history(at, filter={"step": 1}, before=at, limit=3)),
            rg.update_state(config, {"x": 1}),
            rg.update_state(at, {"x": 1}, as_node="agent", params={"p": 1}),
            _outcome(lambda: rg.get_state({"configurable": {}})),
            _outcome(lambda: rg.bulk_update_state(config, [])),
            _calls(sync),
        )

    _same(lambda pkg: plain(case(pkg)))


def test_state_methods_async() -> None:
    async def run(pkg: str) -> Any:
        client = _async_client(
            threads__get_state=STATE,
            threads__get_history=[STATE],
            threads__update_state={"checkpoint": STATE["checkpoint"]},
        )
        rg = _remote(pkg).RemoteGraph("agent", client=client)
        config = {"configurable": {"thread_id": "thread_1"}}
        return (
            await rg.aget_state(config, subgraphs=True),
            [s async for s in rg.aget_state_history(config, limit=5)],
            await rg.aupdate_state(config, {"x": 1}, "agent"),
            _calls(client),
        )

    _same(lambda pkg: plain(asyncio.run(run(pkg))))


# ---------------------------------------------------------------- stream / invoke

STREAM_MODES = [
    None,
    "values",
    "updates",
    "messages",
    "messages-tuple",
    "custom",
    ["updates"],
    ["values", "messages", "custom"],
    ["events", "values"],
]


@pytest.mark.parametrize("stream_mode", STREAM_MODES, ids=str)
@pytest.mark.parametrize("subgraphs", [False, True], ids=["flat", "subgraphs"])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_stream_chunks_and_calls(stream_mode: Any, subgraphs: bool, version: str) -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(PARTS)
        rg = _remote(pkg).RemoteGraph("agent", sync_client=sync)
        out = _outcome(
            lambda: list(
                rg.stream(
                    {"input": 1},
                    {"configurable": {"thread_id": "thread_1", "user": "u"}, "tags": ["t"]},
                    stream_mode=stream_mode,
                    subgraphs=subgraphs,
                    version=version,
                    context={"c": 1},
                    interrupt_before=["a"],
                    multitask_strategy="reject",
                )
            )
        )
        return out, _calls(sync)

    _same(case)


@pytest.mark.parametrize("stream_mode", [None, "values", ["updates", "messages"]], ids=str)
@pytest.mark.parametrize("subgraphs", [False, True], ids=["flat", "subgraphs"])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_astream_chunks_and_calls(stream_mode: Any, subgraphs: bool, version: str) -> None:
    async def run(pkg: str) -> Any:
        client = _async_client(PARTS)
        rg = _remote(pkg).RemoteGraph("agent", client=client)
        chunks = [
            c
            async for c in rg.astream(
                {"input": 1},
                {"configurable": {"thread_id": "thread_1"}},
                stream_mode=stream_mode,
                subgraphs=subgraphs,
                version=version,
            )
        ]
        return plain(chunks), _calls(client)

    _same(lambda pkg: asyncio.run(run(pkg)))


@pytest.mark.parametrize("stream_mode", ["values", "updates", ["values", "updates"]], ids=str)
@pytest.mark.parametrize("subgraphs", [False, True], ids=["flat", "subgraphs"])
def test_stream_as_called_from_a_node(stream_mode: Any, subgraphs: bool) -> None:
    """With a caller's namespace the chunks are prefixed with it and the remote
    interrupt is raised as the caller's GraphInterrupt."""

    def case(pkg: str) -> Any:
        sync = _sync_client(PARTS)
        rg = _remote(pkg).RemoteGraph("agent", sync_client=sync)
        seen: list = []

        def consume() -> Any:
            for chunk in rg.stream(
                {"input": 1}, CALLER, stream_mode=stream_mode, subgraphs=subgraphs
            ):
                seen.append(chunk)

        return _outcome(consume), plain(seen), _calls(sync)

    _same(case)


@pytest.mark.parametrize(
    "parts",
    [
        [
            StreamPart(event="values", data={"a": 1}),
            StreamPart(event="error", data={"error": "E", "message": "m"}),
        ],
        [StreamPart(event="error|sub:1", data="nested failure")],
        [
            StreamPart(event="values", data={"a": 1}),
            StreamPart(
                event="command", data={"graph": "__parent__", "goto": "x", "update": {"a": 2}}
            ),
        ],
        [
            StreamPart(event="command", data={"graph": None, "goto": "x"}),
            StreamPart(event="values", data={"a": 3}),
        ],
        [],
    ],
    ids=["error", "nested-error", "parent-command", "own-command", "empty"],
)
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_invoke_errors_and_commands(parts: list, version: str) -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(parts)
        client = _async_client(parts)
        rg = _remote(pkg).RemoteGraph("agent", sync_client=sync, client=client)
        config = {"configurable": {"thread_id": "t"}}
        return (
            _outcome(lambda: rg.invoke({"a": 0}, config, version=version)),
            _outcome(lambda: asyncio.run(rg.ainvoke({"a": 0}, config, version=version))),
            _calls(sync),
            _calls(client),
        )

    _same(case)


def test_extra_keyword_clashing_with_a_sent_argument() -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(PARTS)
        rg = _remote(pkg).RemoteGraph("agent", sync_client=sync)
        outcome = _outcome(lambda: list(rg.stream({}, thread_id="x")))
        return outcome[0], outcome[1][0], sync.runs.stream.called

    _same(case)


def test_invoke_with_command_input_and_interrupt_values() -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        sync = _sync_client(PARTS)
        rg = _remote(pkg).RemoteGraph("agent", sync_client=sync)
        return (
            rg.invoke(types.Command(resume="yes"), {"configurable": {"thread_id": "t"}}),
            rg.invoke(types.Command(goto=["a"], update={"x": 1}), version="v2"),
            _calls(sync),
        )

    _same(lambda pkg: plain(case(pkg)))


@pytest.mark.parametrize("distributed_tracing", [False, True])
@pytest.mark.parametrize("headers", [None, {"foo": "bar"}, {"baggage": "a=b"}], ids=str)
def test_tracing_headers(distributed_tracing: bool, headers: Any) -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client([StreamPart(event="values", data={"a": 1})])
        rg = _remote(pkg).RemoteGraph(
            "agent", sync_client=sync, distributed_tracing=distributed_tracing
        )
        with ls.tracing_context(enabled=True, client=MagicMock()), ls.trace("foo"):
            rg.invoke({"a": 0}, headers=copy.deepcopy(headers))
        sent = sync.runs.stream.call_args.kwargs["headers"]
        if sent is None:
            return None
        # Trace ids differ per run: their presence and the caller's part are compared.
        return {
            key: (value if key not in ("langsmith-trace",) else "<trace>")
            if key != "baggage"
            else [part for part in value.split(",") if not part.startswith("langsmith-")]
            + sorted(
                {part.split("=")[0] for part in value.split(",") if part.startswith("langsmith-")}
            )
            for key, value in sent.items()
        }

    _same(case)


# ---------------------------------------------------------------- as a node of a local graph


class State(TypedDict):
    x: int
    log: Annotated[list, operator.add]


NODE_PARTS = [
    StreamPart(event="values", data={"x": 1, "log": []}),
    StreamPart(event="updates|inner:1", data={"step": {"log": ["inner"]}}),
    StreamPart(
        event="messages|inner:1", data=[{"content": "tok", "type": "AIMessageChunk"}, {"m": 1}]
    ),
    StreamPart(event="custom", data="progress"),
    StreamPart(event="updates", data={"work": {"x": 5}}),
    StreamPart(event="values", data={"x": 5, "log": ["remote"]}),
]

INTERRUPT_PARTS = [
    StreamPart(event="values", data={"x": 1, "log": []}),
    StreamPart(event="updates", data={"__interrupt__": [{"value": "approve?", "id": "i-remote"}]}),
]


def _parent(pkg: str, rg: Any, *, checkpointer: bool = True) -> Any:
    graph = _mod(pkg, "graph")
    memory = _mod(pkg, "checkpoint.memory")
    builder = graph.StateGraph(State)
    builder.add_node("before", lambda s: {"log": ["before"]})
    builder.add_node(rg)
    builder.add_node("after", lambda s: {"log": ["after"]})
    builder.add_edge(graph.START, "before")
    builder.add_edge("before", rg.name)
    builder.add_edge(rg.name, "after")
    return builder.compile(checkpointer=memory.InMemorySaver() if checkpointer else None)


def _no_task_ids(value: Any) -> Any:
    """Namespaces with the (time-based) task ids cut off."""
    if isinstance(value, str) and ":" in value:
        return value.split(":")[0]
    if isinstance(value, dict):
        return {_no_task_ids(k): _no_task_ids(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_no_task_ids(v) for v in value)
    return value


def test_node_invoke_and_state() -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(NODE_PARTS)
        app = _parent(pkg, _remote(pkg).RemoteGraph("remote", sync_client=sync))
        config = {"configurable": {"thread_id": "t"}, "recursion_limit": 40}
        result = app.invoke({"x": 0, "log": []}, config)
        no_limit = app.invoke({"x": 0, "log": []}, {"configurable": {"thread_id": "u"}})
        return plain((result, no_limit, app.get_state(config).values)), _no_task_ids(_calls(sync))

    _same(case)


@pytest.mark.parametrize(
    "stream_mode", ["updates", "values", ["updates", "custom"], "messages", "custom"], ids=str
)
@pytest.mark.parametrize("subgraphs", [False, True], ids=["flat", "subgraphs"])
def test_node_stream(stream_mode: Any, subgraphs: bool) -> None:
    def case(pkg: str) -> Any:
        sync = _sync_client(NODE_PARTS)
        app = _parent(pkg, _remote(pkg).RemoteGraph("remote", sync_client=sync))
        chunks = list(
            app.stream(
                {"x": 0, "log": []},
                {"configurable": {"thread_id": "t"}},
                stream_mode=stream_mode,
                subgraphs=subgraphs,
            )
        )
        return _no_task_ids(plain(chunks)), _no_task_ids(_calls(sync))

    _same(case)


def test_node_interrupt_and_resume() -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        sync = _sync_client(INTERRUPT_PARTS)
        app = _parent(pkg, _remote(pkg).RemoteGraph("remote", sync_client=sync))
        config = {"configurable": {"thread_id": "t"}}
        first = app.invoke({"x": 0, "log": []}, config)
        state = app.get_state(config)
        sync.runs.stream.side_effect = lambda **kw: iter(copy.deepcopy(NODE_PARTS))
        resumed = app.invoke(types.Command(resume="yes"), config)
        return (
            plain(first),
            plain(state.next),
            plain(state.interrupts),
            plain(resumed),
            _no_task_ids(_calls(sync)),
        )

    _same(case)


def test_parent_drawing_and_subgraph_state() -> None:
    """A local graph draws its remote node (xray asks the server for its
    graph) and shows the remote thread's state under the interrupted task."""

    def case(pkg: str) -> Any:
        sync = _sync_client(INTERRUPT_PARTS, assistants__get_graph=GRAPH, threads__get_state=STATE)
        app = _parent(pkg, _remote(pkg).RemoteGraph("remote", sync_client=sync))
        config = {"configurable": {"thread_id": "t"}}
        drawn = app.get_graph()
        xray = app.get_graph(xray=True)
        app.invoke({"x": 0, "log": []}, config)
        state = app.get_state(config, subgraphs=True)
        return (
            sorted(drawn.nodes),
            [tuple(e) for e in drawn.edges],
            sorted(xray.nodes),
            sorted(tuple(e)[:2] for e in xray.edges),
            # (task ids are time-based)
            [_no_task_ids(plain(task))[2:] for task in state.tasks],
            [name for name, _ in app.get_subgraphs()],
            _no_task_ids(_calls(sync)),
        )

    _same(case)


def test_node_parent_command() -> None:
    """The remote run's Command(graph=PARENT) is the command of the node it
    runs as: in a root graph there is no parent to take it; in a subgraph the
    outer graph does."""
    parts = [
        StreamPart(event="values", data={"x": 1, "log": []}),
        StreamPart(
            event="command", data={"graph": "__parent__", "goto": "after", "update": {"x": 9}}
        ),
    ]

    def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        sync = _sync_client(parts)
        rg = _remote(pkg).RemoteGraph("remote", sync_client=sync)
        root = _parent(pkg, rg, checkpointer=False)
        sub = graph.StateGraph(State)
        sub.add_node(rg)
        sub.add_edge(graph.START, "remote")
        outer = graph.StateGraph(State)
        outer.add_node("sub", sub.compile())
        outer.add_node("after", lambda s: {"log": ["outer after"]})
        outer.add_edge(graph.START, "sub")
        app = outer.compile()
        return (
            _outcome(lambda: root.invoke({"x": 0, "log": []})),
            _outcome(lambda: app.invoke({"x": 0, "log": []})),
            _no_task_ids(_calls(sync)),
        )

    _same(case)


def test_node_in_async_graph() -> None:
    async def run(pkg: str) -> Any:
        client = _async_client(NODE_PARTS)
        app = _parent(pkg, _remote(pkg).RemoteGraph("remote", client=client))
        config = {"configurable": {"thread_id": "t"}}
        chunks = [
            c
            async for c in app.astream(
                {"x": 0, "log": []}, config, stream_mode=["updates", "values"], subgraphs=True
            )
        ]
        return _no_task_ids(plain(chunks)), _no_task_ids(_calls(client))

    _same(lambda pkg: asyncio.run(run(pkg)))


def test_node_interrupt_and_resume_async() -> None:
    async def run(pkg: str) -> Any:
        types = _mod(pkg, "types")
        client = _async_client(INTERRUPT_PARTS, threads__get_state=STATE)
        app = _parent(pkg, _remote(pkg).RemoteGraph("remote", client=client))
        config = {"configurable": {"thread_id": "t"}}
        first = await app.ainvoke({"x": 0, "log": []}, config)
        state = await app.aget_state(config, subgraphs=True)
        client.runs.stream.side_effect = lambda **kw: _AsyncParts(NODE_PARTS)
        resumed = [
            c async for c in app.astream(types.Command(resume="yes"), config, subgraphs=True)
        ]
        return (
            plain(first),
            [_no_task_ids(plain(task))[2:] for task in state.tasks],
            _no_task_ids(plain(resumed)),
            _no_task_ids(_calls(client)),
        )

    _same(lambda pkg: asyncio.run(run(pkg)))


# ---------------------------------------------------------------- streaming v3


def _sdk_thread() -> MagicMock:
    sdk_thread = MagicMock()
    sdk_thread.thread_id = "thread-abc"
    sdk_thread.__enter__ = MagicMock(return_value=sdk_thread)
    sdk_thread.__exit__ = MagicMock(return_value=None)
    sdk_thread.run.start = MagicMock(return_value={"run_id": "run-xyz"})
    sdk_thread.events = iter([{"method": "values", "params": {"data": {"x": 1}}}])
    sdk_thread.subscribe = MagicMock(
        side_effect=lambda channels: iter(
            [
                {"method": "updates", "params": {"data": {"n": {"x": 1}}}},
                {"method": "updates", "params": {}},
                {"method": "custom", "params": {"data": "c"}},
            ]
        )
    )
    sdk_thread.output = {"x": 2}
    sdk_thread.interrupted = False
    sdk_thread.interrupts = ()
    return sdk_thread


@pytest.mark.parametrize("abort", [False, True])
def test_stream_events_v3_run_handle(abort: bool) -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        sync = MagicMock()
        sdk_thread = _sdk_thread()
        sync.threads.stream.return_value = sdk_thread
        rg = _remote(pkg).RemoteGraph(
            "agent", sync_client=sync, config={"configurable": {"thread_id": "t1", "k": 1}}
        )
        seen: list = []
        run = rg.stream_events(
            types.Command(resume="go"),
            {"configurable": {"checkpoint_id": "c", "u": 2}, "tags": ["x"]},
            version="v3",
            metadata={"m": 1},
            headers={"H": "v"},
        )
        with run as stream:
            seen.append(list(stream))
            seen.append(list(stream.extensions))
            seen.append(list(stream.extensions["updates"]))
            seen.append((stream.output, stream.interrupted, stream.interrupts))
            if abort:
                stream.abort()
                stream.abort()
        return plain(seen), _calls(sync), [c[0] for c in sdk_thread.mock_calls]

    _same(case)


def test_stream_events_v3_refusals() -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        sync = MagicMock()
        rg = _remote(pkg).RemoteGraph("agent", sync_client=sync, client=MagicMock())
        outcomes = [
            _outcome(lambda: rg.stream_events({}, version="v3", control=object())),
            _outcome(lambda: rg.stream_events({}, version="v3", interrupt_after=["a"])),
            _outcome(lambda: rg.stream_events({}, version="v3", context={})),
            _outcome(lambda: rg.stream_events(types.Command(update={"a": 1}), version="v3")),
            _outcome(lambda: rg.stream_events({}, version="v2")),
            _outcome(lambda: asyncio.run(rg.astream_events({}, version="v1"))),
            _outcome(lambda: asyncio.run(rg.astream_events({}, version="v3", transformers=[1]))),
        ]
        return [o[0] for o in outcomes], [o[1][0] for o in outcomes], _calls(sync)

    _same(case)


def test_astream_events_v3_run_handle() -> None:
    async def run(pkg: str) -> Any:
        client = MagicMock()
        client.runs.cancel = AsyncMock()
        sdk_thread = MagicMock()
        sdk_thread.thread_id = "thread-abc"
        sdk_thread.__aenter__ = AsyncMock(return_value=sdk_thread)
        sdk_thread.__aexit__ = AsyncMock(return_value=None)
        sdk_thread.close = AsyncMock()
        sdk_thread.run.start = AsyncMock(return_value={"run_id": "run-1"})
        sdk_thread.events = _AsyncParts([1, 2])  # type: ignore[list-item]
        client.threads.stream.return_value = sdk_thread
        rg = _remote(pkg).RemoteGraph("agent", client=client)
        handle = await rg.astream_events(
            {"x": 1}, {"configurable": {"thread_id": "t"}}, version="v3"
        )
        async with handle as stream:
            events = [e async for e in stream]
            await stream.abort()
        return events, _calls(client), [c[0] for c in sdk_thread.mock_calls]

    _same(lambda pkg: asyncio.run(run(pkg)))


# ---------------------------------------------------------------- without langgraph-sdk


def test_without_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "langgraph_sdk" or m.startswith("langgraph_sdk.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "langgraph_sdk", None)
    monkeypatch.delitem(sys.modules, "langgraph_jit.pregel.remote", raising=False)
    remote = importlib.import_module("langgraph_jit.pregel.remote")
    with pytest.raises(ImportError, match=r"langgraph-sdk.*langgraph-jit\[remote\]"):
        remote.RemoteGraph("agent", sync_client=MagicMock())
