"""The lock-step driver of the channel differential tests (tests/test_channels_diff_*.py).

Both implementations are driven through the same operation sequences and must agree on
every observable result; checkpoints are also loaded across implementations.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

lg_channels = pytest.importorskip("langgraph.channels")
from langgraph._internal._typing import MISSING as LG_MISSING  # noqa: E402
from langgraph.types import Overwrite as LgOverwrite  # noqa: E402

import langgraph_jit.channels as jit_channels  # noqa: E402
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
