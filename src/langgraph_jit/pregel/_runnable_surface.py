"""LangChain's Runnable API on every graph, without importing langchain_core until
a graph uses it.

A LangGraph graph *is* a LangChain Runnable. Ours only registers as one (see
`_lc.adopt`), so the methods a graph does not define itself (`astream_events`,
`astream_log`, `pipe`, `bind`, `map`, `with_retry`, `transform`, ...) are looked
up on LangChain's `Runnable` when first asked for and bound to the graph: they
run on the graph's own `invoke`/`stream`/`astream`, as on LangGraph.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langgraph_jit.channels import BaseChannel
from langgraph_jit.pregel import _schemas
from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

__all__ = ("RunnableSurface",)

_runnable_names: frozenset[str] | None = None

# The public methods of langchain_core's Runnable that a graph borrows (what
# `dir(Runnable)` lists without a leading underscore; a test keeps it in step).
RUNNABLE_PUBLIC_NAMES = frozenset(
    [
        "InputType",
        "OutputType",
        "abatch",
        "abatch_as_completed",
        "ainvoke",
        "as_tool",
        "assign",
        "astream",
        "astream_events",
        "astream_log",
        "atransform",
        "batch",
        "batch_as_completed",
        "bind",
        "config_schema",
        "config_specs",
        "get_config_jsonschema",
        "get_graph",
        "get_input_jsonschema",
        "get_input_schema",
        "get_name",
        "get_output_jsonschema",
        "get_output_schema",
        "get_prompts",
        "input_schema",
        "invoke",
        "map",
        "output_schema",
        "pick",
        "pipe",
        "stream",
        "stream_events",
        "transform",
        "with_alisteners",
        "with_config",
        "with_fallbacks",
        "with_listeners",
        "with_retry",
        "with_types",
    ]
)


def _langchain_runnable() -> Any:
    """langchain_core's Runnable class, imported on first use (None if absent)."""
    try:
        from langchain_core.runnables import Runnable
    except ImportError:
        return None
    return Runnable


def _names(runnable: Any) -> frozenset[str]:
    global _runnable_names
    if _runnable_names is None:
        _runnable_names = frozenset(
            name
            for name in dir(runnable)
            # Dunders are Python's protocol (copy, pickle probe them): never borrowed.
            if not name.startswith("__") and name not in ("_abc_impl", "_is_protocol")
        )
    return _runnable_names


class RunnableSurface:
    """Mixin: the LangChain Runnable methods a graph class does not define, and
    the schemas of its input, output and context (pydantic models)."""

    __slots__ = ()

    # What the graph class provides (Pregel).
    channels: dict[str, Any]
    input_channels: str | Sequence[str]
    output_channels: str | Sequence[str]
    context_schema: Any

    # -- schemas ---------------------------------------------------------

    @property
    def InputType(self) -> Any:
        """The input channel's update type (None when there are several)."""
        if isinstance(self.input_channels, str):
            channel = self.channels[self.input_channels]
            if isinstance(channel, BaseChannel):
                return channel.UpdateType
        return None

    @property
    def OutputType(self) -> Any:
        """The output channel's value type (None when there are several)."""
        if isinstance(self.output_channels, str):
            channel = self.channels[self.output_channels]
            if isinstance(channel, BaseChannel):
                return channel.ValueType
        return None

    def get_input_schema(self, config: dict | None = None) -> Any:
        """A pydantic model of what the graph accepts."""
        return _schemas.input_model(self)

    def get_output_schema(self, config: dict | None = None) -> Any:
        """A pydantic model of what the graph returns."""
        return _schemas.output_model(self)

    @property
    def input_schema(self) -> Any:
        return self.get_input_schema()

    @property
    def output_schema(self) -> Any:
        return self.get_output_schema()

    def get_input_jsonschema(self, config: dict | None = None) -> dict[str, Any]:
        return self.get_input_schema(config).model_json_schema()

    def get_output_jsonschema(self, config: dict | None = None) -> dict[str, Any]:
        return self.get_output_schema(config).model_json_schema()

    def get_context_jsonschema(self) -> dict[str, Any] | None:
        """JSON schema of the context schema (None without one)."""
        return _schemas.context_jsonschema(self.context_schema)

    def config_schema(self, *, include: Sequence[str] | None = None) -> Any:
        warnings.warn(
            "`config_schema` is deprecated. Use `get_context_jsonschema` for the relevant "
            "schema instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return _schemas.config_model(self, include)

    def get_config_jsonschema(self, *, include: Sequence[str] | None = None) -> dict[str, Any]:
        warnings.warn(
            "`get_config_jsonschema` is deprecated. Use `get_context_jsonschema` instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return _schemas.config_model(self, include).model_json_schema()

    # -- the rest of LangChain's Runnable ----------------------------------

    if not TYPE_CHECKING:  # type checkers see only what graphs define

        def __getattr__(self, name: str) -> Any:
            # Only called when normal lookup failed, so the graph's own
            # methods (and every engine attribute) never come through here.
            if name.startswith("__") or (
                # Probing a graph for an attribute it lacks (getattr(g, x, None))
                # must not import langchain_core: only Runnable's public methods
                # do, and once it is loaded its private helpers resolve too.
                name not in RUNNABLE_PUBLIC_NAMES and "langchain_core.runnables" not in sys.modules
            ):
                raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
            runnable = _langchain_runnable()
            if runnable is None or name not in _names(runnable):
                raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
            from langgraph_jit.pregel import _lc

            _lc.langchain_loaded()  # registers graphs as Runnables
            member = inspect.getattr_static(runnable, name)
            if hasattr(member, "__get__"):
                return member.__get__(self, type(self))
            return member
