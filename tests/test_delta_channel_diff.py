"""Differential tests: `DeltaChannel` and `_messages_delta_reducer` against real LangGraph 1.2.22,
as a channel and as a state field of graphs that are saved, reloaded, updated and forked.
"""

import operator
from typing import Annotated, Any

import pytest

pytest.importorskip("langgraph.channels.delta")
pytest.importorskip("langchain_core")

import langgraph.channels.delta as lg_delta
import langgraph.checkpoint.memory as lg_memory
import langgraph.graph as lg_graph
import langgraph.graph.message as lg_message
import langgraph.types as lg_types
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from typing_extensions import NotRequired, TypedDict

import langgraph_jit.channels.delta as jit_delta
import langgraph_jit.checkpoint.memory as jit_memory
import langgraph_jit.graph as jit_graph
import langgraph_jit.graph.message as jit_message
import langgraph_jit.types as jit_types
from langgraph_jit._constants import MISSING as JIT_MISSING

IMPLS = {
    "lg": (lg_delta, lg_graph, lg_message, lg_types, lg_memory),
    "jit": (jit_delta, jit_graph, jit_message, jit_types, jit_memory),
}


def outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as e:  # the same exception type and text on both sides
        return ("err", type(e).__name__, str(e))


def dict_reducer(state: dict, writes: list) -> dict:
    out = dict(state)
    for w in writes:
        for k, v in w.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = v
    return out


def list_reducer(state: list, writes: list) -> list:
    return [*state, *writes]


# -- the channel -------------------------------------------------------------


def _channel(impl: str, reducer=None, typ: Any = list, **kw):
    delta, _, message, _, _ = IMPLS[impl]
    reducer = reducer or message._messages_delta_reducer
    return delta.DeltaChannel(reducer, typ, **kw)


def _msg_steps(types):
    return [
        [HumanMessage("hi", id="h1")],
        [AIMessage("hello", id="a1"), [HumanMessage("more", id="h2")]],
        [{"role": "ai", "content": "edited", "id": "a1"}],
        [RemoveMessage(id="h2"), ("user", "tuple")],
        [types.Overwrite([HumanMessage("fresh", id="f1")])],
        [HumanMessage("after", id="f2")],
        [{"__overwrite__": None}],
        [],
        [types.Overwrite(1), types.Overwrite(2)],
    ]


def _summary(value):
    if isinstance(value, list):
        return [(type(m).__name__, m.content, m.id) for m in value]
    return value


def test_messages_channel_steps_match():
    seen = {}
    for impl in IMPLS:
        types = IMPLS[impl][3]
        ch = _channel(impl).from_checkpoint(lg_delta.MISSING if impl == "lg" else JIT_MISSING)
        rows = []
        for step in _msg_steps(types):
            r = outcome(ch.update, step)
            rows.append((r[0], r[1] if r[0] == "ok" else r[1:], _summary(ch.get())))
            rows.append(ch.checkpoint() is (lg_delta.MISSING if impl == "lg" else JIT_MISSING))
        seen[impl] = rows
    assert seen["lg"] == seen["jit"]


@pytest.mark.parametrize(
    "writes",
    [
        [("t0", "x", {"a": 1}), ("t1", "x", {"b": 2}), ("t2", "x", {"a": None})],
        [("t0", "x", {"a": 1}), ("t1", "x", {"__overwrite__": {"z": 0}}), ("t2", "x", {"b": 2})],
        [("t0", "x", {"a": 1}), ("t1", "x", {"value": {"q": 1}, "type": "__overwrite__"})],
        [("t1", "x", {"__overwrite__": None}), ("t2", "x", {"c": 3})],
        [],
    ],
)
def test_replay_writes_match(writes):
    seen = {}
    for impl in IMPLS:
        missing = lg_delta.MISSING if impl == "lg" else JIT_MISSING
        ch = _channel(impl, dict_reducer, dict).from_checkpoint(missing)
        ch.update([{"seed": 1}])
        ch.replay_writes(writes)
        seen[impl] = ch.get()
    assert seen["lg"] == seen["jit"]


def test_from_checkpoint_forms_match():
    from langgraph.checkpoint.serde.types import _DeltaSnapshot as LgSnap

    from langgraph_jit.checkpoint.serde.types import _DeltaSnapshot as JitSnap

    for impl, snap in (("lg", LgSnap), ("jit", JitSnap)):
        missing = lg_delta.MISSING if impl == "lg" else JIT_MISSING
        spec = _channel(impl, list_reducer, list, snapshot_frequency=7)
        assert spec.from_checkpoint(missing).get() == []
        assert spec.from_checkpoint(snap([1, 2])).get() == [1, 2]
        assert spec.from_checkpoint([3]).get() == [3]
        copied = spec.from_checkpoint([3]).copy()
        assert copied.snapshot_frequency == 7 and copied.get() == [3]
        assert spec == _channel(impl, list_reducer, list, snapshot_frequency=7)
        assert spec != _channel(impl, list_reducer, list, snapshot_frequency=8)
        with pytest.raises(ValueError, match="snapshot_frequency must be a positive int"):
            _channel(impl, list_reducer, list, snapshot_frequency=0)


# -- as a state field ----------------------------------------------------------


def _messages_graph(impl: str, frequency: int = 100):
    delta, graph, message, types, memory = IMPLS[impl]

    class State(TypedDict):
        messages: Annotated[
            list, delta.DeltaChannel(message._messages_delta_reducer, snapshot_frequency=frequency)
        ]
        count: Annotated[int, operator.add]

    def agent(state: State) -> dict:
        n = len(state["messages"])
        return {"messages": [AIMessage(f"a{n}", id=f"a{n}")], "count": 1}

    def trim(state: State) -> dict:
        if len(state["messages"]) > 6:
            return {"messages": types.Overwrite(state["messages"][-2:])}
        return {}

    g = graph.StateGraph(State)
    g.add_node("agent", agent)
    g.add_node("trim", trim)
    g.add_edge(graph.START, "agent")
    g.add_edge("agent", "trim")
    return g.compile(checkpointer=memory.InMemorySaver())


def _contents(values: dict) -> Any:
    return {k: [m.content for m in v] if k == "messages" else v for k, v in sorted(values.items())}


@pytest.mark.parametrize("frequency", [1, 3, 100])
def test_graph_runs_and_reloads_match(frequency):
    seen = {}
    for impl in IMPLS:
        app = _messages_graph(impl, frequency)
        cfg = {"configurable": {"thread_id": "t"}}
        rows = []
        for i in range(5):
            out = app.invoke({"messages": [HumanMessage(f"h{i}", id=f"h{i}")]}, cfg)
            rows.append(_contents(out))
        rows.append(_contents(app.get_state(cfg).values))
        rows.append([_contents(s.values) for s in app.get_state_history(cfg)])
        seen[impl] = rows
    assert seen["lg"] == seen["jit"]


def test_update_state_and_fork_match():
    seen = {}
    for impl in IMPLS:
        app = _messages_graph(impl, 2)
        types = IMPLS[impl][3]
        cfg = {"configurable": {"thread_id": "t"}}
        rows = []
        app.invoke({"messages": [HumanMessage("h0", id="h0")]}, cfg)
        app.invoke({"messages": [HumanMessage("h1", id="h1")]}, cfg)
        app.update_state(cfg, {"messages": [HumanMessage("u", id="u1")]})
        rows.append(_contents(app.get_state(cfg).values))
        app.update_state(cfg, {"messages": types.Overwrite([HumanMessage("o", id="o1")])})
        rows.append(_contents(app.get_state(cfg).values))
        history = list(app.get_state_history(cfg))
        fork_from = history[3].config
        forked = app.update_state(fork_from, {"messages": [HumanMessage("f", id="f1")]})
        rows.append(_contents(app.get_state(forked).values))
        rows.append(_contents(app.invoke(None, forked)))
        rows.append(_contents(app.get_state(cfg).values))
        seen[impl] = rows
    assert seen["lg"] == seen["jit"]


def test_dict_field_with_notrequired_matches():
    seen = {}
    for impl in IMPLS:
        delta, graph, _, _, memory = IMPLS[impl]

        class State(TypedDict):
            files: NotRequired[Annotated[dict, delta.DeltaChannel(dict_reducer)]]

        def write(state: State) -> dict:
            n = len(state.get("files", {}))
            return {"files": {f"f{n}": n, "f0": None} if n > 2 else {f"f{n}": n}}

        g = graph.StateGraph(State)
        g.add_node("write", write)
        g.add_edge(graph.START, "write")
        app = g.compile(checkpointer=memory.InMemorySaver())
        cfg = {"configurable": {"thread_id": "t"}}
        rows = [app.invoke({}, cfg) for _ in range(4)]
        rows.append(app.get_state(cfg).values)
        seen[impl] = rows
    assert seen["lg"] == seen["jit"]


# -- what the checkpoints store --------------------------------------------------


def _storage(saver, config, channel="messages"):
    """Per checkpoint, newest first: step, source, whether the channel's value is
    stored (a snapshot), its counters, and how many writes to it are saved there."""
    rows = []
    for t in saver.list(config):
        stored = t.checkpoint["channel_values"].get(channel)
        rows.append(
            (
                t.metadata.get("step"),
                t.metadata.get("source"),
                type(stored).__name__ if stored is not None else None,
                t.metadata.get("counters_since_delta_snapshot"),
                sum(1 for w in t.pending_writes or () if w[1] == channel),
            )
        )
    return rows


def _normalise_counters(rows):
    return [(*r[:3], {k: tuple(v) for k, v in r[3].items()} if r[3] else r[3], r[4]) for r in rows]


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
@pytest.mark.parametrize("frequency", [2, 100])
def test_checkpoint_storage_matches(durability, frequency):
    seen = {}
    for impl in IMPLS:
        app = _messages_graph(impl, frequency)
        saver = app.checkpointer
        cfg = {"configurable": {"thread_id": "t"}}
        for i in range(4):
            app.invoke(
                {"messages": [HumanMessage(f"h{i}", id=f"h{i}")]}, cfg, durability=durability
            )
        seen[impl] = (
            _normalise_counters(_storage(saver, cfg)),
            [_contents(s.values) for s in app.get_state_history(cfg)],
        )
    assert seen["lg"] == seen["jit"]


def _interrupt_graph(impl: str):
    delta, graph, _, types, memory = IMPLS[impl]

    class State(TypedDict):
        log: Annotated[list, delta.DeltaChannel(list_reducer)]
        plain: Annotated[list, operator.add]

    def both(marker):
        return {"log": [marker], "plain": [marker]}

    def ask(state):
        answer = types.interrupt("approve?")
        return both(f"ask:{answer}")

    g = graph.StateGraph(State)
    g.add_node("done", lambda state: both("done"))
    g.add_node("ask", ask)
    g.add_node("after", lambda state: both("after"))
    g.add_edge(graph.START, "done")
    g.add_edge(graph.START, "ask")
    g.add_edge("ask", "after")
    return g.compile(checkpointer=memory.InMemorySaver()), both


def _no_interrupts(values: dict) -> dict:
    # interrupt ids derive from checkpoint ids, which differ between runs
    return {k: v for k, v in values.items() if k != "__interrupt__"}


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_interrupt_resume_and_replay_match(durability):
    seen = {}
    for impl in IMPLS:
        app, both = _interrupt_graph(impl)
        types = IMPLS[impl][3]
        cfg = {"configurable": {"thread_id": "t"}}
        rows = [_no_interrupts(app.invoke(both("in"), cfg, durability=durability))]
        paused = app.get_state(cfg).config
        rows.append(app.invoke(types.Command(resume="yes", update=both("cmd")), cfg))
        rows.append(app.get_state(cfg).values)
        # replay from the paused checkpoint with a new answer: a new branch
        again = app.invoke(types.Command(resume="again"), paused, durability=durability)
        rows.append(_no_interrupts(again))
        rows.append([s.values for s in app.get_state_history(cfg)])
        seen[impl] = rows
    assert seen["lg"] == seen["jit"]


def test_update_state_on_a_new_thread_and_copy_match():
    seen = {}
    for impl in IMPLS:
        app = _messages_graph(impl, 3)
        saver = app.checkpointer
        cfg = {"configurable": {"thread_id": "t"}}
        app.update_state(cfg, {"messages": [HumanMessage("u", id="u")]}, as_node="agent")
        app.update_state(cfg, None, as_node="__copy__")
        app.invoke(None, cfg)
        app.update_state(cfg, {"messages": [HumanMessage("v", id="v")]}, as_node="__input__")
        seen[impl] = (
            _normalise_counters(_storage(saver, cfg)),
            [_contents(s.values) for s in app.get_state_history(cfg)],
        )
    assert seen["lg"] == seen["jit"]


async def _async_run(impl):
    app = _messages_graph(impl, 2)
    cfg = {"configurable": {"thread_id": "t"}}
    rows = []
    for i in range(3):
        out = await app.ainvoke({"messages": [HumanMessage(f"h{i}", id=f"h{i}")]}, cfg)
        rows.append(_contents(out))
    rows.append(_contents((await app.aget_state(cfg)).values))
    rows.append([_contents(s.values) async for s in app.aget_state_history(cfg)])
    await app.aupdate_state(cfg, {"messages": [HumanMessage("u", id="u")]}, as_node="trim")
    rows.append(_contents((await app.aget_state(cfg)).values))
    return rows


def test_async_api_matches():
    import asyncio

    assert asyncio.run(_async_run("lg")) == asyncio.run(_async_run("jit"))


def test_messages_without_ids_get_ids_that_reads_keep():
    for impl in IMPLS:
        app = _messages_graph(impl, 100)
        cfg = {"configurable": {"thread_id": "t"}}
        app.invoke({"messages": [("user", "no id"), {"role": "user", "content": "dict"}]}, cfg)
        first = [m.id for m in app.get_state(cfg).values["messages"]]
        again = [m.id for m in app.get_state(cfg).values["messages"]]
        assert first == again and all(first), impl
