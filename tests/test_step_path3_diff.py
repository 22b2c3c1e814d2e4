"""The cheaper per-run paths of issue 21 (third pass) compared with LangGraph.

What changed underneath, and what each case below exercises:
- a commit of many writes, one per channel (a graph's input, a wide update), sets plain
  keys in one pass and hands the rest to the general pass in write order
  (ChannelTable._apply_swept);
- invoke's latest values mark the output keys a wide commit bumped with one set operation;
- a run without a checkpoint takes its channels' availability from the graph's topology
  (library channel kinds only: a custom channel class is asked as before);
- an input dict whose keys are all input channels becomes writes without a per-key test;
- a run makes its lock and its set of reported interrupts only when first needed;
- invoke() of a run that streams nothing drives the engine in a plain loop (drive_quiet),
  a step of one task runs without a copy of the step's task list, and a run without a
  saver neither asks to load a checkpoint nor goes through the persister to make one;
- a wide commit gives the channels that trigger no node their versions in C (the kernel
  still reads a trigger's version before bumping it).

Each case builds the same graph with `langgraph` and `langgraph_jit` and compares what a
user sees: invoke's output, the stream chunks of every mode, get_state and the history,
interrupts and errors (diff_helpers.observe_all_modes / assert_same).
"""

from __future__ import annotations

import logging
import operator
import threading
from typing import Annotated, Any

import pytest
from tests.diff_helpers import Impl, assert_same, capture, observe_all_modes, state_of
from typing_extensions import TypedDict


class _LogState(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


N_KEYS = 40  # above the 8 writes from which a commit takes the one-pass path


def _keys(n: int = N_KEYS) -> list[str]:
    return [f"k{i:02d}" for i in range(n)]


def _wide_pregel(lg: Impl, *, mixed: bool, saver: bool, custom: Any = None) -> Any:
    """Low-level Pregel: many LastValue keys (with a reducer key, an ephemeral key and a
    topic among them when `mixed`), three nodes in a row, each reading every key and
    writing a few keys plus the next node's trigger."""
    ch = lg.ch
    keys = _keys()
    channels: dict[str, Any] = {k: ch.LastValue(int) for k in keys}
    if mixed:
        # Non-plain channels in the middle of the input: written in input order.
        channels["k05"] = ch.BinaryOperatorAggregate(int, operator.add)
        channels["k17"] = ch.EphemeralValue(int)
        channels["k23"] = ch.Topic(int, accumulate=True)
    if custom is not None:
        channels["k30"] = custom
    for i in range(4):
        channels[f"t{i}"] = ch.LastValue(type(None))
    nodes = {}
    for i in range(3):
        written = [keys[(7 * i + j) % len(keys)] for j in range(3)]

        def fn(state: dict, written: list[str] = written, i: int = i) -> list:
            # What the node saw of the wide state, then its sparse update.
            seen = sum(v if isinstance(v, int) else len(v) for v in state.values())
            return [(k, i * 100 + seen % 97) for k in written] + [(f"t{i + 1}", None)]

        nodes[f"n{i}"] = (
            lg.NodeBuilder()
            .subscribe_to(f"t{i}", read=False)
            .read_from(*keys)
            .do(fn)
            .write_to(lg.ChannelWriteTupleEntry(mapper=lambda x: x))
        )
    return lg.Pregel(
        nodes=nodes,
        channels=channels,
        input_channels=["t0", *keys],
        output_channels=keys,
        checkpointer=lg.InMemorySaver() if saver else None,
    )


def _wide_input(n: int = N_KEYS) -> dict:
    inp: dict[str, Any] = {"t0": None}
    for i, k in enumerate(_keys(n)):
        inp[k] = i
    return inp


@pytest.mark.parametrize("saver", [False, True])
@pytest.mark.parametrize("mixed", [False, True])
def test_wide_input_and_sparse_steps(mixed: bool, saver: bool) -> None:
    def program(lg: Impl) -> Any:
        app = _wide_pregel(lg, mixed=mixed, saver=saver)
        return observe_all_modes(app, _wide_input())

    assert_same(program)


@pytest.mark.parametrize("saver", [False, True])
def test_partial_and_unknown_input_keys(saver: bool, caplog: Any) -> None:
    """Input naming only some keys (output keys missing from the result), keys that are
    not input channels, and keys the graph does not have at all."""

    def program(lg: Impl) -> Any:
        app = _wide_pregel(lg, mixed=True, saver=saver)
        inp = {"t0": None, **dict.fromkeys(_keys()[::3], 1), "nope": 1, "t2": None}
        with caplog.at_level(logging.WARNING):
            caplog.clear()
            obs = observe_all_modes(app, inp)
            obs["warnings"] = sorted({r.getMessage() for r in caplog.records})
        return obs

    assert_same(program)


def test_wide_input_to_single_input_channel_and_none_input() -> None:
    def program(lg: Impl) -> Any:
        app = _wide_pregel(lg, mixed=False, saver=False)
        obs = {"none": observe_all_modes(app, None)}
        app2 = lg.Pregel(
            nodes={"a": lg.NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("b")},
            channels={"a": lg.ch.LastValue(dict), "b": lg.ch.LastValue(dict)},
            input_channels="a",
            output_channels="b",
        )
        obs["dict-into-one-channel"] = observe_all_modes(app2, _wide_input())
        return obs

    assert_same(program)


def test_wide_update_from_a_node_with_reducers_and_errors() -> None:
    """A node writing many keys at once (a wide commit after the input), a reducer that
    fails inside such a commit, and two writes to one LastValue in a wide step."""
    from typing import Annotated

    from typing_extensions import TypedDict

    def fail(a: int, b: int) -> int:
        if b < 0:
            raise ValueError("negative")
        return a + b

    def program(lg: Impl) -> Any:
        g = lg.graph
        fields: dict[str, Any] = dict.fromkeys(_keys(), int)
        fields["total"] = Annotated[int, fail]
        State = TypedDict("State", fields)  # type: ignore[misc]

        def wide(s: dict) -> dict:
            out = {k: s[k] + 1 for k in _keys()}
            out["total"] = 5
            return out

        def bad(s: dict) -> dict:
            return {**dict.fromkeys(_keys(), 0), "total": -1}

        obs = {}
        for name, fns in (("ok", [wide, wide]), ("reducer-error", [wide, bad])):
            b = g.StateGraph(State)
            prev = g.START
            for i, fn in enumerate(fns):
                b.add_node(f"n{i}", fn)
                b.add_edge(prev, f"n{i}")
                prev = f"n{i}"
            b.add_edge(prev, g.END)
            app = b.compile(checkpointer=lg.InMemorySaver())
            inp = {**dict.fromkeys(_keys(), 1), "total": 0}
            if name == "ok":
                obs[name] = observe_all_modes(app, inp)
            else:
                # Streams differ there before this path (LangGraph streams no update
                # for the task whose write the reducer refused; we do): invoke and state.
                cfg = {"configurable": {"thread_id": "r"}}
                obs[name] = {
                    "invoke": capture(lambda app=app, inp=inp, cfg=cfg: app.invoke(inp, cfg)),
                    **state_of(app, cfg),
                }

        # Two parallel nodes both writing a plain key inside a wide step.
        b = g.StateGraph(State)
        b.add_node("a", wide)
        b.add_node("b", wide)
        b.add_edge(g.START, "a")
        b.add_edge(g.START, "b")
        obs["concurrent"] = observe_all_modes(b.compile(), dict.fromkeys(_keys(), 1))
        return obs

    # Our engine adds a note naming the channel a failing reducer was folding.
    assert_same(program, ignore=("notes",))


@pytest.mark.parametrize("saver", [False, True])
def test_blank_channels_available_at_start(saver: bool) -> None:
    """Channels that hold a value before anything is written (a reducer's initial value)
    and a custom channel class: a run without a checkpoint sees them as before."""

    def program(lg: Impl) -> Any:
        ch = lg.ch

        class Counting(ch.LastValue):  # a user's channel kind (not the library's)
            pass

        app = lg.Pregel(
            nodes={
                "a": lg.NodeBuilder()
                .subscribe_only("inp")
                .do(lambda x: x + 1)
                .write_to("out", "acc"),
            },
            channels={
                "inp": ch.LastValue(int),
                "acc": ch.BinaryOperatorAggregate(int, operator.add),
                "out": Counting(int),
                "never": ch.BinaryOperatorAggregate(list, operator.add),
            },
            input_channels="inp",
            output_channels=["out", "acc", "never"],
            checkpointer=lg.InMemorySaver() if saver else None,
        )
        return observe_all_modes(app, 1)

    assert_same(program)


def test_custom_channel_among_wide_keys() -> None:
    def program(lg: Impl) -> Any:
        class Mine(lg.ch.LastValue):
            pass

        app = _wide_pregel(lg, mixed=True, saver=False, custom=Mine(int))
        return observe_all_modes(app, _wide_input())

    assert_same(program)


def test_interrupts_reported_once_and_resumed() -> None:
    """The set of reported interrupts is made on the first one: two interrupting nodes
    in one step, a resume, and a second interrupt after it."""

    def program(lg: Impl) -> Any:
        g = lg.graph
        from typing_extensions import TypedDict

        class State(TypedDict, total=False):
            a: str
            b: str
            c: str

        def ask(key: str) -> Any:
            def node(s: dict) -> dict:
                return {key: lg.types.interrupt(f"{key}?")}

            return node

        b = g.StateGraph(State)
        b.add_node("a", ask("a"))
        b.add_node("b", ask("b"))
        b.add_node("c", ask("c"))
        b.add_edge(g.START, "a")
        b.add_edge(g.START, "b")
        b.add_edge(["a", "b"], "c")
        app = b.compile(checkpointer=lg.InMemorySaver())
        cfg = {"configurable": {"thread_id": "1"}}
        obs: dict[str, Any] = {"first": app.invoke({}, cfg)}
        state = app.get_state(cfg)
        resume = {i.id: f"answer-{i.value}" for i in state.interrupts}
        obs["resume"] = list(
            app.stream(lg.types.Command(resume=resume), cfg, stream_mode=["updates", "values"])
        )
        obs["last"] = app.invoke(lg.types.Command(resume="done"), cfg)
        obs["state"] = app.get_state(cfg)
        obs["history"] = list(app.get_state_history(cfg))
        return obs

    assert_same(program, exact_ids=False)


def test_task_calls_from_threads_share_the_runs_lock() -> None:
    """Functional API tasks run in pool threads and record into the run under its lock
    (made on first use): many concurrent task calls, and a failing one."""

    def program(lg: Impl) -> Any:
        func = __import__(f"{lg.graph.__name__.split('.')[0]}.func", fromlist=["task"])
        threads: set[int] = set()

        @func.task
        def double(x: int) -> int:
            threads.add(threading.get_ident())
            return 2 * x

        @func.task
        def boom(x: int) -> int:
            raise ValueError(f"boom {x}")

        @func.entrypoint(checkpointer=lg.InMemorySaver())
        def main(n: int) -> list:
            futures = [double(i) for i in range(n)]
            return [f.result() for f in futures]

        @func.entrypoint()
        def failing(n: int) -> list:
            futures = [double(i) for i in range(n)] + [boom(n)]
            return [f.result() for f in futures]

        obs = observe_all_modes(main, 12, parallel=True)
        obs["failing"] = observe_all_modes(failing, 5, parallel=True)
        return obs

    assert_same(program, exact_ids=False)


def test_repeated_invokes_of_one_graph_do_not_share_state() -> None:
    """Per-graph caches (output ids, blank availability, input channels) across runs with
    different output keys and inputs."""

    def program(lg: Impl) -> Any:
        app = _wide_pregel(lg, mixed=True, saver=False)
        keys = _keys()
        out = []
        for i in range(3):
            out.append(app.invoke({**_wide_input(), "k01": i}))
            out.append(app.invoke(_wide_input(), output_keys=keys[:5]))
            out.append(app.invoke(_wide_input(), output_keys="k02"))
            out.append(app.invoke({"t0": None, "k03": i}))
        return out

    assert_same(program)


class _NoCompare:
    """A value that refuses to be compared or hashed (as a NumPy array does for bool)."""

    def __eq__(self, other: object) -> bool:
        raise TypeError("no comparisons")

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "NoCompare"


def test_wide_input_values_are_never_compared() -> None:
    """The wide paths test values by identity only: falsy values, None and a value
    that raises on comparison pass through input, steps and output unchanged."""
    odd = _NoCompare()

    def program(lg: Impl) -> Any:
        ch = lg.ch
        keys = _keys()
        channels: dict[str, Any] = {k: ch.LastValue(object) for k in keys}
        channels["go"] = ch.LastValue(object)
        channels["done"] = ch.LastValue(object)

        def node(state: dict) -> list:
            return [("k00", odd), ("k01", None), ("done", len(state))]

        app = lg.Pregel(
            nodes={
                "n": lg.NodeBuilder()
                .subscribe_to("go", read=False)
                .read_from(*keys)
                .do(node)
                .write_to(lg.ChannelWriteTupleEntry(mapper=lambda x: x))
            },
            channels=channels,
            input_channels=["go", *keys],
            output_channels=[*keys, "done"],
        )
        values = [0, "", None, [], odd, False, 0.0, {}]
        inp = {"go": 1, **{k: values[i % len(values)] for i, k in enumerate(keys)}}
        out = app.invoke(inp)
        # Identity of the odd value survives; repr for the comparison of both runs.
        return {"same-object": out["k00"] is odd, "out": repr(out)}

    assert_same(program)


@pytest.mark.parametrize("saver", [False, True])
def test_invoke_without_streams_parallel_steps_errors_retries_subgraphs(saver: bool) -> None:
    """invoke() of a run that streams nothing runs the engine in a plain loop
    (drive_quiet): steps of several tasks, a failing one among them, retries,
    a subgraph called in a node, interrupt_before, and the recursion limit."""

    def program(lg: Impl) -> Any:
        g = lg.graph
        State = _LogState
        attempts = {"flaky": 0}

        def add(name: str) -> Any:
            return lambda s: {"log": [name]}

        def flaky(s: dict) -> dict:
            attempts["flaky"] += 1
            if attempts["flaky"] < 2:
                raise ValueError("once")
            return {"log": ["flaky"]}

        def fails(s: dict) -> dict:
            raise KeyError("bad")

        sub = g.StateGraph(State)
        sub.add_node("inner", add("inner"))
        sub.add_edge(g.START, "inner")
        child = sub.compile()

        def call_child(s: dict) -> dict:
            return {"log": child.invoke({"log": ["in"]})["log"]}

        def build(with_failure: bool) -> Any:
            b = g.StateGraph(State)
            b.add_node("a", add("a"))
            b.add_node("b", add("b"))
            b.add_node(
                "c",
                flaky,
                retry_policy=lg.RetryPolicy(
                    max_attempts=3, initial_interval=0, retry_on=ValueError
                ),
            )
            b.add_node("sub", call_child)
            b.add_edge(g.START, "a")
            b.add_edge(g.START, "b")
            b.add_edge(g.START, "c")
            b.add_edge(["a", "b", "c"], "sub")
            if with_failure:
                b.add_node("x", fails)
                b.add_edge(g.START, "x")
            return b.compile(checkpointer=lg.InMemorySaver() if saver else None)

        def cfg(t: str) -> dict:
            return {"configurable": {"thread_id": t}} if saver else {}

        obs: dict[str, Any] = {}
        attempts["flaky"] = 0
        obs["ok"] = capture(lambda: build(False).invoke({"log": []}, cfg("1")))
        attempts["flaky"] = 0
        app = build(True)
        obs["fail"] = capture(lambda: app.invoke({"log": []}, cfg("2")))
        if saver:
            obs["fail:state"] = state_of(app, cfg("2"))
            attempts["flaky"] = 0
            obs["before"] = capture(
                lambda: build(False).invoke({"log": []}, cfg("3"), interrupt_before=["sub"])
            )
        attempts["flaky"] = 0
        obs["limit"] = capture(
            lambda: build(False).invoke({"log": []}, {**cfg("4"), "recursion_limit": 1})
        )
        return obs

    assert_same(program)


@pytest.mark.parametrize("saver", [False, True])
def test_wide_update_that_retriggers_its_own_node(saver: bool) -> None:
    """A node looping on itself (conditional edge) while writing more than eight
    keys, a reducer among them: a wide commit that bumps the trigger of the node
    that just ran, which must not count as seen by it."""

    def program(lg: Impl) -> Any:
        g = lg.graph
        fields: dict[str, Any] = dict.fromkeys(_keys(12), int)
        fields["acc"] = Annotated[list, operator.add]
        State = TypedDict("State", fields)  # type: ignore[misc]

        def step(s: dict) -> dict:
            k = s.get("k00", 0)
            return {**dict.fromkeys(_keys(12), k + 1), "acc": [k]}

        b = g.StateGraph(State)
        b.add_node("step", step)
        b.add_edge(g.START, "step")
        b.add_conditional_edges("step", lambda s: g.END if s["k00"] >= 4 else "step")
        app = b.compile(checkpointer=lg.InMemorySaver() if saver else None)
        return observe_all_modes(app, {"k00": 0, "acc": []})

    assert_same(program)
