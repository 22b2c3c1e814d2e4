"""Differential tests of the channel and error types against real LangGraph 1.2.22: exports,
constructors, equality, abstractness and subclassing, import hygiene, and the error classes
(messages, attributes, NodeError, invalid resume, NodeInterrupt).
"""

from __future__ import annotations

import operator
import subprocess
import sys

import pytest

lg_channels = pytest.importorskip("langgraph.channels")
import langgraph.errors as lg_errors  # noqa: E402

import langgraph_jit.channels as jit_channels  # noqa: E402
import langgraph_jit.errors as jit_errors  # noqa: E402
from _channels_diff_common import IMPLS  # noqa: E402
from langgraph_jit._constants import MISSING as JIT_MISSING  # noqa: E402

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
