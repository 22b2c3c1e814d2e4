"""Differential tests of nested subgraphs against LangGraph 1.2.22: which node functions are
found to run a subgraph (closures, attribute paths, wrappers), get_subgraphs namespaces, and
where the checkpoints of graphs invoked inside a node go (own thread, several per task)."""

from __future__ import annotations

import functools
import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from diff_helpers import Impl, assert_same, capture, cfg

pytestmark = pytest.mark.timeout(60)


class Log(TypedDict):
    log: Annotated[list, operator.add]


class Count(TypedDict):
    count: int


class _Box:
    def __init__(self, payload: Any) -> None:
        self.payload = payload


def _leaf(lg: Impl, tag: str, **compile_kwargs: Any) -> Any:
    g = lg.StateGraph(Log)
    g.add_node("leaf", lambda s: {"log": [tag]})
    g.add_edge(lg.START, "leaf")
    graph = g.compile(**compile_kwargs)
    graph.name = tag
    return graph


def _single(lg: Impl, node: Any, schema: type = Log, **compile_kwargs: Any) -> Any:
    g = lg.StateGraph(schema)
    g.add_node("n", node)
    g.add_edge(lg.START, "n")
    return g.compile(**compile_kwargs)


def _found(graph: Any) -> list[str]:
    return [(name, getattr(sub, "name", "?")) for name, sub in graph.get_subgraphs(recurse=True)]


def test_subgraphs_found_in_node_functions():
    def program(lg: Impl) -> dict:
        sub = _leaf(lg, "closure")
        chain = _Box(_Box(_leaf(lg, "chain")))
        holder = _Box(_leaf(lg, "nested"))

        def by_closure(state):
            return sub.invoke(state)

        def by_attribute_path(state):
            return chain.payload.payload.invoke(state)

        def by_nested_def(state):
            def inner():
                return holder.payload.invoke(state)

            return inner()

        def wrapped(state):
            return sub.invoke(state)

        @functools.wraps(wrapped)
        def wrapper(state):
            return {"log": []}

        async def by_async(state):
            return await sub.ainvoke(state)

        def subscript_only(state):
            return [sub][0].invoke(state)

        no_checkpoints = _leaf(lg, "no_checkpoints", checkpointer=False)

        def by_closure_no_checkpoints(state):
            return no_checkpoints.invoke(state)

        nodes = {
            "closure": by_closure,
            "attribute_path": by_attribute_path,
            "nested_def": by_nested_def,
            "wraps": wrapper,
            "async": by_async,
            "partial": functools.partial(by_closure),
            "graph_itself": _leaf(lg, "itself"),
            "checkpointer_false": no_checkpoints,
            "closure_checkpointer_false": by_closure_no_checkpoints,
        }
        return {name: _found(_single(lg, node)) for name, node in nodes.items()}

    assert_same(program)


def _prefix_named(lg: Impl) -> Any:
    research = (
        lg.StateGraph(Log)
        .add_node("review", _leaf(lg, "research|review"))
        .add_edge(lg.START, "review")
        .compile()
    )
    return (
        lg.StateGraph(Log)
        .add_node("research", research)
        .add_node("research_review", _leaf(lg, "research_review"))
        .add_node("review", _leaf(lg, "review"))
        .add_edge(lg.START, "research")
        .add_edge("research", "research_review")
        .add_edge("research_review", "review")
        .compile()
    )


def test_get_subgraphs_namespaces():
    def program(lg: Impl) -> dict:
        parent = _prefix_named(lg)
        out: dict = {"all": _found(parent), "top": [n for n, _ in parent.get_subgraphs()]}
        for ns in ("research", "research|review", "research_review", "review", "res", "x|y"):
            for recurse in (False, True):
                out[f"{ns}:{recurse}"] = [
                    (n, getattr(s, "name", "?"))
                    for n, s in parent.get_subgraphs(namespace=ns, recurse=recurse)
                ]
        return out

    assert_same(program)


def test_child_with_its_own_thread_is_a_root_run():
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        child = _single(
            lg, lambda s: {"count": (s.get("count") or 0) + 1}, Count, checkpointer=saver
        )

        def parent_node(state):
            child.invoke({}, {"configurable": {"thread_id": "child"}})
            return {"log": ["ok"]}

        parent = _single(lg, parent_node, checkpointer=saver)
        parent.invoke({"log": []}, cfg("parent"))
        parent.invoke({"log": []}, cfg("parent"))
        state = child.get_state(cfg("child"))
        return {
            "values": state.values,
            "ns": state.config["configurable"]["checkpoint_ns"],
            "namespaces": sorted(
                {
                    (
                        c.config["configurable"]["thread_id"],
                        c.config["configurable"]["checkpoint_ns"],
                    )
                    for c in saver.list(None)
                }
            ),
        }

    assert_same(program)


def test_several_graphs_run_by_one_task_keep_apart():
    def program(lg: Impl) -> dict:
        def wrapper(name: str, prefix: str) -> Any:
            inner = _single(lg, lambda s: {"log": [prefix + str(len(s["log"]))]})
            return (
                lg.StateGraph(Log)
                .add_node(name, inner)
                .add_edge(lg.START, name)
                .compile(checkpointer=True)
            )

        first, second = wrapper("first", "a"), wrapper("second", "b")
        seen: list = []

        def both(state):
            seen.append((first.invoke({"log": ["x"]})["log"], second.invoke({"log": ["y"]})["log"]))
            return {"log": ["done"]}

        saver = lg.InMemorySaver()
        parent = _single(lg, both, checkpointer=saver)
        parent.invoke({"log": []}, cfg())
        parent.invoke({"log": []}, cfg())
        namespaces = sorted(
            {c.config["configurable"]["checkpoint_ns"].split(":")[0] for c in saver.list(None)}
        )
        return {"seen": seen, "namespaces": namespaces}

    assert_same(program)


def test_state_of_a_subgraph_called_in_a_node():
    def program(lg: Impl) -> dict:
        sub = _leaf(lg, "inner")

        def node(state):
            return {"log": sub.invoke({"log": []})["log"]}

        parent = _single(lg, node, checkpointer=lg.InMemorySaver())
        parent.invoke({"log": []}, cfg())
        history = list(parent.get_state_history(cfg()))
        return {
            "state": capture(lambda: parent.get_state(cfg(), subgraphs=True)),
            "task_states": [[t.state for t in s.tasks] for s in history],
        }

    assert_same(program)
