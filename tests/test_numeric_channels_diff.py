"""Numeric channels (channels/numeric.py) against LangGraph's reducer channel.

`NumericAggregate` must give exactly what LangGraph's `BinaryOperatorAggregate`
gives for the same writes (values, types, exceptions), in both kernel modes and on
both sides of the write count where the compiled fold takes over; the channel
types LangGraph lacks (`Sum`, `Count`, `Min`, `Max`, `Mean`, `Histogram`) are
checked against plain Python / NumPy and through checkpoints.
"""

import functools
import math
import operator
import random
import sqlite3
from typing import Any

import numpy as np
import pytest

from langgraph_jit import _kernels
from langgraph_jit._kernels import reduce_source
from langgraph_jit.channels import BinaryOperatorAggregate
from langgraph_jit.channels.numeric import (
    FLOAT_KERNEL_MIN_WRITES,
    Count,
    Histogram,
    Max,
    Mean,
    Min,
    NumericAggregate,
    Sum,
    fold_numbers,
    numeric_aggregate,
)
from langgraph_jit.errors import InvalidUpdateError

try:
    from langgraph_jit._kernels import compiled as _compiled
except ImportError:  # numba not installed: only the interpreted twins run
    _compiled = None

MODES = [
    "python",
    pytest.param(
        "compiled", marks=pytest.mark.skipif(_compiled is None, reason="numba is not importable")
    ),
]


@pytest.fixture
def kernel_mode(request, monkeypatch):
    """Run the test with LANGGRAPH_JIT_KERNELS set to the parameter (compiled:
    kernels loaded and waited for, so the compiled fold really runs)."""
    mode = request.param
    monkeypatch.setenv("LANGGRAPH_JIT_KERNELS", mode)
    monkeypatch.delenv("LANGGRAPH_JIT_DISABLE_JIT", raising=False)
    monkeypatch.setattr(_kernels, "_settings", None)
    if mode == "compiled":
        monkeypatch.setattr(_kernels, "_compiled_failed", False)
        assert _kernels.reduce_kernels() is _compiled
    else:
        assert _kernels.reduce_kernels() is None
    return mode


def _python_fold(acc: Any, op: Any, values: list) -> Any:
    return functools.reduce(op, values, acc)


def _same_value(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b


SIZES = [1, 3, 40, FLOAT_KERNEL_MIN_WRITES + 7, 3000]


def _writes(rng: random.Random, kind: str, n: int) -> list:
    if kind == "float":
        return [rng.choice([rng.uniform(-1e6, 1e6), rng.random(), 1e308, -0.0]) for _ in range(n)]
    if kind == "int":
        return [rng.randrange(-(10**6), 10**6) for _ in range(n)]
    if kind == "bigint":  # sums that leave int64, and writes beyond it
        return [rng.choice([2**62, 2**63 - 1, -(2**63), 2**64 + 5, 7]) for _ in range(n)]
    if kind == "mixed":
        return [rng.choice([1, 2.5, True, 3]) for _ in range(n)]
    if kind == "nan":
        return [rng.choice([1.0, math.nan, math.inf, -math.inf, 2.0]) for _ in range(n)]
    raise AssertionError(kind)


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["float", "int", "bigint", "mixed", "nan"])
@pytest.mark.parametrize("op", [operator.add, min, max])
@pytest.mark.parametrize("start", [0, 0.0, 5, -3.5])
def test_fold_numbers_is_pythons_fold(kernel_mode, n, kind, op, start):
    rng = random.Random(hash((n, kind, op.__name__, start)) & 0xFFFF)
    values = _writes(rng, kind, n)
    code = {operator.add: reduce_source.ADD, min: reduce_source.MIN, max: reduce_source.MAX}[op]
    try:
        expected: Any = _python_fold(start, op, values)
    except OverflowError as exc:
        expected = exc
    try:
        got = fold_numbers(start, code, values)
    except OverflowError as exc:
        got = exc
    if got is _kernels_missing():
        return  # not a kind it folds: the channel falls back to the generic fold
    if isinstance(expected, Exception):
        assert type(got) is type(expected)
    else:
        assert _same_value(got, expected), (got, expected)


def _kernels_missing() -> Any:
    from langgraph_jit._constants import MISSING

    return MISSING


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
@pytest.mark.parametrize("typ", [int, float])
@pytest.mark.parametrize("kind", ["float", "int", "bigint", "mixed", "nan"])
def test_numeric_aggregate_matches_langgraphs_binop(kernel_mode, typ, kind):
    from langgraph.channels.binop import BinaryOperatorAggregate as LgBinop

    ours = NumericAggregate(typ, operator.add)
    theirs = LgBinop(typ, operator.add)
    rng = random.Random(7)
    for n in (2, 700, 1, 3000):
        values = _writes(rng, kind, n)
        try:
            theirs.update(values)
            expected: Any = theirs.get()
        except Exception as exc:
            expected = exc
        try:
            ours.update(values)
            got: Any = ours.get()
        except Exception as exc:
            got = exc
        if isinstance(expected, Exception):
            assert type(got) is type(expected)
            return
        assert _same_value(got, expected)
        assert _same_value(ours.checkpoint(), theirs.checkpoint())


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
def test_numeric_aggregate_overwrite_and_empty_step(kernel_mode):
    from langgraph.channels.binop import BinaryOperatorAggregate as LgBinop
    from langgraph.types import Overwrite as LgOverwrite

    from langgraph_jit.types import Overwrite

    ours = NumericAggregate(int, operator.add)
    theirs = LgBinop(int, operator.add)
    assert ours.update([]) is theirs.update([]) is False
    ours.update([1] * 600 + [Overwrite(10), 2])
    theirs.update([1] * 600 + [LgOverwrite(10), 2])
    assert ours.get() == theirs.get() == 10  # writes after an Overwrite are dropped


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
def test_array_sums_match_langgraph_and_never_touch_inputs(kernel_mode):
    from langgraph.channels.binop import BinaryOperatorAggregate as LgBinop

    ours = NumericAggregate(np.ndarray, operator.add)
    theirs = LgBinop(np.ndarray, operator.add)
    rng = np.random.default_rng(0)
    first = [rng.random(50) for _ in range(3)]
    kept = [a.copy() for a in first]
    ours.update(first)
    theirs.update([a.copy() for a in first])
    held = ours.get()
    held_copy = held.copy()
    for a, k in zip(first, kept, strict=True):  # the writes themselves are untouched
        assert np.array_equal(a, k)
    step2 = [rng.random(50) for _ in range(200)] + [np.arange(50)]  # an int array too
    ours.update(step2)
    theirs.update([a.copy() for a in step2])
    assert np.array_equal(held, held_copy)  # last step's value is not changed in place
    assert _same_value(ours.get(), theirs.get())
    # int arrays, then a float write: dtype promotes as NumPy's `+` does
    ints_ours = NumericAggregate(np.ndarray, operator.add)
    ints_theirs = LgBinop(np.ndarray, operator.add)
    for step in ([np.arange(4), np.arange(4)], [np.ones(4), np.arange(4)]):
        ints_ours.update(step)
        ints_theirs.update(step)
        assert _same_value(ints_ours.get(), ints_theirs.get())


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
def test_array_shape_mismatch_is_a_clear_invalid_update(kernel_mode):
    ch = NumericAggregate(np.ndarray, operator.add)
    ch.key = "scores"
    ch.update([np.zeros(3)])
    with pytest.raises(InvalidUpdateError, match=r"scores.*shape \(3,\).*shape \(4,\)"):
        ch.update([np.ones(3), np.ones(4)])
    with pytest.raises(ValueError):  # still what LangGraph's callers catch
        ch.update([np.ones(5)])
    assert np.array_equal(ch.get(), np.zeros(3))  # the failed steps changed nothing


def test_numeric_aggregate_for_annotations():
    from typing import Annotated

    assert isinstance(
        numeric_aggregate(Annotated[int, operator.add], operator.add), NumericAggregate
    )
    assert isinstance(numeric_aggregate(float, operator.add), NumericAggregate)
    assert isinstance(numeric_aggregate(np.ndarray, operator.add), NumericAggregate)
    assert numeric_aggregate(list, operator.add) is None
    assert numeric_aggregate(int, operator.mul) is None
    ch = numeric_aggregate(int, operator.add)
    assert ch == BinaryOperatorAggregate(int, operator.add)  # same channel, as far as users see
    assert ch.get() == 0
    assert ch.from_checkpoint(41).get() == 41
    assert ch.copy().get() == 0


# -- channel types of our own -------------------------------------------------------


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
def test_sum_min_max(kernel_mode):
    rng = random.Random(3)
    for n in (1, 5, 2000):
        values = [rng.uniform(-5, 5) for _ in range(n)]
        s, lo, hi = Sum(), Min(), Max()
        assert not lo.is_available() and not hi.is_available() and s.get() == 0.0
        for ch in (s, lo, hi):
            ch.update(values[: n // 2])
            ch.update(values[n // 2 :])
        assert s.get() == functools.reduce(
            operator.add, values[n // 2 :], functools.reduce(operator.add, values[: n // 2], 0.0)
        )
        assert lo.get() == min(values) and hi.get() == max(values)
        assert Min().from_checkpoint(lo.checkpoint()).get() == lo.get()
    ints = Sum(int)
    ints.update([2**62] * 10)
    assert ints.get() == 10 * 2**62 and type(ints.get()) is int


def test_count_and_mean():
    from langgraph_jit.types import Overwrite

    c = Count()
    assert c.get() == 0 and c.is_available()
    c.update([None, "x", 3])
    assert c.get() == 3
    c.update([Overwrite(10), 1])
    assert c.get() == 11
    assert Count().from_checkpoint(c.checkpoint()).get() == 11
    m = Mean()
    assert not m.is_available()
    m.update([1, 2.5, 3])
    m.update([4.0] * 1000)
    assert m.get() == pytest.approx((6.5 + 4000) / 1003)
    assert Mean().from_checkpoint(m.checkpoint()).get() == m.get()
    with pytest.raises(InvalidUpdateError, match="Mean"):
        m.update(["a"])


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
def test_histogram_matches_numpy(kernel_mode):
    rng = np.random.default_rng(5)
    edges = [0.0, 1.0, 2.5, 4.0, 10.0]
    h = Histogram(edges)
    everything: list[float] = []
    for n in (1, 3, 100, 5000):
        values = [*rng.uniform(-2, 12, n).tolist(), 10.0, 0.0, math.nan]
        before = h.get()
        h.update([values[0], np.array(values[1:])])
        assert before is not h.get()  # a new array each step
        everything += values
        clean = [v for v in everything if not math.isnan(v)]
        assert np.array_equal(h.get(), np.histogram(clean, edges)[0])
    assert np.array_equal(Histogram(edges).from_checkpoint(h.checkpoint()).get(), h.get())
    with pytest.raises(InvalidUpdateError, match="Histogram"):
        h.update([np.zeros((2, 2))])
    with pytest.raises(ValueError, match="increasing"):
        Histogram([1.0, 1.0])


# -- in a graph, through a saver ------------------------------------------------------


def _fanout(pkg: str, n: int, numeric: bool, checkpointer: Any) -> Any:
    """A StateGraph whose `fan` node Sends n packets to `work`; each adds a float, an
    int and an array into reducer keys. On langgraph_jit with `numeric`, the keys
    use NumericAggregate explicitly (what `Annotated[..., operator.add]` becomes
    once StateGraph picks it)."""
    import importlib
    from typing import Annotated

    from typing_extensions import TypedDict

    graph_mod = importlib.import_module(f"{pkg}.graph")
    types = importlib.import_module(f"{pkg}.types")

    def key(typ: Any) -> Any:
        return Annotated[typ, NumericAggregate(typ, operator.add) if numeric else operator.add]

    class State(TypedDict, total=False):
        n: int
        total: key(float)  # type: ignore[valid-type]
        hits: key(int)  # type: ignore[valid-type]
        vec: key(np.ndarray)  # type: ignore[valid-type]

    def fan(state: dict) -> list:
        return [types.Send("work", {"i": i}) for i in range(state["n"])]

    def work(packet: dict) -> dict:
        i = packet["i"]
        return {"total": (i % 7) * 0.1 + 2**-30, "hits": i * 2**40, "vec": np.full(4, i * 0.5)}

    builder = graph_mod.StateGraph(State)
    builder.add_node("start", lambda s: {"vec": np.zeros(4)})
    builder.add_node("work", work)
    builder.add_edge(graph_mod.START, "start")
    builder.add_conditional_edges("start", fan)
    builder.add_edge("work", graph_mod.END)
    return builder.compile(checkpointer=checkpointer)


def _plain(values: dict) -> dict:
    return {
        k: (v.tolist(), str(v.dtype)) if isinstance(v, np.ndarray) else (v, type(v).__name__)
        for k, v in values.items()
    }


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
@pytest.mark.parametrize("n", [3, 2000])
def test_fanout_into_numeric_keys_matches_langgraph(kernel_mode, n, tmp_path):
    from langgraph.checkpoint.memory import InMemorySaver as LgSaver

    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    cfg = {"configurable": {"thread_id": "t"}}
    theirs = _fanout("langgraph", n, False, LgSaver())
    expected = theirs.invoke({"n": n}, cfg)
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        ours = _fanout("langgraph_jit", n, True, saver)
        got = ours.invoke({"n": n}, cfg)
        assert _plain(got) == _plain(expected)
        history = [_plain(s.values) for s in ours.get_state_history(cfg)]
        assert history == [_plain(s.values) for s in theirs.get_state_history(cfg)]
    # a new saver on the same file: the values come back from their stored form
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        again = _fanout("langgraph_jit", n, True, saver)
        assert _plain(again.get_state(cfg).values) == _plain(expected)
        got2 = again.invoke({"n": 2}, cfg)
    expected2 = theirs.invoke({"n": 2}, cfg)
    assert _plain(got2) == _plain(expected2)


@pytest.mark.parametrize("kernel_mode", MODES, indirect=True)
def test_bad_array_write_fails_the_step_and_saves_nothing(kernel_mode, tmp_path):
    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    cfg = {"configurable": {"thread_id": "t"}}
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        app = _fanout("langgraph_jit", 3, True, saver)
        app.invoke({"n": 3}, cfg)
        before = [s.config["configurable"]["checkpoint_id"] for s in app.get_state_history(cfg)]
        with pytest.raises(InvalidUpdateError, match="vec"):
            app.update_state(cfg, {"vec": np.zeros(5)})
        after = [s.config["configurable"]["checkpoint_id"] for s in app.get_state_history(cfg)]
        assert after == before
    conn = sqlite3.connect(str(tmp_path / "c.sqlite"))
    try:
        assert conn.execute("select count(*) from checkpoints").fetchone()[0] == len(before)
    finally:
        conn.close()


def test_own_channel_types_in_a_state_schema(tmp_path):
    from typing import Annotated

    from typing_extensions import TypedDict

    from langgraph_jit.checkpoint.sqlite import SqliteSaver
    from langgraph_jit.graph import END, START, StateGraph
    from langgraph_jit.types import Send

    class State(TypedDict, total=False):
        n: int
        total: Annotated[float, Sum()]
        done: Annotated[int, Count()]
        low: Annotated[float, Min()]
        high: Annotated[float, Max()]
        avg: Annotated[float, Mean()]
        hist: Annotated[Any, Histogram([0, 5, 10])]

    def work(p: dict) -> dict:
        x = float(p["i"])
        return {"total": x, "done": True, "low": x, "high": x, "avg": x, "hist": x}

    b = StateGraph(State)
    b.add_node("work", work)
    b.add_conditional_edges(START, lambda s: [Send("work", {"i": i}) for i in range(s["n"])])
    b.add_edge("work", END)
    cfg = {"configurable": {"thread_id": "t"}}
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        out = b.compile(checkpointer=saver).invoke({"n": 11}, cfg)
    assert out["total"] == 55.0 and out["done"] == 11 and out["low"] == 0.0
    assert out["high"] == 10.0 and out["avg"] == 5.0
    assert out["hist"].tolist() == [5, 6]
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        values = b.compile(checkpointer=saver).get_state(cfg).values
    assert values["hist"].tolist() == [5, 6] and values["avg"] == 5.0 and values["done"] == 11
