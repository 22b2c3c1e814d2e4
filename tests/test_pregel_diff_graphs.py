"""Differential tests of low-level Pregel graphs against LangGraph 1.2.22: chains and inputs,
construction errors, fan-out/fan-in, loops and the recursion limit, every channel type inside a
graph. The shared programs are in diff_helpers.
"""

from __future__ import annotations

import operator

import pytest

from diff_helpers import (
    TASKS,
    Impl,
    assert_same,
    capture,
    cfg,
    chain_app,
    collect_stream,
    loop_app,
    observe_all_modes,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


# ---------------------------------------------------------------------------
# Chains, inputs, construction errors


def test_chain_all_modes_with_checkpointer():
    assert_same(lambda lg: observe_all_modes(chain_app(lg), "x"))


def test_chain_all_modes_without_checkpointer():
    assert_same(lambda lg: observe_all_modes(chain_app(lg, checkpointer=False), "x"))


def test_chain_single_output_channel():
    def program(lg):
        one = lg.NodeBuilder().subscribe_only("a").do(lambda x: x * 2).write_to("b")
        app = lg.Pregel(
            nodes={"one": one},
            channels={"a": lg.ch.LastValue(int), "b": lg.ch.LastValue(int)},
            input_channels="a",
            output_channels="b",
        )
        return observe_all_modes(app, 3)

    assert_same(program)


def test_dict_input_multi_channel():
    def program(lg):
        add = (
            lg.NodeBuilder()
            .subscribe_to("x", "y")
            .do(lambda d: d["x"] + d.get("y", 0))
            .write_to("total")
        )
        app = lg.Pregel(
            nodes={"add": add},
            channels={
                "x": lg.ch.LastValue(int),
                "y": lg.ch.LastValue(int),
                "total": lg.ch.LastValue(int),
            },
            input_channels=["x", "y"],
            output_channels=["x", "total"],
            checkpointer=lg.InMemorySaver(),
        )
        return {
            "both": observe_all_modes(app, {"x": 1, "y": 2}),
            "partial": capture(lambda: app.invoke({"x": 5}, cfg("p"))),
            "unknown-key": capture(lambda: app.invoke({"x": 5, "zzz": 1}, cfg("u"))),
        }

    assert_same(program)


def test_invalid_input_non_dict_for_multi_channel_input():
    def program(lg):
        add = lg.NodeBuilder().subscribe_to("x", "y").do(lambda d: 0).write_to("total")
        app = lg.Pregel(
            nodes={"add": add},
            channels={
                "x": lg.ch.LastValue(int),
                "y": lg.ch.LastValue(int),
                "total": lg.ch.LastValue(int),
            },
            input_channels=["x", "y"],
            output_channels="total",
            checkpointer=lg.InMemorySaver(),
        )
        return {
            "invoke": capture(lambda: app.invoke(3, cfg())),
            "stream": collect_stream(lambda: app.stream([1, 2], cfg("s"))),
            "state": state_of(app, cfg()),
        }

    assert_same(program)


def test_empty_input_error():
    def program(lg):
        app = chain_app(lg)
        no_cp = chain_app(lg, checkpointer=False)
        return {
            "fresh-thread": capture(lambda: app.invoke(None, cfg())),
            "fresh-thread-stream": collect_stream(lambda: app.stream(None, cfg("s"))),
            "no-checkpointer": capture(lambda: no_cp.invoke(None)),
            "state": state_of(app, cfg()),
        }

    assert_same(program)


def test_unknown_channel_in_subscriptions():
    def program(lg):
        def make(nodes, **kw):
            args = dict(
                nodes=nodes,
                channels={"a": lg.ch.LastValue(str), "b": lg.ch.LastValue(str)},
                input_channels="a",
                output_channels="b",
            )
            args.update(kw)
            return capture(lambda: type(lg.Pregel(**args)).__name__)

        nb = lg.NodeBuilder
        return {
            "subscribe_only": make(
                {"n": nb().subscribe_only("nope").do(lambda x: x).write_to("b")}
            ),
            "subscribe_to": make(
                {"n": nb().subscribe_to("a", "nope").do(lambda x: x).write_to("b")}
            ),
            "read_from": make(
                {"n": nb().subscribe_to("a").read_from("nope").do(lambda x: x).write_to("b")}
            ),
            "output": make(
                {"n": nb().subscribe_only("a").do(lambda x: x).write_to("b")}, output_channels="zz"
            ),
            "input": make(
                {"n": nb().subscribe_only("a").do(lambda x: x).write_to("b")}, input_channels="zz"
            ),
            "stream": make(
                {"n": nb().subscribe_only("a").do(lambda x: x).write_to("b")},
                stream_channels=["zz"],
            ),
            "ok": make({"n": nb().subscribe_only("a").do(lambda x: x).write_to("b")}),
        }

    assert_same(program)


def test_reserved_tasks_channel_in_channels():
    def program(lg):
        n = lg.NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("b")
        return capture(
            lambda: lg.Pregel(
                nodes={"n": n},
                channels={
                    "a": lg.ch.LastValue(str),
                    "b": lg.ch.LastValue(str),
                    TASKS: lg.ch.LastValue(str),
                },
                input_channels="a",
                output_channels="b",
            ).invoke("x")
        )

    assert_same(program)


# ---------------------------------------------------------------------------
# Fan-out / fan-in, conflicts, loops, recursion limit


def fan_app(lg: Impl, join_channel=None, **kw):
    """start -> (left, right) in one step -> join."""
    join_channel = join_channel or lg.ch.Topic(str, accumulate=False)
    start = lg.NodeBuilder().subscribe_only("inp").do(lambda x: x).write_to("l_in", "r_in")
    left = lg.NodeBuilder().subscribe_only("l_in").do(lambda x: "L" + x).write_to("joined")
    right = lg.NodeBuilder().subscribe_only("r_in").do(lambda x: "R" + x).write_to("joined")
    join = (
        lg.NodeBuilder()
        .subscribe_only("joined")
        .do(lambda xs: sorted(xs) if isinstance(xs, list) else xs)
        .write_to("out")
    )
    return lg.Pregel(
        nodes={"start": start, "left": left, "right": right, "join": join},
        channels={
            "inp": lg.ch.LastValue(str),
            "l_in": lg.ch.LastValue(str),
            "r_in": lg.ch.LastValue(str),
            "joined": join_channel,
            "out": lg.ch.LastValue(list),
        },
        input_channels="inp",
        output_channels=["joined", "out"],
        checkpointer=lg.InMemorySaver(),
        **kw,
    )


def test_fan_out_fan_in_topic():
    assert_same(lambda lg: observe_all_modes(fan_app(lg), "x", parallel=True))


def test_fan_in_lastvalue_conflict_raises_invalid_update():
    def program(lg):
        app = fan_app(lg, join_channel=lg.ch.LastValue(str))
        obs = observe_all_modes(app, "x", parallel=True)
        return obs

    assert_same(program)


def test_loop_with_stop_condition():
    assert_same(lambda lg: observe_all_modes(loop_app(lg), 0))


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
def test_recursion_limit_boundaries(limit):
    """Loop needing exactly 4 node steps; limits around the boundary."""

    def program(lg):
        app = loop_app(lg, stop_at=4)
        c = cfg(recursion_limit=limit)
        return {"invoke": capture(lambda: app.invoke(0, c)), **state_of(app, c)}

    assert_same(program)


def test_recursion_limit_endless_loop_all_modes():
    assert_same(
        lambda lg: observe_all_modes(loop_app(lg, stop_at=None), 0, config={"recursion_limit": 3})
    )


# ---------------------------------------------------------------------------
# Every channel type inside a graph


def _channel_program(kind: str):
    def program(lg):
        ch = lg.ch
        nb = lg.NodeBuilder
        channels = {
            "inp": ch.LastValue(str),
            "l_in": ch.LastValue(str),
            "r_in": ch.LastValue(str),
            "out": ch.LastValue(object),
        }
        start = nb().subscribe_only("inp").do(lambda x: x).write_to("l_in", "r_in")
        nodes = {"start": start}
        outputs = ["out"]
        if kind in (
            "BinaryOperatorAggregate",
            "AnyValue",
            "Topic",
            "TopicAccumulate",
            "LastValueAfterFinish",
        ):
            channels["acc"] = {
                "BinaryOperatorAggregate": lambda: ch.BinaryOperatorAggregate(str, operator.add),
                "AnyValue": lambda: ch.AnyValue(str),
                "Topic": lambda: ch.Topic(str),
                "TopicAccumulate": lambda: ch.Topic(str, accumulate=True),
                "LastValueAfterFinish": lambda: ch.LastValueAfterFinish(str),
            }[kind]()
            same = kind == "AnyValue"
            nodes["left"] = (
                nb().subscribe_only("l_in").do(lambda x: "v" if same else "L" + x).write_to("acc")
            )
            nodes["right"] = (
                nb()
                .subscribe_only("r_in")
                .do(lambda x: "v" if same else "R" + x)
                .write_to("acc", again="once")
            )
            channels["again"] = ch.EphemeralValue(str)
            # one more step writing `acc` again, so accumulation/clearing across steps shows
            nodes["again"] = (
                nb().subscribe_only("again").do(lambda x: "v" if same else "A").write_to("acc")
            )
            nodes["join"] = (
                nb()
                .subscribe_only("acc")
                .do(lambda v: sorted(v) if isinstance(v, list) else v)
                .write_to("out")
            )
            outputs.append("acc")
        elif kind in ("NamedBarrierValue", "NamedBarrierValueAfterFinish"):
            cls = getattr(ch, kind)
            channels["barrier"] = cls(str, {"left", "right"})
            channels["mid"] = ch.LastValue(str)
            nodes["left"] = nb().subscribe_only("l_in").do(lambda x: x).write_to(barrier="left")
            # right is one step later than left, so the barrier waits
            nodes["right"] = nb().subscribe_only("r_in").do(lambda x: x).write_to("mid")
            nodes["right2"] = nb().subscribe_only("mid").do(lambda x: x).write_to(barrier="right")
            nodes["join"] = (
                nb()
                .subscribe_to("barrier", read=False)
                .read_from("inp")
                .do(lambda d: "joined:" + d["inp"])
                .write_to("out")
            )
        elif kind in ("EphemeralValue", "UntrackedValue"):
            cls = getattr(ch, kind)
            channels["tmp"] = cls(str)
            nodes["left"] = nb().subscribe_only("l_in").do(lambda x: "L" + x).write_to("tmp")
            nodes["reader"] = nb().subscribe_only("tmp").do(lambda x: "saw " + x).write_to("out")
            # reads tmp one step after it was written: Ephemeral is gone, Untracked stays
            nodes["late"] = (
                nb()
                .subscribe_to("out")
                .read_from("tmp")
                .do(lambda d: repr(sorted(d.items())))
                .write_to("late")
            )
            channels["late"] = ch.LastValue(str)
            outputs += ["tmp", "late"]
        elif kind == "LastValue":
            nodes["left"] = nb().subscribe_only("l_in").do(lambda x: "L" + x).write_to("out")
        app = lg.Pregel(
            nodes=nodes,
            channels=channels,
            input_channels="inp",
            output_channels=outputs,
            checkpointer=lg.InMemorySaver(),
        )
        # LangGraph's default durability ("async") serialises a barrier's live
        # `seen` set in the background, after the next step may have added to
        # it; "sync" pins the checkpoint to the step that made it.
        durability = "sync" if "Barrier" in kind else None
        return observe_all_modes(app, "x", parallel=True, durability=durability)

    return program


CHANNEL_KINDS = [
    "LastValue",
    "LastValueAfterFinish",
    "Topic",
    "TopicAccumulate",
    "BinaryOperatorAggregate",
    "EphemeralValue",
    "AnyValue",
    "UntrackedValue",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
]


@pytest.mark.parametrize(
    "kind",
    list(CHANNEL_KINDS),
)
def test_channel_types_in_graph(kind):
    # ids compared blind: e.g. Ephemeral/Untracked steps have twin chunks differing only by id
    assert_same(_channel_program(kind), exact_ids=False)


def test_ephemeral_input_channel_guard():
    """Two writers to a guarded EphemeralValue in one step."""

    def program(lg):
        nb = lg.NodeBuilder
        a = nb().subscribe_only("inp").do(lambda x: x).write_to("e")
        b = nb().subscribe_only("inp").do(lambda x: x + "!").write_to("e")
        app = lg.Pregel(
            nodes={"a": a, "b": b},
            channels={"inp": lg.ch.LastValue(str), "e": lg.ch.EphemeralValue(str)},
            input_channels="inp",
            output_channels=["e"],
        )
        return {"invoke": capture(lambda: app.invoke("x"))}

    assert_same(program)
