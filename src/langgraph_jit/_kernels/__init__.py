"""Chooses how the step kernels run: compiled by numba, or as plain Python.

numba is imported only when a compiled kernel is first requested (or by
`warmup()`), never at `import langgraph_jit`.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

from langgraph_jit._kernels import step_source

logger = logging.getLogger("langgraph_jit")

# Graphs with at least this many nodes use the compiled step kernel.
# Measured with `NUMBA_CACHE_DIR=/tmp/numba_cache python bench/kernel_threshold.py`
# (bench/results/kernel_threshold.json; µs per superstep, python vs compiled).
# The run loop calls apply_writes every step but a full plan() about once per
# run, and on that mix the compiled kernel loses ~1 µs/step on chain-like
# graphs (one task per step: the list<->array conversions cost more than the
# kernel saves) until ~900 nodes (N=500: 4.7 vs 5.2 µs, N=1000: 5.5 vs 5.4,
# N=2000: 7.3 vs 6.3), while on fan-in steps it wins from ~10 nodes (N=100:
# 48 vs 29 µs). 900 is where it wins on both shapes; it also keeps numba's
# import and cache load (~0.4 s) off typical graphs. Counting a full plan()
# every step instead would put the crossover at ~12 nodes.
DEFAULT_NODE_THRESHOLD = 900

_compiled: ModuleType | None = None
_compiled_failed = False
_mode_logged = False


def jit_disabled_by_env() -> bool:
    return os.environ.get("LANGGRAPH_JIT_DISABLE_JIT", "").strip().lower() in (
        "1",
        "true",
        "yes",
    )


def kernel_mode() -> str:
    """'auto' (by graph size), 'compiled' (always) or 'python' (never)."""
    mode = os.environ.get("LANGGRAPH_JIT_KERNELS", "auto").strip().lower()
    if mode not in ("auto", "compiled", "python"):
        raise ValueError(
            f"LANGGRAPH_JIT_KERNELS must be 'auto', 'compiled' or 'python', got {mode!r}"
        )
    return mode


def node_threshold() -> int:
    raw = os.environ.get("LANGGRAPH_JIT_NODE_THRESHOLD")
    if raw is None:
        return DEFAULT_NODE_THRESHOLD
    try:
        return int(raw)
    except ValueError:
        raise ValueError(
            f"LANGGRAPH_JIT_NODE_THRESHOLD must be an integer, got {raw!r}"
        ) from None


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


def kernels_for(n_nodes: int) -> tuple[ModuleType, bool]:
    """The kernel namespace a graph of this size should use, and whether it
    is the compiled one."""
    mode = kernel_mode()
    if mode == "python" or (mode == "auto" and n_nodes < node_threshold()):
        return step_source, False
    compiled = _load_compiled()
    if compiled is None:
        return step_source, False
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
        one, one[:1], one, one[:1], one.copy(), flags.copy(), one[:1].copy(),
        one[:1], 0, one[:1], flags, 0, 1, one[:1].copy(), 1, one.copy(),
    )
    return True
