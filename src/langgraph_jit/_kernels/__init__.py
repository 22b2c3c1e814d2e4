"""Chooses how the step kernels run: compiled by numba, or as plain Python.

numba is imported only when a compiled kernel is first requested (or by
`warmup()`), never at `import langgraph_jit`.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

from langgraph_jit._kernels import step_python

logger = logging.getLogger("langgraph_jit")

# Two thresholds, both from `NUMBA_CACHE_DIR=/tmp/numba_cache python -m
# asv_bench.investigate.kernel_threshold` (asv_bench/investigate/kernel_threshold.json, µs per
# superstep, interpreted vs compiled) and `python -m asv_bench.compare`:
#
# * What pays is work per step, not graph size. On chain-like graphs (one task
#   per step) the compiled kernel loses ~1 µs/step to the list<->array
#   conversions against the interpreted twin (step_python) up to ~1300 nodes
#   (100 nodes: 3.70 vs 2.75 µs/step); on wide steps (many nodes run, many
#   channels bumped) it wins from ~10 nodes per step (fan-in N=10: 5.9 vs
#   6.2 µs, N=20: 7.8 vs 10.1, N=100: 22.8 vs 42.0). So in "auto" mode a run
#   starts interpreted and switches to the compiled kernel at its first step
#   that runs at least DEFAULT_WIDE_STEP nodes (one O(state) conversion, same
#   results). Steps that only write many channels (a StateGraph's input step)
#   do not count: in `python -m asv_bench.compare` promoting on them made the
#   300-key state workloads slower than staying interpreted.
# * DEFAULT_NODE_THRESHOLD: graphs this large start compiled outright; at this
#   size a full planning scan alone favours the kernel.
DEFAULT_WIDE_STEP = 16
DEFAULT_NODE_THRESHOLD = 5000

_compiled: ModuleType | None = None
_compiled_failed = False
_mode_logged = False


def jit_disabled_by_env() -> bool:
    return os.environ.get("LANGGRAPH_JIT_DISABLE_JIT", "").strip().lower() in (
        "1",
        "true",
        "yes",
    )


# (mode, node threshold, wide-step threshold), read from the environment at
# first use: every run asks, and os.environ lookups cost more than the rest
# of a small run's table setup. reload_settings() re-reads them.
_settings: tuple[str, int, int] | None = None


def _int_setting(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _read_settings() -> tuple[str, int, int]:
    global _settings
    mode = os.environ.get("LANGGRAPH_JIT_KERNELS", "auto").strip().lower()
    if mode not in ("auto", "compiled", "python"):
        raise ValueError(
            f"LANGGRAPH_JIT_KERNELS must be 'auto', 'compiled' or 'python', got {mode!r}"
        )
    _settings = (
        mode,
        _int_setting("LANGGRAPH_JIT_NODE_THRESHOLD", DEFAULT_NODE_THRESHOLD),
        _int_setting("LANGGRAPH_JIT_WIDE_STEP", DEFAULT_WIDE_STEP),
    )
    return _settings


def reload_settings() -> None:
    """Re-read LANGGRAPH_JIT_KERNELS, _NODE_THRESHOLD and _WIDE_STEP (they
    are read once, at first use)."""
    global _settings
    _settings = None


def kernel_mode() -> str:
    """'auto' (by graph size), 'compiled' (always) or 'python' (never)."""
    return (_settings or _read_settings())[0]


def node_threshold() -> int:
    return (_settings or _read_settings())[1]


def wide_step_threshold() -> int:
    return (_settings or _read_settings())[2]


def promotion_target() -> ModuleType | None:
    """The compiled kernels a run in "auto" mode may switch to mid-run."""
    if kernel_mode() != "auto":
        return None
    return _load_compiled()


def _load_compiled() -> ModuleType | None:
    global _compiled, _compiled_failed, _mode_logged
    if _compiled is not None or _compiled_failed:
        return _compiled
    if jit_disabled_by_env():
        _compiled_failed = True
    else:
        try:
            from langgraph_jit._kernels import compiled
        except ImportError as exc:
            logger.debug("langgraph_jit: numba unavailable (%s)", exc)
            _compiled_failed = True
        else:
            _compiled = compiled
    if not _mode_logged:
        _mode_logged = True
        logger.debug(
            "langgraph_jit: step kernels run %s",
            "compiled (numba)" if _compiled is not None else "as plain Python",
        )
    return _compiled


def jit_enabled() -> bool:
    """True when compiled kernels are available in this process."""
    return _load_compiled() is not None


def kernels_for(n_nodes: int, mode: str | None = None) -> tuple[ModuleType, bool]:
    """The kernel namespace a graph of this size should use, and whether it
    is the compiled one (`mode`: kernel_mode(), if the caller has it)."""
    if mode is None:
        mode = kernel_mode()
    if mode == "python" or (mode == "auto" and n_nodes < node_threshold()):
        return step_python, False
    compiled = _load_compiled()
    if compiled is None:
        return step_python, False
    return compiled, True


def warmup() -> bool:
    """Compile (or load from cache) every kernel now; returns jit_enabled()."""
    compiled = _load_compiled()
    if compiled is None:
        return False
    import numpy as np

    one = np.zeros(2, np.int64)
    flags = np.zeros(1, np.uint8)
    compiled.plan_nodes(one, one[:1], one, flags, one[:1], flags, one[:1], 0, one.copy())
    compiled.commit_and_plan(
        one,
        one[:1],
        one,
        one[:1],
        one.copy(),
        flags.copy(),
        one[:1].copy(),
        one[:1],
        0,
        one[:1],
        flags,
        0,
        1,
        one[:1].copy(),
        1,
        one.copy(),
    )
    return True
