"""Edge triggers left uncleared in runs nothing observes channel by channel (issue 21,
fourth pass), compared with LangGraph.

A run without a saver and without breakpoints runs a StateGraph on a variant of its
topology (Topology.unswept_triggers) in which the `branch:to:` channels of its edges are
never cleared by a step without writes: a step bumps its edge's trigger and nothing else.
Only a saver's checkpoints show versions and trigger values, so every case below compares
what a user sees of such runs (invoke, every stream mode) with LangGraph, on the shapes
where clearing could matter: several edges into one node in one step, loops, a node that
writes nothing, Command gotos (from a node and as input), deferred nodes and joins,
subgraphs, a root-value state, breakpoints and the recursion limit. The same graphs with a
saver (the plain topology) are compared too, with their state and history.
"""

import operator
from typing import Annotated, Any

import pytest
from tests.diff_helpers import Impl, assert_same, capture, observe_all_modes
from typing_extensions import TypedDict


class _S(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


def _saver(lg: Impl, saver: bool) -> Any:
    return lg.InMemorySaver() if saver else None


def _fan_in_loop(lg: Impl, saver: bool, *, defer: bool = False) -> Any:
    """START -> a, b; a -> c and b -> c (two writes to c's trigger in one step); c loops
    back to a twice through a conditional edge, then ends."""
    b = lg.StateGraph(_S)
    b.add_node("a", lambda s: {"log": ["a"], "n": s.get("n", 0) + 1})
    b.add_node("b", lambda s: {"log": ["b"]})
    b.add_node("c", lambda s: {"log": [f"c{s.get('n', 0)}"]}, defer=defer)
    b.add_edge(lg.START, "a")
    b.add_edge(lg.START, "b")
    b.add_edge("a", "c")
    b.add_edge("b", "c")
    b.add_conditional_edges("c", lambda s: "a" if s.get("n", 0) < 3 else lg.END, ["a", lg.END])
    return b.compile(checkpointer=_saver(lg, saver))


def _quiet_nodes(lg: Impl, saver: bool) -> Any:
    """A node that writes nothing ({} and None) between others, a self-loop, a join."""
    b = lg.StateGraph(_S)
    b.add_node("first", lambda s: {"log": ["first"], "n": 0})
    b.add_node("empty", lambda s: {})
    b.add_node("none", lambda s: None)
    b.add_node("again", lambda s: {"n": s["n"] + 1, "log": ["again"]})
    b.add_node("last", lambda s: {"log": ["last"]})
    b.add_edge(lg.START, "first")
    b.add_edge("first", "empty")
    b.add_edge("first", "none")
    b.add_edge(["empty", "none"], "again")
    b.add_conditional_edges("again", lambda s: "again" if s["n"] < 3 else "last")
    b.add_edge("last", lg.END)
    return b.compile(checkpointer=_saver(lg, saver))


def _commands(lg: Impl, saver: bool) -> Any:
    """Nodes routing with Command(goto=...), a node with static edges that also routes."""
    Command = lg.Command

    def start(s: _S) -> Any:
        return Command(update={"log": ["start"]}, goto=["left", "right"])

    def left(s: _S) -> Any:
        return Command(update={"log": ["left"]}, goto="done")

    b = lg.StateGraph(_S)
    b.add_node("start", start)
    b.add_node("left", left)
    b.add_node("right", lambda s: {"log": ["right"]})
    b.add_node("done", lambda s: {"log": ["done"]})
    b.add_edge(lg.START, "start")
    b.add_edge("right", "done")
    return b.compile(checkpointer=_saver(lg, saver))


@pytest.mark.parametrize("saver", [False, True])
@pytest.mark.parametrize("defer", [False, True])
def test_fan_in_and_loop(saver: bool, defer: bool) -> None:
    assert_same(
        lambda lg: observe_all_modes(_fan_in_loop(lg, saver, defer=defer), {"n": 0}, parallel=True)
    )


@pytest.mark.parametrize("saver", [False, True])
def test_nodes_that_write_nothing_a_join_and_a_self_loop(saver: bool) -> None:
    assert_same(lambda lg: observe_all_modes(_quiet_nodes(lg, saver), {"log": []}, parallel=True))


@pytest.mark.parametrize("saver", [False, True])
def test_command_gotos(saver: bool) -> None:
    assert_same(lambda lg: observe_all_modes(_commands(lg, saver), {"log": []}, parallel=True))


def test_command_goto_as_input_and_breakpoints_without_a_saver() -> None:
    def program(lg: Impl) -> Any:
        app = _commands(lg, False)
        obs = {"goto-input": capture(lambda: app.invoke(lg.Command(goto="right")))}
        loop = _fan_in_loop(lg, False)
        obs["before"] = capture(lambda: loop.invoke({"n": 0}, interrupt_before=["c"]))
        obs["after"] = capture(
            lambda: list(loop.stream({"n": 0}, interrupt_after=["a"], stream_mode="updates"))
        )
        obs["limit"] = capture(lambda: loop.invoke({"n": 0}, {"recursion_limit": 3}))
        return obs

    assert_same(program)


def test_output_keys_and_a_subgraph_without_a_saver() -> None:
    def program(lg: Impl) -> Any:
        inner = _fan_in_loop(lg, False)
        b = lg.StateGraph(_S)
        b.add_node("pre", lambda s: {"log": ["pre"]})
        b.add_node("inner", inner)
        b.add_node("post", lambda s: {"log": ["post"]})
        b.add_edge(lg.START, "pre")
        b.add_edge("pre", "inner")
        b.add_edge("inner", "post")
        outer = b.compile()
        obs = observe_all_modes(outer, {"n": 0}, parallel=True, subgraphs=True)
        obs["log-only"] = capture(lambda: outer.invoke({"n": 0}, output_keys=["log"]))
        obs["n-only"] = capture(lambda: outer.invoke({"n": 0}, output_keys="n"))
        return obs

    assert_same(program)


@pytest.mark.parametrize("saver", [False, True])
def test_root_value_state(saver: bool) -> None:
    """A state that is one value (nodes read `__root__` itself), empty at first."""

    def program(lg: Impl) -> Any:
        b = lg.StateGraph(Annotated[list, operator.add])
        b.add_node("a", lambda s: ["a"])
        b.add_node("b", lambda s: [] if len(s) > 3 else ["b"])
        b.add_edge(lg.START, "a")
        b.add_edge("a", "b")
        b.add_conditional_edges("b", lambda s: "a" if len(s) < 4 else lg.END, ["a", lg.END])
        return observe_all_modes(b.compile(checkpointer=_saver(lg, saver)), ["in"])

    assert_same(program)
