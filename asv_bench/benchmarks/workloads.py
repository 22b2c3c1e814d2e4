"""The benchmark workloads, built the same way on LangGraph and on langgraph_jit.

Shared by the asv suite (`asv_bench/benchmarks/`), the side-by-side comparison
(`python -m asv_bench.compare`) and the scripts in `asv_bench/investigate/`.
`WORKLOADS` is the comparison's catalogue. The single-configuration workloads
(`SCENARIOS`, `build_scenario` and their builders: interrupt/resume, state history, a
message loop, create_react_agent) are in scenario_workloads.py and can be read from here
too. No asv names (time_*, track_*) here.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TASKS = "__pregel_tasks"
ENGINE_PACKAGES = {"langgraph": "langgraph", "jit": "langgraph_jit"}


def graph_api_available(pkg: str = "langgraph_jit") -> bool:
    """True when `<pkg>.graph` provides StateGraph, START, END and add_messages."""
    try:
        mod = importlib.import_module(f"{pkg}.graph")
        for name in ("StateGraph", "START", "END", "add_messages"):
            getattr(mod, name)
    except Exception:  # missing, or half-written while it is being built
        return False
    return True


class Api:
    """The names a workload needs, from one engine's package."""

    def __init__(self, engine: str) -> None:
        pkg = ENGINE_PACKAGES[engine]
        self.engine = engine
        self.pkg = pkg
        channels = importlib.import_module(f"{pkg}.channels")
        self.LastValue = channels.LastValue
        self.Topic = channels.Topic
        self.EphemeralValue = channels.EphemeralValue
        self.BinaryOperatorAggregate = channels.BinaryOperatorAggregate
        self.InMemorySaver = importlib.import_module(f"{pkg}.checkpoint.memory").InMemorySaver
        pregel = importlib.import_module(f"{pkg}.pregel")
        self.Pregel = pregel.Pregel
        self.NodeBuilder = pregel.NodeBuilder
        # The same public-internal path in both packages.
        self.ChannelWriteTupleEntry = self.module("pregel._write").ChannelWriteTupleEntry
        self.Send = self.module("types").Send

    def module(self, name: str):
        """`<pkg>.<name>`, e.g. api.module("checkpoint.sqlite")."""
        return importlib.import_module(f"{self.pkg}.{name}")

    def graph(self):
        """`<pkg>.graph` (StateGraph, START, END, add_messages); ImportError if missing."""
        return self.module("graph")


@dataclass
class Workload:
    """One runnable workload: `run()` does one invoke (or consumes one stream)."""

    name: str
    run: Callable[[], Any]
    steps: int  # supersteps per run
    tasks: int  # tasks per run
    per: str  # "step", "task" or "event": the unit engine overhead is reported in
    floor: Callable[[], Any]  # the same node work as plain Python calls
    graph: Any = None
    saver: Any = None
    extra: dict = field(default_factory=dict)
    events: int = 0  # protocol events per run (v3 stream workloads)

    def units(self) -> int:
        """How many of `per` one run does."""
        return {"step": self.steps, "task": self.tasks, "event": self.events}[self.per]


def _checkpointer(api: Api, saver: Any) -> Any:
    """`saver`: False/None (no checkpointer), True (a fresh InMemorySaver), or a
    checkpointer object to use as is (e.g. a SqliteSaver)."""
    if saver is True:
        return api.InMemorySaver()
    return None if saver is None or saver is False else saver


def _runner(
    graph,
    value,
    expected,
    cfg_base: dict,
    saver: bool,
    stream_mode: str | None = None,
    expected_chunks: int | None = None,
    aio: bool = False,
):
    counter = iter(range(10**9))
    # Async workloads: one event loop for all runs (its creation is not engine work).
    loop = asyncio.new_event_loop() if aio else None

    def run():
        cfg = dict(cfg_base)
        if saver:
            # A fresh thread per run, so every run does the same work.
            cfg["configurable"] = {"thread_id": f"t{next(counter)}"}
        if loop is not None:
            out = loop.run_until_complete(graph.ainvoke(value, cfg))
            if expected is not None:
                assert out == expected, (out, expected)
            return out
        if stream_mode is None:
            out = graph.invoke(value, cfg)
            if expected is not None:
                assert out == expected, (out, expected)
            return out
        chunks = list(graph.stream(value, cfg, stream_mode=stream_mode))
        if expected_chunks is not None:
            assert len(chunks) == expected_chunks, (len(chunks), expected_chunks)
        return chunks

    return run


# -- low-level Pregel workloads ----------------------------------------------


def chain(
    api: Api, n: int, saver: Any, stream_mode: str | None = None, aio: bool = False
) -> Workload:
    """n trivial nodes in a row: node i reads c_i and writes c_{i+1}.
    `saver` (here and below): see `_checkpointer`."""
    identity = lambda x: x
    nb = api.NodeBuilder
    nodes = {
        f"n{i:04d}": nb().subscribe_only(f"c{i}").do(identity).write_to(f"c{i + 1}")
        for i in range(n)
    }
    channels = {f"c{i}": api.LastValue(int) for i in range(n + 1)}
    checkpointer = _checkpointer(api, saver)
    graph = api.Pregel(
        nodes=nodes,
        channels=channels,
        input_channels="c0",
        output_channels=f"c{n}",
        checkpointer=checkpointer,
    )
    # updates: one chunk per node; values: one per step that changes the output
    # channel (only the last one) -> 1.
    chunks = {None: None, "updates": n, "values": 1}[stream_mode]
    run = _runner(
        graph, 7, 7, {"recursion_limit": n + 10}, checkpointer is not None, stream_mode, chunks, aio
    )

    def floor():
        f, x = identity, 7
        for _ in range(n):
            x = f(x)

    name = (
        f"chain-{n}" + (f"-stream-{stream_mode}" if stream_mode else "") + ("-async" if aio else "")
    )
    return Workload(name, run, n, n, "step", floor, graph, checkpointer)


def sparse_state(
    api: Api,
    n_keys: int,
    n_nodes: int,
    saver: Any,
    writes_per_step: int = 3,
    stream_mode: str | None = None,
) -> Workload:
    """A StateGraph-shaped run on low-level Pregel: n_keys LastValue channels,
    n_nodes nodes in a row; each node reads the whole state (as StateGraph nodes
    do) and writes `writes_per_step` keys plus the next node's trigger."""
    keys = [f"k{i:03d}" for i in range(n_keys)]
    nb = api.NodeBuilder
    fns = []
    nodes = {}
    for i in range(n_nodes):
        written = [keys[(i * writes_per_step + j) % n_keys] for j in range(writes_per_step)]
        nxt = f"t{i + 1}"

        def fn(state, written=written, nxt=nxt, i=i):
            out = [(k, i) for k in written]
            out.append((nxt, None))
            return out

        fns.append(fn)
        nodes[f"n{i:03d}"] = (
            nb()
            .subscribe_to(f"t{i}", read=False)
            .read_from(*keys)
            .do(fn)
            .write_to(api.ChannelWriteTupleEntry(mapper=lambda x: x))
        )
    channels = {k: api.LastValue(int) for k in keys}
    for i in range(n_nodes + 1):
        channels[f"t{i}"] = api.LastValue(type(None))
    checkpointer = _checkpointer(api, saver)
    graph = api.Pregel(
        nodes=nodes,
        channels=channels,
        input_channels=["t0", *keys],
        output_channels=keys,
        checkpointer=checkpointer,
    )
    inp = {"t0": None, **dict.fromkeys(keys, 0)}
    state = dict.fromkeys(keys, 0)
    chunks = {None: None, "updates": n_nodes, "values": n_nodes}[stream_mode]
    run = _runner(
        graph,
        inp,
        None,
        {"recursion_limit": n_nodes + 10},
        checkpointer is not None,
        stream_mode,
        chunks,
    )

    def floor():
        for f in fns:
            f(state)

    name = f"state{n_keys}-sparse" + (f"-stream-{stream_mode}" if stream_mode else "")
    return Workload(name, run, n_nodes, n_nodes, "step", floor, graph, checkpointer)


def parallel(api: Api, n: int, saver: Any) -> Workload:
    """n nodes triggered by the input at once (one wide step), adding into a sum."""
    identity = lambda x: x
    nb = api.NodeBuilder
    nodes = {
        f"p{i:03d}": nb().subscribe_only("inp").do(identity).write_to("total") for i in range(n)
    }
    channels = {"inp": api.LastValue(int), "total": api.BinaryOperatorAggregate(int, operator.add)}
    checkpointer = _checkpointer(api, saver)
    graph = api.Pregel(
        nodes=nodes,
        channels=channels,
        input_channels="inp",
        output_channels="total",
        checkpointer=checkpointer,
    )
    run = _runner(graph, 1, n, {}, checkpointer is not None)

    def floor():
        for _ in range(n):
            identity(1)

    return Workload(f"parallel-{n}", run, 1, n, "task", floor, graph, checkpointer)


def fanout(api: Api, n: int, saver: Any, aio: bool = False) -> Workload:
    """One node Sends n packets to a worker; workers add into a reducer."""
    Send = api.Send
    start_fn = lambda x: [Send("worker", i) for i in range(n)]
    to_tasks = lambda sends: [(TASKS, s) for s in sends]
    worker_fn = lambda x: x
    nb = api.NodeBuilder
    start = (
        nb()
        .subscribe_only("start")
        .do(start_fn)
        .write_to(api.ChannelWriteTupleEntry(mapper=to_tasks))
    )
    worker = nb().subscribe_only("unused").do(worker_fn).write_to("total")
    checkpointer = _checkpointer(api, saver)
    graph = api.Pregel(
        nodes={"start": start, "worker": worker},
        channels={
            "start": api.LastValue(int),
            "unused": api.LastValue(int),
            "total": api.BinaryOperatorAggregate(int, operator.add),
        },
        input_channels="start",
        output_channels="total",
        checkpointer=checkpointer,
    )
    run = _runner(graph, 0, n * (n - 1) // 2, {}, checkpointer is not None, aio=aio)

    def floor():
        to_tasks(start_fn(0))
        for i in range(n):
            worker_fn(i)

    return Workload(
        f"send-{n}" + ("-async" if aio else ""), run, 2, n + 1, "task", floor, graph, checkpointer
    )


# -- StateGraph workloads (need <pkg>.graph) -----------------------------------


def graph_state(
    api: Api, n_keys: int, n_nodes: int, saver: Any, writes_per_step: int = 3
) -> Workload:
    """StateGraph with an n_keys-key state; n_nodes nodes in a row, each
    returning `writes_per_step` keys."""
    from typing import TypedDict

    g = api.graph()
    keys = [f"k{i:03d}" for i in range(n_keys)]
    State = TypedDict("State", dict.fromkeys(keys, int))
    builder = g.StateGraph(State)
    fns = []
    for i in range(n_nodes):
        written = [keys[(i * writes_per_step + j) % n_keys] for j in range(writes_per_step)]

        def fn(state, written=written, i=i):
            return dict.fromkeys(written, i)

        fns.append(fn)
        builder.add_node(f"n{i:03d}", fn)
        builder.add_edge(g.START if i == 0 else f"n{i - 1:03d}", f"n{i:03d}")
    builder.add_edge(f"n{n_nodes - 1:03d}", g.END)
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    inp = dict.fromkeys(keys, 0)
    run = _runner(graph, inp, None, {"recursion_limit": n_nodes + 10}, checkpointer is not None)
    state = dict(inp)

    def floor():
        for f in fns:
            f(state)

    return Workload(
        f"graph-state{n_keys}", run, n_nodes, n_nodes, "step", floor, graph, checkpointer
    )


def graph_chain(api: Api, n: int, saver: Any) -> Workload:
    """A StateGraph of n nodes in a row on a one-key state."""
    from typing import TypedDict

    g = api.graph()
    State = TypedDict("State", {"x": int})  # noqa: UP013
    builder = g.StateGraph(State)

    def inc(s):
        return {"x": s["x"] + 1}

    for i in range(n):
        builder.add_node(f"n{i:04d}", inc)
        builder.add_edge(g.START if i == 0 else f"n{i - 1:04d}", f"n{i:04d}")
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    run = _runner(graph, {"x": 0}, None, {"recursion_limit": n + 10}, checkpointer is not None)

    def floor():
        s = {"x": 0}
        for _ in range(n):
            s = inc(s)

    return Workload(f"graph-chain-{n}", run, n, n, "step", floor, graph, checkpointer)


def graph_pydantic(api: Api, n: int, saver: Any) -> Workload:
    """A StateGraph of n nodes in a row on a pydantic model state (5 fields; each node
    updates one), so state coercion is part of every step."""
    import pydantic

    g = api.graph()

    class State(pydantic.BaseModel):
        x: int = 0
        name: str = "run"
        tags: list[str] = []
        score: float = 0.0
        done: bool = False

    builder = g.StateGraph(State)

    def inc(s):
        return {"x": s.x + 1}

    for i in range(n):
        builder.add_node(f"n{i:04d}", inc)
        builder.add_edge(g.START if i == 0 else f"n{i - 1:04d}", f"n{i:04d}")
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    expected = {"x": n}
    run = _runner(graph, {"x": 0}, expected, {"recursion_limit": n + 10}, checkpointer is not None)

    def floor():
        s = State()
        for _ in range(n):
            inc(s)

    return Workload(f"graph-pydantic-{n}", run, n, n, "step", floor, graph, checkpointer)


def graph_send(api: Api, n: int, saver: Any) -> Workload:
    """A StateGraph router Sends n packets to a worker node (map-reduce)."""
    from typing import Annotated, TypedDict

    g = api.graph()
    Send = api.Send
    State = TypedDict("State", {"n": int, "results": Annotated[list, operator.add]})  # noqa: UP013

    def start(s):
        return {}

    def route(s):
        return [Send("work", {"x": i}) for i in range(s["n"])]

    def work(s):
        return {"results": [s["x"] * 2]}

    builder = g.StateGraph(State)
    builder.add_node("start", start)
    builder.add_node("work", work)
    builder.add_edge(g.START, "start")
    builder.add_conditional_edges("start", route, ["work"])
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    run = _runner(graph, {"n": n, "results": []}, None, {}, checkpointer is not None)

    def floor():
        route({"n": n})
        for i in range(n):
            work({"x": i})

    return Workload(f"graph-send-{n}", run, 2, n + 1, "task", floor, graph, checkpointer)


def _larger(a: float, b: float) -> float:
    """A max reducer (LangGraph needs a reducer with a signature; `max` has none)."""
    return b if b > a else a


def graph_send_numeric(api: Api, n: int, saver: Any, work: Any = None) -> Workload:
    """Issue 17 (a): a router Sends n packets; each worker adds into a float sum, an
    int count and a max (numeric reducer keys). `work`: another worker node (the
    compiled_node rows of kernel_workloads)."""
    from typing import Annotated, TypedDict

    g = api.graph()
    Send = api.Send
    State = TypedDict(  # noqa: UP013
        "State",
        {
            "n": int,
            "total": Annotated[float, operator.add],
            "count": Annotated[int, operator.add],
            "best": Annotated[float, _larger],
        },
    )

    def route(s):
        return [Send("work", {"x": i}) for i in range(s["n"])]

    if work is None:

        def work(s):
            x = s["x"]
            return {"total": x * 0.5, "count": 1, "best": float(x % 97)}

    builder = g.StateGraph(State)
    builder.add_node("start", lambda s: {})
    builder.add_node("work", work)
    builder.add_edge(g.START, "start")
    builder.add_conditional_edges("start", route, ["work"])
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    run = _runner(graph, {"n": n}, None, {}, checkpointer is not None)

    def floor():
        route({"n": n})
        for i in range(n):
            work({"x": i})

    return Workload(f"graph-send-numeric-{n}", run, 2, n + 1, "task", floor, graph, checkpointer)


def graph_send_vectors(api: Api, n: int, size: int, saver: Any) -> Workload:
    """Issue 17 (b): n Send workers each add a `size`-float vector into an
    `Annotated[np.ndarray, operator.add]` key."""
    from typing import Annotated, TypedDict

    import numpy as np

    g = api.graph()
    Send = api.Send
    State = TypedDict("State", {"n": int, "acc": Annotated[np.ndarray, operator.add]})  # noqa: UP013
    vector = np.linspace(0.0, 1.0, size)

    def route(s):
        return [Send("work", {"x": i}) for i in range(s["n"])]

    def work(s):
        return {"acc": vector}

    builder = g.StateGraph(State)
    builder.add_node("start", lambda s: {"acc": np.zeros(size)})
    builder.add_node("work", work)
    builder.add_edge(g.START, "start")
    builder.add_conditional_edges("start", route, ["work"])
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    run = _runner(graph, {"n": n}, None, {}, checkpointer is not None)

    def floor():
        route({"n": n})
        acc = np.zeros(size)
        for i in range(n):
            acc = acc + work({"x": i})["acc"]

    return Workload(f"graph-send-vectors-{n}", run, 2, n + 1, "task", floor, graph, checkpointer)


def graph_send_subgraph(api: Api, n: int, saver: Any) -> Workload:
    """A StateGraph whose router Sends n packets into a compiled 3-node subgraph."""
    from typing import Annotated, TypedDict

    g = api.graph()
    Send = api.Send

    # Functional syntax: class bodies would see string annotations here
    # (from __future__ import annotations) that get_type_hints cannot resolve.
    SubState = TypedDict("SubState", {"x": int, "results": Annotated[list, operator.add]})  # noqa: UP013
    State = TypedDict("State", {"n": int, "results": Annotated[list, operator.add]})  # noqa: UP013

    def a(s):
        return {"x": s["x"] + 1}

    def b(s):
        return {"x": s["x"] * 2}

    def c(s):
        return {"results": [s["x"]]}

    sub = g.StateGraph(SubState)
    sub.add_node("a", a)
    sub.add_node("b", b)
    sub.add_node("c", c)
    sub.add_edge(g.START, "a")
    sub.add_edge("a", "b")
    sub.add_edge("b", "c")
    sub.add_edge("c", g.END)
    subgraph = sub.compile()

    def start(s):
        return {}

    def route(s):
        return [Send("sub", {"x": i, "results": []}) for i in range(s["n"])]

    builder = g.StateGraph(State)
    builder.add_node("start", start)
    builder.add_node("sub", subgraph)
    builder.add_edge(g.START, "start")
    builder.add_conditional_edges("start", route, ["sub"])
    builder.add_edge("sub", g.END)
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)

    def check(out):
        assert len(out["results"]) == n, len(out["results"])

    inner = _runner(graph, {"n": n, "results": []}, None, {}, checkpointer is not None)

    def run():
        out = inner()
        check(out)
        return out

    def floor():
        route({"n": n})
        for i in range(n):
            c(b(a({"x": i})))

    return Workload(f"graph-send-subgraph-{n}", run, 2, n + 1, "task", floor, graph, checkpointer)


def graph_agent_loop(api: Api, turns: int, saver: Any) -> Workload:
    """A 30-turn agent loop on MessagesState-style state with add_messages:
    `agent` answers with a tool call until the last turn, `tools` answers it."""
    from typing import Annotated, TypedDict

    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    g = api.graph()
    add_messages = g.add_messages

    State = TypedDict("State", {"messages": Annotated[list, add_messages]})  # noqa: UP013

    def agent(s):
        k = len(s["messages"]) // 2
        if k < turns - 1:
            return {
                "messages": [
                    AIMessage(
                        content=f"turn {k}",
                        id=f"ai{k}",
                        tool_calls=[{"name": "t", "args": {"k": k}, "id": f"call{k}"}],
                    )
                ]
            }
        return {"messages": [AIMessage(content="done", id=f"ai{k}")]}

    def tools(s):
        last = s["messages"][-1]
        call = last.tool_calls[0]
        return {
            "messages": [
                ToolMessage(
                    content=str(call["args"]["k"]),
                    tool_call_id=call["id"],
                    id=f"tool{call['args']['k']}",
                )
            ]
        }

    def route(s):
        return "tools" if s["messages"][-1].tool_calls else g.END

    builder = g.StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("tools", tools)
    builder.add_edge(g.START, "agent")
    builder.add_conditional_edges("agent", route, ["tools", g.END])
    builder.add_edge("tools", "agent")
    checkpointer = _checkpointer(api, saver)
    graph = builder.compile(checkpointer=checkpointer)
    steps = 2 * turns - 1
    inner = _runner(
        graph,
        {"messages": [HumanMessage(content="go", id="h0")]},
        None,
        {"recursion_limit": steps + 10},
        checkpointer is not None,
    )

    def run():
        out = inner()
        assert len(out["messages"]) == 2 * turns, len(out["messages"])
        return out

    def floor():
        msgs = [HumanMessage(content="go", id="h0")]
        for _ in range(turns - 1):
            msgs += agent({"messages": msgs})["messages"]
            msgs += tools({"messages": msgs})["messages"]
        msgs += agent({"messages": msgs})["messages"]

    return Workload(f"graph-agent-{turns}", run, steps, steps, "step", floor, graph, checkpointer)


def _v3_events_runner(
    graph, value, cfg_base: dict, transformers: list, saver: bool
) -> Callable[[], int]:
    """A run consumes the whole v3 event stream (`stream_events(version="v3")`), as a UI
    rendering every event would, and returns how many events it saw."""
    counter = iter(range(10**9))

    def run() -> int:
        cfg = dict(cfg_base)
        if saver:
            # A fresh thread per run, so every run does the same work.
            cfg["configurable"] = {"thread_id": f"t{next(counter)}"}
        stream = graph.stream_events(value, cfg, version="v3", transformers=transformers)
        seen = 0
        for _event in stream:
            seen += 1
        return seen

    return run


def graph_chain_v3(api: Api, n: int, saver: Any) -> Workload:
    """`graph_chain`'s n-node StateGraph chain streamed as v3 events, with the updates
    transformer added: one values and one updates event per node."""
    wl = graph_chain(api, n, saver)
    transformers = [api.module("stream.transformers").UpdatesTransformer]
    run = _v3_events_runner(
        wl.graph, {"x": 0}, {"recursion_limit": n + 10}, transformers, wl.saver is not None
    )
    events = run()
    return Workload(
        f"graph-chain-{n}-stream-v3",
        run,
        n,
        n,
        "event",
        wl.floor,
        wl.graph,
        wl.saver,
        events=events,
    )


def graph_send_v3(api: Api, n: int, saver: Any) -> Workload:
    """`graph_send`'s n-task Send fan-out streamed as v3 events, with the updates
    transformer added: one updates event per task."""
    wl = graph_send(api, n, saver)
    transformers = [api.module("stream.transformers").UpdatesTransformer]
    run = _v3_events_runner(
        wl.graph, {"n": n, "results": []}, {}, transformers, wl.saver is not None
    )
    events = run()
    return Workload(
        f"graph-send-{n}-stream-v3",
        run,
        2,
        n + 1,
        "event",
        wl.floor,
        wl.graph,
        wl.saver,
        events=events,
    )


# -- the catalogue ---------------------------------------------------------------

# name -> (builder(api, saver), needs StateGraph)
WORKLOADS: dict[str, tuple[Callable[[Api, bool], Workload], bool]] = {
    "chain-1": (lambda api, s: chain(api, 1, s), False),
    "chain-10": (lambda api, s: chain(api, 10, s), False),
    "chain-100": (lambda api, s: chain(api, 100, s), False),
    "chain-1000": (lambda api, s: chain(api, 1000, s), False),
    "state300-sparse": (lambda api, s: sparse_state(api, 300, 20, s), False),
    "send-100": (lambda api, s: fanout(api, 100, s), False),
    "parallel-20": (lambda api, s: parallel(api, 20, s), False),
    "send-1000": (lambda api, s: fanout(api, 1000, s), False),
    "chain-100-async": (lambda api, s: chain(api, 100, s, aio=True), False),
    "send-100-async": (lambda api, s: fanout(api, 100, s, aio=True), False),
    "chain-100-stream-updates": (lambda api, s: chain(api, 100, s, "updates"), False),
    "state300-stream-values": (
        lambda api, s: sparse_state(api, 300, 20, s, stream_mode="values"),
        False,
    ),
    "graph-state300": (lambda api, s: graph_state(api, 300, 20, s), True),
    "graph-chain-100": (lambda api, s: graph_chain(api, 100, s), True),
    "graph-pydantic-100": (lambda api, s: graph_pydantic(api, 100, s), True),
    "graph-send-1000": (lambda api, s: graph_send(api, 1000, s), True),
    "graph-send-subgraph-100": (lambda api, s: graph_send_subgraph(api, 100, s), True),
    "graph-send-subgraph-1000": (lambda api, s: graph_send_subgraph(api, 1000, s), True),
    "graph-agent-30": (lambda api, s: graph_agent_loop(api, 30, s), True),
    "graph-chain-100-stream-v3": (lambda api, s: graph_chain_v3(api, 100, s), True),
    "graph-send-100-stream-v3": (lambda api, s: graph_send_v3(api, 100, s), True),
    "graph-send-numeric-2000": (lambda api, s: graph_send_numeric(api, 2000, s), True),
    "graph-send-numeric-10000": (lambda api, s: graph_send_numeric(api, 10_000, s), True),
    "graph-send-vectors-1000": (lambda api, s: graph_send_vectors(api, 1000, 10_000, s), True),
    # Issue 20: the profiler off and on (profile_workloads.py).
    **{
        name: (lambda api, s, name=name: _profile_row(api, name, s), True)
        for name in (
            "graph-agent-tools",
            "graph-agent-tools-profile-off",
            "graph-agent-tools-profile-on",
            "graph-chain-100-profile-off",
            "graph-chain-100-profile-on",
        )
    },
    "graph-send-numeric-compiled-2000": (lambda api, s: _compiled_numeric(api, 2000, s), True),
    "graph-send-numeric-compiled-10000": (lambda api, s: _compiled_numeric(api, 10_000, s), True),
}


def _profile_row(api: Api, name: str, saver: Any) -> Workload:
    from asv_bench.benchmarks.profile_workloads import PROFILE_WORKLOADS

    return PROFILE_WORKLOADS[name][0](api, saver)


# Run only when named in `--only` (LangGraph takes ~10 s per run of these).
OPT_IN = frozenset({"graph-send-numeric-10000", "graph-send-numeric-compiled-10000"})


def _compiled_numeric(api: Api, n: int, saver: Any) -> Workload:
    from asv_bench.benchmarks.kernel_workloads import graph_send_numeric_compiled

    return graph_send_numeric_compiled(api, n, saver)


def build(engine: str, name: str, saver: bool) -> Workload:
    """Build workload `name` on `engine` ("langgraph" or "jit"); raises
    NotImplementedError for a StateGraph workload while `<pkg>.graph` is missing."""
    builder, needs_graph = WORKLOADS[name]
    api = Api(engine)
    if needs_graph and not graph_api_available(api.pkg):
        raise NotImplementedError(f"{api.pkg}.graph (StateGraph) is not available yet")
    wl = builder(api, saver)
    wl.name = name
    return wl


def stored_bytes(saver: Any) -> int:
    """Bytes an InMemorySaver holds: every bytes object in its storage, blobs
    and writes; objects kept unserialized count as their serialized size."""
    dumps = saver.serde.dumps_typed
    seen: set[int] = set()

    def size(obj: Any) -> int:
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return len(obj)
        if isinstance(obj, str) or obj is None or isinstance(obj, (int, float)):
            return 0
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, dict) and not _is_checkpoint(obj):
            return sum(size(v) for v in obj.values())
        if isinstance(obj, (list, tuple)):
            return sum(size(v) for v in obj)
        # Checkpoint skeletons or other values kept as Python objects.
        return len(dumps(_plain(obj))[1])

    return size(saver.storage) + size(saver.blobs) + size(saver.writes)


def _plain(obj: Any) -> Any:
    """Read-only mappings (frozen versions_seen) as plain dicts, for the serializer."""
    from collections.abc import Mapping

    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def _is_checkpoint(obj: dict) -> bool:
    return "channel_versions" in obj and "id" in obj


def measure_calls(fn: Callable[[], Any], repeats: int) -> tuple[list[float], list[float]]:
    """(wall seconds, process CPU seconds) of `repeats` calls, GC collected before each."""
    wall, cpu = [], []
    for _ in range(repeats):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        w1, c1 = time.perf_counter(), time.process_time()
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
    return wall, cpu


def floor_seconds(fn: Callable[[], Any], budget_s: float = 0.05) -> float:
    """Best time of one call of `fn`, over ~budget_s of calls."""
    best = float("inf")
    t_end = time.perf_counter() + budget_s
    n = 0
    while n < 5 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        n += 1
    return best


# The names scenario_workloads.py defines, readable as workloads.<name> (it imports
# this module, so it is loaded on first use rather than imported at the top).
_SCENARIO_NAMES = frozenset(
    {
        "SCENARIOS",
        "build_scenario",
        "graph_interrupt_resume",
        "graph_state_history",
        "message_loop",
        "react_agent",
    }
)


def __getattr__(name: str) -> Any:
    if name in _SCENARIO_NAMES:
        from . import scenario_workloads

        return getattr(scenario_workloads, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
