"""Differential tests of the Graph API (StateGraph) against real LangGraph 1.2.22.

Every test writes one program against the `Impl` bundle (`lg`), runs it on both implementations
and compares outputs, stream chunks, state snapshots and raised errors after normalising ids and
timestamps (see diff_helpers). State schemas are built inside each program (no
`from __future__ import annotations` here, so local classes resolve in annotations).
"""

import asyncio
import dataclasses
import itertools
import operator
import time
from typing import Annotated, Any, Literal

import pydantic
import pytest
from langchain_core.runnables import RunnableConfig
from typing_extensions import TypedDict

from diff_helpers import (
    MODES,
    Impl,
    arun,
    assert_same,
    canonical_order,
    capture,
    collect_astream,
    collect_stream,
    mode_key,
    observe_all_modes,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


# Known engine bugs (strict xfails: the test states LangGraph's behaviour; XPASS means fixed).


def xfail(*reasons: str):
    return pytest.mark.xfail(reason="; ".join(reasons), strict=True)


def cfg(thread: str = "1", **extra) -> dict:
    return {"configurable": {"thread_id": thread}, **extra}


class S(TypedDict):
    """A plain state: one LastValue key and one appending key."""

    x: str
    log: Annotated[list, operator.add]


def log_node(name: str, **extra):
    def f(state):
        return {"log": [name], **extra}

    f.__name__ = name
    return f


def chain(lg: Impl, *names: str, schema=S, checkpointer: bool = True, **compile_kw):
    b = lg.StateGraph(schema)
    for n in names:
        b.add_node(n, log_node(n))
    b.add_edge(lg.START, names[0])
    for a, c in itertools.pairwise(names):
        b.add_edge(a, c)
    b.add_edge(names[-1], lg.END)
    return b.compile(checkpointer=lg.InMemorySaver() if checkpointer else None, **compile_kw)


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
# Quick-start programs


def test_quickstart_chain_all_modes():
    assert_same(lambda lg: observe_all_modes(chain(lg, "a", "b", "c"), {"x": "in"}))


def test_quickstart_chain_without_checkpointer():
    assert_same(lambda lg: observe_all_modes(chain(lg, "a", "b", checkpointer=False), {"x": "in"}))


def test_router_with_command():
    def program(lg):
        def router(state) -> lg.Command[Literal["left", "right"]]:
            target = "left" if state["x"] == "L" else "right"
            return lg.Command(goto=target, update={"log": ["router->" + target]})

        b = lg.StateGraph(S)
        b.add_node("router", router)
        b.add_node("left", log_node("left"))
        b.add_node("right", log_node("right", x="R!"))
        b.add_edge(lg.START, "router")
        app = b.compile(checkpointer=lg.InMemorySaver())
        return {
            "L": observe_all_modes(app, {"x": "L"}),
            "R": capture(lambda: app.invoke({"x": "R"}, cfg("r"))),
        }

    assert_same(program)


def test_command_goto_adds_to_static_edges_and_lists():
    def program(lg):
        def router(state):
            return [
                lg.Command(
                    goto=["a", lg.Send("b", {"x": "sent", "log": []})], update={"log": ["r1"]}
                ),
                lg.Command(update={"log": ["r2"]}),
            ]

        b = lg.StateGraph(S)
        b.add_node("router", router)
        b.add_node("a", log_node("a"))
        b.add_node("b", lambda s: {"log": ["b:" + s["x"]]})
        b.add_node("c", log_node("c"))
        b.add_edge(lg.START, "router")
        b.add_edge("router", "c")
        return observe_all_modes(
            b.compile(checkpointer=lg.InMemorySaver()), {"x": "in"}, parallel=True
        )

    assert_same(program, exact_ids=False)


def test_map_reduce_with_send():
    def program(lg):
        class Overall(TypedDict):
            topic: str
            subjects: list
            jokes: Annotated[list, operator.add]
            best: str

        def gen(state):
            return {"subjects": [state["topic"] + s for s in ("-1", "-2", "-3")]}

        def fan(state):
            return [lg.Send("joke", {"subject": s}) for s in state["subjects"]]

        def joke(state):
            return {"jokes": ["joke about " + state["subject"]]}

        def best(state):
            return {"best": sorted(state["jokes"])[-1]}

        b = lg.StateGraph(Overall)
        b.add_node("gen", gen)
        b.add_node("joke", joke)
        b.add_node("best", best)
        b.add_edge(lg.START, "gen")
        b.add_conditional_edges("gen", fan, ["joke"])
        b.add_edge("joke", "best")
        b.add_edge("best", lg.END)
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"topic": "cats"}, parallel=True)
        obs["jokes-sorted"] = sorted(app.invoke({"topic": "dogs"}, cfg("d"))["jokes"])
        return obs

    assert_same(program, exact_ids=False)


def test_send_to_unknown_node_is_dropped():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("a", log_node("a"))
        b.add_conditional_edges(
            "a", lambda s: [lg.Send("nope", {"x": "1"}), lg.Send("a2", {"x": "2"})]
        )
        b.add_node("a2", lambda s: {"log": ["a2:" + s["x"]]})
        b.add_edge(lg.START, "a")
        return observe_all_modes(b.compile(checkpointer=lg.InMemorySaver()), {"x": "in"})

    assert_same(program)


# ---------------------------------------------------------------------------
# Subgraphs


def parent_with_subgraph(lg: Impl, *, child_interrupt_before=None, child_checkpointer=None):
    class Child(TypedDict):
        foo: str
        bar: str  # child-only key
        log: Annotated[list, operator.add]

    class Parent(TypedDict):
        foo: str
        log: Annotated[list, operator.add]

    def c1(state):
        return {"bar": state["foo"] + "|bar", "log": ["c1"]}

    def c2(state):
        return {"foo": state["bar"] + "|c2", "log": ["c2"]}

    cb = lg.StateGraph(Child)
    cb.add_node("c1", c1)
    cb.add_node("c2", c2)
    cb.add_edge(lg.START, "c1")
    cb.add_edge("c1", "c2")
    child = cb.compile(checkpointer=child_checkpointer, interrupt_before=child_interrupt_before)

    pb = lg.StateGraph(Parent)
    pb.add_node("p1", lambda s: {"foo": s["foo"] + "|p1", "log": ["p1"]})
    pb.add_node("sub", child)
    pb.add_node("p2", lambda s: {"foo": s["foo"] + "|p2", "log": ["p2"]})
    pb.add_edge(lg.START, "p1")
    pb.add_edge("p1", "sub")
    pb.add_edge("sub", "p2")
    return pb.compile(checkpointer=lg.InMemorySaver())


# Pinned down by the two xfail tests right below; other subgraph tests ignore them.
SUBGRAPH_KNOWN = ("state", "checkpoint_map")


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
# State schemas


def schema_program(lg: Impl, kind: str):
    if kind == "typeddict":

        class St(TypedDict):
            name: str
            count: int
            tags: Annotated[list, operator.add]

        get = lambda s, k: s[k]
        make = None
    elif kind == "dataclass":

        @dataclasses.dataclass
        class St:
            name: str
            count: int = 0
            tags: Annotated[list, operator.add] = dataclasses.field(default_factory=list)

        get = getattr
        make = St
    else:

        class St(pydantic.BaseModel):
            name: str
            count: int = 0
            tags: Annotated[list, operator.add] = []

        get = getattr
        make = St

    seen = []

    def first(state):
        seen.append(("first", type(state).__name__))
        return {"count": get(state, "count") + 1, "tags": ["first"]}

    def second(state):
        seen.append(("second", type(state).__name__))
        return {"name": get(state, "name").upper(), "tags": ["second"]}

    b = lg.StateGraph(St)
    b.add_node("first", first)
    b.add_node("second", second)
    b.add_edge(lg.START, "first")
    b.add_edge("first", "second")
    app = b.compile(checkpointer=lg.InMemorySaver())
    return app, make, seen


@pytest.mark.parametrize("kind", ["typeddict", "dataclass", "pydantic"])
def test_state_schema_kinds(kind):
    def program(lg):
        app, make, seen = schema_program(lg, kind)
        inp = {"name": "ann", "count": 1}
        obs = observe_all_modes(app, inp)
        obs["seen-types"] = sorted(set(seen))
        obs["dict-only-name"] = capture(lambda: app.invoke({"name": "bob"}, cfg("min")))
        if make is not None:
            obs["model-input"] = capture(lambda: app.invoke(make(name="cy"), cfg("m")))
            obs["model-input-stream"] = collect_stream(
                lambda: app.stream(make(name="cy"), cfg("ms"), stream_mode="values")
            )
            obs["model-input-state"] = state_of(app, cfg("m"))
        return obs

    assert_same(program)


def test_pydantic_validation_error_on_bad_input():
    def program(lg):
        app, _make, _ = schema_program(lg, "pydantic")
        return {
            "bad-type": capture(lambda: app.invoke({"name": "a", "count": "not-int"}, cfg("b"))),
            "missing": capture(lambda: app.invoke({"count": 1}, cfg("m"))),
            "stream": collect_stream(lambda: app.stream({"name": 5}, cfg("s"))),
        }

    assert_same(program)


def test_pydantic_node_return_model_instance():
    def program(lg):
        class St(pydantic.BaseModel):
            a: str = "x"
            b: int = 0

        b = lg.StateGraph(St)
        b.add_node("n", lambda s: St(a=s.a + "!", b=5))
        b.add_edge(lg.START, "n")
        return observe_all_modes(b.compile(checkpointer=lg.InMemorySaver()), {"a": "hi"})

    assert_same(program)


def test_non_dict_node_return_is_invalid_update():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("n", lambda s: 5)
        b.add_edge(lg.START, "n")
        return observe_all_modes(b.compile(checkpointer=lg.InMemorySaver()), {"x": "hi"})

    assert_same(program)


def test_none_return_and_unknown_keys():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("none", lambda s: None)
        b.add_node("unknown", lambda s: {"zzz": 1, "x": "set"})
        b.add_edge(lg.START, "none")
        b.add_edge("none", "unknown")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"x": "hi", "also-unknown": 3})
        return obs

    assert_same(program)


def test_input_and_output_schema():
    def program(lg):
        class Inp(TypedDict):
            question: str

        class Out(TypedDict):
            answer: str

        class Overall(Inp, Out):
            scratch: str

        b = lg.StateGraph(Overall, input_schema=Inp, output_schema=Out)
        b.add_node("think", lambda s: {"scratch": "thinking about " + s["question"]})
        b.add_node("answer", lambda s: {"answer": s["scratch"].upper()})
        b.add_edge(lg.START, "think")
        b.add_edge("think", "answer")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"question": "q", "scratch": "ignored?", "answer": "pre"})
        obs["channels"] = sorted(app.channels)
        obs["io"] = (
            app.input_channels,
            sorted(app.output_channels)
            if isinstance(app.output_channels, list)
            else app.output_channels,
        )
        obs["stream_channels"] = app.stream_channels
        return obs

    assert_same(program)


def test_private_state_between_nodes():
    def program(lg):
        class Overall(TypedDict):
            a: str

        class Private(TypedDict):
            secret: str

        def node_1(state: Overall) -> Private:
            return {"secret": state["a"] + " set by node_1"}

        def node_2(state: Private) -> Overall:
            return {"a": state["secret"] + " seen by node_2"}

        b = lg.StateGraph(Overall)
        b.add_node("node_1", node_1)
        b.add_node("node_2", node_2)
        b.add_edge(lg.START, "node_1")
        b.add_edge("node_1", "node_2")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"a": "x"})
        obs["channels"] = sorted(app.channels)
        return obs

    assert_same(program)


def test_node_input_schema_kwarg():
    def program(lg):
        class Overall(TypedDict):
            a: str
            b: str

        class OnlyB(TypedDict):
            b: str

        seen = []

        def reader(state):
            seen.append(sorted(state))
            return {"a": "r"}

        g = lg.StateGraph(Overall)
        g.add_node("w", lambda s: {"b": "B"})
        g.add_node("reader", reader, input_schema=OnlyB)
        g.add_edge(lg.START, "w")
        g.add_edge("w", "reader")
        app = g.compile()
        return {"out": app.invoke({"a": "A"}), "seen": seen}

    assert_same(program)


# ---------------------------------------------------------------------------
# Reducers, Overwrite, conflicts


def test_reducers_and_overwrite():
    def program(lg):
        class St(TypedDict):
            total: Annotated[int, operator.add]
            items: Annotated[list, operator.add]

        b = lg.StateGraph(St)
        b.add_node("add", lambda s: {"total": 5, "items": ["a"]})
        b.add_node("reset", lambda s: {"total": lg.Overwrite(100), "items": lg.Overwrite(["only"])})
        b.add_node("dict_over", lambda s: {"items": {"__overwrite__": ["dict-form"]}})
        b.add_edge(lg.START, "add")
        b.add_edge("add", "reset")
        b.add_edge("reset", "dict_over")
        return observe_all_modes(
            b.compile(checkpointer=lg.InMemorySaver()), {"total": 1, "items": ["in"]}
        )

    assert_same(program)


def test_two_overwrites_in_one_step_is_error():
    def program(lg):
        class St(TypedDict):
            items: Annotated[list, operator.add]

        b = lg.StateGraph(St)
        b.add_node("a", lambda s: {"items": lg.Overwrite(["a"])})
        b.add_node("b", lambda s: {"items": lg.Overwrite(["b"])})
        b.add_edge(lg.START, "a")
        b.add_edge(lg.START, "b")
        app = b.compile(checkpointer=lg.InMemorySaver())
        return {
            "invoke": capture(lambda: app.invoke({"items": []}, cfg())),
            "state": capture(lambda: app.get_state(cfg()).next),
        }

    assert_same(program)


def test_multiple_writers_to_plain_key():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("a", lambda s: {"x": "A"})
        b.add_node("b", lambda s: {"x": "B"})
        b.add_edge(lg.START, "a")
        b.add_edge(lg.START, "b")
        app = b.compile(checkpointer=lg.InMemorySaver())
        return {
            "invoke": capture(lambda: app.invoke({"x": "in"}, cfg())),
            "next": capture(lambda: app.get_state(cfg()).next),
            "updates": sorted(
                map(repr, collect_stream(lambda: app.stream({"x": "in"}, cfg("u")))["chunks"])
            ),
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Edges: joins, defer, conditional edges


def test_join_edge_waits_for_all_sources():
    def program(lg):
        b = lg.StateGraph(S)
        for n in ("a", "b", "b2", "c"):
            b.add_node(n, log_node(n))
        b.add_edge(lg.START, "a")
        b.add_edge(lg.START, "b")
        b.add_edge("b", "b2")
        b.add_edge(["a", "b2"], "c")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"x": "in"}, parallel=True, with_state=False)
        obs["channels"] = sorted(app.channels)
        obs["state"] = capture(lambda: app.get_state(cfg("t-invoke")))
        return obs

    assert_same(program)


def test_join_history_snapshot_lists_join_target():
    def program(lg):
        b = lg.StateGraph(S)
        for n in ("a", "b", "b2", "c"):
            b.add_node(n, log_node(n))
        b.add_edge(lg.START, "a")
        b.add_edge(lg.START, "b")
        b.add_edge("b", "b2")
        b.add_edge(["a", "b2"], "c")
        app = b.compile(checkpointer=lg.InMemorySaver())
        # durability="sync": with "async" LangGraph serialises the barrier's
        # live `seen` set in the background after the next step added to it,
        # so its history shows the join as ready one step early (a race).
        app.invoke({"x": "in"}, cfg(), durability="sync")
        return [
            (s.metadata["step"], s.next, [(t.name, t.result) for t in s.tasks])
            for s in app.get_state_history(cfg())
        ]

    assert_same(program)


def test_without_join_target_runs_twice():
    def program(lg):
        b = lg.StateGraph(S)
        for n in ("a", "b", "b2", "c"):
            b.add_node(n, log_node(n))
        b.add_edge(lg.START, "a")
        b.add_edge(lg.START, "b")
        b.add_edge("b", "b2")
        b.add_edge("a", "c")
        b.add_edge("b2", "c")
        return observe_all_modes(
            b.compile(checkpointer=lg.InMemorySaver()), {"x": "in"}, parallel=True
        )

    assert_same(program)


def test_defer_node_waits_until_end():
    def program(lg):
        b = lg.StateGraph(S)
        for n in ("a", "b", "b2", "b3"):
            b.add_node(n, log_node(n))
        b.add_node("final", log_node("final"), defer=True)
        b.add_edge(lg.START, "a")
        b.add_edge(lg.START, "b")
        b.add_edge("b", "b2")
        b.add_edge("b2", "b3")
        b.add_edge("a", "final")
        b.add_edge("b3", "final")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"x": "in"}, parallel=True)
        obs["channel-types"] = sorted((k, type(v).__name__) for k, v in app.channels.items())
        return obs

    assert_same(program)


def test_conditional_edges_variants():
    def program(lg):
        def build(path, path_map=None):
            b = lg.StateGraph(S)
            b.add_node("start", log_node("start"))
            b.add_node("yes", log_node("yes"))
            b.add_node("no", log_node("no"))
            b.add_edge(lg.START, "start")
            b.add_conditional_edges("start", path, path_map)
            return b.compile(checkpointer=lg.InMemorySaver())

        def lit(state) -> Literal["yes", "no"]:
            return "yes" if state["x"] == "y" else "no"

        def lit_end(state) -> Literal["yes", "__end__"]:
            return lg.END

        apps = {
            "no-map": build(lambda s: "yes" if s["x"] == "y" else "no"),
            "dict-map": build(lambda s: s["x"] == "y", {True: "yes", False: "no"}),
            "list-map": build(lambda s: "no", ["yes", "no"]),
            "literal": build(lit),
            "literal-end": build(lit_end),
            "returns-list": build(lambda s: ["yes", "no"]),
            "returns-end": build(lambda s: lg.END),
            "returns-end-in-list": build(lambda s: ["yes", lg.END]),
            "unknown-name": build(lambda s: "zzz"),
            "mixed-send": build(lambda s: ["yes", lg.Send("no", {"x": "sent"})]),
            "dict-map-end": build(lambda s: "stop", {"stop": lg.END, "go": "yes"}),
        }
        out = {}
        for k, app in apps.items():
            out[k] = capture(lambda app=app, k=k: app.invoke({"x": "y"}, cfg(k)))
            got = collect_stream(lambda app=app, k=k: app.stream({"x": "y"}, cfg(k + "u")))
            out[k + ":updates"] = sorted(map(repr, got["chunks"]))
            out[k + ":next"] = capture(lambda app=app, k=k: app.get_state(cfg(k)).next)
        return out

    assert_same(program)


def test_conditional_edge_all_modes():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("start", log_node("start"))
        b.add_node("yes", log_node("yes"))
        b.add_node("no", log_node("no"))
        b.add_edge(lg.START, "start")
        b.add_conditional_edges("start", lambda s: s["x"] == "y", {True: "yes", False: "no"})
        b.add_edge("yes", lg.END)
        return observe_all_modes(b.compile(checkpointer=lg.InMemorySaver()), {"x": "y"})

    assert_same(program)


def test_path_map_dict_missing_key_raises():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("start", log_node("start"))
        b.add_node("yes", log_node("yes"))
        b.add_edge(lg.START, "start")
        b.add_conditional_edges("start", lambda s: "other", {"yes": "yes"})
        app = b.compile(checkpointer=lg.InMemorySaver())
        return {
            "invoke": capture(lambda: app.invoke({"x": "y"}, cfg())),
            "state": capture(lambda: app.get_state(cfg())),
            "history": [
                [(t.name, t.error, t.result) for t in s.tasks] for s in app.get_state_history(cfg())
            ],
        }

    assert_same(program)


def test_conditional_loop_with_counter():
    def program(lg):
        class St(TypedDict):
            n: int

        b = lg.StateGraph(St)
        b.add_node("inc", lambda s: {"n": s["n"] + 1})
        b.add_edge(lg.START, "inc")
        b.add_conditional_edges("inc", lambda s: "inc" if s["n"] < 4 else lg.END)
        return observe_all_modes(b.compile(checkpointer=lg.InMemorySaver()), {"n": 0})

    assert_same(program)


def test_conditional_edge_reads_fresh_state():
    """The path function sees the node's own writes (fresh read), not the step-start state."""

    def program(lg):
        class St(TypedDict):
            n: int
            seen: Annotated[list, operator.add]

        def path(state):
            return "done" if state["n"] >= 1 else lg.END

        b = lg.StateGraph(St)
        b.add_node("inc", lambda s: {"n": s["n"] + 1})
        b.add_node("done", lambda s: {"seen": [s["n"]]})
        b.add_edge(lg.START, "inc")
        b.add_conditional_edges("inc", path)
        return observe_all_modes(b.compile(), {"n": 0})

    assert_same(program)


def test_add_sequence_and_entry_finish_points():
    def program(lg):
        def one(state):
            return {"log": ["one"]}

        def two(state):
            return {"log": ["two"]}

        b = lg.StateGraph(S)
        b.add_sequence([one, two, ("three", log_node("three"))])
        b.set_entry_point("one")
        b.set_finish_point("three")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"x": "in"})
        obs["nodes"] = sorted(app.nodes)

        c = lg.StateGraph(S)
        c.add_node("a", log_node("a"))
        c.add_node("b", log_node("b"))
        c.set_conditional_entry_point(lambda s: "b" if s["x"] == "b" else "a", {"a": "a", "b": "b"})
        app2 = c.compile()
        obs["cond-entry"] = [app2.invoke({"x": "b"}), app2.invoke({"x": "a"})]
        obs["cond-entry-stream"] = collect_stream(
            lambda: app2.stream({"x": "b"}, stream_mode="debug")
        )
        return obs

    assert_same(program)


def test_add_sequence_errors():
    def program(lg):
        def one(state):
            return {}

        return {
            "empty": capture(lambda: lg.StateGraph(S).add_sequence([])),
            "dup": capture(lambda: lg.StateGraph(S).add_sequence([one, one])),
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Builder-time and compile-time errors


def test_builder_errors():
    def program(lg):
        f = log_node("f")

        def dup():
            b = lg.StateGraph(S)
            b.add_node("a", f)
            b.add_node("a", f)

        out = {
            "dup": capture(dup),
            "reserved-start": capture(lambda: lg.StateGraph(S).add_node(lg.START, f)),
            "reserved-end": capture(lambda: lg.StateGraph(S).add_node(lg.END, f)),
            "colon": capture(lambda: lg.StateGraph(S).add_node("a:b", f)),
            "pipe": capture(lambda: lg.StateGraph(S).add_node("a|b", f)),
            "end-as-start": capture(lambda: lg.StateGraph(S).add_edge(lg.END, "a")),
            "start-as-end": capture(lambda: lg.StateGraph(S).add_edge("a", lg.START)),
            "join-end-as-start": capture(lambda: lg.StateGraph(S).add_edge(["a", lg.END], "b")),
            "join-start-source": capture(lambda: lg.StateGraph(S).add_edge([lg.START, "a"], "b")),
            "node-named-like-key": capture(
                lambda: type(lg.StateGraph(S).add_node("x", f)).__name__
            ),
            "chains": capture(
                lambda: type(lg.StateGraph(S).add_node("a", f).add_edge(lg.START, "a")).__name__
            ),
        }
        return out

    assert_same(program)


def test_compile_errors():
    def program(lg):
        f = log_node("f")

        def base():
            b = lg.StateGraph(S)
            b.add_node("a", f)
            b.add_node("b", f)
            return b

        def no_entry():
            return base().compile()

        def edge_from_unknown():
            b = base()
            b.add_edge(lg.START, "a")
            b.add_edge("zz", "a")
            return b.compile()

        def edge_to_unknown():
            b = base()
            b.add_edge(lg.START, "a")
            b.add_edge("a", "zz")
            return b.compile()

        def join_unknown():
            b = base()
            b.add_edge(lg.START, "a")
            b.add_edge(["a", "zz"], "b")
            return b.compile()

        def branch_unknown_target():
            def pick(state):
                return "b"

            b = base()
            b.add_edge(lg.START, "a")
            b.add_conditional_edges("a", pick, {"b": "b", "x": "nope"})
            return b.compile()

        def branch_unknown_source():
            b = base()
            b.add_edge(lg.START, "a")
            b.add_conditional_edges("zz", lambda s: "b")
            return b.compile()

        def interrupt_unknown():
            b = base()
            b.add_edge(lg.START, "a")
            return b.compile(interrupt_before=["zz"])

        def interrupt_after_unknown():
            b = base()
            b.add_edge(lg.START, "a")
            return b.compile(interrupt_after=["zz"])

        def interrupt_all():
            b = base()
            b.add_edge(lg.START, "a")
            return b.compile(interrupt_before="*", interrupt_after="*").invoke({"x": "1"})

        def only_conditional_entry():
            b = base()
            b.add_conditional_edges(lg.START, lambda s: "a", ["a"])
            return b.compile().invoke({"x": "1"})

        def dangling():
            b = base()
            b.add_edge(lg.START, "a")  # b unreachable, no edge out of a
            return b.compile().invoke({"x": "1"})

        def validate():
            return type(base().validate()).__name__

        def empty_graph():
            return lg.StateGraph(S).compile()

        out = {}
        for fn in (
            no_entry,
            edge_from_unknown,
            edge_to_unknown,
            join_unknown,
            branch_unknown_target,
            branch_unknown_source,
            interrupt_unknown,
            interrupt_after_unknown,
            interrupt_all,
            only_conditional_entry,
            dangling,
            validate,
            empty_graph,
        ):
            r = capture(fn)
            if "ok" in r and not isinstance(r["ok"], (dict, str)):
                r = {"ok": type(r["ok"]).__name__}
            out[fn.__name__] = r
        return out

    assert_same(program)


def test_compile_error_lambda_branch_name():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("a", log_node("a"))
        b.add_node("b", log_node("b"))
        b.add_edge(lg.START, "a")
        b.add_conditional_edges("a", lambda s: "b", {"b": "b", "x": "nope"})
        return {
            "compile": capture(b.compile),
            "branches": {k: sorted(v) for k, v in b.branches.items()},
        }

    assert_same(program)


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


# ---------------------------------------------------------------------------
# Retry policy


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


# ---------------------------------------------------------------------------
# Streaming: v2 parts and GraphOutput


def test_stream_v2_and_invoke_v2():
    def program(lg):
        app = parent_with_subgraph(lg, child_interrupt_before=["c2"])
        plain = parent_with_subgraph(lg)
        out = {}
        for mode in MODES:
            c = cfg("v2-" + mode_key(mode))
            out[mode_key(mode)] = collect_stream(
                lambda c=c, mode=mode: app.stream({"foo": "in"}, c, stream_mode=mode, version="v2")
            )
            out[mode_key(mode) + ":subgraphs"] = collect_stream(
                lambda c=c, mode=mode: plain.stream(
                    {"foo": "in"}, c, stream_mode=mode, version="v2", subgraphs=True
                )
            )
        c = cfg("inv")
        out["invoke"] = capture(lambda: app.invoke({"foo": "in"}, c, version="v2"))
        out["invoke-resume"] = capture(lambda: app.invoke(None, c, version="v2"))
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_invoke_v2_non_values_mode_returns_parts():
    def program(lg):
        app = chain(lg, "a", "b")
        return {
            "updates": capture(
                lambda: app.invoke({"x": "1"}, cfg("u"), stream_mode="updates", version="v2")
            ),
            "multi": capture(
                lambda: app.invoke(
                    {"x": "1"}, cfg("m"), stream_mode=["values", "updates"], version="v2"
                )
            ),
        }

    assert_same(program)


def test_invoke_v2_with_dynamic_interrupt():
    def program(lg):
        from importlib import import_module

        interrupt = import_module(lg.types.__name__).interrupt

        def ask(state):
            answer = interrupt({"q": state["x"]})
            return {"x": "answer:" + str(answer)}

        b = lg.StateGraph(S)
        b.add_node("ask", ask)
        b.add_edge(lg.START, "ask")
        app = b.compile(checkpointer=lg.InMemorySaver())
        out = {
            "v1": capture(lambda: app.invoke({"x": "q1"}, cfg("v1"))),
            "v2": capture(lambda: app.invoke({"x": "q1"}, cfg("v2"), version="v2")),
            "v2-stream": collect_stream(
                lambda: app.stream(
                    {"x": "q1"}, cfg("s"), stream_mode=["values", "updates"], version="v2"
                )
            ),
            "resume": capture(
                lambda: app.invoke(lg.Command(resume="yes"), cfg("v2"), version="v2")
            ),
            "resume-v1": capture(lambda: app.invoke(lg.Command(resume="yes"), cfg("v1"))),
        }
        out["state"] = state_of(app, cfg("v2"))
        return out

    assert_same(program)


def test_invoke_stream_mode_variants():
    def program(lg):
        app = chain(lg, "a", "b")
        return {
            "updates": capture(lambda: app.invoke({"x": "1"}, cfg("u"), stream_mode="updates")),
            "multi": capture(
                lambda: app.invoke({"x": "1"}, cfg("m"), stream_mode=["values", "updates"])
            ),
            "output_keys": capture(lambda: app.invoke({"x": "1"}, cfg("o"), output_keys="log")),
            "output_keys-list": capture(
                lambda: app.invoke({"x": "1"}, cfg("o2"), output_keys=["x"])
            ),
            "stream-default": collect_stream(lambda: app.stream({"x": "1"}, cfg("d"))),
            "stream_mode-attr": app.stream_mode,
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Managed values, recursion limit


def test_remaining_steps_and_is_last_step():
    def program(lg):
        class St(TypedDict):
            n: int
            trace: Annotated[list, operator.add]
            remaining: lg.RemainingSteps
            last: lg.IsLastStep

        def step(state):
            return {"n": state["n"] + 1, "trace": [(state["remaining"], state["last"])]}

        def route(state):
            return lg.END if state["last"] or state["remaining"] <= 2 else "step"

        b = lg.StateGraph(St)
        b.add_node("step", step)
        b.add_edge(lg.START, "step")
        b.add_conditional_edges("step", route)
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"n": 0}, config={"recursion_limit": 6})
        obs["default-limit"] = capture(lambda: app.invoke({"n": 0}, cfg("d", recursion_limit=4)))
        obs["managed-input"] = capture(
            lambda: app.invoke({"n": 0, "remaining": 100}, cfg("mi", recursion_limit=5))
        )
        return obs

    assert_same(program)


def test_managed_values_listed_in_channels():
    def program(lg):
        class St(TypedDict):
            n: int
            remaining: lg.RemainingSteps
            last: lg.IsLastStep

        b = lg.StateGraph(St)
        b.add_node("a", lambda s: {"n": 1})
        b.add_edge(lg.START, "a")
        app = b.compile()
        return {
            "channels": sorted(app.channels),
            "stream_channels": app.stream_channels,
            "out": app.invoke({"n": 0}),
        }

    assert_same(program)


def test_recursion_limit():
    def program(lg):
        class St(TypedDict):
            n: int

        b = lg.StateGraph(St)
        b.add_node("inc", lambda s: {"n": s["n"] + 1})
        b.add_edge(lg.START, "inc")
        b.add_conditional_edges("inc", lambda s: "inc")
        app = b.compile(checkpointer=lg.InMemorySaver())
        c3 = chain(lg, "a", "b", "c")
        return {
            "loop": capture(lambda: app.invoke({"n": 0}, cfg("l", recursion_limit=5))),
            "loop-stream": collect_stream(
                lambda: app.stream({"n": 0}, cfg("ls", recursion_limit=3), stream_mode="values")
            ),
            "loop-state": state_of(app, cfg("l")),
            "chain-exact": capture(lambda: c3.invoke({"x": "1"}, cfg("c4", recursion_limit=4))),
            "chain-short": capture(lambda: c3.invoke({"x": "1"}, cfg("c3", recursion_limit=3))),
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Breakpoints, resume, history


def test_breakpoints_compile_time_and_resume():
    def program(lg):
        app = chain(lg, "a", "b", "c", interrupt_before=["b"], interrupt_after=["c"])
        c = cfg("bp")
        out = {
            "first": collect_stream(
                lambda: app.stream({"x": "in"}, c, stream_mode=["values", "updates"])
            )
        }
        out["state1"] = capture(lambda: app.get_state(c))
        out["resume1"] = collect_stream(
            lambda: app.stream(None, c, stream_mode=["values", "updates"])
        )
        out["state2"] = capture(lambda: app.get_state(c))
        out["resume2"] = capture(lambda: app.invoke(None, c))
        out["after"] = state_of(app, c)
        out["invoke-first"] = capture(lambda: app.invoke({"x": "in"}, cfg("inv")))
        return out

    assert_same(program)


def test_breakpoints_runtime_and_new_input_discards():
    def program(lg):
        app = chain(lg, "a", "b", "c")
        c = cfg("rt")
        out = {
            "first": capture(lambda: app.invoke({"x": "in"}, c, interrupt_after=["a"])),
            "next": capture(lambda: app.get_state(c).next),
            "resume": capture(lambda: app.invoke(None, c, interrupt_before=["c"])),
            "next2": capture(lambda: app.get_state(c).next),
            "new-input": capture(lambda: app.invoke({"x": "again"}, c)),
        }
        out["history"] = state_of(app, c)
        out["all-modes"] = observe_all_modes(app, {"x": "in"}, interrupt_before=["b"])
        return out

    assert_same(program)


def test_get_state_history_filters_and_replay():
    def program(lg):
        app = chain(lg, "a", "b", "c")
        c = cfg("h")
        app.invoke({"x": "1"}, c)
        app.invoke({"x": "2"}, c)
        hist = list(app.get_state_history(c))
        out = {
            "history": hist,
            "limit": list(app.get_state_history(c, limit=2)),
            "filter": list(app.get_state_history(c, filter={"source": "input"})),
            "before": list(app.get_state_history(c, before=hist[2].config, limit=2)),
        }
        return out

    assert_same(program)


def test_replay_from_past_checkpoint_forks():
    def program(lg):
        app = chain(lg, "a", "b", "c")
        c = cfg("h")
        app.invoke({"x": "1"}, c)
        app.invoke({"x": "2"}, c)
        target = next(s for s in app.get_state_history(c) if s.next == ("b",))
        return {
            "replay": collect_stream(
                lambda: app.stream(None, target.config, stream_mode=["values", "checkpoints"])
            ),
            "history": list(app.get_state_history(c)),
        }

    assert_same(program)


def test_update_state_on_state_graph():
    def program(lg):
        app = chain(lg, "a", "b", interrupt_before=["b"])
        c = cfg("u")
        out = {"first": capture(lambda: app.invoke({"x": "in"}, c))}
        out["update"] = capture(lambda: app.update_state(c, {"x": "edited", "log": ["edit"]}))
        out["state"] = capture(lambda: app.get_state(c))
        out["resume"] = capture(lambda: app.invoke(None, c))
        out["as_node"] = capture(lambda: app.update_state(c, {"log": ["as-a"]}, as_node="a"))
        out["after"] = state_of(app, c)
        return out

    assert_same(program)


# ---------------------------------------------------------------------------
# Compiled graph surface


def test_compiled_graph_surface():
    def program(lg):
        app = chain(lg, "a", "b", name="my_graph")
        return {
            "name": app.name,
            "nodes": sorted(app.nodes),
            "channels": sorted((k, type(v).__name__) for k, v in app.channels.items()),
            "input_channels": app.input_channels,
            "output_channels": app.output_channels,
            "stream_channels": app.stream_channels,
            "trigger_to_nodes": {k: sorted(v) for k, v in sorted(app.trigger_to_nodes.items())},
            "node-triggers": {k: sorted(v.triggers) for k, v in sorted(app.nodes.items())},
            "builder": type(app.builder).__name__,
            "cls": type(app).__name__,
            "subgraphs": [n for n, _ in parent_with_subgraph(lg).get_subgraphs()],
        }

    assert_same(program)


def test_adding_to_builder_after_compile_does_not_affect_graph():
    def program(lg):
        b = lg.StateGraph(S)
        b.add_node("a", log_node("a"))
        b.add_edge(lg.START, "a")
        app = b.compile()
        b.add_node("b", log_node("b"))
        b.add_edge("a", "b")
        return {"old": app.invoke({"x": "1"}), "new": b.compile().invoke({"x": "1"})}

    assert_same(program)


def test_batch_and_abatch():
    def program(lg):
        app = chain(lg, "a", "b", checkpointer=False)
        return {
            "batch": capture(lambda: app.batch([{"x": "1"}, {"x": "2"}])),
            "abatch": arun(lambda: app.abatch([{"x": "3"}])),
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# More: errors and resume, Command input, runnables as nodes, contexts, durability


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


def test_command_as_input_update_only():
    def program(lg):
        app = chain(lg, "a", "b", "c", interrupt_before=["b"])
        c = cfg("cmd")
        out = {"first": capture(lambda: app.invoke({"x": "in"}, c))}
        out["update"] = collect_stream(
            lambda: app.stream(
                lg.Command(update={"x": "upd"}), c, stream_mode=["values", "updates"]
            )
        )
        out["state"] = state_of(app, c)
        out["resume-no-cp"] = capture(
            lambda: chain(lg, "a", checkpointer=False).invoke(lg.Command(resume=1))
        )
        # LangGraph 1.2.22 raises UnboundLocalError for Command() (upstream bug; EmptyInputError
        # intended): only check that both raise
        out["empty-command-raises"] = "raised" in capture(
            lambda: app.invoke(lg.Command(), cfg("empty"))
        )
        return out

    assert_same(program)


def test_command_as_input_goto():
    def program(lg):
        app = chain(lg, "a", "b", "c", interrupt_before=["b"])
        c = cfg("cmd")
        out = {"first": capture(lambda: app.invoke({"x": "in"}, c))}
        out["goto"] = collect_stream(
            lambda: app.stream(
                lg.Command(update={"x": "upd"}, goto="c"), c, stream_mode=["values", "updates"]
            )
        )
        # b and c run in the same step: their chunks come in completion order.
        out["goto"]["chunks"] = canonical_order(
            out["goto"].get("chunks", []), ["values", "updates"]
        )
        out["state"] = state_of(app, c)
        fresh = chain(lg, "a", "b")
        out["fresh-goto"] = capture(
            lambda: fresh.invoke(lg.Command(goto="b", update={"x": "q"}), cfg("f"))
        )
        return out

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


@xfail(
    "engine bug: pydantic state with a bad node write ({'count': 'five'}): LangGraph raises the "
    "ValidationError while preparing the next task (note \"Before task with name 'r' ...\") and "
    "streams neither w's 'updates' chunk nor the step's 'values' chunk; ours streams both and "
    "raises without the note"
)
def test_pydantic_bad_node_output_fails_on_next_read():
    def program(lg):
        class St(pydantic.BaseModel):
            count: int = 0
            note: str = ""

        b = lg.StateGraph(St)
        b.add_node("w", lambda s: {"count": "five"})
        b.add_node("r", lambda s: {"note": f"count={s.count!r}"})
        b.add_node("coerce", lambda s: {"count": "7"})
        b.add_edge(lg.START, "w")
        b.add_edge("w", "r")
        bad = b.compile(checkpointer=lg.InMemorySaver())
        g = lg.StateGraph(St)
        g.add_node("coerce", lambda s: {"count": "7"})
        g.add_node("r", lambda s: {"note": f"count={s.count!r}"})
        g.add_edge(lg.START, "coerce")
        g.add_edge("coerce", "r")
        good = g.compile()
        return {
            "bad": collect_stream(
                lambda: bad.stream({"count": 1}, cfg(), stream_mode=["values", "updates"])
            ),
            "bad-state": capture(lambda: bad.get_state(cfg()).values),
            "coerced": capture(lambda: good.invoke({})),
        }

    assert_same(program)


def test_pydantic_input_output_schemas():
    def program(lg):
        class Inp(pydantic.BaseModel):
            question: str

        class Out(pydantic.BaseModel):
            answer: str = ""

        class Overall(pydantic.BaseModel):
            question: str = ""
            answer: str = ""
            scratch: str = ""

        b = lg.StateGraph(Overall, input_schema=Inp, output_schema=Out)
        b.add_node("n", lambda s: {"scratch": "s", "answer": s.question * 2})
        b.add_edge(lg.START, "n")
        app = b.compile()
        return {
            "dict": capture(lambda: app.invoke({"question": "q"})),
            "model": capture(lambda: app.invoke(Inp(question="m"))),
            "bad": capture(lambda: app.invoke({"nope": 1})),
            "stream": collect_stream(
                lambda: app.stream({"question": "q"}, stream_mode=["values", "updates"])
            ),
        }

    assert_same(program)


def test_durability_modes():
    def program(lg):
        out = {}
        for d in ("sync", "async", "exit"):
            app = chain(lg, "a", "b")
            c = cfg(d)
            out[d] = capture(lambda app=app, c=c, d=d: app.invoke({"x": "1"}, c, durability=d))
            out[d + ":history"] = [(s.metadata["step"], s.next) for s in app.get_state_history(c)]
        return out

    assert_same(program)


def test_interrupt_before_all_and_subgraph_node():
    def program(lg):
        app = chain(lg, "a", "b", interrupt_before="*")
        c = cfg("all")
        out = {"steps": []}
        out["steps"].append(capture(lambda: app.invoke({"x": "1"}, c)))
        for _ in range(3):
            out["steps"].append(capture(lambda: (app.invoke(None, c), app.get_state(c).next)))
        parent = parent_with_subgraph(lg)
        c2 = cfg("sub")
        out["sub-first"] = capture(
            lambda: parent.invoke({"foo": "in"}, c2, interrupt_before=["sub"])
        )
        out["sub-next"] = capture(lambda: parent.get_state(c2).next)
        out["sub-resume"] = capture(lambda: parent.invoke(None, c2))
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


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


def test_parallel_send_with_interrupt_resume_map():
    def program(lg):
        from importlib import import_module

        interrupt = import_module(lg.types.__name__).interrupt

        class St(TypedDict):
            answers: Annotated[list, operator.add]

        def ask(state):
            return {"answers": [f"{state['q']}={interrupt(state['q'])}"]}

        b = lg.StateGraph(St)
        b.add_node("start", lambda s: {})
        b.add_node("ask", ask)
        b.add_edge(lg.START, "start")
        b.add_conditional_edges("start", lambda s: [lg.Send("ask", {"q": q}) for q in ("q1", "q2")])
        app = b.compile(checkpointer=lg.InMemorySaver())
        c = cfg("m")
        first = app.invoke({"answers": []}, c)
        ints = sorted(first["__interrupt__"], key=lambda i: i.value)
        out = {"values": [i.value for i in ints]}
        out["scalar-resume"] = capture(lambda: app.invoke(lg.Command(resume="x"), c))
        out["map-resume"] = capture(
            lambda: sorted(
                app.invoke(lg.Command(resume={i.id: i.value.upper() for i in ints}), c)["answers"]
            )
        )
        out["next"] = app.get_state(c).next
        return out

    assert_same(program)


def test_channel_instances_in_annotations_and_overwrite_plain_key():
    def program(lg):
        class St(TypedDict):
            topic: Annotated[list, lg.ch.Topic(str, accumulate=True)]
            eph: Annotated[str | None, lg.ch.EphemeralValue(str)]
            plain: str

        b = lg.StateGraph(St)
        b.add_node("a", lambda s: {"topic": ["t1", "t2"], "eph": "e", "plain": lg.Overwrite("ow")})
        b.add_node("b", lambda s: {"topic": "t3", "plain": s["plain"] + f"|eph={s.get('eph')}"})
        b.add_edge(lg.START, "a")
        b.add_edge("a", "b")
        app = b.compile(checkpointer=lg.InMemorySaver())
        obs = observe_all_modes(app, {"plain": "p"})
        obs["channel-types"] = sorted((k, type(v).__name__) for k, v in app.channels.items())
        return obs

    assert_same(program)


def test_deprecated_input_output_kwargs():
    def program(lg):
        import warnings

        class Inp(TypedDict):
            x: str

        class Out(TypedDict):
            log: list

        out = {}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            b = lg.StateGraph(S, input=Inp, output=Out)
            out["warnings"] = sorted({type(x.message).__name__ for x in w})
        b.add_node("a", log_node("a"))
        b.add_edge(lg.START, "a")
        out["io"] = capture(lambda: b.compile().invoke({"x": "1", "log": ["ignored"]}))
        return out

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
