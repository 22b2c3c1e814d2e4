"""The `tools` stream mode: tool calls made in a run (by ToolNode, or any
LangChain tool given the task's config) as `tool-started`, `tool-output-delta`,
`tool-finished` and `tool-error` chunks, and the per-call writer that
`ToolRuntime.emit_output_delta` sends deltas through.

Imports langchain_core: loaded by ToolNode, and by a run streaming `tools`.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from langgraph_jit.constants import TAG_NOSTREAM
from langgraph_jit.errors import GraphDrained, GraphInterrupt
from langgraph_jit.pregel._messages import graph_namespace

try:
    # Being a streaming handler keeps LangChain from buffering tool output.
    from langchain_core.tracers._streaming import _StreamingCallbackHandler
except ImportError:  # pragma: no cover - older langchain_core
    _StreamingCallbackHandler = object  # type: ignore[assignment,misc]

__all__ = ("StreamToolCallHandler", "ToolCallWriter", "tool_stream_callbacks")

T = TypeVar("T")

ToolCallWriter = Callable[[Any], None]

# The writer of the tool call running in this context (None outside one):
# set when the tool starts, reset when it ends; ToolRuntime.emit_output_delta
# reads it, so a tool streams partial output without being handed a writer.
_tool_call_writer: contextvars.ContextVar[ToolCallWriter | None] = contextvars.ContextVar(
    "langgraph_jit_tool_call_writer", default=None
)

# A tool stopped by these is paused, not failed: it runs again (and reports
# its start and end then) when the run resumes.
_PAUSES = (GraphInterrupt, GraphDrained)


class StreamToolCallHandler(BaseCallbackHandler, _StreamingCallbackHandler):
    """Turns LangChain's tool callbacks into `tools` chunks queued on the run
    that created it: ``(namespace, "tools", {"event": ..., "tool_call_id": ...})``
    with the namespace of the graph the tool ran in. Calls made in nested
    graphs that inherited the handler count only when the caller streams
    subgraphs, as for `messages`.
    """

    # Called in the tool's own thread and context: events keep their order,
    # and the writer set at the start is the one the tool body sees.
    run_inline = True
    # (Tool callbacks are gated by `ignore_agent`, which must stay False.)
    ignore_llm = True
    ignore_chain = True
    ignore_retriever = True
    ignore_retry = True
    ignore_custom_event = True

    def __init__(self, run: Any, subgraphs: bool | None = None) -> None:
        self.run = run
        self.out = run.emitter.out
        self.namespace = tuple(run.namespace)
        if subgraphs is None:
            # The driver sets `stream_down` when the caller asked for subgraphs.
            subgraphs = run.emitter.stream_down is not None
        self.subgraphs = subgraphs
        # on_tool_end/error name the call only by its LangChain run id.
        self.calls: dict[UUID, tuple[tuple[str, ...], str, contextvars.Token[Any]]] = {}

    def _put(self, ns: tuple[str, ...], payload: dict[str, Any]) -> None:
        self.out.append((ns, "tools", payload))
        wakeup = self.run.emitter.wakeup
        if wakeup is not None:  # the driver streams it now, mid-task
            wakeup()

    def _namespace(
        self, metadata: dict[str, Any] | None, tags: list[str] | None
    ) -> tuple[str, ...] | None:
        """The namespace to report the call at; None to stay silent (not run by
        a graph task, opted out with TAG_NOSTREAM, or a nested graph's call
        the caller did not ask for)."""
        if not metadata or (tags and TAG_NOSTREAM in tags):
            return None
        ns = graph_namespace(metadata) if metadata.get("langgraph_checkpoint_ns") else ()
        if ns and not self.subgraphs and ns != self.namespace:
            return None
        return ns

    # -- streaming protocol (the tool's output is passed through untouched) --

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        return output

    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        return output

    # -- tool callbacks ---------------------------------------------------------

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        ns = self._namespace(metadata, tags)
        if ns is None:
            return
        call_id = kwargs.get("tool_call_id") or str(run_id)
        put = self._put

        def write_delta(delta: Any) -> None:
            put(ns, {"event": "tool-output-delta", "tool_call_id": call_id, "delta": delta})

        token = _tool_call_writer.set(write_delta)
        self.calls[run_id] = (ns, call_id, token)
        payload: dict[str, Any] = {
            "event": "tool-started",
            "tool_call_id": call_id,
            "tool_name": (serialized or {}).get("name") or kwargs.get("name") or "",
        }
        if inputs is not None:
            payload["input"] = inputs
        put(ns, payload)

    def on_tool_end(
        self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> Any:
        call = self._finish(run_id)
        if call is not None:
            self._put(
                call[0], {"event": "tool-finished", "tool_call_id": call[1], "output": output}
            )

    def on_tool_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        call = self._finish(run_id)
        if call is not None and not isinstance(error, _PAUSES):
            self._put(
                call[0], {"event": "tool-error", "tool_call_id": call[1], "message": str(error)}
            )

    def _finish(self, run_id: UUID) -> tuple[tuple[str, ...], str] | None:
        found = self.calls.pop(run_id, None)
        if found is None:
            return None
        ns, call_id, token = found
        # ValueError: ended in another context than it started in (LangChain
        # handed the call to a worker without copying the context); the
        # writer dies with that context anyway.
        with contextlib.suppress(ValueError):
            _tool_call_writer.reset(token)
        return ns, call_id


def tool_stream_callbacks(run: Any) -> list[Any]:
    """The handler that streams this run's tool calls, when its caller asked
    for `tools`; a subgraph streaming `tools` only for its parent
    (subgraphs=True) gets none: the parent's reaches it through the inherited
    callbacks."""
    emitter = run.emitter
    handler = emitter.tools_handler
    if handler is None:
        own = "tools" in emitter.own_modes
        handler = emitter.tools_handler = StreamToolCallHandler(run) if own else False
    return [handler] if handler is not False else []
