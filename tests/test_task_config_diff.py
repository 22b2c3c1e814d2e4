"""Differential tests of what a node finds in its config's `configurable` (the keys a user
reads: thread_id, checkpoint_id, checkpoint_ns, checkpoint_map) against LangGraph 1.2.22:
without a saver, with one, replaying from an old checkpoint, and in a graph invoked inside
a node. LangGraph gives every task `checkpoint_id: None`, whatever the run's config says.

Not compared: the config's other top-level keys. LangGraph passes only those the caller
gave, where langgraph_jit also fills in `recursion_limit`, `tags` and `run_name` (noted in
the README as a known difference).
"""

from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from typing_extensions import TypedDict

from diff_helpers import assert_same, cfg

pytestmark = pytest.mark.timeout(60)


class _S(TypedDict):
    x: int


def _user_keys(config: Any) -> list:
    """The configurable's public keys and values, sorted by key: their order differs (ours puts
    checkpoint_ns first), and assert_same numbers ids by where they first appear."""
    return sorted((k, v) for k, v in config["configurable"].items() if not k.startswith("__"))


def _two_nodes(lg: Any, seen: list, saver: Any = None) -> Any:
    def by_param(state: _S, config: RunnableConfig) -> dict:
        seen.append(("param", _user_keys(config)))
        return {"x": state["x"] + 1}

    def by_get_config(state: _S) -> dict:
        seen.append(("get_config", _user_keys(lg.get_config())))
        return {"x": state["x"] + 1}

    builder = lg.StateGraph(_S)
    builder.add_node("a", by_param)
    builder.add_node("b", by_get_config)
    builder.add_edge(lg.START, "a")
    builder.add_edge("a", "b")
    return builder.compile(checkpointer=saver)


def test_no_saver():
    def program(lg: Any) -> Any:
        seen: list = []
        out = _two_nodes(lg, seen).invoke({"x": 0})
        return out, seen

    assert_same(program)


def test_saver_and_replay_from_an_old_checkpoint():
    def program(lg: Any) -> Any:
        seen: list = []
        app = _two_nodes(lg, seen, lg.InMemorySaver())
        c = cfg("t")
        app.invoke({"x": 0}, c)
        older = list(app.get_state_history(c))[1].config
        seen.append(("replay", older["configurable"].get("checkpoint_id") is not None))
        app.invoke(None, older)
        return seen

    assert_same(program)


def test_graph_invoked_inside_a_node():
    def program(lg: Any) -> Any:
        seen: list = []
        inner = _two_nodes(lg, seen)

        def outer_node(state: _S) -> dict:
            seen.append(("outer", _user_keys(lg.get_config())))
            return inner.invoke(state)

        builder = lg.StateGraph(_S)
        builder.add_node("outer", outer_node)
        builder.add_edge(lg.START, "outer")
        out = builder.compile().invoke({"x": 0})
        return out, seen

    assert_same(program)
