"""Chooses how the step kernels run: compiled by numba, or as plain Python.

numba is imported only when a compiled kernel is first requested (or by
`warmup()`), never at `import langgraph_jit`. In "auto" mode no run waits for
it: the first run that would use the compiled kernels starts loading them on a
background thread and carries on with their Python twins (same results); runs
switch once the kernels are loaded and warm. Only LANGGRAPH_JIT_KERNELS=compiled
and `warmup()` wait, because the caller asked for exactly that.
"""

from __future__ import annotations

import logging
import os
import threading
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
# A plan that examines every node (after a step that updated nothing, or from a
# checkpoint without updated channels) switches an auto-mode run to the loaded compiled
# kernels from this many nodes: `python -m asv_bench.investigate.step_kernels --kernels
# plan_nodes` (the scan 8x faster at 100 nodes, 15x at 1,000; a whole invoke of a graph
# that runs one node 1.3x at 100, 1.6-1.7x at 1,000-10,000).
SCAN_PROMOTE = 100

_compiled: ModuleType | None = None  # loaded and warm
_compiled_failed = False
_mode_logged = False
# Serialises loading: the background loader holds it while it imports and warms,
# so a caller that must wait (compiled mode, warmup()) waits for that one load.
_load_lock = threading.Lock()
_background: threading.Thread | None = None


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
    """The compiled kernels a run in "auto" mode may switch to mid-run (a wide
    step): the loaded ones, once something else loaded them (`warmup()`, a
    compiled_node, numeric array folds); never a reason to load numba. Timed as
    whole runs the step kernels are at parity with their twins from 1k to 100k
    tasks a step (0.94-1.02x), while loading numba costs ~0.4 s of CPU and its
    ~35,000 objects slow every later collection: the 10,000-task numeric fan-out
    ran 92.6 ms with the loader started by its wide steps against 86.1 ms without."""
    if kernel_mode() != "auto":
        return None
    return _compiled


def kernels_loading() -> bool:
    """True while compiled kernels may still come: not loaded yet, not failed (the
    loader not started yet, or still importing and warming them)."""
    return _compiled is None and not _compiled_failed


# The background loader starts at the second ask (numeric array folds: reduce_kernels),
# not the first: a process that runs one such step
# can never win back what loading costs (~0.4 s of CPU with a warm cache), and its one run then pays
# neither the thread start nor the import's contention for the GIL (+0.27 ms on the
# first invoke of a 20-node fan-out in a fresh process, over the fallback's 1.35 ms).
LOAD_AT_ASK = 2
_asks = 0


def _compiled_or_start() -> ModuleType | None:
    """The warm compiled kernels if ready; otherwise None, starting the background
    loader (once) from the LOAD_AT_ASK-th ask on."""
    global _asks, _compiled_failed
    if _compiled is not None or _compiled_failed:
        return _compiled
    if jit_disabled_by_env():  # no thread for a load that cannot happen
        _compiled_failed = True
        return None
    _asks += 1
    if _asks >= LOAD_AT_ASK:
        start_background_load()
    return None


def start_background_load() -> None:
    """Import numba and load (or compile) the kernels on a daemon thread."""
    global _background
    if _background is not None or _compiled is not None or _compiled_failed:
        return
    with _load_lock:
        if _background is not None or _compiled is not None or _compiled_failed:
            return
        # Started under the lock, so the loader's own acquire waits for this
        # block to finish and `_background` is set before anyone can see it run.
        _background = threading.Thread(
            target=_load_compiled, name="langgraph_jit-kernels", daemon=True
        )
        _background.start()


def _load_compiled() -> ModuleType | None:
    """Load and warm the compiled kernels, waiting for a load in progress."""
    global _compiled, _compiled_failed, _mode_logged
    if _compiled is not None or _compiled_failed:
        return _compiled
    with _load_lock:
        if _compiled is not None or _compiled_failed:
            return _compiled
        module = None
        if not jit_disabled_by_env():
            try:
                from langgraph_jit._kernels import compiled

                _warm(compiled)
            except ImportError as exc:
                logger.debug("langgraph_jit: numba unavailable (%s)", exc)
            except Exception as exc:  # a broken numba/llvmlite install: run interpreted
                logger.warning("langgraph_jit: compiled kernels failed to load: %r", exc)
            else:
                module = compiled
        if module is None:
            _compiled_failed = True
        _compiled = module
        if not _mode_logged:
            _mode_logged = True
            logger.debug(
                "langgraph_jit: step kernels run %s",
                "compiled (numba)" if module is not None else "as plain Python",
            )
    return _compiled


def jit_enabled() -> bool:
    """True when compiled kernels are available in this process (loads them)."""
    return _load_compiled() is not None


def reduce_kernels() -> ModuleType | None:
    """The compiled numeric reducers (`reduce_source`), or None where their
    interpreted twins run: python mode, numba missing or disabled, or (auto
    mode) while the background loader is still at work."""
    mode = kernel_mode()
    if mode == "python":
        return None
    if mode == "compiled":
        return _load_compiled()
    return _compiled_or_start()


def loaded_reduce_kernels() -> ModuleType | None:
    """reduce_kernels() for folds of Python numbers (what plain nodes write): the
    compiled folds only once something else loaded numba (or
    LANGGRAPH_JIT_KERNELS=compiled asks for them); never a reason to load it.
    Gathering Python numbers into an array costs most of what the kernel saves
    (1.3x for floats, 3x for ints at 10,000 writes), while `import numba` adds ~35,000
    objects to the heap, which the collector's full passes then walk: the 10,000-task
    numeric fan-out ran 25-40% slower once numba was imported, and 2.8x slower in
    `python -m asv_bench.compare` (540 vs 97 ms, min of the jit and jit-fallback rows)."""
    mode = kernel_mode()
    if mode == "python":
        return None
    if mode == "compiled":
        return _load_compiled()
    return _compiled


def kernels_for(n_nodes: int, mode: str | None = None) -> tuple[ModuleType, bool]:
    """The kernel namespace a graph of this size should use, and whether it
    is the compiled one (`mode`: kernel_mode(), if the caller has it). In
    "auto" mode a large graph gets the compiled kernels only if they are
    already loaded (see `promotion_target`)."""
    if mode is None:
        mode = kernel_mode()
    if mode == "python" or (mode == "auto" and n_nodes < node_threshold()):
        return step_python, False
    compiled = _compiled if mode == "auto" else _load_compiled()  # see promotion_target
    if compiled is None:
        return step_python, False
    return compiled, True


def warmup(*, background: bool = False) -> bool:
    """Load (from the cache) or compile the step kernels now. With
    `background=True` return at once and load on a daemon thread (runs keep the
    Python kernels until it is done). Returns whether compiled kernels are (or,
    in the background case, may become) available."""
    if background:
        start_background_load()
        return not _compiled_failed
    return _load_compiled() is not None


def _warm(compiled: ModuleType) -> None:
    """Call every kernel once on tiny inputs of the engine's exact dtypes, so
    each signature is compiled or loaded before a run relies on it."""
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
    floats = np.zeros(2, np.float64)
    compiled.fold_float(0.0, 0, floats)
    compiled.fold_int(0, 0, one)
    compiled.bin_counts(floats, one[:1].copy(), floats)
