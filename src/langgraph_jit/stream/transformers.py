"""Built-in transformer classes of v3 streaming (class surface only in langgraph_jit)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from typing_extensions import TypedDict

from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.stream_channel import StreamChannel

SubgraphStatus = Literal["started", "completed", "failed", "interrupted", "drained"]


class LifecyclePayload(TypedDict, total=False):
    event: SubgraphStatus
    namespace: list[str]
    graph_name: str
    trigger_call_id: str
    error: str


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


class MessagesTransformer(_ChannelTransformer):
    key = "messages"
    required_stream_modes = ("messages",)


class CheckpointsTransformer(_ChannelTransformer):
    key = "checkpoints"
    required_stream_modes = ("checkpoints",)


class DebugTransformer(_ChannelTransformer):
    key = "debug"
    required_stream_modes = ("debug",)


class TasksTransformer(_ChannelTransformer):
    key = "tasks"
    required_stream_modes = ("tasks",)


class _TasksLifecycleBase(StreamTransformer):
    """Tracks subgraph namespaces from task events (start/terminal hooks)."""

    required_stream_modes = ("tasks",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._graph_names: dict[tuple[str, ...], str] = {}
        self._statuses: dict[tuple[str, ...], SubgraphStatus] = {}

    def _should_track(self, ns: tuple[str, ...]) -> bool:
        return len(ns) == len(self.scope) + 1 and tuple(ns[: len(self.scope)]) == self.scope

    def _on_started(self, ns: tuple[str, ...], *args: Any, **kwargs: Any) -> None:
        pass

    def _on_terminal(self, ns: tuple[str, ...], *args: Any, **kwargs: Any) -> None:
        pass

    def process(self, event: ProtocolEvent) -> bool:
        return True


class LifecycleTransformer(_TasksLifecycleBase):
    def init(self) -> dict[str, Any]:
        return {"lifecycle": StreamChannel()}


class SubgraphTransformer(_TasksLifecycleBase):
    def init(self) -> dict[str, Any]:
        return {"subgraphs": StreamChannel()}
