"""The run's parts as a user meets them: stream modes are validated, and a
saver gets only what its declared capabilities allow."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from langgraph_jit.checkpoint._frozen import LayeredMap
from langgraph_jit.checkpoint.base import BaseCheckpointSaver
from langgraph_jit.checkpoint.memory import InMemorySaver
from langgraph_jit.graph import START, StateGraph
from langgraph_jit.pregel._emit import STREAM_MODES


class State(TypedDict):
    n: int
    log: Annotated[list, operator.add]


def _graph(checkpointer: Any = None) -> Any:
    builder = StateGraph(State)
    builder.add_node("a", lambda s: {"n": s["n"] + 1, "log": ["a"]})
    builder.add_node("b", lambda s: {"n": s["n"] * 2, "log": ["b"]})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    return builder.compile(checkpointer=checkpointer)


@pytest.mark.parametrize("mode", ["bogus", ["values", "Updates"]])
def test_unknown_stream_mode_is_a_clear_error(mode: Any) -> None:
    graph = _graph()
    with pytest.raises(ValueError, match="Unknown stream_mode") as info:
        list(graph.stream({"n": 1, "log": []}, stream_mode=mode))
    for valid in STREAM_MODES:
        assert valid in str(info.value)


def test_every_langgraph_stream_mode_is_accepted() -> None:
    graph = _graph(InMemorySaver())
    config = {"configurable": {"thread_id": "modes"}}
    chunks = list(graph.stream({"n": 1, "log": []}, config, stream_mode=list(STREAM_MODES)))
    assert {mode for mode, _ in chunks} >= {"values", "updates", "checkpoints", "tasks", "debug"}


def test_base_saver_declares_plain_capabilities() -> None:
    for flag in (
        "stores_values_by_version",
        "accepts_frozen_versions_seen",
        "accepts_layered_maps",
        "padded_string_versions",
    ):
        assert getattr(BaseCheckpointSaver, flag) is False, flag
    saver = InMemorySaver()
    assert saver.accepts_layered_maps and saver.padded_string_versions
    assert saver.stores_values_by_version and saver.accepts_frozen_versions_seen


class CountingSaver(InMemorySaver):
    """A user's saver: its own put and its own version scheme."""

    def __init__(self) -> None:
        super().__init__()
        self.seen_puts: list[dict] = []

    def put(self, config: dict, checkpoint: Any, metadata: Any, new_versions: Any) -> dict:
        self.seen_puts.append(checkpoint)
        return super().put(config, checkpoint, metadata, new_versions)

    def get_next_version(self, current: Any, channel: None = None) -> int:
        if isinstance(current, str):
            current = int(current.split(".", 1)[0])
        return (current or 0) + 1


def test_a_saver_with_its_own_put_and_versions_gets_plain_values() -> None:
    saver = CountingSaver()
    assert not saver.accepts_layered_maps and not saver.padded_string_versions
    builder = StateGraph(State)
    builder.add_node("a", lambda s: {"n": s["n"] + 1, "log": ["a"]})
    builder.add_node("b", lambda s: {"log": ["b"]})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "own"}}
    assert graph.invoke({"n": 1, "log": []}, config) == {"n": 2, "log": ["a", "b"]}
    assert saver.seen_puts
    assert not saver.stores_values_by_version and not saver.accepts_frozen_versions_seen
    for checkpoint in saver.seen_puts:
        assert not isinstance(checkpoint["channel_versions"], LayeredMap)
        assert all(isinstance(v, int) for v in checkpoint["channel_versions"].values())
        # The documented shapes: plain dicts for versions seen.
        assert all(type(seen) is dict for seen in checkpoint["versions_seen"].values())
    # A complete checkpoint: `n`, last written a step earlier, is still there.
    assert saver.seen_puts[-1]["channel_values"] == {"n": 2, "log": ["a", "b"]}
    assert graph.get_state(config).values == {"n": 2, "log": ["a", "b"]}


@pytest.mark.parametrize("pkg", ["langgraph", "langgraph_jit"])
def test_unknown_channel_warning_names_the_task(pkg: str, caplog: Any) -> None:
    """A dynamic write to a channel the graph lacks is dropped with LangGraph's
    warning, on LangGraph's logger, naming the task that wrote it."""
    import importlib

    pregel = importlib.import_module(f"{pkg}.pregel")
    channels = importlib.import_module(f"{pkg}.channels")
    write = importlib.import_module(f"{pkg}.pregel._write")
    node = pregel.NodeBuilder().subscribe_only("a").do(lambda x: x + 1)
    node = node.write_to(write.ChannelWriteTupleEntry(mapper=lambda v: [("b", v), ("ghost", v)]))
    app = pregel.Pregel(
        nodes={"n": node},
        channels={"a": channels.LastValue(int), "b": channels.LastValue(int)},
        input_channels="a",
        output_channels="b",
    )
    with caplog.at_level("WARNING", logger="langgraph"):
        assert app.invoke(1) == 2
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert messages == [
        (
            "langgraph",
            "Task n with path ('__pregel_pull', 'n') wrote to unknown channel ghost, ignoring it.",
        )
    ]


@pytest.mark.parametrize("pkg", ["langgraph", "langgraph_jit"])
def test_recursion_limit_none_means_the_default(pkg: str) -> None:
    import importlib

    graph_mod = importlib.import_module(f"{pkg}.graph")
    builder = graph_mod.StateGraph(State)
    builder.add_node("a", lambda s: {"n": s["n"] + 1})
    builder.add_edge(graph_mod.START, "a")
    app = builder.compile()
    assert app.invoke({"n": 1, "log": []}, {"recursion_limit": None}) == {"n": 2, "log": []}
    with pytest.raises(ValueError, match="recursion_limit must be at least 1"):
        app.invoke({"n": 1, "log": []}, {"recursion_limit": 0})


def _observe_stop(pkg: str, stop: str, durability: str, use_async: bool) -> tuple:
    """Run a 3-node graph whose last node stops the run; what the caller and
    the saved thread show afterwards."""
    import asyncio
    import importlib

    graph_mod = importlib.import_module(f"{pkg}.graph")
    memory = importlib.import_module(f"{pkg}.checkpoint.memory")

    def raise_stop() -> None:
        if stop == "keyboard":
            raise KeyboardInterrupt
        raise asyncio.CancelledError

    def boom(state: State) -> dict:
        raise_stop()
        return {}

    async def aboom(state: State) -> dict:
        raise_stop()
        return {}

    builder = graph_mod.StateGraph(State)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_node("b", lambda s: {"log": ["b"]})
    builder.add_node("c", aboom if use_async else boom)
    builder.add_edge(graph_mod.START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    app = builder.compile(checkpointer=memory.InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    try:
        if use_async:
            asyncio.run(app.ainvoke({"n": 0, "log": []}, config, durability=durability))
        else:
            app.invoke({"n": 0, "log": []}, config, durability=durability)
    except BaseException as exc:  # the stop itself is what is observed
        raised = type(exc).__name__
    else:
        raised = None
    state = app.get_state(config)
    return raised, state.values, state.next, len(list(app.get_state_history(config)))


@pytest.mark.parametrize("use_async", [False, True])
@pytest.mark.parametrize("durability", ["exit", "async", "sync"])
@pytest.mark.parametrize("stop", ["keyboard", "cancelled"])
def test_a_stopped_run_keeps_what_finished_tasks_wrote(
    stop: str, durability: str, use_async: bool
) -> None:
    expected = _observe_stop("langgraph", stop, durability, use_async)
    assert _observe_stop("langgraph_jit", stop, durability, use_async) == expected
    assert expected[1] == {"n": 0, "log": ["a", "b"]}


def _observe_generator_node(pkg: str, kind: str, how: str) -> Any:
    import asyncio
    import importlib

    graph_mod = importlib.import_module(f"{pkg}.graph")

    def gen(state: State) -> Any:
        yield {"log": ["x"]}
        yield {"log": ["y"]}

    def empty(state: State) -> Any:
        yield from ()

    async def agen(state: State) -> Any:
        yield {"log": ["p"]}
        yield {"log": ["q"]}

    builder = graph_mod.StateGraph(State)
    builder.add_node("a", {"gen": gen, "empty": empty, "agen": agen}[kind])
    builder.add_edge(graph_mod.START, "a")
    app = builder.compile()
    try:
        if how == "invoke":
            return app.invoke({"n": 0, "log": []})
        if how == "ainvoke":
            return asyncio.run(app.ainvoke({"n": 0, "log": []}))
        return list(app.stream({"n": 0, "log": []}, stream_mode="updates"))
    except TypeError as exc:
        return ("TypeError", str(exc))


@pytest.mark.parametrize("how", ["invoke", "ainvoke", "stream"])
@pytest.mark.parametrize("kind", ["gen", "empty", "agen"])
def test_generator_nodes_run_as_in_langgraph(kind: str, how: str) -> None:
    expected = _observe_generator_node("langgraph", kind, how)
    assert _observe_generator_node("langgraph_jit", kind, how) == expected


def _strict_resume_outcomes(pkg: str) -> list[Any]:
    """Strict resume on two parallel interrupts: what each bad answer raises
    (reason, ids) and that good answers still resume afterwards."""
    import importlib
    import uuid

    graph_mod = importlib.import_module(f"{pkg}.graph")
    memory = importlib.import_module(f"{pkg}.checkpoint.memory")
    types_mod = importlib.import_module(f"{pkg}.types")
    errors = importlib.import_module(f"{pkg}.errors")

    def ask(name: str) -> Any:
        return lambda state: {"log": [f"{name}:{types_mod.interrupt(name + '?')}"]}

    builder = graph_mod.StateGraph(State)
    builder.add_node("a", ask("a"))
    builder.add_node("b", ask("b"))
    builder.add_edge(graph_mod.START, "a")
    builder.add_edge(graph_mod.START, "b")
    app = builder.compile(checkpointer=memory.InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "__pregel_strict_resume": True}}
    app.invoke({"n": 0, "log": []}, config)
    ids = {i.value: i.id for i in app.get_state(config).interrupts}
    names = {v: k for k, v in ids.items()}  # ids differ per run: compare questions

    def named(seq: Any) -> tuple[str, ...]:
        return tuple(sorted(names.get(i, i) for i in seq))

    outcomes: list[Any] = []
    for bad in ({"0" * 32: "x"}, {}, "yes"):
        try:
            app.invoke(types_mod.Command(resume=bad), config)
        except errors.UnknownInterruptError as exc:
            outcomes.append(
                (str(exc), exc.reason, named(exc.interrupt_ids), named(exc.pending_ids))
            )
    app.invoke(types_mod.Command(resume={ids["a?"]: "yes"}), config)
    try:
        app.invoke(types_mod.Command(resume={ids["a?"]: "again"}), config)
    except errors.UnknownInterruptError as exc:
        outcomes.append((exc.reason, named(exc.interrupt_ids), named(exc.pending_ids)))
    result = app.invoke(types_mod.Command(resume="no"), config)
    outcomes.append(sorted(result["log"]))
    return outcomes


def test_strict_resume_refuses_answers_that_match_no_pending_interrupt() -> None:
    expected = _strict_resume_outcomes("langgraph")
    assert _strict_resume_outcomes("langgraph_jit") == expected
    assert expected[-1] == ["a:yes", "b:no"]


def _async_subgraph_state(pkg: str, path: str) -> Any:
    """aget_state(subgraphs=True) on an AsyncSqliteSaver: the interrupted
    subgraph's state, read with the saver's async methods."""
    import asyncio
    import importlib

    graph_mod = importlib.import_module(f"{pkg}.graph")
    types_mod = importlib.import_module(f"{pkg}.types")
    aio = importlib.import_module(f"{pkg}.checkpoint.sqlite.aio")

    def ask(state: State) -> dict:
        return {"log": [types_mod.interrupt("ok?")]}

    inner = graph_mod.StateGraph(State)
    inner.add_node("ask", ask)
    inner.add_edge(graph_mod.START, "ask")
    outer = graph_mod.StateGraph(State)
    outer.add_node("sub", inner.compile())
    outer.add_edge(graph_mod.START, "sub")

    async def main() -> Any:
        async with aio.AsyncSqliteSaver.from_conn_string(path) as saver:
            app = outer.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "t"}}
            await app.ainvoke({"n": 0, "log": []}, config)
            state = await app.aget_state(config, subgraphs=True)
            sub = state.tasks[0].state
            return state.values, state.next, sub.values, sub.next

    return asyncio.run(main())


def test_aget_state_with_subgraphs_uses_the_async_saver(tmp_path: Any) -> None:
    expected = _async_subgraph_state("langgraph", str(tmp_path / "lg.sqlite"))
    assert _async_subgraph_state("langgraph_jit", str(tmp_path / "jit.sqlite")) == expected
    assert expected[3] == ("ask",)
