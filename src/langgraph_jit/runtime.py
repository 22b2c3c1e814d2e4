"""The run-scoped context a node can ask for: `Runtime` and `get_runtime()`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

ContextT = TypeVar("ContextT")

__all__ = ("Runtime", "ExecutionInfo", "get_runtime")


def _no_op_writer(chunk: Any) -> None:
    pass


@dataclass(frozen=True)
class ExecutionInfo:
    """Where a task runs: its checkpoint, namespace, ids and attempt."""

    checkpoint_id: str | None = None
    checkpoint_ns: str = ""
    task_id: str | None = None
    thread_id: str | None = None
    run_id: str | None = None
    node_attempt: int = 1
    node_first_attempt_time: float | None = None


@dataclass(frozen=True)
class Runtime(Generic[ContextT]):
    """Run-scoped values injected into nodes that declare a `runtime` parameter."""

    context: ContextT = None  # type: ignore[assignment]
    store: Any = None
    stream_writer: Any = field(default=_no_op_writer)
    previous: Any = None
    execution_info: ExecutionInfo | None = None
    server_info: Any = None

    def override(self, **overrides: Any) -> Runtime[ContextT]:
        return replace(self, **overrides)

    def merge(self, other: Runtime[ContextT]) -> Runtime[ContextT]:
        return Runtime(
            context=other.context or self.context,
            store=other.store or self.store,
            stream_writer=other.stream_writer
            if other.stream_writer is not _no_op_writer
            else self.stream_writer,
            previous=self.previous if other.previous is None else other.previous,
            execution_info=other.execution_info or self.execution_info,
            server_info=other.server_info or self.server_info,
        )

    def heartbeat(self) -> None:
        """Refresh an idle timeout (timeouts are not enforced yet: a no-op)."""


def get_runtime(context_schema: Any = None) -> Runtime:
    """The Runtime of the task running in this context."""
    from langgraph_jit.pregel._runner import CURRENT_TASK

    task = CURRENT_TASK.get()
    if task is None:
        raise RuntimeError("Called get_config outside of a runnable context")
    return task.runtime
