"""`ToolCallTransformer`: the `tools` stream-mode events of one namespace scope as one
`ToolCallStream` per tool call, on the run handle's `tool_calls` projection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from langgraph_jit.prebuilt._tool_call_stream import ToolCallStream
from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.stream_channel import StreamChannel

__all__ = ("ToolCallTransformer",)


class ToolCallTransformer(StreamTransformer):
    """Builds `run.tool_calls`: a `ToolCallStream` for every `tool-started` event.

    The `tools` events of a call (``tool-started``, ``tool-output-delta``,
    ``tool-finished``, ``tool-error``, tied together by ``tool_call_id``) feed its
    stream until it finishes or fails. Only events of this transformer's own scope
    count: a subgraph's tool calls show on that subgraph's handle. A call still open
    when the run ends (an interrupt inside the tool) ends as completed without
    output; one open when the run fails ends failed with the run's error.

    Compile it into a graph (`compile(transformers=[ToolCallTransformer])`, as
    `create_agent` does) or pass it per call to `stream_events(transformers=...)`.
    """

    _native = True
    required_stream_modes: ClassVar[tuple[str, ...]] = ("tools",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        # unnamed: the handles stay in-process, they are not forwarded as events
        self._log: StreamChannel[ToolCallStream] = StreamChannel()
        # calls started and not yet ended, by tool_call_id
        self._active: dict[Any, ToolCallStream] = {}
        # how a call's reader pulls more of the run when it catches up (set by the
        # run stream; without them the handles are fed by hand, sync)
        self._pump_fn: Callable[[], bool] | None = None
        self._apump_fn: Callable[[], Awaitable[bool]] | None = None
        # events carry their namespace as a list: compare like with like
        self._scope_ns: list[str] = list(self.scope)

    def init(self) -> dict[str, Any]:
        return {"tool_calls": self._log}

    def _bind_pump(self, fn: Callable[[], bool]) -> None:
        self._pump_fn = fn

    def _bind_apump(self, fn: Callable[[], Awaitable[bool]]) -> None:
        self._apump_fn = fn

    def _new_stream(
        self, tool_call_id: str, tool_name: str, tool_input: dict[str, Any] | None
    ) -> ToolCallStream:
        stream = ToolCallStream(tool_call_id, tool_name, tool_input)
        deltas = stream.output_deltas
        if self._apump_fn is not None:
            stream._bind(is_async=True)
            deltas._arequest_more = self._apump_fn
        else:
            stream._bind(is_async=False)
            deltas._request_more = self._pump_fn
        return stream

    # -- events ---------------------------------------------------------------------

    def process(self, event: ProtocolEvent) -> bool:
        if event["method"] != "tools":
            return True
        params = event["params"]
        if params["namespace"] != self._scope_ns:
            return True
        data = params["data"]
        if not isinstance(data, Mapping):
            return True
        call_id = data.get("tool_call_id")
        if call_id is None:
            return True
        kind = data.get("event")
        if kind == "tool-started":
            stream = self._new_stream(call_id, data.get("tool_name", ""), data.get("input"))
            self._active[call_id] = stream
            self._log.push(stream)
        elif kind == "tool-output-delta":
            open_stream = self._active.get(call_id)
            if open_stream is not None:
                open_stream._push_delta(data.get("delta"))
        elif kind == "tool-finished":
            ended = self._active.pop(call_id, None)
            if ended is not None:
                ended._finish(_result_of(data.get("output")))
        elif kind == "tool-error":
            ended = self._active.pop(call_id, None)
            if ended is not None:
                ended._fail(data.get("message", ""))
        return True

    # -- end of the run ---------------------------------------------------------------

    def finalize(self) -> None:
        # A call still open here was interrupted: the run ended without its result.
        for stream in self._active.values():
            stream._finish(None)
        self._active.clear()

    def fail(self, err: BaseException) -> None:
        for stream in self._active.values():
            stream._fail(str(err))
        self._active.clear()


def _result_of(output: Any) -> Any:
    """What a finished call shows as `output`: a tool message's content, else the
    tool's return as is (a `Command`, a plain value)."""
    from langchain_core.messages import ToolMessage

    return output.content if isinstance(output, ToolMessage) else output
