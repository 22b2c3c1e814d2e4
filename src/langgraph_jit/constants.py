"""Public constants, with the same names and values as `langgraph.constants`.

The private reserved strings the engine uses live in `langgraph_jit._constants`.
"""

import sys
from types import ModuleType

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
    # LangGraph still resolves Send, Interrupt and its private constants here,
    # with a deprecation warning; programs written against it may rely on that.
    # The messages name LangGraph's module paths, which is what users import.
    if name.startswith("__"):  # the import system probing (__path__, ...)
        raise AttributeError(f"module has no attribute '{name}'")
    import warnings

    from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

    if name in ("Send", "Interrupt"):
        from langgraph_jit import types

        warnings.warn(
            f"Importing {name} from langgraph.constants is deprecated. "
            f"Please use 'from langgraph.types import {name}' instead.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return getattr(types, name)
    from langgraph_jit import _constants

    value = getattr(_constants, name, None)
    if value is not None and not isinstance(value, ModuleType):
        warnings.warn(
            f"Importing {name} from langgraph.constants is deprecated. "
            "This constant is now private and should not be used directly.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module has no attribute '{name}'")
