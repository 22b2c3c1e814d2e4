"""Data transformers of v3 streaming: one per stream mode, each projecting that mode's
events onto a channel; `MessagesTransformer` and the lifecycle/subgraph transformers live
in their own modules and are re-exported here at LangGraph's path."""

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
from langgraph_jit.stream._types import StreamTransformer
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


class _ChannelTransformer(StreamTransformer):
    key = "events"
    required_stream_modes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[Any] = StreamChannel()

    def init(self) -> dict[str, Any]:
        return {self.key: self._log}


class ValuesTransformer(_ChannelTransformer):
    key = "values"
    required_stream_modes = ("values",)


class CustomTransformer(_ChannelTransformer):
    key = "custom"
    required_stream_modes = ("custom",)


class UpdatesTransformer(_ChannelTransformer):
    key = "updates"
    required_stream_modes = ("updates",)


class CheckpointsTransformer(_ChannelTransformer):
    key = "checkpoints"
    required_stream_modes = ("checkpoints",)


class DebugTransformer(_ChannelTransformer):
    key = "debug"
    required_stream_modes = ("debug",)


class TasksTransformer(_ChannelTransformer):
    key = "tasks"
    required_stream_modes = ("tasks",)
