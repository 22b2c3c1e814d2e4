"""Differential tests of the low-level Pregel engine against real LangGraph 1.2.22.

Every test writes one program against the `Impl` bundle (`lg`), runs it on both implementations
and compares outputs, stream chunks (every mode), state snapshots and raised errors after
normalising ids and timestamps (see diff_helpers).
"""

from __future__ import annotations

import asyncio
import operator
import threading
import time

import pytest

from diff_helpers import (
    TASKS,
    Impl,
    arun,
    assert_same,
    canonical_order,
    capture,
    collect_stream,
    observe_all_modes,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


# Known engine bugs (strict xfails: the test states LangGraph's behaviour; XPASS means fixed).


def xfail(*reasons: str):
    return pytest.mark.xfail(reason="; ".join(reasons), strict=True)


def cfg(thread: str = "1", **extra) -> dict:
    return {"configurable": {"thread_id": thread}, **extra}


def chain_app(lg: Impl, checkpointer: bool = True, **kw):
    """a --one--> b --two--> c, single-channel input."""
    one = lg.NodeBuilder().subscribe_only("a").do(lambda x: x + "1").write_to("b")
    two = lg.NodeBuilder().subscribe_only("b").do(lambda x: x + "2").write_to("c")
    return lg.Pregel(
        nodes={"one": one, "two": two},
        channels={"a": lg.ch.LastValue(str), "b": lg.ch.LastValue(str), "c": lg.ch.LastValue(str)},
        input_channels="a",
        output_channels=["b", "c"],
        checkpointer=lg.InMemorySaver() if checkpointer else None,
        **kw,
    )


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


def loop_app(lg: Impl, stop_at: int | None = 3, **kw):
    """`inc` re-triggers itself until the counter reaches stop_at (None: forever)."""

    def next_value(v):
        return None if stop_at is not None and v >= stop_at else v

    inc = (
        lg.NodeBuilder()
        .subscribe_only("n")
        .do(lambda v: v + 1)
        .write_to(lg.ChannelWriteEntry("n", mapper=next_value, skip_none=True), last="last")
    )
    return lg.Pregel(
        nodes={"inc": inc},
        channels={"n": lg.ch.LastValue(int), "last": lg.ch.LastValue(str)},
        input_channels="n",
        output_channels=["n", "last"],
        checkpointer=lg.InMemorySaver(),
        **kw,
    )


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
# Send fan-out through __pregel_tasks


def send_app(lg: Impl, **kw):
    def sends(xs):
        return [(TASKS, lg.Send("worker", x)) for x in xs]

    split = (
        lg.NodeBuilder()
        .subscribe_only("items")
        .do(lambda xs: xs)
        .write_to(lg.ChannelWriteTupleEntry(sends))
    )
    worker = lg.NodeBuilder().do(lambda x: x * 10).write_to("results")
    collect = lg.NodeBuilder().subscribe_only("results").do(lambda xs: sorted(xs)).write_to("total")
    return lg.Pregel(
        nodes={"split": split, "worker": worker, "collect": collect},
        channels={
            "items": lg.ch.LastValue(list),
            "results": lg.ch.Topic(int, accumulate=False),
            "total": lg.ch.LastValue(list),
        },
        input_channels="items",
        output_channels=["results", "total"],
        checkpointer=lg.InMemorySaver(),
        **kw,
    )


def test_send_fan_out_via_tasks_channel():
    assert_same(lambda lg: observe_all_modes(send_app(lg), [1, 2, 3], parallel=True))


def test_send_static_entry_in_write_to():
    """A Send object passed to write_to is written to __pregel_tasks on every run."""

    def program(lg):
        a = lg.NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("b", lg.Send("w", 7))
        w = lg.NodeBuilder().do(lambda x: x + 1).write_to("c")
        app = lg.Pregel(
            nodes={"a": a, "w": w},
            channels={
                "a": lg.ch.LastValue(int),
                "b": lg.ch.LastValue(int),
                "c": lg.ch.LastValue(int),
            },
            input_channels="a",
            output_channels=["b", "c"],
            checkpointer=lg.InMemorySaver(),
        )
        return observe_all_modes(app, 1)

    assert_same(program)


def test_write_to_reserved_tasks_channel_by_name():
    """Real LangGraph refuses ChannelWriteEntry(TASKS) even when the value is a Send."""

    def program(lg):
        a = lg.NodeBuilder().subscribe_only("a").do(lambda x: lg.Send("w", x)).write_to(TASKS)
        w = lg.NodeBuilder().do(lambda x: x + 1).write_to("c")
        app = lg.Pregel(
            nodes={"a": a, "w": w},
            channels={"a": lg.ch.LastValue(int), "c": lg.ch.LastValue(int)},
            input_channels="a",
            output_channels=["c"],
        )
        return capture(lambda: app.invoke(1))

    assert_same(program)


def test_send_to_unknown_node():
    def program(lg):
        a = (
            lg.NodeBuilder()
            .subscribe_only("a")
            .do(lambda x: x)
            .write_to(lg.ChannelWriteTupleEntry(lambda x: [(TASKS, lg.Send("ghost", x))]))
        )
        app = lg.Pregel(
            nodes={"a": a},
            channels={"a": lg.ch.LastValue(int)},
            input_channels="a",
            output_channels=["a"],
            checkpointer=lg.InMemorySaver(),
        )
        return {"invoke": capture(lambda: app.invoke(1, cfg())), **state_of(app, cfg())}

    assert_same(program)


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


# ---------------------------------------------------------------------------
# Node wiring: mapper, read_from, subscribe_to(read=False), write_to kwargs


def test_node_wiring_mapper_read_from_kwargs():
    def program(lg):
        nb = lg.NodeBuilder
        mapped = (
            nb()
            .subscribe_to("a")
            .read_from("k")
            .do(lambda d: d)
            .write_to(
                "b",
                const="C",
                derived=lambda v: v["a"] * 2,
                skipped=lg.ChannelWriteEntry("skipped", mapper=lambda v: None, skip_none=True)[1],
            )
            .build()
        )
        mapped = mapped.copy({"mapper": lambda d: {"a": d["a"] + 1, "k": d.get("k", "nok")}})
        blind = (
            nb()
            .subscribe_to("b", read=False)
            .read_from("a")
            .do(lambda d: sorted(d.items()))
            .write_to("c")
        )
        app = lg.Pregel(
            nodes={"mapped": mapped, "blind": blind},
            channels={
                "a": lg.ch.LastValue(int),
                "k": lg.ch.LastValue(str),
                "b": lg.ch.LastValue(dict),
                "const": lg.ch.LastValue(str),
                "derived": lg.ch.LastValue(int),
                "skipped": lg.ch.LastValue(object),
                "c": lg.ch.LastValue(list),
            },
            input_channels=["a", "k"],
            output_channels=["b", "const", "derived", "skipped", "c"],
            checkpointer=lg.InMemorySaver(),
        )
        return {
            "with-k": observe_all_modes(app, {"a": 1, "k": "K"}),
            "without-k": capture(lambda: app.invoke({"a": 5})),
        }

    assert_same(program)


def test_write_entry_skip_none_and_tuple_entry():
    def program(lg):
        nb = lg.NodeBuilder
        n = (
            nb()
            .subscribe_only("a")
            .do(lambda x: None if x < 0 else x)
            .write_to(
                lg.ChannelWriteEntry("b", skip_none=True),
                lg.ChannelWriteTupleEntry(
                    lambda v: [("c", v), ("d", "tuple")] if v is not None else None
                ),
            )
        )
        app = lg.Pregel(
            nodes={"n": n},
            channels={k: lg.ch.LastValue(object) for k in "abcd"},
            input_channels="a",
            output_channels=["b", "c", "d"],
        )
        return {"pos": observe_all_modes(app, 3), "neg": observe_all_modes(app, -1)}

    assert_same(program)


def test_node_without_bound_just_writes():
    def program(lg):
        n = lg.NodeBuilder().subscribe_only("a").write_to("b")
        app = lg.Pregel(
            nodes={"n": n},
            channels={"a": lg.ch.LastValue(int), "b": lg.ch.LastValue(int)},
            input_channels="a",
            output_channels=["b"],
        )
        return observe_all_modes(app, 4)

    assert_same(program)


# ---------------------------------------------------------------------------
# Retry, timeout, concurrency


def flaky_app(lg: Impl, fail_times: int, exc: type, policies, calls: list):
    def node(x):
        calls.append(x)
        if len(calls) <= fail_times:
            raise exc(f"boom {len(calls)}")
        return x + 1

    n = lg.NodeBuilder().subscribe_only("a").do(node).write_to("b").add_retry_policies(*policies)
    return lg.Pregel(
        nodes={"n": n},
        channels={"a": lg.ch.LastValue(int), "b": lg.ch.LastValue(int)},
        input_channels="a",
        output_channels="b",
        checkpointer=lg.InMemorySaver(),
    )


@pytest.mark.parametrize(
    "fail_times,exc,retry_on",
    [
        (2, ConnectionError, None),  # retried by default, then succeeds
        (5, ConnectionError, None),  # exhausted: re-raised
        (1, ValueError, None),  # default retry_on skips ValueError
        (1, ValueError, ValueError),  # explicit class
        (1, KeyError, ValueError),  # not matched
        (1, KeyError, (ValueError, KeyError)),  # sequence
        (2, RuntimeError, lambda e: "boom" in str(e)),  # predicate
    ],
)
def test_retry_policy(fail_times, exc, retry_on):
    def program(lg):
        kw = dict(initial_interval=0.001, jitter=False, max_attempts=3)
        if retry_on is not None:
            kw["retry_on"] = retry_on
        calls: list = []
        app = flaky_app(lg, fail_times, exc, [lg.RetryPolicy(**kw)], calls)
        out = capture(lambda: app.invoke(1, cfg()))
        return {"out": out, "calls": len(calls), **state_of(app, cfg())}

    assert_same(program)


def test_retry_policy_graph_wide_and_first_match_wins():
    def program(lg):
        calls: list = []
        app = flaky_app(
            lg,
            2,
            ConnectionError,
            [
                lg.RetryPolicy(
                    max_attempts=2, initial_interval=0.001, jitter=False, retry_on=KeyError
                ),
                lg.RetryPolicy(
                    max_attempts=3, initial_interval=0.001, jitter=False, retry_on=ConnectionError
                ),
            ],
            calls,
        )
        out = capture(lambda: app.invoke(1, cfg()))
        calls2: list = []
        app2 = flaky_app(lg, 1, ConnectionError, [], calls2)
        app2.retry_policy = (lg.RetryPolicy(max_attempts=2, initial_interval=0.001, jitter=False),)
        out2 = capture(lambda: app2.invoke(1, cfg()))
        return {"out": out, "calls": len(calls), "graph-wide": out2, "calls2": len(calls2)}

    assert_same(program)


def slow_app(lg: Impl, is_async: bool = False):
    if is_async:

        async def slow(x):
            await asyncio.sleep(0.2)
            return x
    else:

        def slow(x):
            time.sleep(0.2)
            return x

    n = lg.NodeBuilder().subscribe_only("a").do(slow).write_to("b")
    return lg.Pregel(
        nodes={"n": n},
        channels={"a": lg.ch.LastValue(int), "b": lg.ch.LastValue(int)},
        input_channels="a",
        output_channels="b",
        step_timeout=0.05,
        checkpointer=lg.InMemorySaver(),
    )


def test_step_timeout_sync():
    def program(lg):
        app = slow_app(lg)
        return {"invoke": capture(lambda: app.invoke(1, cfg())), **state_of(app, cfg())}

    assert_same(program)


def test_step_timeout_async():
    def program(lg):
        app = slow_app(lg, is_async=True)
        return {"invoke": arun(lambda: app.ainvoke(1, cfg())), **state_of(app, cfg())}

    assert_same(program)


def test_max_concurrency():
    def program(lg):
        lock = threading.Lock()
        running = [0, 0]  # current, max

        def work(x):
            with lock:
                running[0] += 1
                running[1] = max(running[1], running[0])
            time.sleep(0.01)
            with lock:
                running[0] -= 1
            return x * 10

        split = (
            lg.NodeBuilder()
            .subscribe_only("items")
            .do(lambda xs: xs)
            .write_to(lg.ChannelWriteTupleEntry(lambda xs: [(TASKS, lg.Send("w", x)) for x in xs]))
        )
        w = lg.NodeBuilder().do(work).write_to("results")
        app = lg.Pregel(
            nodes={"split": split, "w": w},
            channels={"items": lg.ch.LastValue(list), "results": lg.ch.Topic(int, accumulate=True)},
            input_channels="items",
            output_channels="results",
        )
        out = capture(lambda: sorted(app.invoke([1, 2, 3, 4], {"max_concurrency": 1})))
        return {"out": out, "max_running": running[1]}

    assert_same(program)


# ---------------------------------------------------------------------------
# Custom stream and config inside nodes


def test_custom_stream_writer():
    def program(lg):
        def node(x):
            w = lg.get_stream_writer()
            w({"got": x})
            w("second")
            return x + 1

        n = lg.NodeBuilder().subscribe_only("a").do(node).write_to("b")
        m = (
            lg.NodeBuilder()
            .subscribe_only("b")
            .do(lambda x: lg.get_stream_writer()(["m", x]) or x)
            .write_to("c")
        )
        app = lg.Pregel(
            nodes={"n": n, "m": m},
            channels={k: lg.ch.LastValue(int) for k in "abc"},
            input_channels="a",
            output_channels=["b", "c"],
        )
        return observe_all_modes(app, 1)

    assert_same(program)


def test_get_config_inside_node():
    def program(lg):
        seen = []

        def node(x):
            c = lg.get_config()
            md = c.get("metadata", {})
            seen.append(
                {
                    "meta": {
                        k: md.get(k)
                        for k in (
                            "langgraph_step",
                            "langgraph_node",
                            "langgraph_triggers",
                            "langgraph_path",
                            "langgraph_checkpoint_ns",
                            "thread_id",
                            "user",
                        )
                    },
                    "tags": sorted(c.get("tags", [])),
                    "thread": c.get("configurable", {}).get("thread_id"),
                    "user_conf": c.get("configurable", {}).get("user_key"),
                    "recursion_limit": c.get("recursion_limit"),
                }
            )
            return x + 1

        n = lg.NodeBuilder().subscribe_only("a").do(node).write_to("b").meta("ntag", nm="v")
        w = lg.NodeBuilder().do(node).write_to("c")
        s = (
            lg.NodeBuilder()
            .subscribe_only("b")
            .do(lambda x: x)
            .write_to(lg.ChannelWriteTupleEntry(lambda x: [(TASKS, lg.Send("w", x))]))
        )
        app = lg.Pregel(
            nodes={"n": n, "s": s, "w": w},
            channels={k: lg.ch.LastValue(int) for k in "abc"},
            input_channels="a",
            output_channels=["b", "c"],
            checkpointer=lg.InMemorySaver(),
        )
        out = capture(
            lambda: app.invoke(
                1,
                {
                    "configurable": {"thread_id": "T", "user_key": "U"},
                    "tags": ["t1"],
                    "metadata": {"user": "me"},
                    "recursion_limit": 9,
                },
            )
        )
        return {"out": out, "seen": seen}

    assert_same(program)


# ---------------------------------------------------------------------------
# Failures, resuming, history


def failing_fan_app(lg: Impl, calls: dict, broken: dict):
    """start -> (good, bad) in one step -> join; `bad` raises while broken["bad"]."""

    def counted(name, f):
        def node(x):
            calls[name] = calls.get(name, 0) + 1
            return f(x)

        return node

    def bad(x):
        if broken["bad"]:
            # Fail after `good` has finished: which sibling finishes first is
            # a race in LangGraph too, and the test must not depend on it.
            time.sleep(0.05)
            raise ValueError("bad node failed")
        return "B" + x

    nb = lg.NodeBuilder
    nodes = {
        "start": nb()
        .subscribe_only("inp")
        .do(counted("start", lambda x: x))
        .write_to("g_in", "b_in"),
        "good": nb()
        .subscribe_only("g_in")
        .do(counted("good", lambda x: "G" + x))
        .write_to("parts"),
        "bad": nb().subscribe_only("b_in").do(counted("bad", bad)).write_to("parts"),
        "join": nb()
        .subscribe_only("parts")
        .do(counted("join", lambda xs: "+".join(sorted(xs))))
        .write_to("out"),
    }
    return lg.Pregel(
        nodes=nodes,
        channels={
            "inp": lg.ch.LastValue(str),
            "g_in": lg.ch.LastValue(str),
            "b_in": lg.ch.LastValue(str),
            "parts": lg.ch.Topic(str),
            "out": lg.ch.LastValue(str),
        },
        input_channels="inp",
        output_channels=["parts", "out"],
        checkpointer=lg.InMemorySaver(),
    )


def test_node_error_propagates_and_thread_resumes():
    def program(lg):
        calls: dict = {}
        broken = {"bad": True}
        app = failing_fan_app(lg, calls, broken)
        obs = {"first": capture(lambda: app.invoke("x", cfg())), **state_of(app, cfg())}
        obs["calls-after-failure"] = dict(calls)
        broken["bad"] = False
        obs["resume"] = collect_stream(
            lambda: app.stream(None, cfg(), stream_mode=["values", "updates"])
        )
        obs["resume"]["chunks"] = canonical_order(obs["resume"]["chunks"], ["values", "updates"])
        obs["calls-after-resume"] = dict(calls)
        obs["after"] = state_of(app, cfg())
        return obs

    assert_same(program)


def test_node_error_all_modes():
    def program(lg):
        return observe_all_modes(failing_fan_app(lg, {}, {"bad": True}), "x", parallel=True)

    assert_same(program)


def test_resume_thread_with_new_input():
    def program(lg):
        app = chain_app(lg)
        first = capture(lambda: app.invoke("x", cfg()))
        second = collect_stream(
            lambda: app.stream("y", cfg(), stream_mode=["values", "updates", "checkpoints"])
        )
        return {"first": first, "second": second, **state_of(app, cfg())}

    assert_same(program)


def test_resume_finished_thread_with_none():
    def program(lg):
        app = chain_app(lg)
        app.invoke("x", cfg())
        return {
            "again": collect_stream(
                lambda: app.stream(None, cfg(), stream_mode=["values", "updates"])
            ),
            **state_of(app, cfg()),
        }

    assert_same(program)


@pytest.mark.parametrize(
    "durability",
    ["sync", "async", "exit"],
)
def test_durability_modes(durability):
    def program(lg):
        app = chain_app(lg)
        return {
            "ok": observe_all_modes(app, "x", durability=durability),
            "loop": observe_all_modes(
                loop_app(lg, stop_at=None), 0, durability=durability, config={"recursion_limit": 2}
            ),
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Breakpoints


@pytest.mark.parametrize("where", ["before", "after", "before-call", "after-call", "before-*"])
def test_breakpoints(where):
    def program(lg):
        kind, _, how = where.partition("-")
        nodes = "*" if how == "*" else ["two"]
        if how in ("", "*"):
            app = chain_app(lg, **{f"interrupt_{kind}_nodes": nodes})
            call_kw = {}
        else:
            app = chain_app(lg)
            call_kw = {f"interrupt_{kind}": nodes}
        obs = {"first": capture(lambda: app.invoke("x", cfg(), **call_kw))}
        obs["state1"] = capture(lambda: app.get_state(cfg()))
        obs["resume"] = collect_stream(
            lambda: app.stream(None, cfg(), stream_mode=["values", "updates", "debug"], **call_kw)
        )
        obs["resume2"] = capture(lambda: app.invoke(None, cfg(), **call_kw))
        obs.update(state_of(app, cfg()))
        obs["all-modes"] = observe_all_modes(app, "z", **call_kw)
        return obs

    assert_same(program)


# ---------------------------------------------------------------------------
# Entry points: invoke/stream/batch and the async twins; output_keys, stream_channels


def async_chain_app(lg: Impl):
    async def one(x):
        await asyncio.sleep(0)
        lg.get_stream_writer()("custom-" + x)
        return x + "1"

    async def two(x):
        return x + "2"

    n1 = lg.NodeBuilder().subscribe_only("a").do(one).write_to("b")
    n2 = lg.NodeBuilder().subscribe_only("b").do(two).write_to("c")
    n3 = (
        lg.NodeBuilder().subscribe_only("b").do(lambda x: x + "3").write_to("d")
    )  # sync node in async run
    return lg.Pregel(
        nodes={"one": n1, "two": n2, "three": n3},
        channels={k: lg.ch.LastValue(str) for k in "abcd"},
        input_channels="a",
        output_channels=["b", "c", "d"],
        checkpointer=lg.InMemorySaver(),
    )


def test_async_nodes_astream_all_modes():
    assert_same(
        lambda lg: observe_all_modes(async_chain_app(lg), "x", is_async=True, parallel=True)
    )


def test_async_twins_on_sync_nodes():
    assert_same(lambda lg: observe_all_modes(chain_app(lg), "x", is_async=True))


def test_async_node_in_sync_invoke():
    def program(lg):
        return {"invoke": capture(lambda: async_chain_app(lg).invoke("x", cfg()))}

    assert_same(program)


def test_batch_and_abatch():
    def program(lg):
        app = chain_app(lg)
        cfgs = [cfg("b1"), cfg("b2")]
        return {
            "batch": capture(lambda: app.batch(["x", "y"], cfgs)),
            "batch-exc": capture(
                lambda: app.batch(["x", None], [cfg("b3"), cfg("b4")], return_exceptions=True)
            ),
            "abatch": arun(lambda: app.abatch(["p", "q"], [cfg("a1"), cfg("a2")])),
            "ainvoke-err": arun(lambda: app.ainvoke(None, cfg("fresh"))),
            "state": state_of(app, cfg("b2")),
        }

    assert_same(program)


@pytest.mark.parametrize("output_keys", ["c", ["c"], ["b", "c"], "a"])
def test_output_keys_argument(output_keys):
    def program(lg):
        app = chain_app(lg)
        return {
            "invoke": capture(lambda: app.invoke("x", cfg("i"), output_keys=output_keys)),
            "stream": collect_stream(
                lambda: app.stream(
                    "x", cfg("s"), stream_mode=["values", "updates"], output_keys=output_keys
                )
            ),
        }

    assert_same(program)


@pytest.mark.parametrize("stream_channels", [None, "c", ["b"], ["a", "c"]])
def test_stream_channels(stream_channels):
    def program(lg):
        return observe_all_modes(chain_app(lg, stream_channels=stream_channels), "x")

    assert_same(program)


def test_invoke_stream_mode_argument():
    def program(lg):
        app = chain_app(lg)
        return {
            m if isinstance(m, str) else "+".join(m): capture(
                lambda m=m: app.invoke("x", cfg("t" + str(m)), stream_mode=m)
            )
            for m in ["values", "updates", "custom", ["values", "updates"]]
        }

    assert_same(program)
