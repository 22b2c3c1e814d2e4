"""Differential tests: every channel against real LangGraph 1.2.22, driven through the same
operation sequences (random and hand-written); checkpoints are also loaded across
implementations. The lock-step driver is in _channels_diff_common.
"""

from __future__ import annotations

import collections.abc
import operator
import random
import typing
from typing import Annotated, NotRequired, Optional, Required

import pytest

lg_channels = pytest.importorskip("langgraph.channels")
from langgraph.checkpoint.serde.types import _DeltaSnapshot  # noqa: E402

import langgraph_jit.channels as jit_channels  # noqa: E402
from _channels_diff_common import IMPLS, JIT, LG, Driver, outcome  # noqa: E402

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
