"""Differential tests: every channel (and the error types) against real LangGraph 1.2.22.

Both implementations are driven through the same operation sequences and must agree on
every observable result; checkpoints are also loaded across implementations.
"""

from __future__ import annotations

import collections.abc
import copy
import operator
import random
import subprocess
import sys
import typing
from typing import Annotated, Any, NotRequired, Optional, Required

import pytest

lg_channels = pytest.importorskip("langgraph.channels")
import langgraph.errors as lg_errors  # noqa: E402
from langgraph._internal._typing import MISSING as LG_MISSING  # noqa: E402
from langgraph.checkpoint.serde.types import _DeltaSnapshot  # noqa: E402
from langgraph.types import Overwrite as LgOverwrite  # noqa: E402

import langgraph_jit.channels as jit_channels  # noqa: E402
import langgraph_jit.errors as jit_errors  # noqa: E402
from langgraph_jit._constants import MISSING as JIT_MISSING  # noqa: E402
from langgraph_jit._overwrite import Overwrite as JitOverwrite  # noqa: E402

LG, JIT = "lg", "jit"
IMPLS = {LG: lg_channels, JIT: jit_channels}
SENTINEL = {LG: LG_MISSING, JIT: JIT_MISSING}
OVERWRITE_CLS = {LG: LgOverwrite, JIT: JitOverwrite}


# ---------------------------------------------------------------------------
# Normalising observable results so the two implementations can be compared


def normalise(obj: Any) -> Any:
    """Replace implementation-specific objects (sentinels, Overwrite) by neutral tokens."""
    if obj is LG_MISSING or obj is JIT_MISSING:
        return "<MISSING>"
    if isinstance(obj, (LgOverwrite, JitOverwrite)):
        return ("<Overwrite>", normalise(obj.value))
    if isinstance(obj, list):
        return [normalise(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(normalise(x) for x in obj)
    if isinstance(obj, (set, frozenset)):
        return ("<set>", sorted(map(repr, obj)))
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in obj.items()}
    return obj


def translate(obj: Any, to: str) -> Any:
    """Re-express a checkpoint of one implementation with the other's objects."""
    if obj is LG_MISSING or obj is JIT_MISSING:
        return SENTINEL[to]
    if isinstance(obj, (LgOverwrite, JitOverwrite)):
        return OVERWRITE_CLS[to](translate(obj.value, to))
    if isinstance(obj, list):
        return [translate(x, to) for x in obj]
    if isinstance(obj, tuple):
        return tuple(translate(x, to) for x in obj)
    if isinstance(obj, set):
        return {translate(x, to) for x in obj}
    if isinstance(obj, dict):
        return {k: translate(v, to) for k, v in obj.items()}
    return obj


def materialise(spec: Any, impl: str) -> Any:
    """Writes are described neutrally; ("ow", v) becomes that implementation's Overwrite."""
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] == "ow":
        return OVERWRITE_CLS[impl](copy.deepcopy(spec[1]))
    return copy.deepcopy(spec)


def outcome(fn, *args) -> Any:
    try:
        return ("ok", normalise(fn(*args)))
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


class Driver:
    """One channel per implementation, driven in lock step."""

    def __init__(self, make):
        self.ch = {impl: make(IMPLS[impl]) for impl in IMPLS}
        self.held: dict[str, Any] = {}
        self.log: list = []

    def both(self, op: str, *args) -> Any:
        results = {impl: self._do(impl, op, *args) for impl in IMPLS}
        assert results[LG] == results[JIT], (op, args, results, self.log)
        self.log.append((op, args, results[LG]))
        return results[LG]

    def _do(self, impl: str, op: str, *args) -> Any:
        ch = self.ch[impl]
        if op == "update":
            (specs,) = args
            values = [materialise(s, impl) for s in specs]
            return outcome(ch.update, values)
        if op in ("get", "is_available", "consume", "finish", "checkpoint"):
            return outcome(getattr(ch, op))
        if op == "copy":
            self.ch[impl] = ch.copy()
            return outcome(self.ch[impl].checkpoint)
        if op == "roundtrip":
            self.ch[impl] = ch.from_checkpoint(ch.checkpoint())
            return outcome(self.ch[impl].checkpoint)
        if op == "hold":  # keep the checkpoint object to observe later mutation (aliasing)
            self.held[impl] = ch.checkpoint()
            return normalise(self.held[impl])
        if op == "held":
            return normalise(self.held.get(impl, "<none>"))
        if op == "state":
            return (
                type(ch).__name__,
                ch.key,
                outcome(ch.is_available),
                outcome(ch.get),
                outcome(ch.checkpoint),
            )
        raise AssertionError(op)

    def cross(self) -> None:
        """Swap states: each side restores from the other side's checkpoint."""
        cps = {impl: self.ch[impl].checkpoint() for impl in IMPLS}
        self.ch[LG] = self.ch[LG].from_checkpoint(translate(cps[JIT], LG))
        self.ch[JIT] = self.ch[JIT].from_checkpoint(translate(cps[LG], JIT))
        self.both("state")


# ---------------------------------------------------------------------------
# Channel configurations and the writes they receive


def keyed(ch, key="x"):
    ch.key = key
    return ch


class NeedsArgs:
    def __init__(self, a):
        self.a = a


def _int(rng):
    return rng.randint(-3, 9)


def _int_or_overwrite(rng):
    r = rng.random()
    if r < 0.12:
        return ("ow", _int(rng))
    if r < 0.18:
        return {"__overwrite__": _int(rng)}
    if r < 0.22:
        return {"value": _int(rng), "type": "__overwrite__"}
    return _int(rng)


def _list_or_overwrite(rng):
    r = rng.random()
    if r < 0.15:
        return ("ow", [_int(rng)])
    if r < 0.2:
        return {"__overwrite__": [_int(rng), _int(rng)]}
    return [_int(rng) for _ in range(rng.randint(0, 2))]


def _dict_merge(rng):
    r = rng.random()
    if r < 0.1:
        return ("ow", {"k": _int(rng)})
    if r < 0.15:
        return {"__overwrite__": {"z": 1}}
    if r < 0.2:
        return {"type": "other", "value": 1}
    return {rng.choice("abc"): _int(rng)}


def _merge(a, b):
    return {**a, **b}


def _topic_write(rng):
    if rng.random() < 0.3:
        return [_int(rng) for _ in range(rng.randint(0, 3))]
    return _int(rng)


NAMES = ["a", "b", "c"]


def _name(rng):
    return rng.choice([*NAMES, "a", "b", "zz"] if rng.random() < 0.15 else NAMES)


CONFIGS = {
    "LastValue": (lambda m: m.LastValue(int, "x"), _int),
    "LastValueAfterFinish": (lambda m: m.LastValueAfterFinish(int, "x"), _int),
    "AnyValue": (lambda m: m.AnyValue(int, "x"), _int),
    "EphemeralValue": (lambda m: keyed(m.EphemeralValue(int)), _int),
    "EphemeralValue-noguard": (lambda m: keyed(m.EphemeralValue(int, guard=False)), _int),
    "UntrackedValue": (lambda m: keyed(m.UntrackedValue(int)), _int),
    "UntrackedValue-noguard": (lambda m: keyed(m.UntrackedValue(int, False)), _int),
    "BinOp-int-add": (
        lambda m: m.BinaryOperatorAggregate(int, operator.add),
        _int_or_overwrite,
    ),
    "BinOp-list-add": (
        lambda m: m.BinaryOperatorAggregate(list, operator.add),
        _list_or_overwrite,
    ),
    "BinOp-annotated-seq": (
        lambda m: m.BinaryOperatorAggregate(
            Annotated[typing.Sequence[int], operator.add], operator.add
        ),
        _list_or_overwrite,
    ),
    "BinOp-missing-init": (
        lambda m: m.BinaryOperatorAggregate(NeedsArgs, operator.add),
        _int_or_overwrite,
    ),
    "BinOp-optional-missing": (
        lambda m: m.BinaryOperatorAggregate(Optional[int], operator.add),  # noqa: UP045 - typing.Optional is the case under test
        _int_or_overwrite,
    ),
    "BinOp-dict-merge": (
        lambda m: m.BinaryOperatorAggregate(dict[str, int], _merge),
        _dict_merge,
    ),
    "Topic": (lambda m: m.Topic(int), _topic_write),
    "Topic-accumulate": (lambda m: m.Topic(int, accumulate=True), _topic_write),
    "NamedBarrierValue": (lambda m: keyed(m.NamedBarrierValue(str, set(NAMES))), _name),
    "NamedBarrierValueAfterFinish": (
        lambda m: keyed(m.NamedBarrierValueAfterFinish(str, set(NAMES))),
        _name,
    ),
}

OPS = [
    ("update", 10),
    ("get", 3),
    ("is_available", 3),
    ("consume", 3),
    ("finish", 2),
    ("checkpoint", 2),
    ("copy", 1),
    ("roundtrip", 1),
    ("hold", 1),
    ("held", 1),
    ("cross", 1),
]


def run_random(make, gen, seed: int, steps: int = 60) -> Driver:
    rng = random.Random(seed)
    names, weights = zip(*OPS)
    d = Driver(make)
    d.both("state")
    for _ in range(steps):
        op = rng.choices(names, weights)[0]
        if op == "update":
            n = rng.choices([0, 1, 2, 3], [3, 6, 2, 1])[0]
            d.both("update", [gen(rng) for _ in range(n)])
        elif op == "cross":
            d.cross()
        else:
            d.both(op)
    d.both("state")
    return d


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_random_sequences(name, seed):
    make, gen = CONFIGS[name]
    run_random(make, gen, seed)


# ---------------------------------------------------------------------------
# Hand-written sequences


def drive(make, script):
    d = Driver(make)
    out = []
    for step in script:
        if step == "cross":
            d.cross()
        elif isinstance(step, tuple):
            out.append(d.both(*step))
        else:
            out.append(d.both(step))
    return out


def U(*values):
    return ("update", list(values))


def test_last_value_errors_and_message():
    out = drive(CONFIGS["LastValue"][0], [U(), "get", U(1), "get", U(2, 3), "get", "checkpoint"])
    assert out[0] == ("ok", False)
    assert out[1][0:2] == ("raise", "EmptyChannelError")
    assert out[3] == ("ok", 1)
    assert out[4] == (
        "raise",
        "InvalidUpdateError",
        "At key 'x': Can receive only one value per step. Use an Annotated key to handle "
        "multiple values.\nFor troubleshooting, visit: "
        "https://docs.langchain.com/oss/python/langgraph/errors/INVALID_CONCURRENT_GRAPH_UPDATE",
    )
    assert out[5] == ("ok", 1)


def test_last_value_after_finish_lifecycle():
    out = drive(
        CONFIGS["LastValueAfterFinish"][0],
        [
            "finish",
            "consume",
            "checkpoint",
            U(5),
            "is_available",
            "checkpoint",
            "finish",
            "finish",
            "get",
            "checkpoint",
            "cross",
            U(6),
            "is_available",
            "finish",
            "consume",
            "consume",
            "get",
            "checkpoint",
            U(1, 2),
            "finish",
            "get",
        ],
    )
    assert out[0] == ("ok", False)
    assert out[2] == ("ok", "<MISSING>")
    assert out[5] == ("ok", (5, False))
    assert out[6] == ("ok", True) and out[7] == ("ok", False)
    assert out[9] == ("ok", (5, True))


def test_any_value_empty_update_clears():
    out = drive(CONFIGS["AnyValue"][0], [U(), U(1, 2), "get", U(), "get", U()])
    assert out[0] == ("ok", False) and out[1] == ("ok", True) and out[2] == ("ok", 2)
    assert out[3] == ("ok", True) and out[5] == ("ok", False)


@pytest.mark.parametrize("name", ["EphemeralValue", "UntrackedValue"])
def test_guarded_channels(name):
    out = drive(CONFIGS[name][0], [U(1), U(), "get", U(1, 2), "get", "checkpoint", "roundtrip"])
    assert out[3][0:2] == ("raise", "InvalidUpdateError")
    assert "guard=True) can receive only one value per step" in out[3][2]
    noguard = drive(CONFIGS[name + "-noguard"][0], [U(1, 2), "get", U(), "checkpoint"])
    assert noguard[1] == ("ok", 2)


def test_binop_overwrite_forms():
    make = CONFIGS["BinOp-list-add"][0]
    out = drive(
        make,
        [
            U([1]),
            U([2], ("ow", [9]), [3]),
            "get",
            U({"__overwrite__": [7]}, [1]),
            "get",
            U({"value": [4], "type": "__overwrite__"}),
            "get",
            U(("ow", [1]), {"__overwrite__": [2]}),
            "get",
            U([5], {"__overwrite__": [1], "extra": 0}),
            "get",
        ],
    )
    assert out[2] == ("ok", [9])
    assert out[4] == ("ok", [7])
    assert out[6] == ("ok", [4])
    assert out[7][0:2] == ("raise", "InvalidUpdateError")
    assert out[7][2].startswith("Can receive only one Overwrite value per super-step.")


def test_binop_missing_initial_takes_first_write_even_overwrite():
    out = drive(
        CONFIGS["BinOp-missing-init"][0],
        ["get", "checkpoint", U(), U(("ow", 3), 4), "get", "cross", U(1), "get"],
    )
    assert out[1] == ("ok", "<MISSING>")
    assert out[4] == ("ok", ("<Overwrite>", 3))


_FORWARD_REF_LIST = "list"


@pytest.mark.parametrize(
    "typ",
    [
        int,
        str,
        list,
        set,
        dict,
        tuple,
        frozenset,
        float,
        bool,
        list[int],
        dict[str, int],
        set[str],
        tuple[int, ...],
        list[int],
        dict[str, int],
        set[int],
        typing.Sequence[int],
        typing.MutableSequence[int],
        typing.Mapping[str, int],
        typing.MutableMapping[str, int],
        typing.AbstractSet[int],
        typing.MutableSet[int],
        collections.abc.Sequence,
        collections.abc.Set,
        collections.abc.Mapping,
        collections.abc.MutableMapping,
        collections.abc.MutableSet,
        collections.abc.MutableSequence,
        collections.abc.Sequence[int],
        Annotated[list, operator.add],
        Annotated[list[int], "x"],
        Annotated[typing.Mapping[str, int], "m"],
        Required[list[int]],
        NotRequired[Annotated[dict, "d"]],
        Required[Annotated[collections.abc.Set[int], 1]],
        Optional[list],  # noqa: UP045 - the typing spellings are cases under test
        typing.Union[int, str],  # noqa: UP007
        int | None,
        typing.Any,
        NeedsArgs,
        None,
        _FORWARD_REF_LIST,
        typing.Callable[[int], int],
        collections.abc.Iterable,
        collections.deque[int],
        collections.OrderedDict,
    ],
    ids=repr,
)
def test_binop_initial_value(typ):
    results = {}
    for impl, mod in IMPLS.items():
        ch = mod.BinaryOperatorAggregate(typ, operator.add)
        results[impl] = (
            outcome(ch.checkpoint),
            type(ch.checkpoint()).__name__ if ch.is_available() else None,
            ch.ValueType == typ,
            ch.UpdateType == typ,
        )
    assert results[LG] == results[JIT]


def test_binop_from_delta_snapshot():
    for make in (CONFIGS["BinOp-list-add"][0], CONFIGS["BinOp-int-add"][0]):
        lg = make(lg_channels).from_checkpoint(_DeltaSnapshot([1, 2]))
        jit = make(jit_channels).from_checkpoint(_DeltaSnapshot([1, 2]))
        assert outcome(lg.get) == outcome(jit.get) == ("ok", [1, 2])


def test_topic():
    out = drive(
        CONFIGS["Topic"][0],
        [
            U(),
            "get",
            U(1, [2, 3], []),
            "get",
            ("hold",),
            U(),
            ("held",),
            "get",
            U([]),
            U([[1]], 2),
            "get",
            "copy",
            "cross",
        ],
    )
    assert out[0] == ("ok", False)
    assert out[2] == ("ok", True) and out[3] == ("ok", [1, 2, 3])
    assert out[5] == ("ok", True)
    assert out[8] == ("ok", False)
    assert out[10] == ("ok", [[1], 2])
    acc = drive(
        CONFIGS["Topic-accumulate"][0],
        [U(), U([]), U(1), ("hold",), U(2), ("held",), U(), "get", "cross", U([3]), "get"],
    )
    assert acc[0] == ("ok", False) and acc[1] == ("ok", False)
    assert acc[5] == [1, 2]  # the checkpoint list is the live list, as in LangGraph
    assert acc[6] == ("ok", False)


def test_topic_legacy_tuple_checkpoint():
    for mod in IMPLS.values():
        ch = mod.Topic(int).from_checkpoint(({"id"}, [4, 5]))
        assert ch.get() == [4, 5]


@pytest.mark.parametrize("name", ["NamedBarrierValue", "NamedBarrierValueAfterFinish"])
def test_named_barrier(name):
    out = drive(
        CONFIGS[name][0],
        [
            U(),
            "consume",
            U("a"),
            U("a"),
            "is_available",
            U("b", "c"),
            "is_available",
            "finish",
            "get",
            "checkpoint",
            ("hold",),
            "cross",
            "consume",
            ("held",),
            "is_available",
            U("a", "zz", "b"),
            "checkpoint",
            "finish",
            "consume",
        ],
    )
    assert out[0] == ("ok", False) and out[1] == ("ok", False)
    assert out[2] == ("ok", True) and out[3] == ("ok", False)
    assert out[14] == ("raise", "InvalidUpdateError", out[14][2])
    assert out[14][2].startswith("At key 'x': Value zz not in {")


def test_named_barrier_error_message_exact():
    names = {"a"}
    msgs = []
    for mod in IMPLS.values():
        ch = mod.NamedBarrierValue(str, names)
        ch.key = "k"
        with pytest.raises(Exception) as info:
            ch.update(["q"])
        msgs.append((type(info.value).__name__, str(info.value)))
    assert msgs[0] == msgs[1] == ("InvalidUpdateError", "At key 'k': Value q not in {'a'}")


# ---------------------------------------------------------------------------
# Protocol surface: constructors, equality, types, abstractness


def test_exports_match():
    expected = set(lg_channels.__all__) - {"DeltaChannel"}
    assert expected <= set(jit_channels.__all__)
    for name in expected:
        assert hasattr(jit_channels, name)
    mods = {
        "base": ["BaseChannel"],
        "last_value": ["LastValue", "LastValueAfterFinish"],
        "topic": ["Topic"],
        "binop": ["BinaryOperatorAggregate"],
        "ephemeral_value": ["EphemeralValue"],
        "any_value": ["AnyValue"],
        "untracked_value": ["UntrackedValue"],
        "named_barrier_value": ["NamedBarrierValue", "NamedBarrierValueAfterFinish"],
    }
    import importlib

    for mod, names in mods.items():
        m = importlib.import_module(f"langgraph_jit.channels.{mod}")
        for n in names:
            assert getattr(m, n) is getattr(jit_channels, n)


def _instances(mod):
    add = operator.add
    return [
        mod.LastValue(int),
        mod.LastValue(str, "k"),
        mod.LastValueAfterFinish(int),
        mod.AnyValue(int),
        mod.EphemeralValue(int),
        mod.EphemeralValue(int, guard=False),
        mod.UntrackedValue(int),
        mod.UntrackedValue(int, guard=False),
        mod.BinaryOperatorAggregate(int, add),
        mod.BinaryOperatorAggregate(int, operator.mul),
        mod.BinaryOperatorAggregate(list, lambda a, b: a + b),
        mod.Topic(int),
        mod.Topic(int, accumulate=True),
        mod.Topic(str),
        mod.NamedBarrierValue(str, {"a"}),
        mod.NamedBarrierValue(str, {"a", "b"}),
        mod.NamedBarrierValueAfterFinish(str, {"a"}),
    ]


def test_equality_matrix():
    lg, jit = _instances(lg_channels), _instances(jit_channels)
    lg_eq = [[a == b for b in lg] for a in lg]
    jit_eq = [[a == b for b in jit] for a in jit]
    assert lg_eq == jit_eq
    for a, b in zip(lg, jit):
        assert type(a).__name__ == type(b).__name__
        assert a.ValueType == b.ValueType
        assert a.UpdateType == b.UpdateType
        assert a.key == b.key
        assert (a.__hash__ is None) == (b.__hash__ is None)
        assert a.copy() == a and b.copy() == b
        assert type(b.copy()) is type(b)
        assert isinstance(b, jit_channels.BaseChannel)


def test_base_channel_is_abstract_and_generic():
    for mod in IMPLS.values():
        with pytest.raises(TypeError):
            mod.BaseChannel(int)
        mod.BaseChannel[int, int, int]
        mod.LastValue[int](int)

    class Custom(jit_channels.BaseChannel[int, int, int]):
        __slots__ = ("v",)

        def __init__(self, typ, key=""):
            super().__init__(typ, key)
            self.v = None

        ValueType = property(lambda self: int)
        UpdateType = property(lambda self: int)

        def from_checkpoint(self, checkpoint):
            new = Custom(self.typ, self.key)
            if checkpoint is not JIT_MISSING:
                new.v = checkpoint
            return new

        def get(self):
            if self.v is None:
                raise jit_errors.EmptyChannelError()
            return self.v

        def update(self, values):
            if values:
                self.v = values[-1]
            return bool(values)

    c = Custom(int, "c")
    assert c.checkpoint() is JIT_MISSING and not c.is_available()
    assert c.update([3]) and c.copy().get() == 3 and c.is_available()
    assert not c.consume() and not c.finish()


def test_subclass_copy_keeps_subclass():
    class MyAgg(jit_channels.BinaryOperatorAggregate):
        __slots__ = ("extra",)

        def __init__(self, typ, op):
            super().__init__(typ, op)
            self.extra = "set"

    ch = MyAgg(list, operator.add)
    ch.update([[1]])
    for other in (ch.copy(), ch.from_checkpoint([2]), ch.from_checkpoint(JIT_MISSING)):
        assert type(other) is MyAgg and other.extra == "set"


def test_no_numba_or_langchain_on_import():
    code = (
        "import sys, langgraph_jit.channels, langgraph_jit.errors;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('numba','langchain_core','langgraph')];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# ---------------------------------------------------------------------------
# Errors


def test_error_surface():
    for name in lg_errors.__all__:
        assert hasattr(jit_errors, name), name
    assert [(m.name, m.value) for m in lg_errors.ErrorCode] == [
        (m.name, m.value) for m in jit_errors.ErrorCode
    ]
    for code in lg_errors.ErrorCode:
        assert lg_errors.create_error_message(message="m", error_code=code) == (
            jit_errors.create_error_message(message="m", error_code=jit_errors.ErrorCode[code.name])
        )
    for name in lg_errors.__all__:
        lg_obj, jit_obj = getattr(lg_errors, name), getattr(jit_errors, name)
        if isinstance(lg_obj, type):
            lg_bases = [b.__name__ for b in lg_obj.__mro__]
            jit_bases = [b.__name__ for b in jit_obj.__mro__]
            assert lg_bases == jit_bases, name


def _error_cases(mod):
    return [
        lambda: mod.GraphRecursionError("limit"),
        lambda: mod.InvalidUpdateError("bad"),
        lambda: mod.EmptyInputError(),
        lambda: mod.TaskNotFound("t"),
        lambda: mod.GraphBubbleUp(),
        lambda: mod.GraphInterrupt(),
        lambda: mod.GraphInterrupt(("a", "b")),
        lambda: mod.ParentCommand("cmd"),
        lambda: mod.GraphDrained(),
        lambda: mod.GraphDrained("sigterm"),
        lambda: mod.EmptyChannelError(),
        lambda: mod.NodeCancelledError("n"),
        lambda: mod.NodeCancelledError("n", "custom"),
        lambda: mod.NodeTimeoutError("n", 1.5, kind="run", run_timeout=1.0),
        lambda: mod.NodeTimeoutError("n", 2.25, kind="idle", idle_timeout=2.0, run_timeout=9),
        lambda: mod.NodeTimeoutError("n", 1.0, kind="idle"),
        lambda: mod.NodeTimeoutError("n", 1.0, kind="run"),
        lambda: mod.NodeTimeoutError("n", 1.0, kind="other"),
        lambda: mod.UnknownInterruptError(
            "u", reason="ambiguous", interrupt_ids=["a"], pending_ids=("b",)
        ),
    ]


ATTRS = (
    "reason",
    "node",
    "elapsed",
    "kind",
    "timeout",
    "idle_timeout",
    "run_timeout",
    "interrupt_ids",
    "pending_ids",
)


def test_error_instances():
    for make_lg, make_jit in zip(_error_cases(lg_errors), _error_cases(jit_errors)):
        res = []
        for make in (make_lg, make_jit):
            try:
                e = make()
            except Exception as exc:
                res.append(("raise", type(exc).__name__, str(exc)))
                continue
            res.append(
                (
                    type(e).__name__,
                    e.args,
                    str(e),
                    repr(e),
                    {a: getattr(e, a) for a in ATTRS if hasattr(e, a)},
                )
            )
        assert res[0] == res[1]


def test_node_error_and_invalid_resume():
    lg = lg_errors.NodeError("n", ValueError("x"))
    jit = jit_errors.NodeError("n", lg.error)
    assert repr(lg) == repr(jit)
    assert jit == jit_errors.NodeError("n", lg.error)
    with pytest.raises(Exception) as info:
        jit.node = "m"
    assert type(info.value).__name__ == "FrozenInstanceError"
    assert not hasattr(jit, "__dict__")
    err = ValueError()
    assert jit_errors.is_invalid_resume(err) is False
    lg_errors._mark_invalid_resume(err)
    assert jit_errors.is_invalid_resume(err) is True
    err2 = ValueError()
    jit_errors._mark_invalid_resume(err2)
    assert lg_errors.is_invalid_resume(err2) is True


def test_node_interrupt_deprecated():
    assert jit_errors.NodeInterrupt.__deprecated__ == lg_errors.NodeInterrupt.__deprecated__
    pytest.importorskip("langgraph_jit.types")
    with pytest.warns(DeprecationWarning, match="NodeInterrupt is deprecated"):
        e = jit_errors.NodeInterrupt("v", id="i")
    assert isinstance(e, jit_errors.GraphInterrupt)
    (interrupts,) = e.args
    assert interrupts[0].value == "v" and interrupts[0].id == "i"
