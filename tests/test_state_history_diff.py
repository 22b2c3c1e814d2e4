"""get_state / get_state_history compared on both engines, and our lean read path
compared with the full one.

Each case builds the same graph against `langgraph` and `langgraph_jit` (through
diff_helpers' Impl bundles), runs it on an InMemorySaver and records what a user
reads back: every StateSnapshot field (values, next, config, metadata, created_at,
parent_config, tasks with errors, interrupts, results and subgraph states,
interrupts), with the random ids and timestamps numbered by `normalise`.

Most snapshots are built without loading a run (pregel._snapshot.SnapshotReader.lean);
`test_lean_matches_full_path` checks that, for every checkpoint of every case, the
lean snapshot equals the one the full path (a run loaded from the checkpoint) builds,
ids included.
"""

from __future__ import annotations

import asyncio
import operator
import threading
import time
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from diff_helpers import JIT, LG, IdMap, Impl, capture, cfg, normalise


class LoopState(TypedDict):
    i: int
    log: Annotated[list, operator.add]


class FanState(TypedDict):
    items: list
    done: Annotated[list, operator.add]


class ModelState(BaseModel):
    i: int = 0
    log: Annotated[list, operator.add] = []


def _loop(lg: Impl, saver: Any, steps: int = 5) -> Any:
    """The benchmark's graph: one node looping `steps` times with an operator.add log."""

    def step(state: dict) -> dict:
        return {"i": state["i"] + 1, "log": [state["i"]]}

    def route(state: dict) -> Any:
        return lg.END if state["i"] >= steps else "step"

    b = lg.StateGraph(LoopState)
    b.add_node("step", step)
    b.add_edge(lg.START, "step")
    b.add_conditional_edges("step", route)
    return b.compile(checkpointer=saver)


def _interrupting(lg: Impl, saver: Any, **compile_kw: Any) -> Any:
    """ask (interrupt, twice in a row) -> finish."""

    def ask(state: dict) -> dict:
        first = lg.types.interrupt("first?")
        second = lg.types.interrupt({"q": "second?"})
        return {"i": state["i"] + 1, "log": [first, second]}

    def finish(state: dict) -> dict:
        return {"log": ["finished"]}

    b = lg.StateGraph(LoopState)
    b.add_node("ask", ask)
    b.add_node("finish", finish)
    b.add_edge(lg.START, "ask")
    b.add_edge("ask", "finish")
    return b.compile(checkpointer=saver, **compile_kw)


def _fanout(lg: Impl, saver: Any, fail: bool = False) -> Any:
    """split Sends one packet per item to work; the "bad" packet fails (once the
    others are done, so which writes were saved does not depend on timing)."""
    finished: list[str] = []
    others_done = threading.Event()

    def split(state: dict) -> Any:
        return [lg.Send("work", {"item": x}) for x in state["items"]]

    def work(arg: dict) -> dict:
        if fail and arg["item"] == "bad":
            others_done.wait(5)
            time.sleep(0.05)  # their writes are saved when they return
            raise ValueError("bad item")
        finished.append(arg["item"])
        if len(finished) == 2:
            others_done.set()
        return {"done": [arg["item"]]}

    b = lg.StateGraph(FanState)
    b.add_node("work", work)
    b.add_conditional_edges(lg.START, split, ["work"])
    b.add_edge("work", lg.END)
    return b.compile(checkpointer=saver)


def _parallel_failure(lg: Impl, saver: Any) -> Any:
    """START -> ok, bad (bad fails once ok is done): ok's writes are saved as pending."""
    ok_done = threading.Event()

    def ok(state: dict) -> dict:
        ok_done.set()
        return {"log": ["ok"]}

    def bad(state: dict) -> dict:
        ok_done.wait(5)
        time.sleep(0.05)  # ok's writes are saved when it returns
        raise RuntimeError("bad node")

    b = lg.StateGraph(LoopState)
    b.add_node("ok", ok)
    b.add_node("bad", bad)
    b.add_edge(lg.START, "ok")
    b.add_edge(lg.START, "bad")
    return b.compile(checkpointer=saver)


def _with_subgraph(lg: Impl, saver: Any) -> Any:
    """outer: prep -> inner (a compiled subgraph node that interrupts) -> after."""

    def child_ask(state: dict) -> dict:
        answer = lg.types.interrupt("child?")
        return {"log": [answer]}

    child = lg.StateGraph(LoopState)
    child.add_node("child_ask", child_ask)
    child.add_edge(lg.START, "child_ask")
    inner = child.compile()

    def prep(state: dict) -> dict:
        return {"i": 1, "log": ["prep"]}

    def after(state: dict) -> dict:
        return {"log": ["after"]}

    b = lg.StateGraph(LoopState)
    b.add_node("prep", prep)
    b.add_node("inner", inner)
    b.add_node("after", after)
    b.add_edge(lg.START, "prep")
    b.add_edge("prep", "inner")
    b.add_edge("inner", "after")
    return b.compile(checkpointer=saver)


def _model_state(lg: Impl, saver: Any, steps: int = 3) -> Any:
    """The loop on a pydantic state (its nodes' inputs are coerced into the model)."""

    def step(state: ModelState) -> dict:
        return {"i": state.i + 1, "log": [state.i]}

    def route(state: ModelState) -> Any:
        return lg.END if state.i >= steps else "step"

    b = lg.StateGraph(ModelState)
    b.add_node("step", step)
    b.add_edge(lg.START, "step")
    b.add_conditional_edges("step", route)
    return b.compile(checkpointer=saver)


def _read_back(app: Any, config: dict, *, subgraphs: bool = False) -> dict:
    """Everything a user reads back from a thread."""
    obs: dict = {
        "state": capture(lambda: app.get_state(config, subgraphs=subgraphs)),
        "history": capture(lambda: list(app.get_state_history(config))),
        "limit": capture(lambda: list(app.get_state_history(config, limit=2))),
        "filter": capture(lambda: list(app.get_state_history(config, filter={"step": 1}))),
        "filter-source": capture(
            lambda: list(app.get_state_history(config, filter={"source": "loop"}))
        ),
    }
    history = obs["history"].get("ok") or []
    if len(history) > 2:
        middle = history[len(history) // 2]
        obs["before"] = capture(lambda: list(app.get_state_history(config, before=middle.config)))
        obs["at"] = capture(lambda: app.get_state(middle.config, subgraphs=subgraphs))
        obs["before-limit"] = capture(
            lambda: list(app.get_state_history(config, before=middle.config, limit=1))
        )
    return obs


async def _aread_back(app: Any, config: dict, *, subgraphs: bool = False) -> dict:
    async def history(**kw: Any) -> list:
        return [s async for s in app.aget_state_history(config, **kw)]

    obs: dict = {}
    for key, make in (
        ("state", lambda: app.aget_state(config, subgraphs=subgraphs)),
        ("history", lambda: history()),
        ("limit", lambda: history(limit=2)),
        ("filter", lambda: history(filter={"step": 1})),
    ):
        try:
            obs[key] = {"ok": await make()}
        except Exception as exc:
            obs[key] = {"raised": exc}
    return obs


# -- the cases: each runs one scenario and returns (app, [configs to read back]) ----------


def case_loop(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _loop(lg, saver)
    app.invoke({"i": 0, "log": []}, cfg("loop"))
    return app, [cfg("loop")]


def case_interrupt(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _interrupting(lg, saver)
    app.invoke({"i": 0, "log": []}, cfg("a"))  # stops at the first question
    app.invoke(lg.Command(resume="one"), cfg("a"))  # at the second
    app.invoke({"i": 0, "log": []}, cfg("b"))
    app.invoke(lg.Command(resume="x"), cfg("b"))
    app.invoke(lg.Command(resume="y"), cfg("b"))  # done
    return app, [cfg("a"), cfg("b")]


def case_resume_with_update(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _interrupting(lg, saver)
    app.invoke({"i": 0, "log": []}, cfg("u"))
    # An update sent with the resume is saved as writes of no task.
    app.invoke(lg.Command(resume="one", update={"log": ["updated"]}), cfg("u"))
    return app, [cfg("u")]


def case_breakpoints(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _interrupting(lg, saver, interrupt_before=["ask"], interrupt_after=["finish"])
    app.invoke({"i": 0, "log": []}, cfg("bp"))
    app.invoke(None, cfg("bp"))
    return app, [cfg("bp")]


def case_update_state(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _loop(lg, saver, steps=2)
    app.invoke({"i": 0, "log": []}, cfg("up"))
    app.update_state(cfg("up"), {"log": ["by hand"]})
    app.update_state(cfg("up"), {"i": 0}, as_node="step")
    return app, [cfg("up")]


def case_sends(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _fanout(lg, saver)
    app.invoke({"items": ["a", "b", "c"], "done": []}, cfg("s"))
    return app, [cfg("s")]


def case_send_failure(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _fanout(lg, saver, fail=True)
    capture(lambda: app.invoke({"items": ["a", "bad", "c"], "done": []}, cfg("sf")))
    return app, [cfg("sf")]


def case_task_error(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _parallel_failure(lg, saver)
    capture(lambda: app.invoke({"i": 0, "log": []}, cfg("err")))
    return app, [cfg("err")]


def case_subgraph(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _with_subgraph(lg, saver)
    app.invoke({"i": 0, "log": []}, cfg("sub"))  # the child waits for an answer
    configs = [cfg("sub")]
    for task in app.get_state(cfg("sub")).tasks:
        if task.state is not None:
            configs.append(task.state)  # the child's own state and history
    return app, configs


def case_subgraph_done(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _with_subgraph(lg, saver)
    app.invoke({"i": 0, "log": []}, cfg("sd"))
    app.invoke(lg.Command(resume="answer"), cfg("sd"))
    return app, [cfg("sd")]


def case_model_state(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    app = _model_state(lg, saver)
    app.invoke({"i": 0, "log": []}, cfg("m"))
    return app, [cfg("m")]


def case_join(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    """START -> a, b; c waits for both (a barrier channel triggers it)."""
    b = lg.StateGraph(LoopState)
    b.add_node("a", lambda s: {"log": ["a"]})
    b.add_node("b", lambda s: {"log": ["b"]})
    b.add_node("slow", lambda s: {"log": ["slow"]})
    b.add_node("c", lambda s: {"log": ["c"], "i": 1})
    b.add_edge(lg.START, "a")
    b.add_edge(lg.START, "b")
    b.add_edge("b", "slow")
    b.add_edge(["a", "slow"], "c")
    app = b.compile(checkpointer=saver, interrupt_before=["c"])
    # "sync": LangGraph saves the barrier's set of seen names before the next
    # step adds to it (in the background it may save the set as changed later).
    app.invoke({"i": 0, "log": []}, cfg("j"), durability="sync")
    app.invoke(None, cfg("j"), durability="sync")
    return app, [cfg("j")]


def case_pregel(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    """Low-level Pregel: a node reading one channel, a node reading two, a Topic."""
    one = lg.NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b", "c")
    two = lg.NodeBuilder().subscribe_to("b", "c").do(lambda d: d["b"] * 10).write_to("out")
    app = lg.Pregel(
        nodes={"one": one, "two": two},
        channels={
            "a": lg.ch.LastValue(int),
            "b": lg.ch.LastValue(int),
            "c": lg.ch.Topic(int, accumulate=True),
            "out": lg.ch.LastValue(int),
        },
        input_channels="a",
        output_channels=["out", "c"],
        stream_channels=["b", "c", "out"],
        checkpointer=saver,
    )
    app.invoke(1, cfg("p"))
    single = lg.Pregel(
        nodes={"one": lg.NodeBuilder().subscribe_only("a").do(lambda x: x * 2).write_to("b")},
        channels={"a": lg.ch.LastValue(int), "b": lg.ch.LastValue(int)},
        input_channels="a",
        output_channels="b",
        checkpointer=saver,
    )
    single.invoke(3, cfg("q"))
    return app, [cfg("p")]


def case_single_channel_output(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    """A graph whose state is one channel (snapshot values are that value)."""
    app = lg.Pregel(
        nodes={"one": lg.NodeBuilder().subscribe_only("a").do(lambda x: x * 2).write_to("b")},
        channels={"a": lg.ch.LastValue(int), "b": lg.ch.LastValue(int)},
        input_channels="a",
        output_channels="b",
        stream_channels="b",
        checkpointer=saver,
    )
    app.invoke(3, cfg("one"))
    return app, [cfg("one")]


def case_empty_thread(lg: Impl, saver: Any) -> tuple[Any, list[dict]]:
    return _loop(lg, saver), [cfg("nobody")]


CASES = [
    case_loop,
    case_interrupt,
    case_resume_with_update,
    case_breakpoints,
    case_update_state,
    case_sends,
    case_send_failure,
    case_task_error,
    case_subgraph,
    case_subgraph_done,
    case_model_state,
    case_join,
    case_pregel,
    case_single_channel_output,
    case_empty_thread,
]


def _observe(case: Any, lg: Impl, *, subgraphs: bool) -> Any:
    app, configs = case(lg, lg.InMemorySaver())
    return normalise([_read_back(app, c, subgraphs=subgraphs) for c in configs], IdMap())


@pytest.mark.parametrize("subgraphs", [False, True], ids=["plain", "subgraphs"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_read_back(case: Any, subgraphs: bool) -> None:
    expected = _observe(case, LG, subgraphs=subgraphs)
    assert _observe(case, JIT, subgraphs=subgraphs) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_async_read_back(case: Any) -> None:
    def observe(lg: Impl) -> Any:
        app, configs = case(lg, lg.InMemorySaver())

        async def go() -> list:
            return [await _aread_back(app, c, subgraphs=True) for c in configs]

        return normalise(asyncio.run(go()), IdMap())

    assert observe(JIT) == observe(LG)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_lean_matches_full_path(case: Any) -> None:
    """Every checkpoint the lean path reads gives the snapshot the full path builds."""
    from langgraph_jit.pregel._snapshot import SnapshotReader, _run_snapshot

    saver = JIT.InMemorySaver()
    app, configs = case(JIT, saver)
    lean_count = 0
    for config in configs:
        graph = app
        conf = config["configurable"]
        if conf.get("checkpoint_ns"):
            graph = next(g for _, g in app.get_subgraphs(recurse=True))
        listed = list(saver.list({"configurable": {"checkpoint_ns": "", **conf}}))
        for live in (False, True):
            reader = SnapshotReader(graph, live=live)
            for saved in listed:
                lean = reader.lean(saved)
                if lean is None:
                    continue
                lean_count += 1
                assert lean == _run_snapshot(graph, saved, live), saved.config
    if case is not case_empty_thread:
        assert lean_count
