"""InMemorySaver's engine fast path (put_step / put_step_writes) and its `history` op:
what a user sees of the saved thread matches LangGraph's InMemorySaver (get_state, history,
list with filter/before/limit, get_tuple by id, pending writes, interrupts and resume,
update_state, forks, subgraphs, Send), and savers the fast path must not take (a subclass
overriding put/put_writes, a custom serializer, put() called directly) still work."""

import asyncio
import operator
from typing import Annotated

import pytest
from typing_extensions import TypedDict

from diff_helpers import Impl, assert_same, capture, cfg, parent_with_subgraph
from langgraph_jit.checkpoint.memory import InMemorySaver
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph_jit.pregel import _persist


class St(TypedDict):
    i: int
    log: Annotated[list, operator.add]
    note: str


def _loop(lg: Impl, steps: int = 4, saver=None, **compile_kw):
    def step(state):
        return {"i": state["i"] + 1, "log": [state["i"]], "note": f"n{state['i']}"}

    def route(state):
        return lg.END if state["i"] >= steps else "step"

    b = lg.StateGraph(St)
    b.add_node("step", step)
    b.add_edge(lg.START, "step")
    b.add_conditional_edges("step", route)
    return b.compile(checkpointer=saver if saver is not None else lg.InMemorySaver(), **compile_kw)


def _saver_view(saver, config):
    """What list()/get_tuple show, in LangGraph's shape (minus ordering-free fields)."""
    out = []
    for t in saver.list(config):
        out.append(
            {
                "config": t.config,
                "parent": t.parent_config,
                "metadata": t.metadata,
                "values": t.checkpoint["channel_values"],
                "versions": t.checkpoint["channel_versions"],
                "seen": t.checkpoint["versions_seen"],
                # update_state's checkpoints: LangGraph stores None, ours the
                # channels the update wrote (a known difference, not the saver's)
                "updated": None
                if t.metadata.get("source") == "update"
                else t.checkpoint.get("updated_channels"),
                "writes": t.pending_writes,
            }
        )
    return out


def _observe(app, config):
    saver = app.checkpointer
    history = list(app.get_state_history(config))
    ids = [s.config["configurable"]["checkpoint_id"] for s in history]
    middle = {"configurable": {**config["configurable"], "checkpoint_id": ids[len(ids) // 2]}}
    return {
        "state": capture(lambda: app.get_state(config)),
        "history": history,
        "list": _saver_view(saver, config),
        "limit2": [s.config for s in app.get_state_history(config, limit=2)],
        "before": [s.metadata for s in app.get_state_history(config, before=middle)],
        "filter": [s.config for s in app.get_state_history(config, filter={"source": "loop"})],
        "filter_step": [s.values for s in app.get_state_history(config, filter={"step": 2})],
        "by_id": capture(lambda: app.get_state(middle)),
        "tuple_by_id": capture(lambda: saver.get_tuple(middle).pending_writes),
    }


def test_loop_history_list_and_reads():
    def program(lg: Impl):
        app = _loop(lg)
        config = cfg("t")
        out = app.invoke({"i": 0, "log": [], "note": ""}, config)
        return {"out": out, **_observe(app, config)}

    assert_same(program)


def test_two_invokes_and_update_state_and_fork():
    def program(lg: Impl):
        app = _loop(lg, steps=3)
        config = cfg("t")
        app.invoke({"i": 0, "log": [], "note": ""}, config)
        updated = app.update_state(config, {"note": "edited"})
        again = app.invoke({"i": 0, "log": ["x"], "note": "again"}, config)
        history = list(app.get_state_history(config))
        fork_from = history[3].config
        forked = app.update_state(fork_from, {"log": ["fork"]})
        replay = app.invoke(None, forked)
        return {
            "updated": updated,
            "again": again,
            "forked": forked,
            "replay": replay,
            **_observe(app, config),
        }

    assert_same(program)


def test_interrupt_and_resume():
    def program(lg: Impl):
        def ask(state):
            answer = lg.types.interrupt({"q": state["i"]})
            return {"i": state["i"] + 1, "log": [answer], "note": "asked"}

        b = lg.StateGraph(St)
        b.add_node("ask", ask)
        b.add_node("after", lambda s: {"log": ["after"]})
        b.add_edge(lg.START, "ask")
        b.add_edge("ask", "after")
        app = b.compile(checkpointer=lg.InMemorySaver())
        config = cfg("t")
        first = app.invoke({"i": 1, "log": [], "note": ""}, config)
        mid = _observe(app, config)
        done = app.invoke(lg.Command(resume="yes"), config)
        return {"first": first, "mid": mid, "done": done, **_observe(app, config)}

    assert_same(program)


def test_interrupt_before_and_pending_writes_of_parallel_nodes():
    def program(lg: Impl):
        b = lg.StateGraph(St)
        b.add_node("a", lambda s: {"log": ["a"]})
        b.add_node("b", lambda s: {"log": ["b"], "i": 5})
        b.add_node("c", lambda s: {"note": "c"})
        b.add_node("s", lambda s: {"note": "s"})
        b.add_edge(lg.START, "s")
        # a list: the same order on both (edges from one node are a set)
        b.add_conditional_edges("s", lambda s: ["a", "b"], ["a", "b"])
        b.add_edge("a", "c")
        b.add_edge("b", "c")
        app = b.compile(checkpointer=lg.InMemorySaver(), interrupt_before=["c"])
        config = cfg("t")
        first = app.invoke({"i": 0, "log": [], "note": ""}, config)
        mid = _observe(app, config)
        done = app.invoke(None, config)
        return {"first": first, "mid": mid, "done": done, **_observe(app, config)}

    assert_same(program)


def test_send_fan_out():
    def program(lg: Impl):
        def fan(state):
            return [lg.Send("work", {"i": k, "log": [], "note": ""}) for k in range(3)]

        b = lg.StateGraph(St)
        b.add_node("start", lambda s: {"note": "s"})
        b.add_node("work", lambda s: {"log": [s["i"] * 10]})
        b.add_edge(lg.START, "start")
        b.add_conditional_edges("start", fan)
        app = b.compile(checkpointer=lg.InMemorySaver())
        config = cfg("t")
        out = app.invoke({"i": 0, "log": [], "note": ""}, config)
        return {"out": out, **_observe(app, config)}

    assert_same(program, exact_ids=False)


def test_subgraph_checkpoints():
    def program(lg: Impl):
        app = parent_with_subgraph(lg, child_interrupt_before=["c2"])
        config = cfg("t")
        first = app.invoke({"foo": "f", "log": []}, config)
        sub = app.get_state(config, subgraphs=True)
        done = app.invoke(None, config)
        return {
            "first": first,
            "sub": sub,
            "done": done,
            "list_all_ns": len(list(app.checkpointer.list(None))),
            **_observe(app, config),
        }

    assert_same(program, ignore=("state", "checkpoint_map"))


def test_async_run_and_history():
    def program(lg: Impl):
        app = _loop(lg, steps=3)
        config = cfg("t")

        async def go():
            out = await app.ainvoke({"i": 0, "log": [], "note": ""}, config)
            history = [s async for s in app.aget_state_history(config)]
            return out, history

        out, history = asyncio.run(go())
        return {"out": out, "ahistory": history, **_observe(app, config)}

    assert_same(program)


def test_durabilities_same_thread_view():
    def program(lg: Impl):
        out = {}
        for durability in ("sync", "async", "exit"):
            app = _loop(lg, steps=3)
            config = cfg(durability)
            app.invoke({"i": 0, "log": [], "note": ""}, config, durability=durability)
            out[durability] = _observe(app, config)
        return out

    assert_same(program)


# -- savers the fast path must not take ------------------------------------------------


class _CountingSaver(InMemorySaver):
    """A subclass that overrides put and put_writes (LangGraph's plain contract)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def put(self, config, checkpoint, metadata, new_versions):
        self.calls.append("put")
        return super().put(config, checkpoint, metadata, new_versions)

    def put_writes(self, config, writes, task_id, task_path=""):
        self.calls.append("put_writes")
        return super().put_writes(config, writes, task_id, task_path)


def test_step_puts_only_for_the_exact_class_and_default_serializer():
    assert InMemorySaver().takes_step_puts
    assert not _CountingSaver().takes_step_puts
    assert not InMemorySaver(serde=_OtherSerde()).takes_step_puts


class _OtherSerde(JsonPlusSerializer):
    pass


@pytest.mark.parametrize("make", [_CountingSaver, lambda: InMemorySaver(serde=_OtherSerde())])
def test_other_savers_see_the_same_thread(make):
    """A subclass overriding the write methods is called as LangGraph calls it, and
    what it stores reads back as the fast path's does."""
    from langgraph_jit.graph import END, START, StateGraph

    class Lg:
        pass

    lg = Lg()
    lg.StateGraph, lg.START, lg.END = StateGraph, START, END  # type: ignore[attr-defined]
    fast = _loop(lg, saver=InMemorySaver())  # type: ignore[arg-type]
    slow_saver = make()
    slow = _loop(lg, saver=slow_saver)  # type: ignore[arg-type]
    seen = []
    for app in (fast, slow):
        config = cfg("t")
        app.invoke({"i": 0, "log": [], "note": ""}, config)
        history = list(app.get_state_history(config))
        seen.append(
            [(s.values, s.next, s.metadata, [(t.name, t.result) for t in s.tasks]) for s in history]
        )
    assert seen[0] == seen[1]
    if isinstance(slow_saver, _CountingSaver):
        assert slow_saver.calls.count("put") == 6
        assert "put_writes" in slow_saver.calls


def test_direct_put_then_run_then_history():
    """put() called by a user on the same saver mixes with the engine's step puts."""

    def program(lg: Impl):
        saver = lg.InMemorySaver()
        app = _loop(lg, steps=2, saver=saver)
        config = cfg("t")
        app.invoke({"i": 0, "log": [], "note": ""}, config)
        latest = saver.get_tuple(config)
        checkpoint = dict(latest.checkpoint)
        checkpoint["id"] = "1f000000-0000-6000-8000-000000000000"  # older than every run id
        saver.put(latest.config, checkpoint, {"source": "manual", "step": 99}, {})
        return {"list": _saver_view(saver, config), "state": app.get_state(config)}

    assert_same(program)


def test_history_op_entries_read_as_list_tuples():
    """InMemorySaver.history's entries carry what list()'s tuples do."""
    from langgraph_jit.graph import END, START, StateGraph

    class Lg:
        pass

    lg = Lg()
    lg.StateGraph, lg.START, lg.END = StateGraph, START, END  # type: ignore[attr-defined]
    app = _loop(lg, saver=InMemorySaver())  # type: ignore[arg-type]
    config = cfg("t")
    app.invoke({"i": 0, "log": [], "note": ""}, config)
    saver = app.checkpointer
    assert saver.reads_history
    listed = list(saver.list(config))
    entries = list(saver.history(config))
    assert [e.as_tuple() for e in entries] == listed
    for entry, t in zip(entries, listed):
        assert entry.config == t.config
        assert entry.parent_config == t.parent_config
        assert entry.metadata == t.metadata
        assert entry.values == t.checkpoint["channel_values"]
        assert entry.writes == t.pending_writes
        assert dict(entry.state.cv) == t.checkpoint["channel_versions"]
    # A subclass with its own listing reads through list().
    assert not _Listing().reads_history


class _Listing(InMemorySaver):
    def list(self, config, **kwargs):
        return super().list(config, **kwargs)


def test_persister_falls_back_without_task_path(monkeypatch):
    """A run whose saver's put_writes takes no task_path never takes step puts."""
    saver = InMemorySaver()
    monkeypatch.setattr(_persist, "_takes_task_path", lambda s: False)
    p = _persist.Persister(
        {},
        {"thread_id": "t"},
        checkpointer=saver,
        durability="async",
        cache=None,
        default_cache_policy=None,
        untracked=frozenset(),
    )
    assert not p._takes_step_puts()
