"""Transformer projecting tool events into `ToolCallStream`s (v3 streaming surface;
langgraph_jit accepts it in `compile(transformers=...)` but does not run it)."""

from __future__ import annotations

from typing import Any

from langgraph_jit.prebuilt._tool_call_stream import ToolCallStream
from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.stream_channel import StreamChannel


class ToolCallTransformer(StreamTransformer):
    _native = True
    required_stream_modes = ("tools",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[ToolCallStream] = StreamChannel()

    def init(self) -> dict[str, Any]:
        return {"tool_calls": self._log}

    def process(self, event: ProtocolEvent) -> bool:
        return True
