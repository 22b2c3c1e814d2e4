"""Handle over one tool call's streamed output (v3 streaming surface)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langgraph_jit.stream.stream_channel import StreamChannel


class ToolCallStream:
    def __init__(
        self,
        tool_call_id: str | None = None,
        tool_name: str | None = None,
        input: Any = None,
        **_: Any,
    ) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.input = input
        self.output: Any = None
        self.error: str | None = None
        self.status = "running"
        self._deltas: StreamChannel[Any] = StreamChannel()

    @property
    def output_deltas(self) -> StreamChannel[Any]:
        return self._deltas

    def _push_delta(self, delta: Any) -> None:
        self._deltas.push(delta)

    def _finish(self, output: Any) -> None:
        self.output, self.status = output, "finished"
        self._deltas.close()

    def _fail(self, message: str) -> None:
        self.error, self.status = message, "error"
        self._deltas.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._deltas)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._deltas.__aiter__()

    def __repr__(self) -> str:
        return f"ToolCallStream(tool_call_id={self.tool_call_id!r}, status={self.status!r})"
