"""v3 tool-call streams compared on both engines: graphs with a `ToolNode` compiled with
`transformers=[ToolCallTransformer]` (or given it per call), streamed with
`stream_events` / `astream_events(version="v3")`, and what a user reads from
`run.tool_calls`: each `ToolCallStream`'s id, name, input, streamed output deltas,
output, error, completion and repr, in order, sync and async; tools that fail (handled
or failing the run), interrupt and resume; subgraph scopes; the transformer fed by
hand through a `StreamMux`; and langchain's `create_agent` through the switch.
"""

import asyncio
import importlib
import re
import warnings
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytest.importorskip("langchain_core")

from langchain_core.messages import AIMessage, ToolMessage

PKGS = ("langgraph", "langgraph_jit")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

pytestmark = pytest.mark.filterwarnings("ignore::Warning")


def _norm(value: Any) -> str:
    """`repr(value)` with generated ids numbered by first appearance and the package
    name folded (class paths in reprs)."""
    ids: dict[str, int] = {}
    text = _UUID.sub(lambda m: f"ID{ids.setdefault(m.group(0), len(ids))}", repr(value))
    return text.replace("langgraph_jit.", "langgraph.")


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _both(fn: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn("langgraph"), fn("langgraph_jit")


def _transformer(pkg: str) -> Any:
    return _mod(pkg, "prebuilt").ToolCallTransformer


def _seen(tc: Any) -> tuple[Any, ...]:
    """What a user reads off a tool-call stream at one moment."""
    return (
        type(tc).__name__,
        tc.tool_call_id,
        tc.tool_name,
        tc.input,
        _norm(tc.output),
        # a parent hand-off's error names the task it came from (an id per run)
        _UUID.sub("ID", tc.error) if isinstance(tc.error, str) else tc.error,
        tc.completed,
        repr(tc),
    )


# -- graphs ---------------------------------------------------------------------------


def _tools(pkg: str, *, use_async: bool = False) -> dict[str, Any]:
    from langchain_core.tools import tool

    prebuilt = _mod(pkg, "prebuilt")
    types = _mod(pkg, "types")
    runtime_cls = prebuilt.ToolRuntime

    @tool
    def echo(text: str) -> str:
        """Upper-cases the text."""
        return text.upper()

    @tool
    def progress(steps: int, runtime: runtime_cls) -> str:  # type: ignore[valid-type]
        """Streams one delta per step."""
        for i in range(steps):
            runtime.emit_output_delta({"step": i})  # type: ignore[attr-defined]
        return f"did {steps}"

    @tool
    async def aprogress(steps: int, runtime: runtime_cls) -> str:  # type: ignore[valid-type]
        """Streams one delta per step (async)."""
        for i in range(steps):
            runtime.emit_output_delta(f"part{i}")  # type: ignore[attr-defined]
            await asyncio.sleep(0)
        return "streamed"

    @tool
    def boom(x: int) -> str:
        """Always fails."""
        raise ValueError(f"kaboom {x}")

    @tool
    def ask(question: str) -> str:
        """Asks a human."""
        return f"human said {types.interrupt(question)}"

    @tool
    def handoff(x: int, runtime: runtime_cls) -> Any:  # type: ignore[valid-type]
        """Returns a Command."""
        return types.Command(
            update={
                "messages": [
                    ToolMessage("handed", tool_call_id=runtime.tool_call_id)  # type: ignore[attr-defined]
                ]
            }
        )

    @tool(response_format="content_and_artifact")
    def blocks(x: int) -> Any:
        """Content blocks and an artifact."""
        return [{"type": "text", "text": f"block {x}"}], {"raw": x}

    @tool
    def as_dict(x: int) -> dict:
        """Returns a dict."""
        return {"x": x}

    found = {t.name: t for t in (echo, progress, boom, ask, handoff, blocks, as_dict)}
    if use_async:
        found["progress"] = aprogress.model_copy(update={"name": "progress"})
    return found


def _turns_graph(
    pkg: str,
    turns: list[list[tuple[str, dict[str, Any], str]]],
    *,
    tool_names: list[str] | None = None,
    use_async: bool = False,
    compiled_with: bool = True,
    checkpointer: Any = None,
    handle_tool_errors: Any = True,
) -> Any:
    """caller -> tools -> caller ...: the caller asks for the next batch of tool calls
    in `turns` (one batch per turn, so calls across turns come in a fixed order)."""
    graph = _mod(pkg, "graph")
    message = _mod(pkg, "graph.message")
    prebuilt = _mod(pkg, "prebuilt")

    class S(TypedDict):
        messages: Annotated[list, message.add_messages]

    def caller(state: S) -> dict[str, Any]:
        done = sum(isinstance(m, AIMessage) for m in state["messages"])
        if done >= len(turns):
            return {"messages": [AIMessage("finished", id="final")]}
        calls = [{"name": n, "args": a, "id": i} for n, a, i in turns[done]]
        return {"messages": [AIMessage("", tool_calls=calls, id=f"turn{done}")]}

    def route(state: S) -> str:
        last = state["messages"][-1]
        return "tools" if getattr(last, "tool_calls", None) else graph.END

    tools = _tools(pkg, use_async=use_async)
    chosen = [tools[n] for n in (tool_names or sorted({c[0] for t in turns for c in t}))]
    builder = graph.StateGraph(S)
    builder.add_node("caller", caller)
    builder.add_node("tools", prebuilt.ToolNode(chosen, handle_tool_errors=handle_tool_errors))
    builder.add_edge(graph.START, "caller")
    builder.add_conditional_edges("caller", route, ["tools", graph.END])
    builder.add_edge("tools", "caller")
    return builder.compile(
        checkpointer=checkpointer,
        transformers=[_transformer(pkg)] if compiled_with else None,
    )


SEQUENTIAL = [
    [("echo", {"text": "hi"}, "c1")],
    [("progress", {"steps": 3}, "c2")],
    [("boom", {"x": 1}, "c3")],
    [("handoff", {"x": 2}, "c4")],
    [("blocks", {"x": 3}, "c5")],
    [("as_dict", {"x": 4}, "c6")],
]


def _read_sync(run: Any) -> list[Any]:
    out: list[Any] = []
    try:
        for tc in run.tool_calls:
            first = _seen(tc)
            deltas = list(tc)
            out.append((first, deltas, _seen(tc)))
    except Exception as err:  # the run's error, raised by the projection
        out.append(("error", type(err).__name__, str(err)))
    return out


async def _read_async(run: Any) -> list[Any]:
    out: list[Any] = []
    try:
        async for tc in run.tool_calls:
            first = _seen(tc)
            deltas = [d async for d in tc]
            out.append((first, deltas, _seen(tc)))
    except Exception as err:
        out.append(("error", type(err).__name__, str(err)))
    return out


def _outcome_sync(run: Any) -> Any:
    try:
        return _norm(run.output), run.interrupted, [i.value for i in run.interrupts]
    except Exception as err:
        return ("error", type(err).__name__, str(err))


async def _outcome_async(run: Any) -> Any:
    try:
        output = await run.output()
        return _norm(output), await run.interrupted(), [i.value for i in await run.interrupts()]
    except Exception as err:
        return ("error", type(err).__name__, str(err))


# -- sync and async runs ----------------------------------------------------------------


def test_sequential_tool_calls_sync() -> None:
    def run(pkg: str) -> Any:
        r = _turns_graph(pkg, SEQUENTIAL).stream_events({"messages": []}, version="v3")
        return _read_sync(r), _outcome_sync(r), sorted(r.extensions)

    lg, jit = _both(run)
    assert jit == lg
    reads = jit[0]
    assert next(first[7] for first, _, _ in reads).endswith("status=running)")
    assert [last[5] for _, _, last in reads] == [None, None, "kaboom 1", None, None, None]
    assert reads[1][1] == [{"step": 0}, {"step": 1}, {"step": 2}]


def test_sequential_tool_calls_async() -> None:
    async def arun(pkg: str) -> Any:
        graph = _turns_graph(pkg, SEQUENTIAL, use_async=True)
        r = await graph.astream_events({"messages": []}, version="v3")
        return await _read_async(r), await _outcome_async(r)

    lg, jit = _both(lambda pkg: asyncio.run(arun(pkg)))
    assert jit == lg
    assert jit[0][1][1] == ["part0", "part1", "part2"]


def test_parallel_calls_of_one_turn() -> None:
    # One ToolNode step runs its calls concurrently: compare each call's end state,
    # not the order, nor the deltas (those of a call the reader has not reached yet
    # are not kept, and which call that is depends on thread timing).
    turn = [
        ("progress", {"steps": 2}, "p1"),
        ("echo", {"text": "x"}, "p2"),
        ("progress", {"steps": 1}, "p3"),
    ]

    def run(pkg: str) -> Any:
        r = _turns_graph(pkg, [turn]).stream_events({"messages": []}, version="v3")
        reads = _read_sync(r)
        return sorted(last for _, _, last in reads), _outcome_sync(r)

    async def arun(pkg: str) -> Any:
        r = await _turns_graph(pkg, [turn], use_async=True).astream_events(
            {"messages": []}, version="v3"
        )
        reads = await _read_async(r)
        return sorted(last for _, _, last in reads), await _outcome_async(r)

    lg, jit = _both(run)
    assert jit == lg
    assert [last[1] for last in jit[0]] == ["p1", "p2", "p3"]
    lg, jit = _both(lambda pkg: asyncio.run(arun(pkg)))
    assert jit == lg


def test_raw_events_interleave_and_tee() -> None:
    # tools events stay in the event log; the tool_calls projection interleaves
    # with the others and can be shared with tee
    def run(pkg: str) -> Any:
        graph = _turns_graph(pkg, SEQUENTIAL[:3])
        r = graph.stream_events({"messages": []}, version="v3")
        events = [
            (
                e["method"],
                e["params"]["namespace"],
                e["params"]["data"].get("event") if e["method"] == "tools" else None,
                e.get("seq"),
            )
            for e in r
        ]
        r = graph.stream_events({"messages": []}, version="v3")
        mixed = [
            (name, getattr(item, "tool_call_id", None))
            for name, item in r.interleave("tool_calls", "values")
        ]
        r = graph.stream_events({"messages": []}, version="v3")
        first, second = r.tool_calls.tee(2)
        return events, mixed, [tc.tool_call_id for tc in first], [repr(tc) for tc in second]

    lg, jit = _both(run)
    assert jit == lg
    started, delta = "tool-started", "tool-output-delta"
    assert [e[2] for e in jit[0] if e[0] == "tools"] == [
        *(started, "tool-finished"),
        *(started, delta, delta, delta, "tool-finished"),
        *(started, "tool-error"),
    ]


def test_collecting_calls_before_reading_them() -> None:
    # Deltas are kept only for a reader that is already iterating a call: listing
    # `run.tool_calls` first runs the graph to its end, so the deltas are gone.
    def run(pkg: str) -> Any:
        r = _turns_graph(pkg, SEQUENTIAL[:2]).stream_events({"messages": []}, version="v3")
        calls = list(r.tool_calls)
        return [(_seen(tc), list(tc)) for tc in calls]

    lg, jit = _both(run)
    assert jit == lg


def test_deltas_channel_has_one_reader() -> None:
    def run(pkg: str) -> Any:
        r = _turns_graph(pkg, SEQUENTIAL[1:2]).stream_events({"messages": []}, version="v3")
        tc = next(iter(r.tool_calls))
        first, second = tc.output_deltas.tee(2)
        got = (type(tc.output_deltas).__name__, list(first), list(second))
        try:
            iter(tc)
        except RuntimeError as err:
            return got, str(err)
        return got, None

    lg, jit = _both(run)
    assert jit == lg


def test_sync_reader_of_async_run_is_rejected() -> None:
    async def arun(pkg: str) -> Any:
        r = await _turns_graph(pkg, SEQUENTIAL[1:2]).astream_events({"messages": []}, version="v3")
        async for tc in r.tool_calls:
            try:
                list(tc)
            except TypeError as err:
                return str(err)
        return None

    lg, jit = _both(lambda pkg: asyncio.run(arun(pkg)))
    assert jit == lg is not None


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_async", [False, True])
def test_unhandled_tool_error_fails_the_run(use_async: bool) -> None:
    turns = [[("echo", {"text": "a"}, "e1")], [("boom", {"x": 7}, "e2")]]

    def run(pkg: str) -> Any:
        graph = _turns_graph(pkg, turns, handle_tool_errors=False, use_async=use_async)
        if not use_async:
            r = graph.stream_events({"messages": []}, version="v3")
            return _read_sync(r), _outcome_sync(r)

        async def go() -> Any:
            r = await graph.astream_events({"messages": []}, version="v3")
            return await _read_async(r), await _outcome_async(r)

        return asyncio.run(go())

    lg, jit = _both(run)
    assert jit == lg
    assert jit[0][-1] == ("error", "ValueError", "kaboom 7")
    assert jit[0][-2][2][5] == "kaboom 7"


def test_error_handler_message_is_not_the_call_error() -> None:
    # handle_tool_errors turns the exception into a ToolMessage; the call still failed.
    def run(pkg: str) -> Any:
        graph = _turns_graph(pkg, SEQUENTIAL[2:3], handle_tool_errors="custom message")
        r = graph.stream_events({"messages": []}, version="v3")
        return _read_sync(r), _outcome_sync(r)

    lg, jit = _both(run)
    assert jit == lg


def test_parent_handoff_and_drain_end_the_call() -> None:
    # A graph inside a tool handing off to the parent ends the call with an error;
    # a drained run fails, and the open call with it.
    from langchain_core.tools import tool

    def run(pkg: str) -> Any:
        graph, message = _mod(pkg, "graph"), _mod(pkg, "graph.message")
        prebuilt, types = _mod(pkg, "prebuilt"), _mod(pkg, "types")

        class S(TypedDict):
            messages: Annotated[list, message.add_messages]
            done: bool

        def hand_off(state: S) -> Any:
            return types.Command(graph=types.Command.PARENT, goto="finish", update={"done": True})

        control = _mod(pkg, "runtime").RunControl()

        def request_drain(state: S) -> dict[str, Any]:
            control.request_drain()
            return {}

        handing = graph.StateGraph(S).add_node("hand_off", hand_off)
        handing = handing.add_edge(graph.START, "hand_off").compile()
        draining = (
            graph.StateGraph(S).add_node("drain", request_drain).add_node("after", lambda state: {})
        )
        draining = draining.add_edge(graph.START, "drain").add_edge("drain", "after").compile()

        @tool
        def handoff() -> str:
            """Runs a graph that hands off to the parent."""
            handing.invoke({"messages": [], "done": False})
            return "unreachable"

        @tool
        def drained() -> str:
            """Runs a graph that drains the run."""
            draining.invoke({"messages": [], "done": False}, control=control)
            return "unreachable"

        out = []
        for name in ("handoff", "drained"):

            def caller(state: S, name: str = name) -> dict[str, Any]:
                call = {"name": name, "args": {}, "id": "t1"}
                return {"messages": [AIMessage("", tool_calls=[call], id="ask")]}

            builder = graph.StateGraph(S)
            builder.add_node("caller", caller)
            builder.add_node("tools", prebuilt.ToolNode([handoff, drained]))
            builder.add_node("finish", lambda state: {"done": True})
            builder.add_edge(graph.START, "caller")
            builder.add_edge("caller", "tools")
            builder.add_edge("tools", graph.END)
            builder.add_edge("finish", graph.END)
            compiled = builder.compile(transformers=[prebuilt.ToolCallTransformer])
            r = compiled.stream_events({"messages": [], "done": False}, version="v3")
            out.append((_read_sync(r), _outcome_sync(r)))
        return out

    lg, jit = _both(run)
    assert jit == lg
    assert jit[1][1] == ("error", "GraphDrained", "Graph drained: shutdown")


# -- interrupts -----------------------------------------------------------------------


@pytest.mark.parametrize("use_async", [False, True])
def test_interrupt_in_a_tool_then_resume(use_async: bool) -> None:
    turns = [[("echo", {"text": "a"}, "i0")], [("ask", {"question": "ok?"}, "i1")]]

    def run(pkg: str) -> Any:
        saver = _mod(pkg, "checkpoint.memory").InMemorySaver()
        command = _mod(pkg, "types").Command
        graph = _turns_graph(pkg, turns, checkpointer=saver, use_async=use_async)
        config = {"configurable": {"thread_id": "t"}}
        out = []
        for inp in ({"messages": []}, command(resume="yes")):
            if use_async:

                async def go(inp: Any = inp) -> Any:
                    r = await graph.astream_events(inp, config, version="v3")
                    return await _read_async(r), await _outcome_async(r)

                out.append(asyncio.run(go()))
            else:
                r = graph.stream_events(inp, config, version="v3")
                out.append((_read_sync(r), _outcome_sync(r)))
        return out

    lg, jit = _both(run)
    assert jit == lg
    paused, resumed = jit
    # the interrupted call ends without output or error when the run pauses
    assert paused[0][-1][2][4:7] == ("None", None, True)
    assert paused[1][1:] == (True, ["ok?"])
    assert resumed[0][0][2][4] == "'human said yes'"


# -- scopes ---------------------------------------------------------------------------


def _nested(pkg: str, *, on_outer: bool, on_inner: bool) -> Any:
    graph = _mod(pkg, "graph")
    message = _mod(pkg, "graph.message")
    prebuilt = _mod(pkg, "prebuilt")

    class S(TypedDict):
        messages: Annotated[list, message.add_messages]

    inner = _turns_graph(
        pkg,
        [[("echo", {"text": "in"}, "s1")], [("progress", {"steps": 2}, "s2")]],
        compiled_with=on_inner,
    )
    tools = _tools(pkg)

    def pre(state: S) -> dict[str, Any]:
        call = {"name": "echo", "args": {"text": "out"}, "id": "o1"}
        return {"messages": [AIMessage("", tool_calls=[call], id="outer")]}

    def child(state: S) -> dict[str, Any]:
        result = inner.invoke({"messages": []})
        return {"messages": [AIMessage(f"inner made {len(result['messages'])}", id="child")]}

    builder = graph.StateGraph(S)
    builder.add_node("pre", pre)
    builder.add_node("tools", prebuilt.ToolNode([tools["echo"]]))
    builder.add_node("child", child)
    builder.add_edge(graph.START, "pre")
    builder.add_edge("pre", "tools")
    builder.add_edge("tools", "child")
    builder.add_edge("child", graph.END)
    return builder.compile(transformers=[_transformer(pkg)] if on_outer else None)


@pytest.mark.parametrize(("on_outer", "on_inner"), [(True, False), (False, True), (True, True)])
def test_subgraph_calls_show_on_the_subgraph_handle(on_outer: bool, on_inner: bool) -> None:
    def run(pkg: str) -> Any:
        r = _nested(pkg, on_outer=on_outer, on_inner=on_inner).stream_events(
            {"messages": []}, version="v3"
        )
        subs = []
        for sub in r.subgraphs:
            keys = sorted(sub.extensions)
            calls = _read_sync(sub) if "tool_calls" in keys else None
            subs.append((_norm(sub.path), keys, calls))
        r2 = _nested(pkg, on_outer=on_outer, on_inner=on_inner).stream_events(
            {"messages": []}, version="v3"
        )
        root = _read_sync(r2) if "tool_calls" in r2.extensions else sorted(r2.extensions)
        return subs, root

    lg, jit = _both(run)
    assert jit == lg


def test_subgraph_scope_async() -> None:
    async def arun(pkg: str) -> Any:
        r = await _nested(pkg, on_outer=True, on_inner=False).astream_events(
            {"messages": []}, version="v3"
        )
        subs = []
        async for sub in r.subgraphs:
            subs.append((_norm(sub.path), await _read_async(sub)))
        return subs

    lg, jit = _both(lambda pkg: asyncio.run(arun(pkg)))
    assert jit == lg
    assert [s[1] for s in jit[0][1]] and jit[0][1][1][1] == [{"step": 0}, {"step": 1}]


# -- registration ---------------------------------------------------------------------


def test_per_call_transformer_missing_and_conflict() -> None:
    def run(pkg: str) -> Any:
        plain = _turns_graph(pkg, SEQUENTIAL[:2], compiled_with=False)
        per_call = plain.stream_events(
            {"messages": []}, version="v3", transformers=[_transformer(pkg)]
        )
        got: list[Any] = [_read_sync(per_call)]
        bare = plain.stream_events({"messages": []}, version="v3")
        try:
            bare.tool_calls  # noqa: B018 - the attribute access is the test
        except AttributeError as err:
            got.append(str(err).replace("GraphRunStream", "<handle>"))
        compiled = _turns_graph(pkg, SEQUENTIAL[:1])
        try:
            compiled.stream_events({"messages": []}, version="v3", transformers=[_transformer(pkg)])
        except ValueError as err:
            got.append(str(err))
        t = _transformer(pkg)
        got.append((t.required_stream_modes, t.requires_async, t.supports_sync, t.before_builtins))
        return got

    lg, jit = _both(run)
    assert jit == lg
    assert len(jit) == 4


# -- the transformer fed by hand --------------------------------------------------------


def _ev(data: Any, ns: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "event",
        "method": "tools",
        "params": {"namespace": list(ns), "timestamp": 0, "data": data},
    }


def _started(i: Any, name: str = "t", inp: Any = None, ns: tuple[str, ...] = ()) -> Any:
    return _ev({"event": "tool-started", "tool_call_id": i, "tool_name": name, "input": inp}, ns)


def _mux(pkg: str, scope: tuple[str, ...] = (), *, is_async: bool = False) -> Any:
    t = _transformer(pkg)(scope)
    mux = _mod(pkg, "stream._mux").StreamMux([t], is_async=is_async)
    return t, mux, mux.extensions["tool_calls"]


def test_transformer_by_hand_event_shapes() -> None:
    outputs = [
        ToolMessage("res", tool_call_id="a"),
        "plain",
        {"content": "kept as is"},
        AIMessage("not a tool message"),
        None,
    ]

    def run(pkg: str) -> Any:
        t, mux, log = _mux(pkg)
        reader = iter(log)
        returned = []
        events = [
            _started("a", "x", {"q": 1}),
            _ev({"event": "tool-output-delta", "tool_call_id": "a", "delta": 1}),
        ]
        for i, out in enumerate(outputs):
            events += [
                _started(f"o{i}"),
                _ev({"event": "tool-finished", "tool_call_id": f"o{i}", "output": out}),
            ]
        events += [
            _started("e1"),
            _ev({"event": "tool-error", "tool_call_id": "e1", "message": "bad"}),
            _started("e2"),
            _ev({"event": "tool-error", "tool_call_id": "e2"}),
            _ev({"event": "tool-output-delta", "tool_call_id": "unknown", "delta": 1}),
            _ev({"event": "tool-finished", "tool_call_id": "unknown", "output": 1}),
            _ev({"event": "tool-started", "tool_name": "no id"}),
            _ev({"event": "something-else", "tool_call_id": "a"}),
            _started("", "empty id"),
            _ev({"event": "tool-started", "tool_call_id": "bare"}),
            _started("sub", ns=("child:1",)),
            {
                "type": "event",
                "method": "values",
                "params": {"namespace": [], "timestamp": 0, "data": {}},
            },
        ]
        for e in events:
            returned.append(t.process(e) if e["method"] == "values" else None)
            if e["method"] != "values":
                mux.push(e)
        calls = []
        while True:
            try:
                calls.append(next(reader))
            except StopIteration:
                break
        before = [_seen(c) for c in calls]
        mux.close()
        return before, [_seen(c) for c in calls], [list(c) for c in calls], returned

    lg, jit = _both(run)
    assert jit == lg


def test_transformer_by_hand_scopes_and_failure() -> None:
    def run(pkg: str) -> Any:
        got = []
        for scope in ((), ("child:1",)):
            _t, mux, log = _mux(pkg, scope)
            reader = iter(log)
            mux.push(_started("root"))
            mux.push(_started("child", ns=("child:1",)))
            mux.push(_started("grandchild", ns=("child:1", "deeper:2")))
            mux.close()
            got.append([tc.tool_call_id for tc in reader])
        _t, mux, log = _mux(pkg)
        reader = iter(log)
        mux.push(_started("a"))
        a = next(reader)
        deltas = iter(a)
        mux.push(_ev({"event": "tool-output-delta", "tool_call_id": "a", "delta": "d"}))
        mux.push(_started("b"))
        b = next(reader)
        mux.push(_ev({"event": "tool-finished", "tool_call_id": "b", "output": 2}))
        mux.fail(KeyError("gone"))
        got += [_seen(a), _seen(b), list(deltas)]
        try:
            list(reader)
        except KeyError as err:
            got.append(repr(err))
        return got

    lg, jit = _both(run)
    assert jit == lg


def test_tool_call_stream_by_hand() -> None:
    def run(pkg: str) -> Any:
        cls = _mod(pkg, "prebuilt._tool_call_stream").ToolCallStream
        got: list[Any] = []
        unbound = cls("id1", "name")
        got.append(_seen(unbound))
        try:
            list(unbound)
        except TypeError as err:
            got.append(str(err))
        s = cls("id2", "name", {"a": 1})
        s._bind(is_async=False)
        reader = iter(s)
        s._push_delta(1)
        s._fail("broken")
        got += [list(reader), _seen(s)]
        s._finish("late")
        got.append(_seen(s))

        async def areader() -> Any:
            s = cls("id3", "name")
            s._bind(is_async=True)
            it = s.__aiter__()
            s._push_delta("x")
            s._finish({"done": True})
            return [d async for d in it], _seen(s)

        got.append(asyncio.run(areader()))
        return got

    lg, jit = _both(run)
    assert jit == lg


# -- create_agent through the switch ----------------------------------------------------


def test_create_agent_tool_streams_through_the_switch() -> None:
    pytest.importorskip("langchain.agents")
    from _program_diff import assert_same, run_both

    expected, actual = run_both("stream_v3_tools.py")
    for name in ("agent_sync", "agent_async", "subagent_sync", "subagent_async"):
        assert_same(expected, actual, name)
