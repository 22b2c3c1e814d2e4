"""Public value types of the engine, with LangGraph's names and shapes.

`Send`, `Command` and `Interrupt` report `__module__ == "langgraph.types"` so
that checkpoints written by either engine name the same classes.
"""

from __future__ import annotations

import dataclasses
import random
import types as _types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, cast, overload

from typing_extensions import NotRequired, TypeAliasType, TypedDict
from xxhash import xxh3_128_hexdigest

from langgraph_jit._constants import INTERRUPT, NS_SEP
from langgraph_jit._context import current_task
from langgraph_jit._overwrite import Overwrite
from langgraph_jit._state_updates import annotated_keys, model_updates
from langgraph_jit.warnings import LangGraphDeprecatedSinceV10, LangGraphDeprecatedSinceV11

__all__ = (
    "All",
    "CachePolicy",
    "CheckpointPayload",
    "CheckpointStreamPart",
    "CheckpointTask",
    "Checkpointer",
    "Command",
    "CustomStreamPart",
    "DebugPayload",
    "DebugStreamPart",
    "Durability",
    "GraphOutput",
    "Interrupt",
    "MessagesStreamPart",
    "Overwrite",
    "PregelExecutableTask",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateSnapshot",
    "StateUpdate",
    "StreamMode",
    "StreamPart",
    "StreamWriter",
    "TaskPayload",
    "TaskResultPayload",
    "TasksStreamPart",
    "TimeoutPolicy",
    "UpdatesStreamPart",
    "ValuesStreamPart",
    "default_retry_on",
    "ensure_valid_checkpointer",
    "interrupt",
)

N = TypeVar("N")
OutputT = TypeVar("OutputT")
ResponseT = TypeVar("ResponseT")

All = Literal["*"]
StreamMode = Literal["values", "updates", "checkpoints", "tasks", "debug", "messages", "custom"]
StreamWriter = Callable[[Any], None]
Durability = Literal["sync", "async", "exit"]
Checkpointer = None | bool | Any


def default_retry_on(exc: Exception) -> bool:
    """LangGraph's default: retry transient failures, not programming errors."""
    if isinstance(exc, ConnectionError):
        return True
    status = _http_status(exc)
    if status is not None:
        return 500 <= status < 600
    return not isinstance(
        exc,
        (
            ValueError,
            TypeError,
            ArithmeticError,
            ImportError,
            LookupError,
            NameError,
            SyntaxError,
            RuntimeError,
            ReferenceError,
            StopIteration,
            StopAsyncIteration,
            OSError,
        ),
    )


def _http_status(exc: Exception) -> int | None:
    # httpx / requests HTTP errors carry a response; checked by name so that
    # neither library is imported just to classify an exception.
    name = type(exc).__name__
    if name not in ("HTTPStatusError", "HTTPError"):
        return None
    response = getattr(exc, "response", None)
    if response is None:
        return None if name == "HTTPStatusError" else 500
    return getattr(response, "status_code", None)


class RetryPolicy(NamedTuple):
    """How often and how patiently to retry a failing node."""

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: type[Exception] | Sequence[type[Exception]] | Callable[[Exception], bool] = (
        default_retry_on
    )

    def should_retry(self, exc: Exception) -> bool:
        retry_on = self.retry_on
        if isinstance(retry_on, Sequence):
            return isinstance(exc, tuple(retry_on))
        if isinstance(retry_on, type) and issubclass(retry_on, Exception):
            return isinstance(exc, retry_on)
        if callable(retry_on):
            # Classes were handled above: what is left is a predicate.
            predicate = cast(Callable[[Exception], bool], retry_on)
            return bool(predicate(exc))
        raise TypeError(
            "retry_on must be an Exception class, a sequence of Exception classes, "
            "or a callable that takes an exception and returns a bool"
        )

    def delay(self, attempt: int) -> float:
        """Seconds to sleep before attempt number `attempt + 1` (attempt >= 1)."""
        interval = min(
            self.max_interval,
            self.initial_interval * (self.backoff_factor ** (attempt - 1)),
        )
        return interval + random.uniform(0, 1) if self.jitter else interval


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutPolicy:
    """Deadlines for each attempt of an async node, in seconds or as a timedelta.

    `run_timeout` bounds how long one attempt may take; `idle_timeout` bounds how
    long it may go without progress. Progress is `runtime.heartbeat()` and, with
    `refresh_on="auto"`, also anything the node streams (custom writes, chat-model
    tokens, any LangChain callback event inside it). An attempt past a deadline is
    cancelled and fails with `NodeTimeoutError`, which retry policies and error
    handlers see like any other failure. Cancellation is cooperative: code that
    blocks the event loop (e.g. `time.sleep`) delays it until the loop is free.

    The constructor stores what it is given; `coerce` validates and normalizes
    (every API that accepts a timeout coerces it when it is declared).
    """

    run_timeout: float | timedelta | None = None
    idle_timeout: float | timedelta | None = None
    refresh_on: Literal["auto", "heartbeat"] = "auto"

    @classmethod
    def coerce(cls, value: float | timedelta | TimeoutPolicy | None) -> TimeoutPolicy | None:
        """A validated policy with float seconds: a number or a timedelta is a
        `run_timeout`; a policy with no deadline (or None) is None. Raises
        ValueError for a deadline <= 0 or an unknown `refresh_on`."""
        if value is None:
            return None
        if not isinstance(value, TimeoutPolicy):
            return cls(run_timeout=_seconds(value, "run_timeout"))
        if value.refresh_on not in ("auto", "heartbeat"):
            raise ValueError(f"refresh_on must be 'auto' or 'heartbeat', not {value.refresh_on!r}")
        run = value.run_timeout
        idle = value.idle_timeout
        if run is None and idle is None:
            return None
        run_s = None if run is None else _seconds(run, "run_timeout")
        idle_s = None if idle is None else _seconds(idle, "idle_timeout")
        if type(run) is type(run_s) and type(idle) is type(idle_s):
            return value  # already coerced: keep the instance
        return cls(run_timeout=run_s, idle_timeout=idle_s, refresh_on=value.refresh_on)


def _seconds(value: Any, field: str) -> float:
    """A deadline as float seconds (> 0)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds <= 0:
        raise ValueError(f"{field} must be greater than 0")
    return seconds


def _default_cache_key(*args: Any, **kwargs: Any) -> str | bytes:
    import pickle

    return pickle.dumps((args, kwargs), protocol=5)


@dataclass(kw_only=True)
class CachePolicy:
    """Cache a node's writes keyed by its input."""

    key_func: Callable[..., str | bytes] = _default_cache_key
    ttl: int | None = None


# The id of an Interrupt built without one (LangGraph's placeholder).
_PLACEHOLDER_INTERRUPT_ID = "placeholder-id"


def interrupt_id(task_ns: str, answered: int) -> str:
    """LangGraph's interrupt id: a hash of the asking task's namespace, plus
    `|k` for the interrupt that fills the task's k-th answer (k >= 1). With
    k = 0 it is the bare namespace hash older versions gave every interrupt,
    so ids saved by them still match."""
    return xxh3_128_hexdigest((f"{task_ns}{NS_SEP}{answered}" if answered else task_ns).encode())


@dataclass(init=False, slots=True)
class Interrupt(Generic[ResponseT]):
    """A pending question to a human, raised by `interrupt()`.

    `response_schema` is the JSON schema of the answer the graph expects (None
    when it named none); `Interrupt[Model]` types what the answer validates to.
    """

    value: Any
    id: str
    response_schema: Any

    def __init__(
        self,
        value: Any,
        id: str = _PLACEHOLDER_INTERRUPT_ID,
        *,
        response_schema: Any = None,
        **deprecated_kwargs: Any,
    ) -> None:
        self.value = value
        self.response_schema = response_schema
        # Interrupts saved before LangGraph 0.6 carry their namespace (`ns`,
        # with `when` and `resumable`) instead of an id: derive the id it
        # stands for, so answers keyed by it still find them.
        ns = deprecated_kwargs.get("ns")
        if id == _PLACEHOLDER_INTERRUPT_ID and isinstance(ns, Sequence) and not isinstance(ns, str):
            id = xxh3_128_hexdigest(NS_SEP.join(ns).encode())
        self.id = id

    @classmethod
    def from_ns(cls, value: Any, ns: str, *, response_schema: Any = None) -> Interrupt[Any]:
        """The interrupt a task with checkpoint namespace `ns` raises first."""
        return cls(value=value, id=interrupt_id(ns, 0), response_schema=response_schema)

    @property
    def interrupt_id(self) -> str:
        warnings.warn(
            "`interrupt_id` is deprecated. Use `id` instead.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return self.id


class PregelTask(NamedTuple):
    """A task of a step, as shown in state snapshots."""

    id: str
    name: str
    path: tuple
    error: Exception | None = None
    interrupts: tuple = ()
    state: Any = None
    result: Any | None = None


class StateSnapshot(NamedTuple):
    """The state of a graph at the start of a step."""

    values: dict[str, Any] | Any
    next: tuple[str, ...]
    config: dict
    metadata: dict | None
    created_at: str | None
    parent_config: dict | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...]

    def _repr_html_(self) -> str:
        """A readable table in Jupyter: values, next nodes, tasks, metadata."""
        from html import escape

        def row(key: str, value: Any) -> str:
            return f"<tr><th style='text-align:left'>{escape(key)}</th><td><pre>{escape(repr(value))}</pre></td></tr>"

        values = self.values if isinstance(self.values, dict) else {"value": self.values}
        rows = [row(f"values.{k}", v) for k, v in values.items()]
        rows.append(row("next", self.next))
        rows.extend(
            row(
                f"task {t.name}",
                {"id": t.id, "error": t.error, "interrupts": t.interrupts, "result": t.result},
            )
            for t in self.tasks
        )
        rows.append(row("metadata", self.metadata))
        rows.append(
            row("checkpoint_id", (self.config or {}).get("configurable", {}).get("checkpoint_id"))
        )
        return "<table>" + "".join(rows) + "</table>"


class StateUpdate(NamedTuple):
    values: dict[str, Any] | None
    as_node: str | None = None
    task_id: str | None = None


class Send:
    """Run `node` in the next step with `arg` as its input."""

    __slots__ = ("node", "arg", "timeout")

    def __init__(
        self, node: str, arg: Any, *, timeout: float | timedelta | TimeoutPolicy | None = None
    ) -> None:
        self.node = node
        self.arg = arg
        # This task's own deadlines (they replace the node's); validated now.
        self.timeout = None if timeout is None else TimeoutPolicy.coerce(timeout)

    def __hash__(self) -> int:
        return hash((self.node, self.arg, self.timeout))

    def __repr__(self) -> str:
        if self.timeout is None:
            return f"Send(node={self.node!r}, arg={self.arg!r})"
        return f"Send(node={self.node!r}, arg={self.arg!r}, timeout={self.timeout!r})"

    def __eq__(self, value: object) -> bool:
        return (
            isinstance(value, Send)
            and self.node == value.node
            and self.arg == value.arg
            and self.timeout == value.timeout
        )


class _CommandBase:
    """Placeholder base: swapped for LangChain's ToolOutputMixin (same
    layout) once langchain_core is loaded; see adopt_langchain."""


@dataclass(kw_only=True, frozen=True)
class Command(_CommandBase):
    """Update state, jump to nodes, or resume an interrupt."""

    # Subscriptable like LangGraph's generic Command (`Command[Literal["a"]]`)
    # without a Generic base, so the class can later take LangChain's
    # ToolOutputMixin as its base (see adopt_langchain).
    __class_getitem__: ClassVar[Any] = classmethod(_types.GenericAlias)

    graph: str | None = None
    update: Any | None = None
    resume: dict[str, Any] | Any | None = None
    goto: Any = ()

    PARENT: ClassVar[Literal["__parent__"]] = "__parent__"

    def __repr__(self) -> str:
        # LangGraph shows only the fields that are set.
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name)
        )
        return f"Command({shown})"

    def _update_as_tuples(self) -> Sequence[tuple[str, Any]]:
        update = self.update
        if isinstance(update, dict):
            return list(update.items())
        if isinstance(update, (list, tuple)) and all(
            isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str) for t in update
        ):
            return list(update)
        if update is None:
            return []
        # An object with annotated fields (pydantic model, dataclass): its
        # fields, where a None left at its default is no update.
        keys = annotated_keys(type(update))
        if keys:
            return model_updates(update, keys)
        return [("__root__", update)]


@dataclass(slots=True)
class GraphOutput(Generic[OutputT]):
    """What `invoke(..., version="v2")` returns."""

    value: OutputT
    interrupts: tuple[Interrupt, ...] = ()

    # Dict-style access, kept for programs written against v1 results.
    _ACCESS_NOTE = (
        "Use `result.value` to access the output value directly, "
        "or `result.interrupts` for interrupts."
    )

    def __getitem__(self, key: str) -> Any:
        warnings.warn(
            f"Accessing GraphOutput via `result[key]` is deprecated. {self._ACCESS_NOTE}",
            LangGraphDeprecatedSinceV11,
            stacklevel=2,
        )
        if key == INTERRUPT:
            return self.interrupts
        value: Any = self.value
        if isinstance(value, dict):
            return value[key]
        if not hasattr(value, key):
            raise KeyError(key)
        return getattr(value, key)

    def __contains__(self, key: object) -> bool:
        warnings.warn(
            f"Accessing GraphOutput via `key in result` is deprecated. {self._ACCESS_NOTE}",
            LangGraphDeprecatedSinceV11,
            stacklevel=2,
        )
        if key == INTERRUPT:
            return bool(self.interrupts)
        value: Any = self.value
        if isinstance(value, dict):
            return key in value
        return isinstance(key, str) and hasattr(value, key)


class PregelExecutableTask(NamedTuple):
    """A task ready to run: its node, input, and where its writes go."""

    name: str
    input: Any
    proc: Any
    writes: Any
    config: dict
    triggers: Sequence[str]
    retry_policy: Sequence[RetryPolicy]
    cache_key: Any
    id: str
    path: tuple
    writers: Sequence[Any] = ()
    subgraphs: Sequence[Any] = ()


def ensure_valid_checkpointer(checkpointer: Checkpointer) -> Checkpointer:
    from langgraph_jit.checkpoint.base import BaseCheckpointSaver

    if checkpointer in (None, True, False) or isinstance(checkpointer, BaseCheckpointSaver):
        return checkpointer
    raise TypeError(
        f"Invalid checkpointer provided. Expected an instance of `BaseCheckpointSaver`, "
        f"`True`, `False`, or `None`. Received {type(checkpointer).__name__}. "
        "Pass a proper saver (e.g., InMemorySaver, AsyncPostgresSaver)."
    )


@overload
def interrupt(value: Any, *, response_schema: type[ResponseT]) -> ResponseT: ...


@overload
def interrupt(value: Any, *, response_schema: dict[str, Any] | None = None) -> Any: ...


def interrupt(value: Any, *, response_schema: Any = None) -> Any:
    """Pause the graph and ask for input; returns the resume value on resume.

    `response_schema` describes the expected answer to clients: a JSON schema
    dict is passed on as is; a pydantic model, TypedDict or dataclass is shown
    as its JSON schema and the answer is validated into it (a mismatch raises
    pydantic's ValidationError, which `errors.is_invalid_resume` recognizes,
    and nothing is saved, so the interrupt can be answered again).
    """
    # The running task answers (its resume values live with the run); this
    # module stays below the engine.
    return current_task().interrupt(value, response_schema=response_schema)


def adopt_langchain() -> None:
    """Once langchain_core is loaded, make Command a ToolOutputMixin (as in
    LangGraph), so tools returning a Command hand it over unchanged. Done at
    run time because importing this module must not import langchain_core."""
    global _adopted
    if _adopted:
        return
    try:
        from langchain_core.messages.tool import ToolOutputMixin
    except ImportError:
        return
    _adopted = True
    if not issubclass(Command, ToolOutputMixin):
        Command.__bases__ = (ToolOutputMixin,)


_adopted = False


for _cls in (Send, Command, Interrupt, Overwrite, TimeoutPolicy):
    _cls.__module__ = "langgraph.types"
del _cls


@dataclass(frozen=True)
class TracePolicy:
    """How a node's own trace run records its input and output (processors take the
    raw value and return what to record). Accepted by add_node(trace_policy=...)."""

    process_inputs: Callable[[Any], Any] | None = None
    process_outputs: Callable[[Any], Any] | None = None


def omit_payload(_value: Any) -> dict[str, Any]:
    """TracePolicy processor that records an empty payload."""
    return {}


# -- the parts of a `version="v2"` stream -------------------------------------------
# Typing only: the engine builds plain dicts of these shapes. `part["type"]` narrows
# the union.

StateT = TypeVar("StateT")


class TaskPayload(TypedDict):
    """A task starting: its id, node name, input and the channels that triggered it."""

    id: str
    name: str
    input: Any
    triggers: list[str]


class TaskResultPayload(TypedDict):
    """A task finished: its error (None on success), interrupts and writes by channel."""

    id: str
    name: str
    error: str | None
    interrupts: list[dict]
    result: dict[str, Any]


class CheckpointTask(TypedDict):
    """One task of a checkpoint part; which optional keys are set depends on how it ended."""

    id: str
    name: str
    error: NotRequired[str]
    result: NotRequired[Any]
    interrupts: NotRequired[list[dict]]
    state: StateSnapshot | dict[str, Any] | None


class CheckpointPayload(TypedDict, Generic[StateT]):
    """A saved checkpoint as `get_state` shows it."""

    config: dict[str, Any] | None
    metadata: dict[str, Any]
    values: StateT
    next: list[str]
    parent_config: dict[str, Any] | None
    tasks: list[CheckpointTask]


class _DebugCheckpointPayload(TypedDict, Generic[StateT]):
    step: int
    timestamp: str
    type: Literal["checkpoint"]
    payload: CheckpointPayload[StateT]


class _DebugTaskPayload(TypedDict):
    step: int
    timestamp: str
    type: Literal["task"]
    payload: TaskPayload


class _DebugTaskResultPayload(TypedDict):
    step: int
    timestamp: str
    type: Literal["task_result"]
    payload: TaskResultPayload


DebugPayload = TypeAliasType(
    "DebugPayload",
    _DebugCheckpointPayload[StateT] | _DebugTaskPayload | _DebugTaskResultPayload,
    type_params=(StateT,),
)


class ValuesStreamPart(TypedDict, Generic[OutputT]):
    """The state after a step (a schema instance for pydantic/dataclass state)."""

    type: Literal["values"]
    ns: tuple[str, ...]
    data: OutputT
    interrupts: tuple[Interrupt, ...]


class UpdatesStreamPart(TypedDict):
    """What each node of a step returned, by node name."""

    type: Literal["updates"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class MessagesStreamPart(TypedDict):
    """A chat-model message (chunk) and the metadata of the node that produced it."""

    type: Literal["messages"]
    ns: tuple[str, ...]
    data: tuple[Any, dict[str, Any]]


class CustomStreamPart(TypedDict):
    """What a node wrote with its stream writer."""

    type: Literal["custom"]
    ns: tuple[str, ...]
    data: Any


class CheckpointStreamPart(TypedDict, Generic[StateT]):
    type: Literal["checkpoints"]
    ns: tuple[str, ...]
    data: CheckpointPayload[StateT]


class TasksStreamPart(TypedDict):
    type: Literal["tasks"]
    ns: tuple[str, ...]
    data: TaskPayload | TaskResultPayload


class DebugStreamPart(TypedDict, Generic[StateT]):
    type: Literal["debug"]
    ns: tuple[str, ...]
    data: DebugPayload[StateT]


StreamPart = TypeAliasType(
    "StreamPart",
    ValuesStreamPart[OutputT]
    | UpdatesStreamPart
    | MessagesStreamPart
    | CustomStreamPart
    | CheckpointStreamPart[StateT]
    | TasksStreamPart
    | DebugStreamPart[StateT],
    type_params=(StateT, OutputT),
)
