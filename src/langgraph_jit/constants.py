"""Public constants, with the same names and values as `langgraph.constants`.

The private reserved strings the engine uses live in `langgraph_jit._constants`.
"""

import sys

from langgraph_jit._constants import CONF, CONFIG_KEY_CHECKPOINTER, TASKS

__all__ = (
    "CONF",
    "CONFIG_KEY_CHECKPOINTER",
    "END",
    "START",
    "TAG_HIDDEN",
    "TAG_NOSTREAM",
    "TASKS",
)

TAG_NOSTREAM = sys.intern("nostream")
TAG_HIDDEN = sys.intern("langsmith:hidden")
END = sys.intern("__end__")
START = sys.intern("__start__")


def __getattr__(name: str):
    # LangGraph still resolves its private constants here (with a deprecation
    # warning); programs written against it may rely on that.
    import warnings

    if name in ("Send", "Interrupt"):
        from langgraph_jit import types

        warnings.warn(
            f"Importing {name} from langgraph_jit.constants is deprecated. "
            f"Please use 'from langgraph_jit.types import {name}' instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(types, name)
    from langgraph_jit import _constants

    if hasattr(_constants, name):
        warnings.warn(
            f"Importing {name} from langgraph_jit.constants is deprecated.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(_constants, name)
    raise AttributeError(f"module has no attribute '{name}'")
