"""The `messages` projection of v3 event streams (`run.messages`), compared on both
engines: graphs whose nodes call fake streaming chat models (invoke, ainvoke,
stream_events, stream), write finished messages, push them, fan out, fail, pause or run
inside subgraphs, streamed with `stream_events(version="v3")` / `astream_events`. Each
case records what a user reads from every `ChatModelStream` (class, namespace, node,
message id, text deltas, reasoning, tool calls, final content, the protocol events) and
the raw `messages` events (namespace, payload kind, metadata keys). Ids a model run
makes (``lc_run--<run id>``) differ between runs and are numbered in order of appearance.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
import re
import warnings
from collections.abc import Callable
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.runnables import RunnableConfig
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")

pytestmark = pytest.mark.filterwarnings(
    "ignore::langchain_core._api.beta_decorator.LangChainBetaWarning"
)

_RUN_ID = re.compile(
    r"lc_run--[0-9a-f-]{36}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _numbered(value: Any) -> str:
    """`repr(value)` with each run/task id replaced by its order of first appearance."""
    ids: dict[str, int] = {}
    return _RUN_ID.sub(lambda m: f"ID{ids.setdefault(m.group(0), len(ids))}", repr(value))


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _graph(pkg: str, nodes: list[tuple[str, Any]], schema: Any = None, **compile_kw: Any) -> Any:
    """A chain of `nodes` from START (MessagesState unless another schema is given)."""
    graph = _mod(pkg, "graph")
    builder = graph.StateGraph(schema or graph.MessagesState)
    prev = graph.START
    for name, node in nodes:
        builder.add_node(name, node)
        builder.add_edge(prev, name)
        prev = name
    builder.add_edge(prev, graph.END)
    return builder.compile(**compile_kw)


def _describe(stream: Any) -> dict[str, Any]:
    """What a reader of one sync ChatModelStream sees."""
    out = stream.output
    return {
        "cls": type(stream).__name__,
        "namespace": stream.namespace,
        "node": stream.node,
        "message_id": stream.message_id,
        "done": stream.done,
        "text": list(stream.text),
        "reasoning": list(stream.reasoning),
        "tool_call_chunks": list(stream.tool_calls),
        "tool_calls": out.tool_calls,
        "content": out.content,
        "usage": out.usage_metadata,
        "events": list(stream),
    }


async def _adescribe(stream: Any) -> dict[str, Any]:
    out = await stream.output
    return {
        "cls": type(stream).__name__,
        "namespace": stream.namespace,
        "node": stream.node,
        "message_id": stream.message_id,
        "text": [d async for d in stream.text],
        "content": out.content,
        "events": [e async for e in stream],
    }


def _raw_messages(events: Any) -> list[Any]:
    """The `messages` protocol events of a run: namespace (node names), payload kind, metadata keys."""
    seen = []
    for event in events:
        if event["method"] != "messages":
            continue
        payload, meta = event["params"]["data"]
        kind = payload.get("event") if isinstance(payload, dict) else type(payload).__name__
        ns = [part.split(":")[0] for part in event["params"]["namespace"]]
        seen.append(
            (ns, kind, sorted(meta), meta.get("langgraph_node"), meta.get("ls_integration"))
        )
    return seen


# -- models -------------------------------------------------------------------------


def _model(*replies: Any) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(replies))


class _ToolCallingModel(BaseChatModel):
    """Streams a reasoning block, text and a tool call split over two chunks, with usage."""

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        raise NotImplementedError  # streamed only

    def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        usage = {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}
        for chunk in (
            AIMessageChunk(content=[{"type": "reasoning", "reasoning": "think", "index": 0}]),
            AIMessageChunk(content="Let me "),
            AIMessageChunk(content="check."),
            AIMessageChunk(
                content="",
                tool_call_chunks=[{"name": "search", "args": '{"q": ', "id": "c1", "index": 1}],
            ),
            AIMessageChunk(
                content="",
                tool_call_chunks=[{"name": None, "args": '"x"}', "id": None, "index": 1}],
                usage_metadata=usage,  # type: ignore[arg-type]
            ),
        ):
            yield ChatGenerationChunk(message=chunk)


class _DyingModel(GenericFakeChatModel):
    """Streams one token, then fails."""

    def _stream(self, *args: Any, **kwargs: Any) -> Any:
        tokens = super()._stream(*args, **kwargs)
        yield next(tokens)
        raise ValueError("model died")


# -- cases (each returns what a user sees on one engine) -------------------------------


def case_invoke_tools_and_written_messages(pkg: str) -> Any:
    model = _model("hello world", AIMessage("calling", id="ignored-final-id"))

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    def tools(state: Any) -> Any:
        return {
            "messages": [
                ToolMessage("result", tool_call_id="c1", id="tool-1"),
                AIMessage("after tools", id="written-1"),
            ]
        }

    app = _graph(pkg, [("call", call), ("tools", tools), ("call2", call)])
    return [_describe(s) for s in app.stream_events({"messages": "hi"}, version="v3").messages]


def case_raw_events(pkg: str) -> Any:
    model = _model("hi there")

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    def made(state: Any) -> Any:
        _mod(pkg, "graph.message").push_message(AIMessage("pushed", id="p1"))
        return {
            "messages": [AIMessage("made", id="m1"), ToolMessage("t", tool_call_id="c", id="t1")]
        }

    inner = _graph(pkg, [("call", call)])
    app = _graph(pkg, [("sub", inner), ("made", made)])
    return _raw_messages(app.stream_events({"messages": "hi"}, version="v3"))


def case_pushed_message(pkg: str) -> Any:
    def made(state: Any) -> Any:
        _mod(pkg, "graph.message").push_message(AIMessage("pushed", id="p1"))
        return {"messages": [AIMessage("made", id="m1")]}

    app = _graph(pkg, [("made", made)])
    return [_describe(s) for s in app.stream_events({"messages": "hi"}, version="v3").messages]


def case_tool_call_chunks_reasoning_usage(pkg: str) -> Any:
    model = _ToolCallingModel()

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    app = _graph(pkg, [("call", call)])
    run = app.stream_events({"messages": "hi"}, version="v3")
    return [_describe(s) for s in run.messages], run.output["messages"][-1].tool_calls


def case_model_stream_apis_in_nodes(pkg: str) -> Any:
    # stream() chunks summed into an AIMessageChunk are no message of the projection;
    # stream_events(version="v3") and a nostream-tagged invoke are.
    model = _model("a b c", "d e", "quiet")

    def by_chunks(state: Any) -> Any:
        total = None
        for chunk in model.stream(state["messages"]):
            total = chunk if total is None else total + chunk
        return {"messages": total}

    def by_events(state: Any) -> Any:
        return {"messages": model.stream_events(state["messages"], version="v3").output}

    def untagged(state: Any) -> Any:
        return {"messages": model.with_config(tags=["nostream"]).invoke(state["messages"])}

    app = _graph(pkg, [("by_chunks", by_chunks), ("by_events", by_events), ("nostream", untagged)])
    return [_describe(s) for s in app.stream_events({"messages": "hi"}, version="v3").messages]


def case_subgraph_scopes(pkg: str) -> Any:
    model = _model("inner answer", "outer answer")

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    inner = _graph(pkg, [("icall", call)])
    app = _graph(pkg, [("sub", inner), ("call", call)])
    run = app.stream_events({"messages": "hi"}, version="v3")
    seen: list[Any] = []
    for name, item in run.interleave("messages", "subgraphs"):
        if name == "messages":
            seen.append(("root", _describe(item)))
        else:
            seen.append((item.path[0].split(":")[0], [_describe(s) for s in item.messages]))
    return seen


def case_send_fan_out(pkg: str) -> Any:
    graph, types = _mod(pkg, "graph"), _mod(pkg, "types")

    class State(TypedDict):
        messages: Annotated[list, operator.add]

    def worker(arg: dict) -> Any:
        return {"messages": [_model(f"worker {arg['i']}").invoke("go")]}

    builder = graph.StateGraph(State)
    builder.add_node("worker", worker)
    builder.add_conditional_edges(
        graph.START, lambda s: [types.Send("worker", {"i": i}) for i in range(3)]
    )
    run = builder.compile().stream_events({"messages": []}, version="v3")
    # parallel tasks: the order of their streams is the threads' business
    return sorted(_numbered(_describe(s)) for s in run.messages)


def case_model_fails_mid_stream(pkg: str) -> Any:
    model = _DyingModel(messages=iter(["one two three"]))

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    run = _graph(pkg, [("call", call)]).stream_events({"messages": "hi"}, version="v3")
    seen: list[Any] = []
    try:
        for stream in run.messages:
            seen.append(("stream", stream.node, stream.done))
            try:
                seen.append(("text", list(stream.text)))
            except ValueError as e:
                seen.append(("text failed", str(e)))
            try:
                seen.append(("output", stream.output.text))
            except ValueError as e:
                seen.append(("output failed", str(e)))
    except ValueError as e:
        seen.append(("run failed", str(e)))
    return seen


def case_interrupt_after_model(pkg: str) -> Any:
    types, memory = _mod(pkg, "types"), _mod(pkg, "checkpoint.memory")
    model = _model("before pause")

    def call(state: Any) -> Any:
        reply = model.invoke(state["messages"])
        types.interrupt("ok?")
        return {"messages": reply}

    app = _graph(pkg, [("call", call)], checkpointer=memory.InMemorySaver())
    run = app.stream_events({"messages": "hi"}, {"configurable": {"thread_id": "1"}}, version="v3")
    streams = [_describe(s) for s in run.messages]
    return streams, run.interrupted, [i.value for i in run.interrupts]


def case_v1_stream_inside_v3_node(pkg: str) -> Any:
    # A node streaming a graph with stream_mode="messages" (v1) keeps token chunks.
    model = _model("nested path")

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    inner = _graph(pkg, [("call", call)])

    class Outer(TypedDict, total=False):
        kinds: list[str]
        text: str

    def outer_node(state: Any, config: RunnableConfig) -> Any:
        parts = list(inner.stream({"messages": "hi"}, config, stream_mode="messages"))
        return {
            "kinds": [type(p).__name__ for p, _ in parts],
            "text": "".join(p.content for p, _ in parts if isinstance(p, AIMessageChunk)),
        }

    app = _graph(pkg, [("outer", outer_node)], schema=Outer)
    run = app.stream_events({}, version="v3")
    return [_describe(s) for s in run.messages], run.output


def case_direct_v2_stream_keeps_chunks(pkg: str) -> Any:
    model = _model("plain v2")

    def call(state: Any) -> Any:
        return {"messages": model.invoke(state["messages"])}

    app = _graph(pkg, [("call", call)])
    parts = app.stream({"messages": "hi"}, stream_mode="messages", version="v2")
    return [(p["type"], type(p["data"][0]).__name__, p["data"][0].content) for p in parts]


def case_async_streams(pkg: str) -> Any:
    model = _model("async hello")

    async def call(state: Any) -> Any:
        return {"messages": await model.ainvoke(state["messages"])}

    async def made(state: Any) -> Any:
        return {"messages": AIMessage("made", id="m2")}

    async def events_in_node(state: Any) -> Any:
        stream = await _model("from events").astream_events(state["messages"], version="v3")
        return {"messages": await stream}

    app = _graph(pkg, [("call", call), ("made", made), ("events", events_in_node)])

    async def main() -> Any:
        run = await app.astream_events({"messages": "hi"}, version="v3")
        return [await _adescribe(s) async for s in run.messages]

    return asyncio.run(main())


def case_async_nested_text_iteration(pkg: str) -> Any:
    # Reading a stream's text drives the run (no background task).
    model = _model("one two three", "four five")

    async def call(state: Any) -> Any:
        return {"messages": await model.ainvoke(state["messages"])}

    app = _graph(pkg, [("call", call), ("again", call)])

    async def main() -> Any:
        run = await app.astream_events({"messages": "hi"}, version="v3")
        got = []
        async for stream in run.messages:
            got.append([d async for d in stream.text])
        return got

    return asyncio.run(asyncio.wait_for(main(), timeout=10))


CASES: dict[str, Callable[[str], Any]] = {
    name[len("case_") :]: fn for name, fn in dict(globals()).items() if name.startswith("case_")
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_messages_projection_same(case: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lg, jit = (_numbered(CASES[case](pkg)) for pkg in PKGS)
    assert jit == lg
    assert "Exception" not in jit and len(jit) > 10
