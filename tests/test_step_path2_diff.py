"""The lean sync per-step path compared with LangGraph: what a user sees is the same.

Issue 21 specialised the step: a node's plain writers fused into one function (a
StateGraph node's dict update plus its static-edge triggers), the commit of graphs
whose only unwritten changes are self-clearing channels (ChannelTable._apply_swept),
LastValue/EphemeralValue updates and reads inline, node inputs refreshed by channel id.
Each case builds the same graph on `langgraph` and `langgraph_jit` (imported by name)
and compares invoke results, stream chunks (values, updates) and saved state.
"""

from __future__ import annotations

import dataclasses
import importlib
import operator
from typing import Annotated, Any

import pydantic
import pytest
from typing_extensions import TypedDict

PKGS = ("langgraph", "langgraph_jit")


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:  # the error a user sees, by type and message
        return ("error", type(exc).__name__, str(exc).split("\n")[0])


def _same(case: Any) -> Any:
    expected = case("langgraph")
    actual = case("langgraph_jit")
    assert actual == expected
    return actual


def _seen(app: Any, inp: Any, config: dict | None = None, saver: bool = False) -> dict:
    """Invoke's result, the values and updates streams, and with a saver the state."""
    out: dict[str, Any] = {}

    def cfg(thread: str) -> dict:
        base = dict(config or {})
        if saver:
            base["configurable"] = {"thread_id": thread}
        return base

    out["invoke"] = _outcome(lambda: app.invoke(inp, cfg("a")))
    out["values"] = _outcome(lambda: list(app.stream(inp, cfg("b"), stream_mode="values")))
    out["updates"] = _outcome(lambda: list(app.stream(inp, cfg("c"), stream_mode="updates")))
    out["both"] = _outcome(
        lambda: list(app.stream(inp, cfg("d"), stream_mode=["values", "updates"]))
    )
    if saver:
        state = app.get_state(cfg("a"))
        out["state"] = (state.values, state.next, state.metadata.get("step"))
        out["history"] = [
            (s.values, s.next, s.metadata.get("step")) for s in app.get_state_history(cfg("a"))
        ]
    return out


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def _inc(s: Any) -> dict:
    return {"x": s["x"] + 1, "log": [s["x"]]}


def _chain(pkg: str, schema: Any, nodes: list[Any], saver: bool = False, **kw: Any) -> Any:
    g = _mod(pkg, "graph")
    b = g.StateGraph(schema, **kw)
    prev = g.START
    for i, fn in enumerate(nodes):
        b.add_node(f"n{i}", fn)
        b.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    b.add_edge(prev, g.END)
    checkpointer = _mod(pkg, "checkpoint.memory").InMemorySaver() if saver else None
    return b.compile(checkpointer=checkpointer)


@pytest.mark.parametrize("saver", [False, True])
def test_static_chain(saver: bool) -> None:
    def case(pkg: str) -> Any:
        return _seen(_chain(pkg, S, [_inc] * 7, saver), {"x": 0, "log": []}, saver=saver)

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_node_returns_none_extra_keys_and_dict_subclass(saver: bool) -> None:
    class Sub(dict):
        pass

    def none(s: S) -> None:
        return None

    def extra(s: S) -> dict:
        return {"x": s["x"] + 10, "unknown": 1}

    def sub(s: S) -> dict:
        return Sub(x=s["x"] * 2, log=["sub"])

    def mutate(s: S) -> dict:
        s["x"] = 999  # a node's input is its own copy
        return {}

    def case(pkg: str) -> Any:
        app = _chain(pkg, S, [none, extra, mutate, sub, _inc], saver)
        return _seen(app, {"x": 1, "log": []}, saver=saver)

    _same(case)


def test_invalid_return_and_two_writes_to_last_value() -> None:
    def bad(s: S) -> Any:
        return 5

    def case(pkg: str) -> Any:
        g = _mod(pkg, "graph")
        first = _chain(pkg, S, [_inc, bad])
        b = g.StateGraph(S)
        b.add_node("a", lambda s: {"x": 1})
        b.add_node("b", lambda s: {"x": 2})
        b.add_edge(g.START, "a")
        b.add_edge(g.START, "b")
        second = b.compile()
        return (
            _outcome(lambda: first.invoke({"x": 0, "log": []})),
            _outcome(lambda: second.invoke({"x": 0, "log": []})),
        )

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_conditional_edges_loop(saver: bool) -> None:
    def case(pkg: str) -> Any:
        g = _mod(pkg, "graph")
        b = g.StateGraph(S)
        b.add_node("work", _inc)
        b.add_node("side", lambda s: {"log": ["side"]})
        b.add_edge(g.START, "work")
        b.add_conditional_edges(
            "work", lambda s: "work" if s["x"] < 5 else "side", ["work", "side"]
        )
        b.add_edge("side", g.END)
        checkpointer = _mod(pkg, "checkpoint.memory").InMemorySaver() if saver else None
        app = b.compile(checkpointer=checkpointer)
        return _seen(app, {"x": 0, "log": []}, saver=saver)

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_command_goto_and_fanout_join(saver: bool) -> None:
    def case(pkg: str) -> Any:
        g = _mod(pkg, "graph")
        Command = _mod(pkg, "types").Command

        def router(s: S) -> Any:
            return Command(update={"log": ["router"]}, goto=["a", "b"] if s["x"] == 0 else "c")

        b = g.StateGraph(S)
        b.add_node("router", router, destinations=("a", "b", "c"))
        b.add_node("a", lambda s: {"log": ["a"]})
        b.add_node("b", lambda s: {"log": ["b"]})
        b.add_node("c", lambda s: {"log": ["c"], "x": 5})
        b.add_node("join", lambda s: {"log": ["join"]})
        b.add_edge(g.START, "router")
        b.add_edge(["a", "b"], "join")
        b.add_edge("join", g.END)
        b.add_edge("c", g.END)
        checkpointer = _mod(pkg, "checkpoint.memory").InMemorySaver() if saver else None
        app = b.compile(checkpointer=checkpointer)
        return (
            _seen(app, {"x": 0, "log": []}, saver=saver),
            _seen(app, {"x": 1, "log": []}, saver=saver),
        )

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_deferred_node(saver: bool) -> None:
    def case(pkg: str) -> Any:
        g = _mod(pkg, "graph")
        b = g.StateGraph(S)
        b.add_node("start", lambda s: {"log": ["start"]})
        b.add_node("a", lambda s: {"log": ["a"]})
        b.add_node("a2", lambda s: {"log": ["a2"]})
        b.add_node("b", lambda s: {"log": ["b"]})
        b.add_node("end", lambda s: {"log": ["end"]}, defer=True)
        b.add_edge(g.START, "start")
        b.add_edge("start", "a")
        b.add_edge("a", "a2")
        b.add_edge("start", "b")
        b.add_edge("a2", "end")
        b.add_edge("b", "end")
        b.add_edge("end", g.END)
        checkpointer = _mod(pkg, "checkpoint.memory").InMemorySaver() if saver else None
        app = b.compile(checkpointer=checkpointer)
        return _seen(app, {"x": 0, "log": []}, saver=saver)

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_reducers_and_send(saver: bool) -> None:
    class R(TypedDict):
        total: Annotated[int, operator.add]
        items: Annotated[list, operator.add]
        last: str

    def case(pkg: str) -> Any:
        g = _mod(pkg, "graph")
        Send = _mod(pkg, "types").Send
        b = g.StateGraph(R)
        b.add_node("fan", lambda s: {"last": "fan"})
        b.add_node("work", lambda s: {"total": s["n"], "items": [s["n"]]})
        b.add_node("after", lambda s: {"last": f"after {s['total']}"})
        b.add_edge(g.START, "fan")
        b.add_conditional_edges(
            "fan", lambda s: [Send("work", {"n": i}) for i in range(4)], ["work"]
        )
        b.add_edge("work", "after")
        b.add_edge("after", g.END)
        checkpointer = _mod(pkg, "checkpoint.memory").InMemorySaver() if saver else None
        app = b.compile(checkpointer=checkpointer)
        seen = _seen(app, {"total": 1, "items": [], "last": ""}, saver=saver)
        # Parallel workers stream their updates as they finish: compare them as sets.
        for mode in ("updates", "both"):
            status, chunks = seen[mode]
            seen[mode] = (status, sorted(repr(c) for c in chunks))
        return seen

    _same(case)


class PState(pydantic.BaseModel):
    x: int = 0
    name: str = "run"
    tags: list[str] = []
    log: Annotated[list, operator.add] = []


@dataclasses.dataclass
class DState:
    x: int = 0
    name: str = "run"
    log: Annotated[list, operator.add] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize("schema", [PState, DState], ids=["pydantic", "dataclass"])
@pytest.mark.parametrize("saver", [False, True])
def test_model_state_chain(schema: Any, saver: bool) -> None:
    def node(s: Any) -> dict:
        assert isinstance(s, schema)
        return {"x": s.x + 1, "log": [s.name]}

    def rename(s: Any) -> Any:
        return {"name": f"n{s.x}"}

    def case(pkg: str) -> Any:
        app = _chain(pkg, schema, [node, rename, node, node], saver)
        seen = _seen(app, {"x": 0}, saver=saver)
        seen["v2"] = _outcome(lambda: app.invoke({"x": 3}, version="v2").value)
        return seen

    _same(case)


def test_pydantic_validation_error_in_a_step() -> None:
    class Strict(pydantic.BaseModel):
        x: int = 0

    def case(pkg: str) -> Any:
        app = _chain(pkg, Strict, [lambda s: {"x": s.x + 1}, lambda s: {"x": "nope"}, _inc])
        return _outcome(lambda: app.invoke({"x": 0}))[0]

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_input_output_schemas(saver: bool) -> None:
    class In(TypedDict):
        question: str

    class Out(TypedDict):
        answer: str

    class All(TypedDict):
        question: str
        answer: str
        scratch: list

    def think(s: All) -> dict:
        return {"scratch": [s["question"]]}

    def answer(s: All) -> dict:
        return {"answer": f"{s['question']}!", "scratch": [*s["scratch"], "done"]}

    def case(pkg: str) -> Any:
        app = _chain(pkg, All, [think, answer], saver, input_schema=In, output_schema=Out)
        return _seen(app, {"question": "q", "answer": "ignored"}, saver=saver)

    _same(case)


@pytest.mark.parametrize("saver", [False, True])
def test_wide_state_sparse_writes(saver: bool) -> None:
    keys = [f"k{i:03d}" for i in range(300)]
    Wide = TypedDict("Wide", dict.fromkeys(keys, int))  # type: ignore[misc]

    def node(i: int) -> Any:
        def fn(s: Any) -> dict:
            assert len(s) == 300
            return {keys[(i * 3 + j) % 300]: s[keys[0]] + i for j in range(3)}

        return fn

    def case(pkg: str) -> Any:
        app = _chain(pkg, Wide, [node(i) for i in range(12)], saver)
        return _seen(app, dict.fromkeys(keys, 0), saver=saver)

    _same(case)


def test_pregel_wide_sparse_and_ephemeral_channels() -> None:
    def case(pkg: str) -> Any:
        ch = _mod(pkg, "channels")
        pregel = _mod(pkg, "pregel")
        write = _mod(pkg, "pregel._write")
        keys = [f"k{i}" for i in range(50)]
        nodes = {}
        for i in range(6):

            def fn(state: dict, i: int = i) -> list:
                return [(keys[i], i), (keys[i + 1], i), (f"t{i + 1}", None), ("e", i)]

            nodes[f"n{i}"] = (
                pregel.NodeBuilder()
                .subscribe_to(f"t{i}", read=False)
                .read_from(*keys, "e")
                .do(fn)
                .write_to(write.ChannelWriteTupleEntry(mapper=lambda x: x))
            )
        channels: dict[str, Any] = {k: ch.LastValue(int) for k in keys}
        channels.update({f"t{i}": ch.EphemeralValue(Any) for i in range(7)})
        channels["e"] = ch.EphemeralValue(int)
        app = pregel.Pregel(
            nodes=nodes,
            channels=channels,
            input_channels=["t0", *keys],
            output_channels=[*keys, "e"],
        )
        inp = {"t0": None, **dict.fromkeys(keys, 0)}
        return _seen(app, inp)

    _same(case)


def test_pregel_chain_entries() -> None:
    def case(pkg: str) -> Any:
        ch = _mod(pkg, "channels")
        pregel = _mod(pkg, "pregel")
        nb = pregel.NodeBuilder
        nodes = {
            "a": nb().subscribe_only("c0").do(lambda x: x + 1).write_to("c1"),
            "b": nb().subscribe_only("c1").do(lambda x: None).write_to("c2"),
            "c": nb().subscribe_only("c1").do(lambda x: x * 2).write_to("c3", c4=lambda v: -v),
        }
        channels = {f"c{i}": ch.LastValue(Any) for i in range(5)}
        app = pregel.Pregel(
            nodes=nodes,
            channels=channels,
            input_channels="c0",
            output_channels=["c1", "c2", "c3", "c4"],
        )
        return _seen(app, 1)

    _same(case)


@pytest.mark.parametrize("width", [1, 12], ids=["small", "wide"])
def test_managed_values_in_small_and_wide_states(width: int) -> None:
    """Read sets of a few keys are read directly, wider ones kept and refreshed:
    managed values (RemainingSteps, IsLastStep) keep their place in both."""

    def case(pkg: str) -> Any:
        managed = _mod(pkg, "managed")
        fields: dict[str, Any] = {f"k{i}": int for i in range(width)}
        fields["left"] = managed.RemainingSteps
        fields["last"] = managed.IsLastStep
        fields["log"] = Annotated[list, operator.add]
        Wide = TypedDict("Wide", fields)  # type: ignore[misc]

        def node(s: Any) -> dict:
            return {"k0": s.get("k0", 0) + 1, "log": [(list(s), s["left"], s["last"])]}

        app = _chain(pkg, Wide, [node] * 4)
        return (
            _seen(app, {"k0": 0, "log": []}, config={"recursion_limit": 10}),
            _outcome(lambda: app.invoke({"k0": 0, "log": []}, {"recursion_limit": 3})),
        )

    _same(case)


@pytest.mark.parametrize("output_keys", ["x", ["log"], ["log", "x"], ["x", "log"]])
def test_invoke_output_keys(output_keys: Any) -> None:
    """invoke keeps its latest values incrementally: a single key, a subset, orders."""

    def case(pkg: str) -> Any:
        app = _chain(pkg, S, [_inc, lambda s: {"log": ["only log"]}, _inc])
        return (
            _outcome(lambda: app.invoke({"x": 0, "log": []}, output_keys=output_keys)),
            _outcome(lambda: list(app.stream({"x": 0}, output_keys=output_keys))),
            _outcome(lambda: app.invoke({"x": 0}, output_keys=output_keys, version="v2").value),
        )

    _same(case)


@pytest.mark.parametrize("shape", ["distinct", "repeated", "unknown", "twice-last-value"])
def test_many_writes_in_one_step(shape: str) -> None:
    """Steps of more than a few writes are grouped by comprehension when every
    channel is known and written once; otherwise by the general loop."""

    def case(pkg: str) -> Any:
        ch = _mod(pkg, "channels")
        pregel = _mod(pkg, "pregel")
        write = _mod(pkg, "pregel._write")
        keys = [f"k{i}" for i in range(12)]

        def fn(x: int) -> list:
            writes = [(k, x + i) for i, k in enumerate(keys)]
            if shape == "repeated":
                writes += [("total", 1), ("total", 2), ("total", 3)]
            elif shape == "unknown":
                writes.append(("nowhere", 1))
            elif shape == "twice-last-value":
                writes.append((keys[3], 0))
            return writes

        node = (
            pregel.NodeBuilder()
            .subscribe_only("start")
            .do(fn)
            .write_to(write.ChannelWriteTupleEntry(mapper=lambda x: x))
        )
        channels: dict[str, Any] = {k: ch.LastValue(int) for k in keys}
        channels["start"] = ch.LastValue(int)
        channels["total"] = ch.BinaryOperatorAggregate(int, operator.add)
        app = pregel.Pregel(
            nodes={"n": node},
            channels=channels,
            input_channels="start",
            output_channels=[*keys, "total"],
        )
        return _seen(app, 1)

    _same(case)


class Counted(TypedDict):
    count: Annotated[int, operator.add]


@pytest.mark.parametrize("saver", [False, True])
def test_wide_fanout_from_start(saver: bool) -> None:
    """One step writing many edge triggers (more than a few writes), on the
    general commit path as well as the lean ones."""

    def case(pkg: str) -> Any:
        g = _mod(pkg, "graph")
        b = g.StateGraph(Counted)
        for i in range(30):
            b.add_node(f"node_{i}", lambda s: {"count": 1})
            b.add_edge(g.START, f"node_{i}")
        b.add_node("after", lambda s: {"count": 100}, defer=True)
        b.add_edge([f"node_{i}" for i in range(30)], "after")
        checkpointer = _mod(pkg, "checkpoint.memory").InMemorySaver() if saver else None
        app = b.compile(checkpointer=checkpointer)
        seen = _seen(app, {"count": 0}, saver=saver)
        for mode in ("updates", "both"):
            status, chunks = seen[mode]
            seen[mode] = (status, sorted(repr(c) for c in chunks))
        return seen

    _same(case)
