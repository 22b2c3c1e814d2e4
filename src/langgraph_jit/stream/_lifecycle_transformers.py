"""Lifecycle and subgraph transformers of v3 streaming: subgraph start/end events and
per-subgraph run handles. Stub until the lifecycle work lands."""

from __future__ import annotations

from typing import Any, Literal

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
