"""The messages transformer of v3 streaming (`MessagesTransformer`): the chat-model
output of one namespace scope as one `ChatModelStream` per message on `run.messages`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.stream_channel import StreamChannel

if TYPE_CHECKING:
    from langchain_core.language_models.chat_model_stream import ChatModelStream
    from langchain_core.messages import BaseMessage

# langchain_core is imported where a message is handled, never with this module:
# runs that stream no chat models (and `import langgraph_jit.stream`) stay free of it.

__all__ = ("MessagesTransformer",)

_MESSAGES_ONLY = frozenset(("messages",))


class MessagesTransformer(StreamTransformer):
    """Builds the `messages` projection: one stream handle per chat-model message.

    A `messages` event carries ``(payload, metadata)``. Two payloads count:

    - a protocol event (``{"event": "message-start" | "content-block-*" |
      "message-finish" | "error", ...}``), sent by the v2 messages handler while a
      chat model runs; ``metadata["run_id"]`` ties the events of one model call to
      one stream, opened by its `message-start` and closed by its `message-finish`;
    - a finished message a node wrote (not a chunk, not a tool result), replayed
      as a complete event sequence into a stream that is already done.

    Token chunks of the v1 `messages` mode (`AIMessageChunk`) are ignored, as are
    tool-role messages (those belong to tool streams and state). Only events of
    this transformer's own scope count: a subgraph's messages show on that
    subgraph's handle, not on its parent's.
    """

    _native = True
    required_stream_modes: ClassVar[tuple[str, ...]] = ("messages",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[ChatModelStream] = StreamChannel()
        # Streams still receiving events, by the chat-model run feeding them.
        self._by_run: dict[str, ChatModelStream] = {}
        # Runs whose events are dropped (tool-role messages) until they finish.
        self._ignored_runs: set[str] = set()
        # How a stream handle pulls more of the run when its reader catches up
        # (bound by the run stream; None while events are pushed by hand).
        self._pump_fn: Callable[[], bool] | None = None
        self._apump_fn: Callable[[], Awaitable[bool]] | None = None
        # Events carry their namespace as a list: compare like with like.
        self._scope_ns: list[str] = list(self.scope)

    def init(self) -> dict[str, Any]:
        return {"messages": self._log}

    def _bind_pump(self, fn: Callable[[], bool]) -> None:
        self._pump_fn = fn

    def _bind_apump(self, fn: Callable[[], Awaitable[bool]]) -> None:
        self._apump_fn = fn

    def _new_stream(self, node: str | None, message_id: str | None) -> ChatModelStream:
        """A stream handle that pulls the run as its reader needs: async when an
        async run drives it, sync under a sync run, and async (fed by hand) when
        no run is bound."""
        from langchain_core.language_models.chat_model_stream import (
            AsyncChatModelStream,
            ChatModelStream,
        )

        if self._apump_fn is None and self._pump_fn is not None:
            stream = ChatModelStream(namespace=[], node=node, message_id=message_id)
            stream.set_request_more(self._pump_fn)
            return stream
        astream = AsyncChatModelStream(namespace=[], node=node, message_id=message_id)
        if self._apump_fn is not None:
            astream.set_arequest_more(self._apump_fn)
        return astream  # type: ignore[return-value]  # same surface, awaited projections

    # -- events ---------------------------------------------------------------

    def _reads_only(self) -> frozenset[str] | None:
        return _MESSAGES_ONLY if type(self).process is MessagesTransformer.process else None

    def process(self, event: ProtocolEvent) -> bool:
        if event.get("method") != "messages":
            return True
        params = event["params"]
        if params.get("namespace") != self._scope_ns:
            return True
        payload, metadata = params["data"]
        node = metadata.get("langgraph_node") if metadata else None
        if isinstance(payload, Mapping):
            kind = payload.get("event")
            if kind is not None:
                run_id = str(metadata.get("run_id", "")) if metadata else ""
                self._on_protocol_event(payload, kind, run_id, node)
        elif _is_whole_message(payload):
            self._on_whole_message(payload, node)
        return True

    def _on_protocol_event(
        self, event: Mapping[str, Any], kind: str, run_id: str, node: str | None
    ) -> None:
        if kind == "message-start":
            if event.get("role") == "tool":
                self._ignored_runs.add(run_id)
                return
            # `id` is the protocol's key; `message_id` is accepted from older producers.
            message_id = event.get("message_id") or event.get("id") or None
            stream = self._new_stream(node, None if message_id is None else str(message_id))
            self._by_run[run_id] = stream
            self._log.push(stream)
            stream.dispatch(event)
            return
        if run_id in self._ignored_runs:
            if kind == "message-finish":
                self._ignored_runs.discard(run_id)
            return
        open_stream = self._by_run.get(run_id)
        if open_stream is None:  # no message-start seen for this run
            return
        open_stream.dispatch(event)
        if kind in ("message-finish", "error"):
            del self._by_run[run_id]

    def _on_whole_message(self, message: BaseMessage, node: str | None) -> None:
        from langchain_core.language_models._compat_bridge import message_to_events

        stream = self._new_stream(node, message.id)
        for evt in message_to_events(message, message_id=message.id):
            stream.dispatch(evt)
        self._log.push(stream)

    # -- end of the run -----------------------------------------------------------

    def finalize(self) -> None:
        # Streams end with their own message-finish; only the routing goes.
        self._by_run.clear()
        self._ignored_runs.clear()

    def fail(self, err: BaseException) -> None:
        # A message still streaming when the run fails fails with it.
        for stream in self._by_run.values():
            stream.fail(err)
        self._by_run.clear()
        self._ignored_runs.clear()


def _is_whole_message(payload: Any) -> bool:
    """A finished message for the projection: not a v1 token chunk, not a tool result."""
    from langchain_core.messages import AIMessageChunk, BaseMessage, ToolMessage

    return isinstance(payload, BaseMessage) and not isinstance(
        payload, (AIMessageChunk, ToolMessage)
    )
