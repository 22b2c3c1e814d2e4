"""Exceptions and error codes, with the same names, bases and messages as `langgraph.errors`.

Messages are kept byte-identical because user code and tests match on them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

# Defined with the checkpoint layer (as in LangGraph), which sits below this module.
from langgraph_jit.checkpoint.base import EmptyChannelError
from langgraph_jit.types import Interrupt
from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

__all__ = (
    "EmptyChannelError",
    "EmptyInputError",
    "ErrorCode",
    "GraphBubbleUp",
    "GraphDrained",
    "GraphInterrupt",
    "GraphRecursionError",
    "InvalidUpdateError",
    "NodeCancelledError",
    "NodeError",
    "NodeInterrupt",
    "NodeTimeoutError",
    "ParentCommand",
    "TaskNotFound",
    "UnknownInterruptError",
    "is_invalid_resume",
)

_TROUBLESHOOTING_URL = "https://docs.langchain.com/oss/python/langgraph/errors/"


class ErrorCode(Enum):
    GRAPH_RECURSION_LIMIT = "GRAPH_RECURSION_LIMIT"
    INVALID_CONCURRENT_GRAPH_UPDATE = "INVALID_CONCURRENT_GRAPH_UPDATE"
    INVALID_GRAPH_NODE_RETURN_VALUE = "INVALID_GRAPH_NODE_RETURN_VALUE"
    MULTIPLE_SUBGRAPHS = "MULTIPLE_SUBGRAPHS"
    INVALID_CHAT_HISTORY = "INVALID_CHAT_HISTORY"


def create_error_message(*, message: str, error_code: ErrorCode) -> str:
    """Append the troubleshooting link for `error_code` to `message`."""
    return f"{message}\nFor troubleshooting, visit: {_TROUBLESHOOTING_URL}{error_code.value}"


class GraphRecursionError(RecursionError):
    """The run used up its `recursion_limit` supersteps; raise the limit in the config."""


class InvalidUpdateError(Exception):
    """A channel got a set of writes it cannot accept (or a node returned something unusable)."""


class GraphBubbleUp(Exception):
    """Control-flow signal that travels up through nodes and graphs; never retried."""


class GraphDrained(GraphBubbleUp):
    """The run stopped at a superstep boundary because a drain was requested."""

    def __init__(self, reason: str = "shutdown") -> None:
        self.reason = reason
        super().__init__(f"Graph drained: {reason}")


class GraphInterrupt(GraphBubbleUp):
    """The run paused for human input; the root graph turns it into `__interrupt__`."""

    def __init__(self, interrupts: Sequence[Any] = ()) -> None:
        super().__init__(interrupts)


class NodeInterrupt(GraphInterrupt):
    """Deprecated: raise from a node to interrupt; use `interrupt()` instead."""

    __deprecated__ = (
        "NodeInterrupt is deprecated. Please use [`interrupt`][langgraph.types.interrupt] instead."
    )

    def __init__(self, value: Any, id: str | None = None) -> None:
        warnings.warn(
            "NodeInterrupt is deprecated. Please use `langgraph.types.interrupt` instead.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        if id is None:
            super().__init__([Interrupt(value=value)])
        else:
            super().__init__([Interrupt(value=value, id=id)])


class ParentCommand(GraphBubbleUp):
    """Carries a `Command(graph=Command.PARENT)` up to the parent graph."""

    args: tuple[Any]

    def __init__(self, command: Any) -> None:
        super().__init__(command)


class EmptyInputError(Exception):
    """The graph was given no input (and there was nothing to resume)."""


class TaskNotFound(Exception):
    """An executor could not find the task it was asked to run (distributed mode)."""


class UnknownInterruptError(Exception):
    """A strict resume did not match the pending interrupts.

    `reason` is "not_pending", "empty_map" or "ambiguous"; nothing was written, so the
    interrupts in `pending_ids` can still be answered.
    """

    reason: Literal["not_pending", "empty_map", "ambiguous"]
    interrupt_ids: tuple[str, ...]
    pending_ids: tuple[str, ...]

    def __init__(
        self,
        message: str,
        *,
        reason: Literal["not_pending", "empty_map", "ambiguous"],
        interrupt_ids: Sequence[str] = (),
        pending_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.interrupt_ids = tuple(interrupt_ids)
        self.pending_ids = tuple(pending_ids)


@dataclass(frozen=True, slots=True)
class NodeError:
    """What a node-level error handler receives: the failed node's name and its exception."""

    node: str
    error: BaseException


class NodeCancelledError(Exception):
    """A node body raised `asyncio.CancelledError` itself (reported as a node failure)."""

    node: str

    def __init__(self, node: str, message: str | None = None) -> None:
        super().__init__(message or f"Node {node!r} raised asyncio.CancelledError")
        self.node = node


class NodeTimeoutError(Exception):
    """A node exceeded its idle or run timeout.

    Not a subclass of the built-in `TimeoutError` (an `OSError`), so the default retry
    policy still retries it.
    """

    node: str
    timeout: float
    run_timeout: float | None
    idle_timeout: float | None
    elapsed: float
    kind: Literal["idle", "run"]

    def __init__(
        self,
        node: str,
        elapsed: float,
        *,
        kind: Literal["idle", "run"],
        idle_timeout: float | None = None,
        run_timeout: float | None = None,
    ) -> None:
        if kind == "idle":
            if idle_timeout is None:
                raise ValueError("idle_timeout is required when kind='idle'")
            self.timeout = idle_timeout
            message = (
                f"Node '{node}' exceeded its idle timeout of {idle_timeout:.3f}s "
                f"without making progress (elapsed: {elapsed:.3f}s)."
            )
        elif kind == "run":
            if run_timeout is None:
                raise ValueError("run_timeout is required when kind='run'")
            self.timeout = run_timeout
            message = (
                f"Node '{node}' exceeded its run timeout of {run_timeout:.3f}s "
                f"(elapsed: {elapsed:.3f}s)."
            )
        else:
            raise ValueError("kind must be 'idle' or 'run'")
        super().__init__(message)
        self.node = node
        self.elapsed = elapsed
        self.kind = kind
        self.idle_timeout = idle_timeout
        self.run_timeout = run_timeout


# Attribute set on an exception raised because a resume value failed `response_schema`.
_INVALID_RESUME = "_langgraph_invalid_resume"


def _mark_invalid_resume(error: BaseException) -> None:
    setattr(error, _INVALID_RESUME, True)


def is_invalid_resume(error: BaseException) -> bool:
    """True if `error` came from a resume value that did not match `response_schema`."""
    return getattr(error, _INVALID_RESUME, False) is True


def add_exception_note(exc: BaseException, note: str) -> None:
    """`exc.add_note(note)` where Python has it (3.11+); on 3.10 the note is
    kept in `__notes__` the same way, so tracebacks and callers see it."""
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)
    else:
        notes = getattr(exc, "__notes__", None)
        if notes is None:
            notes = []
            exc.__notes__ = notes  # type: ignore[attr-defined]
        notes.append(note)
