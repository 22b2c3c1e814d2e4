"""Data transformers of v3 streaming: each projects one stream mode's events at the run's
own scope onto a channel (`run.values`, `run.updates`, ...). `MessagesTransformer` and the
lifecycle/subgraph transformers live in their own modules and are re-exported here, at
LangGraph's path."""

from __future__ import annotations

from typing import Any, ClassVar

from langgraph_jit.stream._lifecycle_transformers import (
    LifecyclePayload,
    LifecycleTransformer,
    SubgraphStatus,
    SubgraphTransformer,
    _TasksLifecycleBase,
)
from langgraph_jit.stream._messages_transformer import MessagesTransformer
from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.stream_channel import StreamChannel

__all__ = [
    "CheckpointsTransformer",
    "CustomTransformer",
    "DebugTransformer",
    "LifecyclePayload",
    "LifecycleTransformer",
    "MessagesTransformer",
    "SubgraphStatus",
    "SubgraphTransformer",
    "TasksTransformer",
    "UpdatesTransformer",
    "ValuesTransformer",
    "_TasksLifecycleBase",
]


class _ModeTransformer(StreamTransformer):
    """Pushes the data of the events of `mode` emitted at its own scope (deeper
    subgraphs have their own handles) onto a channel of the same name."""

    mode: ClassVar[str]
    _native = True

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[Any] = StreamChannel()
        # a list: the events' namespaces are lists
        self._scope_list = list(scope)

    def init(self) -> dict[str, Any]:
        return {self.mode: self._log}

    def process(self, event: ProtocolEvent) -> bool:
        if event["method"] == self.mode:
            params = event["params"]
            if params["namespace"] == self._scope_list:
                self._take(params)
        return True

    def _take(self, params: Any) -> None:
        self._log.push(params["data"])

    def _reads_only(self) -> frozenset[str] | None:
        return frozenset((self.mode,)) if type(self).process is _ModeTransformer.process else None


class ValuesTransformer(_ModeTransformer):
    """`run.values`: the state after each step (the run handle itself keeps `output`)."""

    mode = "values"
    required_stream_modes = ("values",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._latest: Any = None
        self._interrupted = False
        self._interrupts: list[Any] = []

    @property
    def error(self) -> BaseException | None:
        """The error the run failed with, if it did."""
        return self._log._error

    def _take(self, params: Any) -> None:
        self._latest = params["data"]
        interrupts = params.get("interrupts")
        if interrupts:
            self._interrupted = True
            self._interrupts.extend(interrupts)
        self._log.push(params["data"])


class UpdatesTransformer(_ModeTransformer):
    """`run.updates`: what each node returned, per step."""

    mode = "updates"
    required_stream_modes = ("updates",)


class CustomTransformer(_ModeTransformer):
    """`run.custom`: what nodes wrote with `get_stream_writer()`."""

    mode = "custom"
    required_stream_modes = ("custom",)


class CheckpointsTransformer(_ModeTransformer):
    """`run.checkpoints`: each saved checkpoint, as `get_state` shows it (needs a
    checkpointer; empty without one)."""

    mode = "checkpoints"
    required_stream_modes = ("checkpoints",)


class DebugTransformer(_ModeTransformer):
    """`run.debug`: the debug stream's step events."""

    mode = "debug"
    required_stream_modes = ("debug",)


class TasksTransformer(_ModeTransformer):
    """`run.tasks`: task start and result payloads."""

    mode = "tasks"
    required_stream_modes = ("tasks",)
