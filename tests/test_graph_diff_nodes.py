"""Differential tests of StateGraph nodes against LangGraph 1.2.22: the parameters a node can
ask for (config, writer, runtime, context), runnables as nodes, async nodes, retry policies,
error handlers and resuming after a node error.
"""

import asyncio
import dataclasses
import time

import pytest
from langchain_core.runnables import RunnableConfig
from typing_extensions import TypedDict

from diff_helpers import (
    S,
    arun,
    assert_same,
    capture,
    cfg,
    collect_astream,
    collect_stream,
    log_node,
    observe_all_modes,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


# ---------------------------------------------------------------------------
# Node parameters: config, writer, runtime, get_stream_writer


def test_node_params_config_writer_runtime():
    def program(lg):
        class Ctx(TypedDict):
            user: str

        def with_config(state, config: RunnableConfig):
            md = config.get("metadata", {})
            return {
                "log": [
                    f"cfg:{config['configurable'].get('thread_id')}:{md.get('langgraph_node')}:{md.get('langgraph_step')}:{config['configurable'].get('extra')}"
                ]
            }

        def with_writer(state, writer: lg.StreamWriter):
            writer({"custom": "from-writer"})
            return {"log": ["writer"]}

        def with_runtime(state, runtime: lg.Runtime[Ctx]):
            runtime.stream_writer("from-runtime")
            ctx = runtime.context
            return {"log": [f"rt:{ctx['user'] if ctx else None}"]}

        def with_global_writer(state):
            lg.get_stream_writer()(["global", state["x"]])
            return {"log": ["global"]}

        b = lg.StateGraph(S, context_schema=Ctx)
        for fn in (with_config, with_writer, with_runtime, with_global_writer):
            b.add_node(fn.__name__, fn)
        b.add_sequence  # noqa: B018
        b.add_edge(lg.START, "with_config")
        b.add_edge("with_config", "with_writer")
        b.add_edge("with_writer", "with_runtime")
        b.add_edge("with_runtime", "with_global_writer")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(
            app, {"x": "in"}, config={"configurable": {"extra": "E"}}, context={"user": "u1"}
        )
        obs["no-context"] = capture(lambda: app.invoke({"x": "in"}, cfg("nc")))
        return obs

    assert_same(program)


def test_context_schema_dataclass_and_get_runtime():
    def program(lg):
        from importlib import import_module

        get_runtime = import_module(lg.runtime.__name__).get_runtime

        @dataclasses.dataclass
        class Ctx:
            user: str = "anon"
            level: int = 0

        def a(state, runtime: lg.Runtime[Ctx]):
            ctx = runtime.context
            return {"log": [f"a:{ctx.user}:{ctx.level}" if ctx else "a:none"]}

        def b_(state):
            rt = get_runtime()
            return {
                "log": [f"b:{rt.context.user if rt.context else None}:{type(rt.context).__name__}"]
            }

        g = lg.StateGraph(S, context_schema=Ctx)
        g.add_node("a", a)
        g.add_node("b", b_)
        g.add_edge(lg.START, "a")
        g.add_edge("a", "b")
        app = g.compile()
        return {
            "ctx": capture(lambda: app.invoke({"x": "1"}, context=Ctx(user="u", level=2))),
            "dict-ctx": capture(lambda: app.invoke({"x": "1"}, context={"user": "d"})),
            "none": capture(lambda: app.invoke({"x": "1"})),
        }

    assert_same(program)


def test_runnables_and_callables_as_nodes():
    def program(lg):
        from langchain_core.runnables import RunnableLambda

        def named_fn(state):
            return {"log": ["named_fn"]}

        b = lg.StateGraph(S)
        b.add_node(named_fn)
        b.add_node("runnable", RunnableLambda(lambda s: {"log": ["runnable"]}))
        b.add_node(RunnableLambda(lambda s: {"log": ["rl"]}, name="rl_named"))
        b.add_edge(lg.START, "named_fn")
        b.add_edge("named_fn", "runnable")
        b.add_edge("runnable", "rl_named")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"x": "in"})
        obs["nodes"] = sorted(app.nodes)
        obs["dup-callable"] = capture(lambda: b.add_node(named_fn))
        return obs

    assert_same(program)


# ---------------------------------------------------------------------------
# Async nodes


def test_async_nodes_and_conditional_edges():
    def program(lg):
        async def a(state):
            await asyncio.sleep(0)
            return {"log": ["a"]}

        async def route(state):
            await asyncio.sleep(0)
            return "b" if state["x"] == "go" else lg.END

        async def b_(state, config: RunnableConfig):
            lg.get_stream_writer()("custom-b")
            return {"log": ["b"]}

        g = lg.StateGraph(S)
        g.add_node("a", a)
        g.add_node("b", b_)
        g.add_node("sync_c", log_node("sync_c"))
        g.add_edge(lg.START, "a")
        g.add_conditional_edges("a", route)
        g.add_edge("b", "sync_c")
        app = g.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"x": "go"}, is_async=True)
        obs["sync-invoke"] = capture(lambda: app.invoke({"x": "go"}, cfg("sync")))
        obs["v2"] = collect_astream(
            lambda: app.astream(
                {"x": "go"}, cfg("v2"), stream_mode=["updates", "custom"], version="v2"
            )
        )
        return obs

    assert_same(program)


def test_sync_node_in_async_run_and_async_node_in_sync_stream():
    def program(lg):
        async def anode(state):
            return {"log": ["anode"]}

        b = lg.StateGraph(S)
        b.add_node("anode", anode)
        b.add_edge(lg.START, "anode")
        app = b.compile()
        return {
            "stream": collect_stream(lambda: app.stream({"x": "1"})),
            "batch": capture(lambda: app.batch([{"x": "1"}])),
            "ainvoke": arun(lambda: app.ainvoke({"x": "1"})),
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Retry policy, error handlers, node errors


def test_retry_policy_on_node():
    def program(lg):
        attempts = {"n": 0}

        def flaky(state):
            attempts["n"] += 1
            if attempts["n"] < 3:
                raise ValueError(f"fail {attempts['n']}")
            return {"log": [f"ok after {attempts['n']}"]}

        def always(state):
            raise KeyError("always")

        b = lg.StateGraph(S)
        b.add_node(
            "flaky",
            flaky,
            retry_policy=lg.RetryPolicy(initial_interval=0.001, jitter=False, max_attempts=5),
        )
        b.add_node(
            "always",
            always,
            retry_policy=[
                lg.RetryPolicy(
                    retry_on=KeyError, max_attempts=2, initial_interval=0.001, jitter=False
                )
            ],
        )
        b.add_edge(lg.START, "flaky")
        b.add_conditional_edges("flaky", lambda s: "always" if s["x"] == "fail" else lg.END)
        app = b.compile(checkpointer=lg.InMemorySaver())
        out = {}
        out["ok"] = collect_stream(
            lambda: app.stream({"x": "ok"}, cfg("ok"), stream_mode=["updates", "values"])
        )
        out["ok-attempts"] = attempts["n"]
        attempts["n"] = 0
        out["fail"] = collect_stream(
            lambda: app.stream({"x": "fail"}, cfg("f"), stream_mode=["updates", "values", "tasks"])
        )
        out["fail-attempts"] = attempts["n"]
        out["fail-state"] = state_of(app, cfg("f"))
        return out

    assert_same(program)


def test_retry_policy_not_matching():
    def program(lg):
        calls = []

        def bad(state):
            calls.append(1)
            raise TypeError("no retry")

        b = lg.StateGraph(S)
        b.add_node(
            "bad", bad, retry_policy=lg.RetryPolicy(retry_on=ValueError, initial_interval=0.001)
        )
        b.add_edge(lg.START, "bad")
        app = b.compile()
        return {"invoke": capture(lambda: app.invoke({"x": "1"})), "calls": len(calls)}

    assert_same(program)


def test_set_node_defaults_retry():
    def program(lg):
        attempts = []

        def flaky(state):
            attempts.append(1)
            if len(attempts) < 2:
                raise ValueError("once")
            return {"log": ["flaky"]}

        g = lg.StateGraph(S)
        out = {
            "set": capture(
                lambda: (
                    type(
                        g.set_node_defaults(
                            retry_policy=lg.RetryPolicy(
                                retry_on=ValueError, initial_interval=0.001, jitter=False
                            )
                        )
                    ).__name__
                )
            )
        }
        g.add_node("flaky", flaky)
        g.add_edge(lg.START, "flaky")
        out["run"] = capture(lambda: g.compile().invoke({"x": "1"}))
        out["attempts"] = len(attempts)
        return out

    assert_same(program)


def test_error_handler_on_node():
    def program(lg):
        def bad(state):
            raise ValueError("bad node")

        def handler(state, error: lg.errors.NodeError):
            return {"log": [f"handled:{error.node}:{type(error.error).__name__}:{error.error}"]}

        b = lg.StateGraph(S)
        r = capture(lambda: b.add_node("bad", bad, error_handler=handler))
        if "raised" in r:
            return r
        b.add_node("next", log_node("next"))
        b.add_edge(lg.START, "bad")
        b.add_edge("bad", "next")
        app = b.compile(checkpointer=lg.InMemorySaver())
        return observe_all_modes(app, {"x": "in"})

    assert_same(program)


def test_node_error_then_resume_reruns_only_failed():
    def program(lg):
        calls = []
        fail = {"on": True}

        def ok(state):
            calls.append("ok")
            return {"log": ["ok"]}

        def flaky(state):
            calls.append("flaky")
            if fail["on"]:
                # LangGraph loses the sibling's writes if the error shuts its executor down before
                # they are saved ("cannot schedule new futures after shutdown"); let "ok" finish
                time.sleep(0.05)
                raise ValueError("boom")
            return {"log": ["flaky"]}

        b = lg.StateGraph(S)
        b.add_node("ok", ok)
        b.add_node("flaky", flaky)
        b.add_node("after", log_node("after"))
        b.add_edge(lg.START, "ok")
        b.add_edge(lg.START, "flaky")
        b.add_edge(["ok", "flaky"], "after")
        app = b.compile(checkpointer=lg.InMemorySaver())
        c = cfg("e")
        out = {"first": capture(lambda: app.invoke({"x": "in"}, c))}
        out["state"] = capture(lambda: app.get_state(c))
        fail["on"] = False
        out["resume"] = capture(lambda: app.invoke(None, c))
        out["calls"] = sorted(calls[:2]) + calls[2:]
        out["after"] = state_of(app, c)
        return out

    assert_same(program)
