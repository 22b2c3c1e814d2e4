"""Differential tests of running a Pregel graph against LangGraph 1.2.22: retry policies, step
timeouts, max_concurrency, breakpoints, and the entry points (invoke/stream/batch and their async
twins, output_keys, stream_channels).
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from diff_helpers import (
    TASKS,
    Impl,
    arun,
    assert_same,
    capture,
    cfg,
    chain_app,
    collect_stream,
    observe_all_modes,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


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
