"""Typed interrupts, legacy interrupts, graph lifecycle callbacks, run control
(drain), server info and the `tools` stream mode, compared on both engines.

Each case builds the same program against `langgraph` and `langgraph_jit`
(imported by name) and returns what a user sees, as reprs where objects of the
two packages would otherwise never compare equal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import re
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _same(case: Callable[[str], Any]) -> None:
    expected = case("langgraph")
    actual = case("langgraph_jit")
    assert actual == expected


def _scrub(value: Any) -> str:
    """repr(value) without run-specific ids (checkpoint and task uuids, and the
    interrupt ids derived from them)."""
    text = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", repr(value)
    )
    return re.sub(r"'[0-9a-f]{32}'", "<id>", text)


# -- interrupt(response_schema=...) ------------------------------------------


class Decision(BaseModel):
    approved: bool
    note: str | None = None


class DecisionDict(TypedDict):
    approved: bool


@dataclasses.dataclass
class DecisionData:
    approved: bool


class AnswerState(TypedDict):
    answer: Any


def _ask_graph(pkg: str, schema: Any, checkpointer: Any = None) -> Any:
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")
    saver = checkpointer or _mod(pkg, "checkpoint.memory").InMemorySaver()

    def node(state: AnswerState) -> AnswerState:
        return {"answer": types.interrupt({"q": "approve?"}, response_schema=schema)}

    return (
        graph.StateGraph(AnswerState)
        .add_node("node", node)
        .add_edge(graph.START, "node")
        .compile(checkpointer=saver)
    )


@pytest.mark.parametrize(
    "schema",
    [None, {"type": "object"}, Decision, DecisionDict, DecisionData],
    ids=["none", "json", "pydantic", "typeddict", "dataclass"],
)
def test_interrupt_carries_the_json_schema_and_validates_the_answer(schema: Any) -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        app = _ask_graph(pkg, schema)
        config = {"configurable": {"thread_id": "t"}}
        first = app.invoke({"answer": None}, config)
        snapshot = app.get_state(config)
        answer = app.invoke(types.Command(resume={"approved": True}), config)
        return _scrub(first), _scrub(snapshot.interrupts), _scrub(answer)

    _same(case)


@pytest.mark.parametrize("style", ["value", "map"])
def test_an_invalid_answer_raises_and_can_be_given_again(style: str) -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        errors = _mod(pkg, "errors")
        app = _ask_graph(pkg, Decision)
        config = {"configurable": {"thread_id": "t"}}
        app.invoke({"answer": None}, config)
        [pending] = app.get_state(config).interrupts

        def resume(value: Any) -> Any:
            return types.Command(resume=value if style == "value" else {pending.id: value})

        try:
            app.invoke(resume({"approved": "nope"}), config)
            raised = None
        except Exception as exc:  # pydantic's ValidationError
            raised = (type(exc).__name__, errors.is_invalid_resume(exc))
        state = app.get_state(config)
        after = app.invoke(resume({"approved": False}), config)
        return raised, state.next, len(state.interrupts), _scrub(after)

    _same(case)


def test_invalid_answer_does_not_stop_the_other_answered_task() -> None:
    def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        types = _mod(pkg, "types")
        sent: list[str] = []

        class State(TypedDict):
            log: Annotated[list[str], lambda a, b: a + b]

        async def send(state: State) -> State:
            types.interrupt("send?", response_schema=Decision)
            sent.append("email")
            await asyncio.sleep(0.02)
            return {"log": ["sent"]}

        async def check(state: State) -> State:
            types.interrupt("check?", response_schema=Decision)
            return {"log": ["checked"]}

        app = (
            graph.StateGraph(State)
            .add_node("send", send)
            .add_node("check", check)
            .add_edge(graph.START, "send")
            .add_edge(graph.START, "check")
            .compile(checkpointer=_mod(pkg, "checkpoint.memory").InMemorySaver())
        )
        config = {"configurable": {"thread_id": "t"}}

        async def main() -> Any:
            await app.ainvoke({"log": []}, config)
            ids = {i.value: i.id for i in (await app.aget_state(config)).interrupts}
            bad = {ids["send?"]: {"approved": True}, ids["check?"]: {"approved": "nope"}}
            failed = None
            try:
                await app.ainvoke(types.Command(resume=bad), config)
            except Exception as exc:
                failed = type(exc).__name__
            pending = [i.value for i in (await app.aget_state(config)).interrupts]
            good = types.Command(resume={ids["check?"]: {"approved": True}})
            result = await app.ainvoke(good, config)
            return failed, pending, sorted(result["log"]), list(sent)

        return asyncio.run(main())

    _same(case)


# -- legacy interrupts ------------------------------------------------------


def test_legacy_interrupts_get_the_id_langgraph_derives() -> None:
    def case(pkg: str) -> Any:
        types = _mod(pkg, "types")
        serde = _mod(pkg, "checkpoint.serde.jsonplus").JsonPlusSerializer(allowed_json_modules=True)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = types.Interrupt(value="v", resumable=True, when="during", ns=["a:b", "c:d"])
            deprecated_id = types.Interrupt(value="v", id="abc").interrupt_id
        new = types.Interrupt.from_ns(value="v", ns="a:b|c:d")
        saved = (
            b'{"lc": 2, "type": "constructor", "id": ["langgraph", "types", "Interrupt"], '
            b'"kwargs": {"value": "x", "resumable": true, "ns": ["p:1", "q:2"], "when": "during"}}'
        )
        loaded = serde.loads_typed(("json", saved))
        return repr(old), repr(new), deprecated_id, repr(loaded)

    _same(case)


# -- graph lifecycle callbacks --------------------------------------------------


class TextState(TypedDict):
    a: str


def _lifecycle_case(pkg: str, *, use_async: bool = False, raising: bool = False) -> Any:
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")
    callbacks = _mod(pkg, "callbacks")
    from langchain_core.callbacks import BaseCallbackHandler

    class Recorder(callbacks.GraphCallbackHandler):
        def __init__(self) -> None:
            self.events: list[Any] = []

        def on_interrupt(self, event: Any) -> None:
            self.events.append(
                (
                    "interrupt",
                    event.status,
                    event.checkpoint_ns,
                    [i.value for i in event.interrupts],
                )
            )

        def on_resume(self, event: Any) -> None:
            self.events.append(("resume", event.status, event.checkpoint_ns))

    class Raising(callbacks.GraphCallbackHandler):
        raise_error = raising

        def on_interrupt(self, event: Any) -> None:
            raise ValueError("boom")

    class Plain(BaseCallbackHandler):
        pass

    def ask(state: TextState) -> TextState:
        return {"a": types.interrupt("q")}

    sub = graph.StateGraph(TextState).add_node("ask", ask).add_edge(graph.START, "ask").compile()
    app = (
        graph.StateGraph(TextState)
        .add_node("sub", sub)
        .add_node("after", lambda s: {"a": s["a"] + "!"})
        .add_edge(graph.START, "sub")
        .add_edge("sub", "after")
        .compile(checkpointer=_mod(pkg, "checkpoint.memory").InMemorySaver())
    )
    recorder = Recorder()
    config = {"configurable": {"thread_id": "t"}, "callbacks": [Plain(), Raising(), recorder]}
    out: list[Any] = []
    try:
        if use_async:

            async def main() -> None:
                out.append(await app.ainvoke({"a": ""}, config))
                out.append(await app.ainvoke(types.Command(resume="x"), config))

            asyncio.run(main())
        else:
            out.append(app.invoke({"a": ""}, config))
            out.append(app.invoke(types.Command(resume="x"), config))
    except ValueError as exc:
        out.append(("raised", str(exc)))
    return _scrub(out), _scrub(recorder.events)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_graph_handlers_hear_of_interrupts_and_resumes(use_async: bool) -> None:
    _same(lambda pkg: _lifecycle_case(pkg, use_async=use_async))


def test_a_graph_handler_with_raise_error_stops_the_run() -> None:
    _same(lambda pkg: _lifecycle_case(pkg, raising=True))


def test_breakpoints_are_interrupt_events() -> None:
    def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        callbacks = _mod(pkg, "callbacks")
        events: list[Any] = []

        class Recorder(callbacks.GraphCallbackHandler):
            def on_interrupt(self, event: Any) -> None:
                events.append(("interrupt", event.status, len(event.interrupts)))

            def on_resume(self, event: Any) -> None:
                events.append(("resume", event.status))

        app = (
            graph.StateGraph(TextState)
            .add_node("n", lambda s: {"a": "n"})
            .add_node("m", lambda s: {"a": "m"})
            .add_edge(graph.START, "n")
            .add_edge("n", "m")
            .compile(
                checkpointer=_mod(pkg, "checkpoint.memory").InMemorySaver(),
                interrupt_before=["m"],
                interrupt_after=["m"],
            )
        )
        config = {"configurable": {"thread_id": "t"}, "callbacks": [Recorder()]}
        results = [
            app.invoke({"a": ""}, config),
            app.invoke(None, config),
            app.invoke(None, config),
        ]
        return results, events

    _same(case)


# -- run control, context, server info, store ----------------------------------


def _two_steps(pkg: str, first: Callable[[Any], Any], **compile_kwargs: Any) -> Any:
    graph = _mod(pkg, "graph")
    return (
        graph.StateGraph(TextState)
        .add_node("first", first)
        .add_node("second", lambda s: {"a": s["a"] + "2"})
        .add_edge(graph.START, "first")
        .add_edge("first", "second")
        .compile(**compile_kwargs)
    )


@pytest.mark.parametrize("durability", ["async", "exit"])
def test_a_drain_stops_the_run_at_the_next_step_and_it_resumes(durability: str) -> None:
    def case(pkg: str) -> Any:
        runtime = _mod(pkg, "runtime")
        errors = _mod(pkg, "errors")
        control = runtime.RunControl()

        def first(state: TextState) -> TextState:
            control.request_drain("deploy")
            return {"a": "1"}

        saver = _mod(pkg, "checkpoint.memory").InMemorySaver()
        app = _two_steps(pkg, first, checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        try:
            app.invoke({"a": ""}, config, control=control, durability=durability)
            drained = None
        except errors.GraphDrained as exc:
            drained = exc.reason
        nxt = app.get_state(config).next
        return drained, nxt, app.invoke(None, config, durability=durability)

    _same(case)


def test_a_drain_in_a_subgraph_stops_its_root_and_the_runtime_control_is_shared() -> None:
    def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        errors = _mod(pkg, "errors")
        runtime = _mod(pkg, "runtime")
        seen: list[Any] = []

        def first(state: TextState, runtime: runtime.Runtime) -> TextState:
            seen.append(runtime.drain_requested)
            runtime.control.request_drain("sub")
            seen.append(runtime.drain_reason)
            return {"a": "1"}

        child = _two_steps(pkg, first, checkpointer=True)
        app = (
            graph.StateGraph(TextState)
            .add_node("child", child)
            .add_node("last", lambda s: {"a": s["a"] + "3"})
            .add_edge(graph.START, "child")
            .add_edge("child", "last")
            .compile(checkpointer=_mod(pkg, "checkpoint.memory").InMemorySaver())
        )
        config = {"configurable": {"thread_id": "t"}}
        try:
            app.invoke({"a": ""}, config)
        except errors.GraphDrained as exc:
            seen.append(exc.reason)
        seen.append(app.invoke(None, config))
        return seen

    _same(case)


def test_a_drained_control_given_up_front_runs_nothing() -> None:
    def case(pkg: str) -> Any:
        runtime = _mod(pkg, "runtime")
        errors = _mod(pkg, "errors")
        control = runtime.RunControl()
        control.request_drain("early")
        ran: list[str] = []

        def first(state: TextState) -> TextState:
            ran.append("first")
            return {"a": "1"}

        try:
            _two_steps(pkg, first).invoke({"a": ""}, control=control)
        except errors.GraphDrained as exc:
            return exc.reason, ran
        return None, ran

    _same(case)


def test_subgraphs_inherit_context_and_store_and_nodes_see_server_info() -> None:
    def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        runtime = _mod(pkg, "runtime")
        config_mod = _mod(pkg, "config")
        store = _mod(pkg, "store.memory").InMemoryStore()
        seen: list[Any] = []

        @dataclasses.dataclass
        class Context:
            user: str

        def node(state: TextState, runtime: runtime.Runtime[Context]) -> TextState:
            info = runtime.server_info
            seen.append(
                (
                    runtime.context,
                    runtime.store is store,
                    config_mod.get_store() is store,
                    None if info is None else (info.assistant_id, info.graph_id, info.user),
                )
            )
            return {"a": "x"}

        sub = (
            graph.StateGraph(TextState, context_schema=Context)
            .add_node("n", node)
            .add_edge(graph.START, "n")
            .compile()
        )
        app = (
            graph.StateGraph(TextState, context_schema=Context)
            .add_node("n", node)
            .add_node("sub", sub)
            .add_edge(graph.START, "n")
            .add_edge("n", "sub")
            .compile(store=store)
        )
        app.invoke({"a": ""}, context={"user": "ann"})
        app.invoke({"a": ""}, {"configurable": {"assistant_id": "as", "graph_id": "g"}})
        return repr(seen)

    _same(case)


def test_a_runtime_seeded_in_the_config_gives_context_and_store() -> None:
    def case(pkg: str) -> Any:
        graph = _mod(pkg, "graph")
        runtime = _mod(pkg, "runtime")
        constants = _mod(pkg, "_internal._constants")
        store = _mod(pkg, "store.memory").InMemoryStore()
        seen: list[Any] = []

        class Seeded:
            context = {"source": "host"}

        Seeded.store = store  # type: ignore[attr-defined]

        def node(state: TextState, runtime: runtime.Runtime) -> TextState:
            seen.append((runtime.context, runtime.store is store))
            return {"a": "x"}

        app = graph.StateGraph(TextState).add_node("n", node).add_edge(graph.START, "n").compile()
        app.invoke({"a": ""}, {"configurable": {constants.CONFIG_KEY_RUNTIME: Seeded()}})
        return seen

    _same(case)


# -- the tools stream mode -------------------------------------------------------


def _tool_events(pkg: str, tools: list[Any], calls: list[dict[str, Any]], **kw: Any) -> Any:
    from langchain_core.messages import AIMessage

    graph = _mod(pkg, "graph")
    message = _mod(pkg, "graph.message")
    prebuilt = _mod(pkg, "prebuilt")

    # Functional form: this module's annotations are strings (__future__).
    State = TypedDict("State", {"messages": Annotated[list, message.add_messages]})  # type: ignore[misc]  # noqa: UP013

    def caller(state: Any) -> Any:
        return {"messages": [AIMessage(content="", tool_calls=calls)]}

    inner = (
        graph.StateGraph(State)
        .add_node("caller", caller)
        .add_node("tools", prebuilt.ToolNode(tools))
        .add_edge(graph.START, "caller")
        .add_edge("caller", "tools")
        .compile()
    )
    app = graph.StateGraph(State).add_node("sub", inner).add_edge(graph.START, "sub").compile()
    events: list[Any] = []
    try:
        for ns, mode, payload in app.stream({"messages": []}, stream_mode=["tools"], **kw):
            shown = {k: v for k, v in payload.items() if k != "output"}
            events.append((len(ns), mode, shown))
    except Exception as exc:
        events.append(("raised", type(exc).__name__, {"message": str(exc)}))
    return events


def test_tool_calls_stream_as_tools_events() -> None:
    from langchain_core.tools import tool

    def case(pkg: str) -> Any:
        prebuilt = _mod(pkg, "prebuilt")

        def echo(text: str, runtime: Any) -> str:
            """echo."""
            runtime.emit_output_delta(text + "-1")
            runtime.emit_output_delta(text + "-2")
            return text

        # Annotated here: this module's annotations are strings (__future__).
        echo.__annotations__["runtime"] = prebuilt.ToolRuntime
        echo = tool(echo)

        @tool
        def boom() -> str:
            """fails."""
            raise ValueError("nope")

        calls = [
            {"name": "echo", "args": {"text": "a"}, "id": "a"},
            {"name": "echo", "args": {"text": "b"}, "id": "b"},
        ]
        ok = _tool_events(pkg, [echo], calls, subgraphs=True)
        # The two calls run concurrently: each call's own events keep their order.
        by_call = sorted(ok, key=lambda e: str(e[2].get("tool_call_id")))
        hidden = _tool_events(pkg, [echo], calls)  # a subgraph's calls, not asked for
        failed = _tool_events(
            pkg, [boom], [{"name": "boom", "args": {}, "id": "c"}], subgraphs=True
        )
        return _scrub(by_call), hidden, _scrub(failed)

    _same(case)
