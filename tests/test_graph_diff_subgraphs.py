"""Differential tests of subgraphs against LangGraph 1.2.22: compiled graphs as nodes, streaming
with subgraphs=True, interrupts inside a child, Command.PARENT, nested namespaces, Send to a
subgraph node, custom streams and async runs through subgraphs.
"""

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from diff_helpers import (
    MODES,
    SUBGRAPH_KNOWN,
    S,
    arun,
    assert_same,
    capture,
    cfg,
    collect_astream,
    collect_stream,
    log_node,
    mode_key,
    observe_all_modes,
    parent_with_subgraph,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


def observe_subgraphs(app: Any, inp: Any, *, parallel: bool = False, **kwargs: Any) -> dict:
    """Stream with subgraphs=True once per mode (each on a fresh thread) plus get_state with
    subgraphs=True and the history."""
    obs: dict = {}
    for mode in MODES:
        key = mode_key(mode)
        c = cfg("sg-" + key)
        got = collect_stream(
            lambda c=c, mode=mode: app.stream(inp, c, stream_mode=mode, subgraphs=True, **kwargs)
        )
        if parallel:
            got["chunks"] = sorted(got["chunks"], key=repr)
        obs[key] = got
        if app.checkpointer is not None:
            obs[key + ":state"] = state_of(app, c)
            obs[key + ":state-subgraphs"] = capture(lambda c=c: app.get_state(c, subgraphs=True))
    return obs


# ---------------------------------------------------------------------------
# Subgraphs


def test_subgraph_node_all_modes():
    assert_same(
        lambda lg: observe_all_modes(parent_with_subgraph(lg), {"foo": "in"}), ignore=SUBGRAPH_KNOWN
    )


def test_subgraph_node_streams_with_subgraphs_true():
    assert_same(
        lambda lg: observe_subgraphs(parent_with_subgraph(lg), {"foo": "in"}), ignore=SUBGRAPH_KNOWN
    )


def test_subgraph_task_state_in_history():
    def program(lg):
        app = parent_with_subgraph(lg)
        app.invoke({"foo": "in"}, cfg())
        return {
            "history-task-states": [
                [t.state for t in s.tasks] for s in app.get_state_history(cfg())
            ],
            "checkpoints": [
                c["tasks"] for c in app.stream({"foo": "in"}, cfg("c"), stream_mode="checkpoints")
            ],
        }

    assert_same(program)


def test_subgraph_checkpoint_map_in_stream_configs():
    def program(lg):
        app = parent_with_subgraph(lg)
        chunks = app.stream({"foo": "in"}, cfg(), stream_mode="checkpoints", subgraphs=True)
        return [(ns, c["config"], c["parent_config"]) for ns, c in chunks if ns]

    assert_same(program)


def test_subgraph_node_interrupt_inside_child_and_resume():
    def program(lg):
        app = parent_with_subgraph(lg, child_interrupt_before=["c2"])
        c = cfg("i")
        out = {"first": capture(lambda: app.invoke({"foo": "in"}, c))}
        out["state"] = capture(lambda: app.get_state(c))
        out["state-subgraphs"] = capture(lambda: app.get_state(c, subgraphs=True))
        out["resume"] = collect_stream(
            lambda: app.stream(None, c, stream_mode=["values", "updates"], subgraphs=True)
        )
        out["after"] = state_of(app, c)
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_subgraph_interrupt_inside_child_resume_invoke():
    def program(lg):
        app = parent_with_subgraph(lg, child_interrupt_before=["c2"])
        c = cfg("i")
        out = {"first": capture(lambda: app.invoke({"foo": "in"}, c))}
        out["state"] = capture(lambda: app.get_state(c))
        out["state-subgraphs"] = capture(lambda: app.get_state(c, subgraphs=True))
        out["resume"] = capture(lambda: app.invoke(None, c))
        out["after"] = state_of(app, c)
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_subgraph_breakpoint_interrupt_chunk_only_at_root():
    def program(lg):
        app = parent_with_subgraph(lg, child_interrupt_before=["c2"])
        return {
            "first": capture(lambda: list(app.stream({"foo": "x"}, cfg("u"), subgraphs=True))),
            "resume": capture(lambda: list(app.stream(None, cfg("u"), subgraphs=True))),
        }

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_subgraph_with_own_checkpointer_true():
    def program(lg):
        app = parent_with_subgraph(lg, child_checkpointer=True)
        c = cfg("own")
        out = {"run1": capture(lambda: app.invoke({"foo": "a"}, c))}
        out["run2"] = capture(lambda: app.invoke({"foo": "b"}, c))
        out["state-subgraphs"] = capture(lambda: app.get_state(c, subgraphs=True))
        out["history-len"] = len(list(app.get_state_history(c)))
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_subgraph_invoked_inside_node():
    def program(lg):
        class Child(TypedDict):
            n: int
            trail: Annotated[list, operator.add]

        cb = lg.StateGraph(Child)
        cb.add_node("inc", lambda s: {"n": s["n"] + 1, "trail": ["inc"]})
        cb.add_node("dbl", lambda s: {"n": s["n"] * 2, "trail": ["dbl"]})
        cb.add_sequence  # noqa: B018 -- exists on both
        cb.add_edge(lg.START, "inc")
        cb.add_edge("inc", "dbl")
        child = cb.compile()

        class Parent(TypedDict):
            value: int
            out: int

        def call_child(state):
            r = child.invoke({"n": state["value"]})
            return {"out": r["n"] * 10 + len(r["trail"])}

        pb = lg.StateGraph(Parent)
        pb.add_node("call_child", call_child)
        pb.add_edge(lg.START, "call_child")
        app = pb.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"value": 3})
        obs["subgraphs"] = observe_subgraphs(app, {"value": 4})
        return obs

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_command_parent_from_subgraph():
    def program(lg):
        class St(TypedDict):
            foo: str
            log: Annotated[list, operator.add]

        def hop(state):
            return lg.Command(
                graph=lg.Command.PARENT, goto="other", update={"foo": "from-child", "log": ["hop"]}
            )

        cb = lg.StateGraph(St)
        cb.add_node("c0", log_node("c0"))
        cb.add_node("hop", hop)
        cb.add_node("never", log_node("never"))
        cb.add_edge(lg.START, "c0")
        cb.add_edge("c0", "hop")
        cb.add_edge("hop", "never")
        child = cb.compile()

        pb = lg.StateGraph(St)
        pb.add_node("sub", child)
        pb.add_node("other", lambda s: {"log": ["other:" + s["foo"]]})
        pb.add_edge(lg.START, "sub")
        app = pb.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"foo": "in"})
        obs["subgraphs"] = observe_subgraphs(app, {"foo": "in"})
        return obs

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_command_parent_at_root_is_error():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("a", lambda s: lg.Command(graph=lg.Command.PARENT, update={"x": "y"}))
        b.add_edge(lg.START, "a")
        app = b.compile()
        return {
            "node": capture(lambda: app.invoke({"x": "in"})),
            "input": capture(
                lambda: app.invoke(lg.Command(graph=lg.Command.PARENT, update={"x": "1"}))
            ),
        }

    assert_same(program)


def test_subgraph_reducer_duplicates_parent_items():
    """Behaviours people trip on #2: the child's whole list is added to the parent's."""

    def program(lg):
        class St(TypedDict):
            items: Annotated[list, operator.add]

        cb = lg.StateGraph(St)
        cb.add_node("c", lambda s: {"items": ["sub_a"]})
        cb.add_edge(lg.START, "c")
        pb = lg.StateGraph(St)
        pb.add_node("sub", cb.compile())
        pb.add_edge(lg.START, "sub")
        return observe_all_modes(pb.compile(), {"items": ["a"]})

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_nested_subgraphs_streaming_namespaces():
    def program(lg):
        class St(TypedDict):
            log: Annotated[list, operator.add]

        ib = lg.StateGraph(St)
        ib.add_node("leaf", log_node("leaf"))
        ib.add_edge(lg.START, "leaf")
        mb = lg.StateGraph(St)
        mb.add_node("inner", ib.compile())
        mb.add_edge(lg.START, "inner")
        ob = lg.StateGraph(St)
        ob.add_node("middle", mb.compile())
        ob.add_edge(lg.START, "middle")
        app = ob.compile(checkpointer=lg.InMemorySaver())
        return observe_subgraphs(app, {"log": []})

    assert_same(program, ignore=SUBGRAPH_KNOWN)


# ---------------------------------------------------------------------------
# Send to a subgraph, custom streams and async runs through subgraphs


def test_send_fanout_with_max_concurrency_and_subgraph_target():
    def program(lg):
        class St(TypedDict):
            items: Annotated[list, operator.add]

        cb = lg.StateGraph(St)
        cb.add_node("double", lambda s: {"items": [s["items"][-1] * 2]})
        cb.add_edge(lg.START, "double")

        pb = lg.StateGraph(St)
        pb.add_node("start", lambda s: {})
        pb.add_node("sub", cb.compile())
        pb.add_edge(lg.START, "start")
        pb.add_conditional_edges(
            "start", lambda s: [lg.Send("sub", {"items": [i]}) for i in range(5)]
        )
        app = pb.compile(checkpointer=lg.InMemorySaver())
        out = capture(lambda: app.invoke({"items": []}, cfg(max_concurrency=2)))
        if "ok" in out:
            out["ok"]["items"] = sorted(out["ok"]["items"])
        return {"invoke": out, "state-next": app.get_state(cfg()).next}

    assert_same(program)


def test_custom_stream_from_subgraph_node():
    def program(lg):
        class St(TypedDict):
            log: Annotated[list, operator.add]

        def talk(state):
            lg.get_stream_writer()({"from": "child"})
            return {"log": ["talk"]}

        cb = lg.StateGraph(St)
        cb.add_node("talk", talk)
        cb.add_edge(lg.START, "talk")

        def parent_talk(state, writer: lg.StreamWriter):
            writer("parent")
            return {"log": ["p"]}

        pb = lg.StateGraph(St)
        pb.add_node("p", parent_talk)
        pb.add_node("sub", cb.compile())
        pb.add_edge(lg.START, "p")
        pb.add_edge("p", "sub")
        app = pb.compile()
        return {
            "custom": list(app.stream({"log": []}, stream_mode="custom")),
            "custom-sub": list(app.stream({"log": []}, stream_mode="custom", subgraphs=True)),
            "multi-sub": list(
                app.stream({"log": []}, stream_mode=["custom", "updates"], subgraphs=True)
            ),
            "v2": list(app.stream({"log": []}, stream_mode="custom", subgraphs=True, version="v2")),
        }

    assert_same(program)


def test_async_subgraph_and_send():
    def program(lg):
        class St(TypedDict):
            items: Annotated[list, operator.add]

        async def leaf(state):
            return {"items": ["leaf"]}

        cb = lg.StateGraph(St)
        cb.add_node("leaf", leaf)
        cb.add_edge(lg.START, "leaf")

        async def fan(state):
            return [lg.Send("work", {"items": [i]}) for i in range(3)]

        async def work(state):
            return {"items": [state["items"][0] * 10]}

        pb = lg.StateGraph(St)
        pb.add_node("sub", cb.compile())
        pb.add_node("work", work)
        pb.add_edge(lg.START, "sub")
        pb.add_conditional_edges("sub", fan, ["work"])
        app = pb.compile(checkpointer=lg.InMemorySaver())

        async def go():
            out = await app.ainvoke({"items": []}, cfg("a"))
            return sorted(map(repr, out["items"]))

        return {
            "ainvoke": arun(go),
            "astream-subgraphs": sorted(
                map(
                    repr,
                    collect_astream(lambda: app.astream({"items": []}, cfg("s"), subgraphs=True))[
                        "chunks"
                    ],
                )
            ),
        }

    assert_same(program, exact_ids=False)


def test_async_parent_subgraph_interrupt_and_command_parent():
    def program(lg):
        class St(TypedDict):
            foo: str
            log: Annotated[list, operator.add]

        async def c1(state):
            return {"log": ["c1"]}

        async def hop(state):
            return lg.Command(graph=lg.Command.PARENT, goto="done", update={"foo": "hopped"})

        cb = lg.StateGraph(St)
        cb.add_node("c1", c1)
        cb.add_node("hop", hop)
        cb.add_edge(lg.START, "c1")
        cb.add_edge("c1", "hop")
        child = cb.compile(interrupt_before=["hop"])

        async def done(state):
            return {"log": ["done:" + state["foo"]]}

        pb = lg.StateGraph(St)
        pb.add_node("sub", child)
        pb.add_node("done", done)
        pb.add_edge(lg.START, "sub")
        app = pb.compile(checkpointer=lg.InMemorySaver())

        async def go():
            c = cfg("a")
            first = await app.ainvoke({"foo": "in"}, c)
            snap = await app.aget_state(c, subgraphs=True)
            chunks = [ch async for ch in app.astream(None, c, stream_mode=["updates", "values"])]
            hist = [s async for s in app.aget_state_history(c)]
            return {"first": first, "snap": snap, "chunks": chunks, "hist": hist}

        return arun(go)

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_async_stream_v2_subgraphs():
    def program(lg):
        app = parent_with_subgraph(lg)
        return {
            mode_key(m): collect_astream(
                lambda m=m: app.astream(
                    {"foo": "in"},
                    cfg("v2" + mode_key(m)),
                    stream_mode=m,
                    subgraphs=True,
                    version="v2",
                )
            )
            for m in MODES
        }

    assert_same(program, ignore=SUBGRAPH_KNOWN)
