"""Context for tools that stream output deltas (`langgraph.pregel._tools`)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

_tool_call_writer: contextvars.ContextVar[Callable[[Any], None] | None] = contextvars.ContextVar(
    "langgraph_jit_tool_call_writer", default=None
)
