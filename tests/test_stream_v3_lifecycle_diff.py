"""Subgraph lifecycle in v3 event streams (`run.lifecycle`, `run.subgraphs`), compared
on both engines: the same graphs with subgraphs (nested, fanned out, failing,
interrupted, called inside a node or an entrypoint) streamed with
`stream_events(version="v3")` / `astream_events`, and what a user reads from the
projections and the subgraph handles. Task ids differ between runs, so each case numbers
the ids in the order they first appear. A last group pushes synthetic `tasks` events
into each package's `StreamMux` to compare the inference itself.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
import re
import warnings
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _numbered_ids(value: Any) -> str:
    """`repr(value)` with each task id replaced by its order of first appearance."""
    ids: dict[str, int] = {}
    return _UUID.sub(lambda m: f"ID{ids.setdefault(m.group(0), len(ids))}", repr(value))


class State(TypedDict):
    items: Annotated[list[str], operator.add]


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _add(item: str) -> Any:
    def node(state: State) -> dict[str, Any]:
        return {"items": [item]}

    return node


def _fail(state: State) -> dict[str, Any]:
    raise ValueError("child boom")


def _fail_late(state: State) -> dict[str, Any]:
    raise ValueError("late")


def _chain(pkg: str, nodes: list[tuple[str, Any]], checkpointer: Any = None) -> Any:
    graph = _mod(pkg, "graph")
    builder = graph.StateGraph(State)
    prev = graph.START
    for name, node in nodes:
        builder.add_node(name, node)
        builder.add_edge(prev, name)
        prev = name
    builder.add_edge(prev, graph.END)
    return builder.compile(checkpointer=checkpointer)


def _leaf(pkg: str, name: str = "leaf", node: Any = None) -> Any:
    return _chain(pkg, [(name, node or _add("i"))])


def _ask(pkg: str) -> Any:
    types = _mod(pkg, "types")

    def ask(state: State) -> dict[str, Any]:
        return {"items": [types.interrupt("q?")]}

    return ask


def _case(pkg: str, name: str) -> tuple[Any, Any, Any]:
    """(graph, input, config) of one scenario."""
    inp: Any = {"items": []}
    if name == "nested":
        return _chain(pkg, [("middle", _chain(pkg, [("inner", _leaf(pkg))]))]), inp, None
    if name == "three_deep":
        deep = _chain(pkg, [("b", _chain(pkg, [("c", _leaf(pkg))]))])
        return _chain(pkg, [("a", deep)]), inp, None
    if name == "siblings":
        return _chain(pkg, [("one", _leaf(pkg, "x", _add("1"))), ("two", _leaf(pkg))]), inp, None
    if name == "failing":
        failing = _chain(pkg, [("inner", _leaf(pkg, "f", _fail))])
        return _chain(pkg, [("middle", failing)]), inp, None
    if name == "fails_after_subgraph":
        return _chain(pkg, [("middle", _leaf(pkg)), ("boom", _fail_late)]), inp, None
    if name in ("interrupted", "resumed"):
        memory = _mod(pkg, "checkpoint.memory")
        asking = _chain(pkg, [("inner", _leaf(pkg, "ask", _ask(pkg)))])
        app = _chain(pkg, [("middle", asking)], checkpointer=memory.InMemorySaver())
        config = {"configurable": {"thread_id": "t"}}
        if name == "resumed":
            list(app.stream(inp, config))
            inp = _mod(pkg, "types").Command(resume="yes")
        return app, inp, config
    if name == "invoked_in_node":
        leaf = _leaf(pkg)

        def caller(state: State) -> dict[str, Any]:
            return {"items": leaf.invoke({"items": []})["items"]}

        return _chain(pkg, [("caller", caller)]), inp, None
    if name == "entrypoint":
        func = _mod(pkg, "func")
        leaf = _leaf(pkg)

        @func.task
        def plus_one(x: int) -> int:
            return x + 1

        @func.entrypoint()
        def main(x: int) -> Any:
            return leaf.invoke({"items": [str(plus_one(x).result())]})

        return main, 1, None
    if name == "drained":
        runtime = _mod(pkg, "runtime")
        memory = _mod(pkg, "checkpoint.memory")
        control = runtime.RunControl()

        def drain(state: State) -> dict[str, Any]:
            control.request_drain()
            return {"items": ["d"]}

        draining = _chain(pkg, [("drain", drain), ("next", _add("n"))])
        app = _chain(pkg, [("middle", draining), ("after", _add("a"))], memory.InMemorySaver())
        return app, inp, {"configurable": {"thread_id": "t"}, "control": control}
    raise AssertionError(name)


SCENARIOS = [
    "nested",
    "three_deep",
    "siblings",
    "failing",
    "fails_after_subgraph",
    "interrupted",
    "resumed",
    "invoked_in_node",
    "entrypoint",
    "drained",
]


def _kwargs(config: Any) -> dict[str, Any]:
    """stream_events keyword arguments: the config, and a RunControl it carries."""
    if config is None or "control" not in config:
        return {"config": config}
    config = dict(config)
    return {"control": config.pop("control"), "config": config}


def _stream(pkg: str, name: str) -> Any:
    app, inp, config = _case(pkg, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return app.stream_events(inp, version="v3", **_kwargs(config))


def _read(read: Any) -> Any:
    """What `read()` returns, or the error it raised (type and message)."""
    try:
        return read()
    except Exception as err:
        return ("raised", type(err).__name__, str(err))


def _lifecycle(pkg: str, name: str) -> str:
    run = _stream(pkg, name)
    seen: list[Any] = []

    def read() -> Any:
        for payload in run.lifecycle:
            seen.append(payload)
        return "end"

    end = _read(read)
    return _numbered_ids((seen, end, _read(lambda: (run.output, run.interrupted))))


def _handle_tree(pkg: str, name: str) -> str:
    """Each handle as it is yielded, its grandchildren (read inside the loop, as a
    user drills down), then its status, error and output once its subgraph ended."""
    run = _stream(pkg, name)

    def walk(handle: Any) -> list[Any]:
        row: list[Any] = [
            type(handle).__name__,
            handle.path,
            handle.graph_name,
            handle.trigger_call_id,
            handle.status,
        ]
        row.append(_read(lambda: [walk(child) for child in handle.subgraphs]))
        row.append(_read(lambda: handle.output))
        row += [handle.status, handle.error, _read(lambda: handle.interrupted)]
        return row

    tree = _read(lambda: [walk(handle) for handle in run.subgraphs])
    return _numbered_ids((tree, _read(lambda: run.output)))


def _handle_projections(pkg: str, name: str) -> str:
    """A handle's own values and lifecycle (its grandchildren), read inside the loop."""
    run = _stream(pkg, name)
    rows: list[Any] = []

    def read() -> Any:
        for handle in run.subgraphs:
            rows.append(
                (handle.path, _read(lambda h=handle: list(h.interleave("values", "lifecycle"))))
            )
            rows.append((handle.path, handle.status, handle.error))
        return "end"

    end = _read(read)
    return _numbered_ids((rows, end))


def _event_log(pkg: str, name: str) -> str:
    """The run's event log: methods, namespaces and the lifecycle transitions in it."""
    run = _stream(pkg, name)
    rows: list[Any] = []

    def read() -> Any:
        for event in run:
            params = event["params"]
            data = params["data"] if event["method"] == "lifecycle" else None
            rows.append((event["method"], params["namespace"], data))
        return "end"

    end = _read(read)
    return _numbered_ids((rows, end))


@pytest.mark.parametrize("name", SCENARIOS)
def test_lifecycle_payloads(name: str) -> None:
    assert _lifecycle("langgraph_jit", name) == _lifecycle("langgraph", name)


@pytest.mark.parametrize("name", SCENARIOS)
def test_subgraph_handles(name: str) -> None:
    assert _handle_tree("langgraph_jit", name) == _handle_tree("langgraph", name)


@pytest.mark.parametrize("name", ["nested", "three_deep", "siblings", "interrupted", "failing"])
def test_subgraph_handle_projections(name: str) -> None:
    assert _handle_projections("langgraph_jit", name) == _handle_projections("langgraph", name)


@pytest.mark.parametrize("name", ["nested", "siblings", "interrupted", "failing"])
def test_event_log_lifecycle(name: str) -> None:
    assert _event_log("langgraph_jit", name) == _event_log("langgraph", name)


def _aborted_handle(pkg: str) -> str:
    """The first of two sibling subgraphs is aborted after one value: its handle and
    reads stop there, the run and the second handle go on."""

    def two_steps(name: str, item: str) -> Any:
        return _chain(pkg, [(name, _add(item)), (name + "2", _add(item))])

    app = _chain(pkg, [("one", two_steps("a", "1")), ("two", two_steps("b", "2"))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = app.stream_events({"items": []}, version="v3")
    seen: list[Any] = []
    handles = []
    for handle in run.subgraphs:
        handles.append(handle)
        if handle.graph_name == "one":
            values = iter(handle.values)
            seen.append(next(values))
            handle.abort()
            seen += [handle.status, handle.error, handle.output, list(values)]
        else:
            seen.append(list(handle.values))
    seen += [(h.graph_name, h.status, h.error, h.output) for h in handles]
    return _numbered_ids((seen, run.output))


def test_aborted_subgraph_handle() -> None:
    assert _aborted_handle("langgraph_jit") == _aborted_handle("langgraph")


def _fanout(pkg: str) -> Any:
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")

    def fan(state: State) -> list[Any]:
        return [types.Send("worker", {"items": [str(i)]}) for i in range(3)]

    builder = graph.StateGraph(State)
    builder.add_node("worker", _leaf(pkg, "w", _add("w")))
    builder.add_conditional_edges(graph.START, fan)
    builder.add_edge("worker", graph.END)
    return builder.compile()


def test_send_fanout_subgraphs() -> None:
    """Three Send tasks running one subgraph: a start and an end per task. The order
    across tasks follows when the engine streams each task's result, so it is compared
    per namespace."""

    def per_namespace(pkg: str) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = _fanout(pkg).stream_events({"items": []}, version="v3")
        by_ns: dict[str, list[Any]] = {}
        for payload in run.lifecycle:
            by_ns.setdefault(payload["namespace"][0], []).append(
                (payload["event"], payload.get("graph_name"))
            )
            assert (
                payload.get("trigger_call_id", payload["namespace"][0].split(":")[1])
                == (payload["namespace"][0].split(":")[1])
            )
        return sorted(by_ns.values()), run.output

    assert per_namespace("langgraph_jit") == per_namespace("langgraph")


# -- async -------------------------------------------------------------------------------


async def _alifecycle_and_handles(pkg: str, name: str) -> str:
    app, inp, config = _case(pkg, name)
    again, inp_again, config_again = _case(pkg, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = await app.astream_events(inp, version="v3", **_kwargs(config))
        handles_run = await again.astream_events(inp_again, version="v3", **_kwargs(config_again))
    payloads: list[Any] = []
    try:
        async for payload in run.lifecycle:
            payloads.append(payload)
    except Exception as err:
        payloads.append(("raised", type(err).__name__, str(err)))

    async def walk(handle: Any) -> list[Any]:
        row: list[Any] = [type(handle).__name__, handle.path, handle.graph_name, handle.status]
        try:
            row.append([await walk(child) async for child in handle.subgraphs])
        except Exception as err:
            row.append(("raised", type(err).__name__, str(err)))
        try:
            row.append(await handle.output())
        except Exception as err:
            row.append(("raised", type(err).__name__, str(err)))
        row += [handle.status, handle.error]
        return row

    try:
        tree: Any = [await walk(handle) async for handle in handles_run.subgraphs]
    except Exception as err:
        tree = ("raised", type(err).__name__, str(err))
    return _numbered_ids((payloads, tree))


@pytest.mark.parametrize(
    "name", ["nested", "three_deep", "failing", "fails_after_subgraph", "interrupted", "drained"]
)
def test_async_lifecycle_and_handles(name: str) -> None:
    jit = asyncio.run(_alifecycle_and_handles("langgraph_jit", name))
    assert jit == asyncio.run(_alifecycle_and_handles("langgraph", name))


# -- the inference, on synthetic task events ----------------------------------------------


def _start(ns: list[str], task_id: str, name: str, **data: Any) -> dict[str, Any]:
    payload = {"id": task_id, "name": name, "input": data.pop("input", None), "triggers": []}
    payload.update(data)
    return {
        "type": "event",
        "method": "tasks",
        "params": {"namespace": ns, "timestamp": 1, "data": payload},
    }


def _result(ns: list[str], task_id: str, name: str, **data: Any) -> dict[str, Any]:
    payload = {"id": task_id, "name": name, "error": None, "interrupts": [], "result": {}}
    payload.update(data)
    return {
        "type": "event",
        "method": "tasks",
        "params": {"namespace": ns, "timestamp": 1, "data": payload},
    }


def _values(ns: list[str]) -> dict[str, Any]:
    return {
        "type": "event",
        "method": "values",
        "params": {"namespace": ns, "timestamp": 1, "data": {"x": 1}},
    }


def _tool_call(call_id: str) -> dict[str, Any]:
    return {
        "__type": "tool_call_with_context",
        "tool_call": {"name": "t", "args": {}, "id": call_id, "type": "tool_call"},
        "state": {},
    }


_AGENT = {"lc_agent_name": "weather"}

SYNTHETIC: dict[str, list[Any]] = {
    "start_and_end": [_start(["a:1"], "t", "x"), _result([], "1", "a")],
    "ended_by_task_id_not_name": [_start(["a:1"], "t", "x"), _result([], "1", "other")],
    "other_task_id": [_start(["a:1"], "t", "x"), _result([], "2", "a")],
    "no_task_id_in_segment": [_start(["a"], "t", "x"), _result([], "a", "a")],
    "task_id_with_colon": [_start(["a:x:y"], "t", "x"), _result([], "x:y", "a")],
    "failed": [_start(["a:1"], "t", "x"), _result([], "1", "a", error="boom")],
    "empty_error_is_completed": [_start(["a:1"], "t", "x"), _result([], "1", "a", error="")],
    "interrupt_over_error": [
        _start(["a:1"], "t", "x"),
        _result([], "1", "a", error="e", interrupts=[{"value": 1}]),
    ],
    "second_result_ignored": [
        _start(["a:1"], "t", "x"),
        _result([], "1", "a", error="e"),
        _result([], "1", "a"),
    ],
    "never_restarts": [_start(["a:1"], "t", "x"), _result([], "1", "a"), _start(["a:1"], "t", "x")],
    "grandchild_without_child": [_start(["a:1", "b:2"], "t", "x"), _values(["a:1", "b:2"])],
    "parent_end_leaves_grandchild_open": [
        _start(["a:1"], "t", "x"),
        _start(["a:1", "b:2"], "t", "x"),
        _result([], "1", "a"),
        _values(["a:1", "b:2"]),
    ],
    "root_tasks_untracked": [_start([], "1", "a"), _result([], "1", "a")],
    "values_do_not_start": [_values(["a:1"])],
    "bare_task_event_starts": [
        {
            "type": "event",
            "method": "tasks",
            "params": {"namespace": ["a:1"], "timestamp": 1, "data": {"name": "a"}},
        },
        {
            "type": "event",
            "method": "tasks",
            "params": {"namespace": [], "timestamp": 1, "data": {"id": "1"}},
        },
    ],
    "agent_as_tool": [
        _start([], "1", "tools", input=_tool_call("call_w"), metadata={"lc_agent_name": "s"}),
        _start(["tools:1"], "t", "model", metadata=_AGENT),
        _result([], "1", "tools"),
    ],
    "agent_from_tool_call_list": [
        _start([], "1", "tools", input=["x", {"id": "c1"}, {"id": "c2"}]),
        _start(["tools:1"], "t", "model", metadata=_AGENT),
    ],
    "agent_without_tool_call": [_start(["a:1"], "t", "model", metadata=_AGENT)],
    "agent_name_empty": [
        _start([], "1", "tools", input=_tool_call("c")),
        _start(["tools:1"], "t", "model", metadata={"lc_agent_name": ""}),
    ],
    "agent_name_none": [
        _start([], "1", "tools", input=_tool_call("c")),
        _start(["tools:1"], "t", "model", metadata={"lc_agent_name": None}),
    ],
    "agent_name_only_on_later_task": [
        _start([], "1", "tools", input=_tool_call("c")),
        _start(["tools:1"], "t", "model"),
        _start(["tools:1"], "t2", "model", metadata=_AGENT),
    ],
    "nested_agents": [
        _start([], "1", "tools", input=_tool_call("c1")),
        _start(["tools:1"], "t", "model", metadata=_AGENT),
        _start(["tools:1"], "2", "tools", input=_tool_call("c2"), metadata=_AGENT),
        _start(["tools:1", "tools:2"], "t", "model", metadata={"lc_agent_name": "deep"}),
    ],
}


def _synthetic(pkg: str, events: list[Any], end: Any, scope: tuple[str, ...]) -> str:
    mux_mod = _mod(pkg, "stream._mux")
    transformers = _mod(pkg, "stream.transformers")
    mux = mux_mod.StreamMux(
        factories=[
            transformers.ValuesTransformer,
            transformers.LifecycleTransformer,
            transformers.SubgraphTransformer,
        ],
        scope=scope,
        is_async=False,
    )
    log = iter(mux._events)
    lifecycle = iter(mux.extensions["lifecycle"])
    handles = iter(mux.extensions["subgraphs"])
    for event in events:
        mux.push(event)
    if end == "close":
        mux.close()
    elif end is not None:
        mux.fail(getattr(_mod(pkg, "errors"), end)() if isinstance(end, str) else end)
    subgraphs = [
        (h.path, h.graph_name, h.trigger_call_id, h.status, h.error, h._mux._events._closed)
        if hasattr(h, "path")
        else h
        for h in _drain(handles)
    ]
    entries = [
        (e["method"], e["params"]["namespace"], e["params"]["data"]) if isinstance(e, dict) else e
        for e in _drain(log)
    ]
    return repr((_drain(lifecycle), subgraphs, entries))


def _drain(items: Any) -> list[Any]:
    """The items of a channel, then the error it was failed with (type and message)."""
    out: list[Any] = []
    try:
        for item in items:
            out.append(item)
    except Exception as err:
        out.append(("raised", type(err).__name__, str(err)))
    return out


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
@pytest.mark.parametrize("end", [None, "close"])
def test_synthetic_task_events(name: str, end: Any) -> None:
    events = SYNTHETIC[name]
    assert _synthetic("langgraph_jit", events, end, ()) == _synthetic("langgraph", events, end, ())


@pytest.mark.parametrize(
    "end",
    ["GraphInterrupt", "GraphDrained", ValueError("boom")],
    ids=["interrupt", "drained", "error"],
)
def test_synthetic_run_failure(end: Any) -> None:
    events = [
        _start(["a:1"], "t", "x"),
        _start(["b:2"], "t", "x"),
        _start(["a:1", "c:3"], "t", "x"),
    ]
    assert _synthetic("langgraph_jit", events, end, ()) == _synthetic("langgraph", events, end, ())


def test_synthetic_scoped_mux() -> None:
    events = [
        _start(["other:1"], "t", "x"),
        _start(["s:0"], "t", "x"),
        _start(["s:0", "a:1"], "t", "x"),
        _start(["s:0", "a:1", "b:2"], "t", "x"),
        _values(["s:0", "a:1"]),
        _result(["s:0"], "1", "a"),
        _result([], "0", "s"),
    ]
    assert _synthetic("langgraph_jit", events, "close", ("s:0",)) == _synthetic(
        "langgraph", events, "close", ("s:0",)
    )


# -- a subgraph's child mux failing to finalize ---------------------------------------------


def _child_finalize_error(pkg: str, is_async: bool) -> list[Any]:
    """A transformer whose finalize fails in subgraph scopes only: the run's reader gets
    the error once, then the run is over."""
    mux_mod = _mod(pkg, "stream._mux")
    transformers = _mod(pkg, "stream.transformers")
    run_stream = _mod(pkg, "stream.run_stream")
    base = _mod(pkg, "stream._types").StreamTransformer

    class ChildFinalizeFails(base):  # type: ignore[misc,valid-type]
        supports_sync = True

        def init(self) -> dict[str, Any]:
            return {}

        def process(self, event: Any) -> bool:
            return True

        def finalize(self) -> None:
            if self.scope:
                raise RuntimeError("child finalize")

        async def afinalize(self) -> None:
            if self.scope:
                raise RuntimeError("child afinalize")

    factories = [
        transformers.ValuesTransformer,
        transformers.LifecycleTransformer,
        transformers.SubgraphTransformer,
        ChildFinalizeFails,
    ]
    part = {
        "type": "tasks",
        "ns": ("agent:abc",),
        "data": {"id": "t1", "name": "tool", "input": None, "triggers": []},
    }
    mux = mux_mod.StreamMux(factories=factories, is_async=is_async)
    outcomes: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not is_async:
            run = run_stream.GraphRunStream(iter([part]), mux)
            for _ in range(2):
                outcomes.append(_read(lambda: run.output))
            return outcomes

        async def main() -> None:
            async def parts() -> Any:
                yield part

            arun = run_stream.AsyncGraphRunStream(parts(), mux)
            for _ in range(2):
                try:
                    outcomes.append(await arun.output())
                except Exception as err:
                    outcomes.append(("raised", type(err).__name__, str(err)))

        asyncio.run(main())
    return outcomes


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_child_finalize_error_reaches_reader_once(is_async: bool) -> None:
    assert _child_finalize_error("langgraph_jit", is_async) == _child_finalize_error(
        "langgraph", is_async
    )
