"""The run-scoped values a node can ask for (`Runtime`: context, store, stream writer, ...)
and `get_runtime()` to fetch them from inside a running task."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from langgraph_jit._constants import CONFIG_KEY_PARENT_TASK, CONFIG_KEY_RUNTIME
from langgraph_jit._context import current_task

if TYPE_CHECKING:
    from langgraph_jit.store.base import BaseStore

ContextT = TypeVar("ContextT")

__all__ = (
    "BaseUser",
    "ExecutionInfo",
    "RunControl",
    "Runtime",
    "ServerInfo",
    "get_runtime",
)

# Configurable keys LangGraph Server sets on the runs it serves.
_SERVER_KEYS = ("assistant_id", "graph_id", "langgraph_auth_user")


@runtime_checkable
class BaseUser(Protocol):
    """The authenticated user of a request served by LangGraph Server (same protocol as
    `langgraph_sdk.auth.types.BaseUser`)."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def display_name(self) -> str: ...

    @property
    def identity(self) -> str: ...

    @property
    def permissions(self) -> Sequence[str]: ...

    def __getitem__(self, key: str) -> Any: ...

    def __contains__(self, key: str) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...


@dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """Where a task runs: its checkpoint, namespace, ids, and which attempt this is."""

    checkpoint_id: str
    checkpoint_ns: str
    task_id: str
    thread_id: str | None = None
    run_id: str | None = None
    node_attempt: int = 1
    node_first_attempt_time: float | None = None

    def patch(self, **overrides: Any) -> ExecutionInfo:
        """A copy with some fields replaced."""
        return replace(self, **overrides)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Set when the graph runs inside LangGraph Server: which assistant and graph, and the user."""

    assistant_id: str
    graph_id: str
    user: BaseUser | None = None


def server_info_from(configurable: dict[str, Any]) -> ServerInfo | None:
    """The ServerInfo a run's configurable describes (None outside LangGraph
    Server: no assistant, graph or authenticated user in it)."""
    if not any(k in configurable for k in _SERVER_KEYS):
        return None
    assistant_id = configurable.get("assistant_id")
    graph_id = configurable.get("graph_id")
    user = configurable.get("langgraph_auth_user")
    # The server's user proxy serves some fields through __getattr__, which
    # the protocol check does not see: having an identity is enough.
    if user is not None and not (isinstance(user, BaseUser) or hasattr(user, "identity")):
        user = None
    if assistant_id is None and graph_id is None and user is None:
        return None
    return ServerInfo(
        assistant_id=str(assistant_id) if assistant_id else "",
        graph_id=str(graph_id) if graph_id else "",
        user=user,
    )


def inherited_context(configurable: dict[str, Any]) -> Any:
    """The context a run given none inherits: its parent task's (a subgraph),
    else that of a runtime object its host put in the config (a server seeds
    one that carries only `context` and `store`)."""
    parent_task = configurable.get(CONFIG_KEY_PARENT_TASK)
    if parent_task is not None:
        return parent_task.run.context
    return getattr(configurable.get(CONFIG_KEY_RUNTIME), "context", None)


class RunControl:
    """A flag a host sets to ask a running graph to wind down; nodes read it via the runtime."""

    __slots__ = ("_drain_reason",)

    def __init__(self) -> None:
        self._drain_reason: str | None = None

    def request_drain(self, reason: str = "shutdown") -> None:
        self._drain_reason = reason

    @property
    def drain_requested(self) -> bool:
        return self._drain_reason is not None

    @property
    def drain_reason(self) -> str | None:
        return self._drain_reason


def _no_op_stream_writer(_: Any) -> None: ...


def _no_op_heartbeat() -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime(Generic[ContextT]):
    """Run-scoped values injected into nodes that declare a `runtime` parameter.

    `context`: the object passed as `invoke(..., context=...)`; `store`: the graph's store;
    `stream_writer`: emits `custom` stream chunks; `heartbeat`: refreshes an idle timeout;
    `previous`: the entrypoint's last return value (functional API with a checkpointer);
    `execution_info`, `server_info`, `control`: task identity, server metadata, drain flag.
    """

    context: ContextT = field(default=None)  # type: ignore[assignment]
    store: BaseStore | None = field(default=None)
    stream_writer: Callable[[Any], None] = field(default=_no_op_stream_writer)
    heartbeat: Callable[[], None] = field(default=_no_op_heartbeat)
    previous: Any = field(default=None)
    execution_info: ExecutionInfo | None = field(default=None)
    server_info: ServerInfo | None = field(default=None)
    control: RunControl | None = field(default=None)

    def merge(self, other: Runtime[ContextT]) -> Runtime[ContextT]:
        """`other`'s values where it has any (truthy / non-default), else ours."""
        return Runtime(
            context=other.context or self.context,
            store=other.store or self.store,
            stream_writer=other.stream_writer
            if other.stream_writer is not _no_op_stream_writer
            else self.stream_writer,
            heartbeat=other.heartbeat
            if other.heartbeat is not _no_op_heartbeat
            else self.heartbeat,
            previous=self.previous if other.previous is None else other.previous,
            execution_info=other.execution_info or self.execution_info,
            server_info=other.server_info or self.server_info,
            control=other.control or self.control,
        )

    def override(self, **overrides: Any) -> Runtime[ContextT]:
        """A copy with the given fields replaced."""
        return replace(self, **overrides)

    def patch_execution_info(self, **overrides: Any) -> Runtime[ContextT]:
        """A copy whose `execution_info` has the given fields replaced."""
        if self.execution_info is None:
            raise RuntimeError("Cannot patch execution_info before it has been set")
        return replace(self, execution_info=self.execution_info.patch(**overrides))

    @property
    def drain_requested(self) -> bool:
        return self.control is not None and self.control.drain_requested

    @property
    def drain_reason(self) -> str | None:
        return None if self.control is None else self.control.drain_reason


DEFAULT_RUNTIME: Runtime[Any] = Runtime()


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The Runtime of the task running in this context (`context_schema` only types the
    result). Raises RuntimeError outside a run."""

    return current_task().runtime
