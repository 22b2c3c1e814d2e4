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
