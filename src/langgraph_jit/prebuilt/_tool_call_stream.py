"""`ToolCallStream`: one tool call of a v3 run as the user reads it from `run.tool_calls`
(name, id, input, streamed output deltas, and its result or error once it ends)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langgraph_jit.stream.stream_channel import StreamChannel


class ToolCallStream:
    """Handle over one tool call, built by `ToolCallTransformer` when the call starts.

    Iterating it (``for`` under `stream_events`, ``async for`` under
    `astream_events`) yields the deltas the tool emitted
    (`ToolRuntime.emit_output_delta`) and pulls the run forward while it waits.
    Once the call ends `completed` is True, with `output` set (a `ToolMessage`
    result is reduced to its content) or `error` holding the tool's error message.
    """

    def __init__(
        self, tool_call_id: str, tool_name: str, input: dict[str, Any] | None = None
    ) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.input = input
        self._output_deltas: StreamChannel[Any] = StreamChannel()
        self.output: Any = None
        self.error: str | None = None
        self.completed = False

    @property
    def output_deltas(self) -> StreamChannel[Any]:
        """The deltas as a channel of their own (one reader; `.tee(n)` to share)."""
        return self._output_deltas

    def _bind(self, *, is_async: bool) -> None:
        self._output_deltas._bind(is_async=is_async)

    # -- fed by the transformer ------------------------------------------------------

    def _push_delta(self, delta: Any) -> None:
        self._output_deltas.push(delta)

    def _finish(self, output: Any) -> None:
        self.output = output
        self.completed = True
        self._output_deltas.close()

    def _fail(self, message: str) -> None:
        # The deltas end normally: the failure is the call's state, not a reader error.
        self.error = message
        self.completed = True
        self._output_deltas.close()

    # -- reader side -----------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        return iter(self._output_deltas)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._output_deltas.__aiter__()

    def __repr__(self) -> str:
        if self.error is not None:
            status = "failed"
        elif self.completed:
            status = "completed"
        else:
            status = "running"
        return (
            f"ToolCallStream(tool_call_id={self.tool_call_id!r}, "
            f"tool_name={self.tool_name!r}, status={status})"
        )
