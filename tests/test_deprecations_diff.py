"""Deprecation warnings a LangGraph user sees, compared on both engines."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any, TypedDict

import pytest


class PlainState(TypedDict):
    foo: str


def _add_node_retry(pkg: str) -> None:
    graph = importlib.import_module(f"{pkg}.graph")
    types = importlib.import_module(f"{pkg}.types")
    graph.StateGraph(PlainState).add_node("n", lambda s: s, retry=types.RetryPolicy())


def _add_node_input(pkg: str) -> None:
    graph = importlib.import_module(f"{pkg}.graph")
    graph.StateGraph(PlainState).add_node("n", lambda s: s, input=PlainState)


def _task_retry(pkg: str) -> None:
    func = importlib.import_module(f"{pkg}.func")
    types = importlib.import_module(f"{pkg}.types")
    func.task(retry=types.RetryPolicy())(lambda s: s)


def _entrypoint_retry(pkg: str) -> None:
    func = importlib.import_module(f"{pkg}.func")
    types = importlib.import_module(f"{pkg}.types")

    def flow(state: PlainState) -> PlainState:
        return state

    func.entrypoint(retry=types.RetryPolicy())(flow)


def _graph_output_access(pkg: str) -> Any:
    types = importlib.import_module(f"{pkg}.types")
    interrupt = types.Interrupt(value="q", id="abc")
    output = types.GraphOutput(value={"foo": "bar"}, interrupts=(interrupt,))
    return output["foo"], "foo" in output, output["__interrupt__"] == (interrupt,)


CASES: dict[str, Callable[[str], Any]] = {
    "add_node retry": _add_node_retry,
    "add_node input": _add_node_input,
    "task retry": _task_retry,
    "entrypoint retry": _entrypoint_retry,
    "GraphOutput item access": _graph_output_access,
}


def _observe(pkg: str, case: Callable[[str], Any]) -> tuple[Any, list[tuple[str, str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = case(pkg)
    seen = [
        (w.category.__name__, str(w.message)) for w in caught if "Deprecat" in w.category.__name__
    ]
    return result, seen


@pytest.mark.parametrize("name", list(CASES))
def test_deprecation_warnings_match_langgraph(name: str) -> None:
    expected = _observe("langgraph", CASES[name])
    assert expected[1], "the case must warn on LangGraph"
    assert _observe("langgraph_jit", CASES[name]) == expected
