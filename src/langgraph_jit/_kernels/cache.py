"""Where numba keeps the compiled kernels between processes."""

from __future__ import annotations

import os


def cache_dir() -> str:
    """$NUMBA_CACHE_DIR when set, else a per-user cache directory
    ($XDG_CACHE_HOME or ~/.cache, then langgraph_jit/numba): never beside the
    installed source, which may be read-only or shared between users."""
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "langgraph_jit", "numba")
