"""How ToolNode turns a tool's exception into a ToolMessage: the message
templates and the `handle_tool_errors` policies (bool, str, callable, types).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

__all__ = (
    "INVALID_TOOL_NAME_ERROR_TEMPLATE",
    "TOOL_CALL_ERROR_TEMPLATE",
    "TOOL_EXECUTION_ERROR_TEMPLATE",
    "TOOL_INVOCATION_ERROR_TEMPLATE",
)

# Message texts are part of the observable behaviour (they end up in state).
INVALID_TOOL_NAME_ERROR_TEMPLATE = (
    "Error: {requested_tool} is not a valid tool, try one of [{available_tools}]."
)
TOOL_CALL_ERROR_TEMPLATE = "Error: {error}\n Please fix your mistakes."
TOOL_EXECUTION_ERROR_TEMPLATE = (
    "Error executing tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)
TOOL_INVOCATION_ERROR_TEMPLATE = (
    "Error invoking tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)


def _error_content(e: Exception, flag: Any) -> str:
    if isinstance(flag, (bool, tuple)) or (isinstance(flag, type) and issubclass(flag, Exception)):
        return TOOL_CALL_ERROR_TEMPLATE.format(error=repr(e))
    if isinstance(flag, str):
        return flag
    if callable(flag):
        return flag(e)
    raise ValueError(
        "Got unexpected type of `handle_tool_error`. Expected bool, str "
        f"or callable. Received: {flag}"
    )


def _handled_types(flag: Any) -> tuple[type[BaseException], ...]:
    if isinstance(flag, type) and issubclass(flag, Exception):
        return (flag,)
    if isinstance(flag, tuple):
        return flag
    if callable(flag) and not isinstance(flag, type):
        return _types_from_handler(flag)
    return (Exception,)


def _types_from_handler(handler: Callable) -> tuple[type[BaseException], ...]:
    """Exception types a handler accepts, from its first parameter's annotation."""
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError):
        return (Exception,)
    params = list(sig.parameters.values())
    if not params:
        return (Exception,)
    try:
        hints = get_type_hints(handler)
        ann = hints.get(params[0].name, params[0].annotation)
    except Exception:
        ann = params[0].annotation
    if ann is inspect.Parameter.empty:
        return (Exception,)
    origin = get_origin(ann)
    candidates = get_args(ann) if origin in (Union, UnionType) else (ann,)
    out = []
    for t in candidates:
        if isinstance(t, type) and issubclass(t, Exception):
            out.append(t)
        else:
            raise ValueError(
                f"Arbitrary types are not supported in the error handler signature. "
                f"Please annotate the error with either a specific Exception type or a union of "
                f"Exception types. Got error type annotation: {ann}"
            )
    return tuple(out) or (Exception,)
