"""The plain path of a run nothing observes step by step (issue 21, fifth pass), compared
with LangGraph.

An `invoke` that streams nothing, without a saver, cache, breakpoints or lifecycle
handlers, runs its steps on `PregelRun.tick_plain`/`after_tick_plain` in one loop
(`_drive_plain`), commits a step of one node writing one value inline
(`ChannelTable.apply_one`), and makes a wide state's channels and its first commit in C
loops. Each case below compares what a user sees of such runs (the output, the error, the
config a node reads) with LangGraph, on the shapes the plain path special-cases or hands
back to the general one: chains with loops and fan-outs, self-triggering channels, writes
of nothing or to unknown channels, node errors, retries, the recursion limit, a Command as
input, wide states mixing channel kinds, and a run inside a node.
"""

import operator
from typing import Annotated, Any

import pytest
from tests.diff_helpers import Impl, assert_same, capture
from typing_extensions import TypedDict


def _chain(lg: Impl, n: int, fn: Any = None, **kw: Any) -> Any:
    """n nodes in a row on LastValue channels c0..cn (the chain workload's shape)."""
    fn = fn or (lambda x: x + 1)
    nb = lg.NodeBuilder
    nodes = {f"n{i}": nb().subscribe_only(f"c{i}").do(fn).write_to(f"c{i + 1}") for i in range(n)}
    channels = {f"c{i}": lg.ch.LastValue(int) for i in range(n + 1)}
    return lg.Pregel(
        nodes=nodes, channels=channels, input_channels="c0", output_channels=f"c{n}", **kw
    )


@pytest.mark.parametrize("n", [1, 2, 10])
def test_chains(n: int) -> None:
    def program(lg: Impl) -> Any:
        app = _chain(lg, n)
        return {
            "invoke": capture(lambda: app.invoke(1)),
            "limit": capture(lambda: app.invoke(1, {"recursion_limit": max(1, n - 1)})),
            "exact-limit": capture(lambda: app.invoke(1, {"recursion_limit": n})),
            "none": capture(lambda: app.invoke(None)),
            "values": capture(lambda: list(app.stream(1, stream_mode="values"))),
            "updates": capture(lambda: app.invoke(1, stream_mode="updates")),
        }

    assert_same(program)


def test_a_node_that_fails_and_one_retried() -> None:
    def program(lg: Impl) -> Any:
        calls = []

        def boom(x: int) -> int:
            raise ValueError(f"boom {x}")

        def flaky(x: int) -> int:
            calls.append(x)
            if len(calls) < 2:
                raise KeyError("again")
            return x * 10

        failing = _chain(lg, 3, boom)
        nb = lg.NodeBuilder
        retried = lg.Pregel(
            nodes={
                "a": nb().subscribe_only("a").do(flaky).write_to("b"),
                "b": nb().subscribe_only("b").do(lambda x: x + 1).write_to("c"),
            },
            channels={k: lg.ch.LastValue(int) for k in "abc"},
            input_channels="a",
            output_channels="c",
            retry_policy=lg.RetryPolicy(initial_interval=0, jitter=False, retry_on=KeyError),
        )
        return {
            "fails": capture(lambda: failing.invoke(2)),
            "retried": capture(lambda: retried.invoke(3)),
            "calls": calls,
        }

    assert_same(program)


def test_loops_fanouts_self_triggers_and_odd_writes() -> None:
    def program(lg: Impl) -> Any:
        nb = lg.NodeBuilder
        ch = lg.ch
        # A node that triggers itself until a bound (its own channel, one write a step).
        loop = lg.Pregel(
            nodes={
                "inc": nb()
                .subscribe_only("x")
                .do(lambda x: x + 1 if x < 5 else None)
                .write_to("x", "out"),
            },
            channels={"x": ch.LastValue(int), "out": ch.LastValue(int)},
            input_channels="x",
            output_channels=["x", "out"],
        )
        # One channel read by two nodes (a fan-out after a single write), joined again.
        fan = lg.Pregel(
            nodes={
                "a": nb().subscribe_only("in").do(lambda x: x + 1).write_to("mid"),
                "b": nb().subscribe_only("mid").do(lambda x: [x]).write_to("acc"),
                "c": nb().subscribe_only("mid").do(lambda x: [x * 2]).write_to("acc"),
            },
            channels={
                "in": ch.LastValue(int),
                "mid": ch.LastValue(int),
                "acc": ch.BinaryOperatorAggregate(list, operator.add),
            },
            input_channels="in",
            output_channels=["mid", "acc"],
        )
        # A node writing to a reducer channel, one writing to a Topic, one writing None.
        kinds = lg.Pregel(
            nodes={
                "a": nb().subscribe_only("in").do(lambda x: [x]).write_to("agg"),
                "b": nb().subscribe_only("agg").do(lambda x: len(x)).write_to("topic"),
                "c": nb().subscribe_only("topic").do(lambda x: None).write_to("last"),
            },
            channels={
                "in": ch.LastValue(int),
                "agg": ch.BinaryOperatorAggregate(list, operator.add),
                "topic": ch.Topic(int),
                "last": ch.LastValue(Any),
            },
            input_channels="in",
            output_channels=["agg", "topic", "last"],
        )
        return {
            "loop": capture(lambda: loop.invoke(0)),
            "fan": capture(lambda: fan.invoke(1)),
            "kinds": capture(lambda: kinds.invoke(4)),
            "loop-limit": capture(lambda: loop.invoke(0, {"recursion_limit": 3})),
        }

    assert_same(program)


def test_config_a_node_reads_and_a_graph_run_inside_a_node() -> None:
    def program(lg: Impl) -> Any:
        seen = []

        def look(x: int) -> int:
            c = lg.get_config()
            meta = c["metadata"]
            seen.append(
                (
                    meta["langgraph_step"],
                    meta["langgraph_node"],
                    meta["langgraph_triggers"],
                    meta["langgraph_checkpoint_ns"].count("|"),
                    # (a graph run inside a node: LangGraph's node config then has no
                    # tags nor recursion_limit; ours does, a difference left as it is)
                    c.get("tags") if "|" not in meta["langgraph_checkpoint_ns"] else None,
                )
            )
            return x + 1

        inner = _chain(lg, 3, look)

        def outer_node(x: int) -> int:
            return inner.invoke(x)

        outer = _chain(lg, 2, outer_node)
        return {
            "inner": capture(lambda: inner.invoke(1, {"recursion_limit": 7, "tags": ["t"]})),
            "outer": capture(lambda: outer.invoke(1)),
            "seen": seen,
        }

    assert_same(program)


class _Small(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


def test_command_as_input_and_a_drained_graph_without_a_saver() -> None:
    def program(lg: Impl) -> Any:
        b = lg.StateGraph(_Small)
        b.add_node("a", lambda s: {"log": ["a"], "n": s.get("n", 0) + 1})
        b.add_node("b", lambda s: {"log": ["b"]})
        b.add_edge(lg.START, "a")
        b.add_edge("a", "b")
        app = b.compile()
        return {
            "goto": capture(lambda: app.invoke(lg.Command(goto="b"))),
            "update": capture(lambda: app.invoke(lg.Command(update={"n": 5}, goto="a"))),
            "plain": capture(lambda: app.invoke({"n": 1})),
        }

    assert_same(program)


def _wide(lg: Impl, n_keys: int, *, reducer: bool) -> Any:
    keys = [f"k{i:03d}" for i in range(n_keys)]
    fields: dict[str, Any] = dict.fromkeys(keys, int)
    if reducer:
        fields["log"] = Annotated[list, operator.add]
    State = TypedDict("State", fields, total=False)  # type: ignore[misc]
    b = lg.StateGraph(State)
    for i in range(4):
        written = keys[i * 3 : i * 3 + 3]

        def fn(s: Any, written: list[str] = written, i: int = i) -> dict[str, Any]:
            out: dict[str, Any] = dict.fromkeys(written, i + sum(s.get(k, 0) for k in written))
            if reducer:
                out["log"] = [i]
            return out

        b.add_node(f"n{i}", fn)
        b.add_edge(lg.START if i == 0 else f"n{i - 1}", f"n{i}")
    return b.compile(), keys


@pytest.mark.parametrize("reducer", [False, True])
@pytest.mark.parametrize("n_keys", [12, 40])
def test_wide_states(n_keys: int, reducer: bool) -> None:
    """Wide states: the input's commit and the channels made in C loops (keys only, and
    keys with a reducer channel among them), partial inputs, and unknown input keys."""

    def program(lg: Impl) -> Any:
        app, keys = _wide(lg, n_keys, reducer=reducer)
        full = dict.fromkeys(keys, 1)
        if reducer:
            full["log"] = ["in"]
        return {
            "full": capture(lambda: app.invoke(full)),
            "partial": capture(lambda: app.invoke({keys[0]: 5, keys[-1]: 6})),
            "stream": capture(lambda: list(app.stream(full, stream_mode="updates"))),
            "values": capture(lambda: list(app.stream({keys[1]: 2}, stream_mode="values"))),
        }

    assert_same(program)


def test_wide_pregel_state_with_mixed_channels() -> None:
    """Low-level Pregel with many LastValues and other kinds interleaved (the channels a
    run makes are the copies of its specs, in order, whatever their kind)."""

    def program(lg: Impl) -> Any:
        ch = lg.ch
        nb = lg.NodeBuilder
        channels: dict[str, Any] = {}
        for i in range(30):
            channels[f"k{i:02d}"] = ch.LastValue(int)
            if i % 7 == 0:
                channels[f"e{i:02d}"] = ch.EphemeralValue(int)
                channels[f"s{i:02d}"] = ch.BinaryOperatorAggregate(int, operator.add)
        keys = [k for k in channels if k.startswith("k")]
        app = lg.Pregel(
            nodes={
                "a": nb()
                .subscribe_to("e00", read=False)
                .read_from(*keys)
                .do(lambda s: [("k01", s["k00"] + 1), ("s07", 3), ("e14", 1)])
                .write_to(lg.ChannelWriteTupleEntry(mapper=lambda x: x)),
                "b": nb()
                .subscribe_to("e14", read=False)
                .read_from("s07", "k01")
                .do(lambda s: [("k02", s["s07"] + s["k01"])])
                .write_to(lg.ChannelWriteTupleEntry(mapper=lambda x: x)),
            },
            channels=channels,
            input_channels=list(channels),
            output_channels=[k for k in channels if not k.startswith("e")],
        )
        inp = dict.fromkeys(keys, 1) | {"e00": 1, "s07": 2}
        return {"invoke": capture(lambda: app.invoke(inp))}

    assert_same(program)
