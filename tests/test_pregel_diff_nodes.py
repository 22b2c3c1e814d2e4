"""Differential tests of Pregel nodes against LangGraph 1.2.22: Send fan-out through
__pregel_tasks, node wiring (mapper, read_from, write_to entries), custom streams and config
inside nodes, node failures and resuming a thread.
"""

from __future__ import annotations

import time

import pytest

from diff_helpers import (
    TASKS,
    Impl,
    assert_same,
    canonical_order,
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
