"""numba-compiled versions of the kernels. The only module that imports numba.

The kernels are the functions of `step_source` (per-step bookkeeping) and
`reduce_source` (numeric reducers), compiled from the same source text, so the
compiled and interpreted paths cannot drift apart.
"""

from __future__ import annotations

import logging
import os
import warnings
from types import ModuleType

import numba

from langgraph_jit._kernels import reduce_source, step_source
from langgraph_jit._kernels.cache import cache_dir

logger = logging.getLogger("langgraph_jit")

KERNEL_NAMES = ("node_is_triggered", "plan_nodes", "commit_and_plan")
REDUCE_KERNEL_NAMES = ("fold_float", "fold_int", "bin_counts")


def _njit(func):
    """njit with an on-disk cache; without a writable cache location numba
    raises at decoration time, so compile uncached instead of failing."""
    try:
        return numba.njit(cache=True, nogil=True)(func)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        warnings.warn(
            f"langgraph_jit: numba cache unavailable ({exc}); compiling without cache",
            RuntimeWarning,
            stacklevel=2,
        )
        return numba.njit(cache=False, nogil=True)(func)


def _compile_namespace(source: ModuleType, names: tuple[str, ...]) -> dict:
    # Re-execute the kernel source in a private namespace and swap each
    # function for its dispatcher there, so kernels calling kernels resolve
    # to compiled code.
    path = source.__file__
    assert path is not None
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), path, "exec")
    namespace: dict = {"__name__": source.__name__, "__file__": path}
    exec(code, namespace)
    for name in names:
        namespace[name] = _njit(namespace[name])
    return namespace


def _use_cache_dir() -> None:
    # numba read NUMBA_CACHE_DIR when it was imported; its cache locators read
    # numba.config.CACHE_DIR when a cached function is declared (below), so
    # setting the config here is enough and leaves the environment alone.
    path = cache_dir()
    if path == numba.config.CACHE_DIR:  # type: ignore[attr-defined]
        return
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:  # e.g. a read-only home: numba's own locators decide
        logger.debug("langgraph_jit: numba cache dir %s unusable (%s)", path, exc)
        return
    numba.config.CACHE_DIR = path  # type: ignore[attr-defined]


_use_cache_dir()
_namespace = _compile_namespace(step_source, KERNEL_NAMES)
node_is_triggered = _namespace["node_is_triggered"]
plan_nodes = _namespace["plan_nodes"]
commit_and_plan = _namespace["commit_and_plan"]
_reduce = _compile_namespace(reduce_source, REDUCE_KERNEL_NAMES)
fold_float = _reduce["fold_float"]
fold_int = _reduce["fold_int"]
bin_counts = _reduce["bin_counts"]


def jit_function(func):
    """njit for a function made at run time (a compiled node's rewrite and loop):
    no on-disk cache, since its source is not a file numba can stamp."""
    return numba.njit(nogil=True)(func)


def compile_for(dispatcher, args) -> None:
    """Compile `dispatcher` for the types of `args` without running it (typing errors
    raise here; what the code raises at run time does not)."""
    dispatcher.compile(tuple(numba.typeof(a) for a in args))
