"""langgraph_jit: a drop-in, faster runtime for LangGraph programs.

Importing the package loads neither numba nor langchain_core; the compiled
step kernels load on first use or on `warmup()`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = (
    "__version__",
    "compiled_node",
    "install",
    "jit_enabled",
    "profile",
    "progress",
    "warmup",
)


def jit_enabled() -> bool:
    """True when numba is installed, not disabled, and its kernels load."""
    from langgraph_jit._kernels import jit_enabled as _jit_enabled

    return _jit_enabled()


def warmup(*, background: bool = False) -> bool:
    """Load the compiled step kernels now (from numba's on-disk cache, or
    compiling them), so the first large graph runs compiled from its first step.
    With `background=True`, load them on a daemon thread and return at once;
    runs use the Python kernels until they are ready. Without it, returns
    jit_enabled()."""
    from langgraph_jit._kernels import warmup as _warmup

    return _warmup(background=background)


def compiled_node(fn: Any) -> Any:
    """A numeric node function whose Send fan-out runs as one compiled loop over the
    step's packets (see langgraph_jit._kernels.node_batch and docs/kernels.md)."""
    from langgraph_jit._kernels.node_batch import compiled_node as _compiled_node

    return _compiled_node(fn)


def install(*, force: bool = False) -> bool:
    """Run this program's (and its libraries') `import langgraph...` on
    langgraph_jit: call it first thing. LANGGRAPH_JIT=0 leaves LangGraph in
    place unless `force`. Returns whether the switch is on."""
    from langgraph_jit._switch import install as _install

    return _install(force=force)


def profile() -> Any:
    """`with langgraph_jit.profile() as prof: app.invoke(...)`, then `print(prof)`:
    where the graph runs spent their time (nodes, engine, checkpointing, streaming,
    waiting), as a table, `prof.rows()` / `prof.to_dict()`, or `prof.plot()`."""
    from langgraph_jit.profiling import profile as _profile

    return _profile()


def progress(iterable: Any = None, **options: Any) -> Any:
    """Progress (done, rate, ETA) while `iterable` is consumed, e.g.
    `for chunk in progress(app.stream(...))`; tqdm when installed, else a plain
    line. Options: total, desc, unit, count, enabled, use_tqdm, file (see
    langgraph_jit.profiling.progress)."""
    from langgraph_jit.profiling import progress as _progress

    return _progress(iterable, **options)
