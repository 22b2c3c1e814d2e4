"""The messages transformer of v3 streaming (`MessagesTransformer`): chat-model output as
per-message streams. Stub until the messages work lands."""

from __future__ import annotations

from typing import Any, ClassVar

from langgraph_jit.stream._types import StreamTransformer
from langgraph_jit.stream.stream_channel import StreamChannel


class MessagesTransformer(StreamTransformer):
    required_stream_modes: ClassVar[tuple[str, ...]] = ("messages",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[Any] = StreamChannel()

    def init(self) -> dict[str, Any]:
        return {"messages": self._log}
