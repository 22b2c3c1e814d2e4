"""Task calls (functional API `@task`, also from inside a graph node) compared
with LangGraph: their task paths, checkpoint namespaces (nested under the
caller's), task ids and the `langgraph_path` / `langgraph_checkpoint_ns`
metadata a call sees. Ids are random per checkpoint, so within one run they are
compared by where they recur; across implementations a thread interrupted by
one is resumed by the other, which reuses a call's saved result only if both
derive the same id."""

from __future__ import annotations

import asyncio
from typing import Any

import langgraph.checkpoint.memory as lg_memory
import langgraph.config as lg_config
import langgraph.func as lg_func
import langgraph.graph as lg_graph
import langgraph.types as lg_types
import pytest
from typing_extensions import TypedDict

import langgraph_jit.checkpoint.memory as jit_memory
import langgraph_jit.config as jit_config
import langgraph_jit.func as jit_func
import langgraph_jit.graph as jit_graph
import langgraph_jit.types as jit_types
from diff_helpers import normalise

IMPLS = {
    "lg": (lg_func, lg_graph, lg_types, lg_config, lg_memory.InMemorySaver),
    "jit": (jit_func, jit_graph, jit_types, jit_config, jit_memory.InMemorySaver),
}


def both(observe: Any) -> tuple[Any, Any]:
    """`observe(func, graph, types, config, saver class)` on LangGraph and on ours, normalised."""
    return tuple(normalise(observe(*IMPLS[name])) for name in ("lg", "jit"))


def _seen_by(config: Any, seen: list, tag: str) -> None:
    """What a task (node or call) sees of its identity through get_config()."""
    c = config.get_config()
    meta = c["metadata"]
    seen.append(
        (
            tag,
            meta["langgraph_node"],
            meta["langgraph_path"],
            meta["langgraph_triggers"],
            meta["langgraph_checkpoint_ns"],
            c["configurable"]["checkpoint_ns"],
            c["configurable"]["__pregel_task_id"],
        )
    )


def _calls(func: Any, config: Any, seen: list) -> Any:
    """`add` calls `inner`: a call made from inside a call."""

    @func.task
    def inner(x: int) -> int:
        _seen_by(config, seen, "inner")
        return x + 100

    @func.task
    def add(x: int) -> int:
        _seen_by(config, seen, "add")
        return inner(x).result() + 1

    return add


def _saved(app: Any, cfg: dict) -> list:
    """Every checkpoint's pending writes ({(task id, channel): value}: savers
    may list them in another order) and the next tasks."""
    out: list = []
    for tup in app.checkpointer.list(cfg):
        out.append({(w[0], w[1]): w[2] for w in tup.pending_writes or ()})
    state = app.get_state(cfg)
    out.append([(t.id, t.name, t.path) for t in state.tasks])
    return out


@pytest.mark.parametrize("mode", ["debug", "tasks"])
def test_entrypoint_calls_paths_namespaces_ids(mode: str) -> None:
    def observe(func: Any, graph: Any, types: Any, config: Any, saver: Any) -> list:
        seen: list = []
        add = _calls(func, config, seen)

        @func.entrypoint(checkpointer=saver())
        def wf(x: int) -> int:
            _seen_by(config, seen, "wf")
            a = add(x).result()
            b = add(a).result()
            types.interrupt("q")
            return a + b

        cfg = {"configurable": {"thread_id": "t"}}
        first = list(wf.stream(1, cfg, stream_mode=mode))
        saved = _saved(wf, cfg)
        first_seen = list(seen)
        seen.clear()
        # Resumed: the calls' results come from the saved writes (same ids).
        second = list(wf.stream(types.Command(resume="r"), cfg, stream_mode=mode))
        return [first, saved, first_seen, second, list(seen), _saved(wf, cfg)]

    lg, jit = both(observe)
    assert jit == lg


def test_node_calls_paths_namespaces_ids() -> None:
    class S(TypedDict):
        v: int

    def observe(func: Any, graph: Any, types: Any, config: Any, saver: Any) -> list:
        seen: list = []
        add = _calls(func, config, seen)

        def node(s: S) -> dict:
            _seen_by(config, seen, "node")
            return {"v": add(s["v"]).result()}

        child = graph.StateGraph(S).add_node("node", node).add_edge(graph.START, "node").compile()
        app = (
            graph.StateGraph(S)
            .add_node("outer", node)
            .add_node("child", child)
            .add_edge(graph.START, "outer")
            .add_edge("outer", "child")
            .compile(checkpointer=saver())
        )
        cfg = {"configurable": {"thread_id": "t"}}
        chunks = list(app.stream({"v": 1}, cfg, stream_mode="debug", subgraphs=True))
        return [chunks, seen, _saved(app, cfg)]

    lg, jit = both(observe)
    assert jit == lg


def test_async_entrypoint_calls_paths_namespaces_ids() -> None:
    def observe(func: Any, graph: Any, types: Any, config: Any, saver: Any) -> list:
        seen: list = []

        @func.task
        async def inner(x: int) -> int:
            _seen_by(config, seen, "inner")
            return x + 100

        @func.task
        async def add(x: int) -> int:
            _seen_by(config, seen, "add")
            return await inner(x) + 1

        @func.entrypoint(checkpointer=saver())
        async def wf(x: int) -> int:
            _seen_by(config, seen, "wf")
            a = await add(x)
            types.interrupt("q")
            return a + await add(a)

        cfg = {"configurable": {"thread_id": "t"}}

        async def go() -> list:
            first = [c async for c in wf.astream(1, cfg, stream_mode="debug")]
            second = [
                c
                async for c in wf.astream(
                    types.Command(resume="r"), cfg, stream_mode=["tasks", "updates"]
                )
            ]
            return [first, second]

        return [asyncio.run(go()), seen, _saved(wf, cfg)]

    lg, jit = both(observe)
    assert jit == lg


# ------------------------------------------- one implementation resumes the other's thread


def _workflow(which: str, saver: Any, ran: list) -> Any:
    func = lg_func if which == "lg" else jit_func
    types = lg_types if which == "lg" else jit_types

    @func.task
    def inner(x: int) -> int:
        ran.append(("inner", x))
        return x + 100

    @func.task
    def add(x: int) -> int:
        ran.append(("add", x))
        return inner(x).result() + 1

    @func.entrypoint(checkpointer=saver)
    def wf(x: int) -> dict:
        a = add(x).result()
        b = add(a).result()
        answer = types.interrupt("q")
        return {"a": a, "b": b, "answer": answer}

    return wf


def _move_thread(source: Any, target: Any, cfg: dict) -> None:
    """Copy a thread's checkpoints and pending writes, oldest first, through
    the savers' public methods (the task ids are kept as saved)."""
    for tup in reversed(list(source.list(cfg))):
        parent = tup.parent_config or {"configurable": {**cfg["configurable"], "checkpoint_ns": ""}}
        saved = target.put(
            parent, tup.checkpoint, tup.metadata, dict(tup.checkpoint["channel_versions"])
        )
        by_task: dict[str, list] = {}
        for task_id, channel, value in tup.pending_writes or ():
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            target.put_writes(saved, writes, task_id)


@pytest.mark.parametrize(("writer", "reader"), [("lg", "jit"), ("jit", "lg")])
def test_calls_saved_by_one_are_reused_by_the_other(writer: str, reader: str) -> None:
    impl = {"lg": (lg_types, lg_memory.InMemorySaver), "jit": (jit_types, jit_memory.InMemorySaver)}
    cfg = {"configurable": {"thread_id": "t"}}
    written = impl[writer][1]()
    _workflow(writer, written, []).invoke(1, cfg)
    ref_ran: list = []
    ref_saver = impl[writer][1]()
    _move_thread(written, ref_saver, cfg)
    expected = _workflow(writer, ref_saver, ref_ran).invoke(
        impl[writer][0].Command(resume="r"), cfg
    )
    ran: list = []
    read = impl[reader][1]()
    _move_thread(written, read, cfg)
    got = _workflow(reader, read, ran).invoke(impl[reader][0].Command(resume="r"), cfg)
    assert got == expected == {"a": 102, "b": 203, "answer": "r"}
    assert ran == ref_ran == []  # every call's result came from the saved writes


def test_calls_in_a_sqlite_thread_written_by_langgraph(tmp_path: Any) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver as LgSqliteSaver

    from langgraph_jit.checkpoint.sqlite import SqliteSaver as JitSqliteSaver

    path = tmp_path / "lg.sqlite"
    cfg = {"configurable": {"thread_id": "t"}}
    with LgSqliteSaver.from_conn_string(str(path)) as saver:
        _workflow("lg", saver, []).invoke(1, cfg)
    ran: list = []
    with JitSqliteSaver.from_conn_string(str(path)) as saver:
        got = _workflow("jit", saver, ran).invoke(jit_types.Command(resume="r"), cfg)
    assert got == {"a": 102, "b": 203, "answer": "r"}
    assert ran == []
