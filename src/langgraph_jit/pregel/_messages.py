"""The `messages` stream mode: chat-model tokens, and messages nodes return, as stream chunks.

Loaded only when a run streams `messages` and langchain_core is already imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar
from uuid import UUID, uuid4

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, GenerationChunk

from langgraph_jit._constants import NS_SEP, PUSH
from langgraph_jit._context import CURRENT_TASK
from langgraph_jit.constants import TAG_HIDDEN, TAG_NOSTREAM

try:
    # Its presence among a model's callbacks makes `invoke` stream tokens.
    from langchain_core.tracers._streaming import _StreamingCallbackHandler
except ImportError:  # pragma: no cover - older langchain_core
    _StreamingCallbackHandler = object  # type: ignore[assignment,misc]
try:
    # ... and this one's, protocol events (`on_stream_event`).
    from langchain_core.tracers._streaming import _V2StreamingCallbackHandler
except ImportError:  # pragma: no cover - langchain_core before v3 streaming

    class _V2StreamingCallbackHandler:  # type: ignore[no-redef]
        pass


__all__ = (
    "StreamMessagesHandler",
    "StreamMessagesHandlerV2",
    "graph_namespace",
    "on_task_done",
    "without_v2_handlers",
)

T = TypeVar("T")
Meta = tuple[tuple[str, ...], dict[str, Any]]
Chunk = tuple[tuple[str, ...], str, Any]


def graph_namespace(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """Namespace of the graph whose task produced `metadata`.

    The task's checkpoint namespace minus its own segment, and minus one more
    per enclosing `@task` call (whose path is ``(PUSH, caller_path, i, True)``):
    such a call nests under its caller but belongs to the caller's graph.
    """
    ns = metadata["langgraph_checkpoint_ns"].split(NS_SEP)
    path = metadata.get("langgraph_path", ())
    drop = 1
    while len(path) == 4 and path[0] == PUSH and path[-1] is True:
        drop += 1
        path = path[1]
    return tuple(ns[:-drop])


def _user_tags(tags: Sequence[str] | None) -> list[str] | None:
    # `seq:step:N` tags are LangChain bookkeeping, not the user's.
    kept = [t for t in tags or () if not t.startswith("seq:step")]
    return kept or None


def _top_values(obj: Any) -> Sequence[Any]:
    """Top-level field values of a state object (dict, pydantic model, dataclass)."""
    if isinstance(obj, dict):
        return list(obj.values())
    model_fields = getattr(type(obj), "model_fields", None)
    if isinstance(model_fields, dict):
        return [getattr(obj, k) for k in model_fields]
    if is_dataclass(obj) and not isinstance(obj, type):
        return [getattr(obj, f.name) for f in fields(obj)]
    return ()


# Types whose values are neither a message nor a sequence that may hold one: most
# state values, looked up before the (slower) abstract-class checks below.
_NO_MESSAGES = frozenset({int, float, bool, str, bytes, type(None), dict, set, frozenset})


def _messages_in(value: Any) -> Sequence[BaseMessage]:
    """A message, or the messages directly inside a sequence (one level deep)."""
    cls = type(value)
    if cls in _NO_MESSAGES:
        return ()
    if cls is list or cls is tuple:
        return [item for item in value if isinstance(item, BaseMessage)]
    if isinstance(value, BaseMessage):
        return (value,)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [item for item in value if isinstance(item, BaseMessage)]
    return ()


def _node_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    # LangGraph's graph run tags its callbacks `ls_integration="langgraph"`,
    # so chunks for node outputs carry it, just ahead of the langgraph_* keys.
    if "ls_integration" in metadata:
        return dict(metadata)
    out: dict[str, Any] = {}
    for k, v in metadata.items():
        if k == "langgraph_step":
            out["ls_integration"] = "langgraph"
        out[k] = v
    out.setdefault("ls_integration", "langgraph")
    return out


def _with_task_context(
    metadata: dict[str, Any] | None, tags: list[str] | None
) -> tuple[dict[str, Any] | None, list[str] | None]:
    """Metadata and tags as LangGraph's callbacks would have them for a model
    whose own config replaced the task's (`model.with_config(metadata=...)`).

    LangGraph's task callbacks are a manager that carries the task's metadata
    and tags whatever the model's config says; ours are a plain list, so the
    task's part is taken back from the task running in this context.
    """

    task = CURRENT_TASK.get()
    if task is None:
        return None, tags
    config = task.config
    merged = {**_node_metadata(config.get("metadata") or {}), **(metadata or {})}
    own = list(tags or ())
    return merged, [t for t in config.get("tags") or () if t not in own] + own


class StreamMessagesHandler(BaseCallbackHandler, _StreamingCallbackHandler):
    """Turns chat-model tokens and node-returned messages into `messages` chunks,
    passed to `stream` (the queue of the run that created it).

    Chunks go out as ``(namespace, "messages", (message, metadata))`` with the
    namespace of the graph the task belongs to; events of nested graphs that
    inherited this handler are ignored unless the caller streams subgraphs.
    A message is sent once: a final message whose id was already streamed token
    by token, or that was already in the node's input, is not sent again.
    """

    # Called in the thread that produced the event, so chunks keep their order.
    run_inline = True
    # Node boundaries come from the engine (see `on_task_done`), not from
    # chain callbacks; skipping those saves a call per nested runnable.
    ignore_chain = True
    ignore_agent = True
    ignore_retriever = True
    ignore_retry = True
    ignore_custom_event = True
    # Message types a node writes that are not streamed.
    node_output_skips: tuple[type, ...] = ()

    def __init__(
        self,
        stream: Callable[[Chunk], None],
        subgraphs: bool,
        *,
        namespace: tuple[str, ...] = (),
    ) -> None:
        # Where chunks go: the run's queue, in the order events happen.
        self.stream = stream
        # The graph this handler streams for; events of other (nested) graphs
        # count only when the caller streams subgraphs, as in LangGraph.
        self.namespace = namespace
        self.subgraphs = subgraphs
        # (namespace, metadata) of each chat-model run being streamed.
        self.metadata: dict[UUID, Meta] = {}
        self.seen: set[Any] = set()

    @classmethod
    def for_run(cls, run: Any) -> StreamMessagesHandler:
        """A handler queueing chunks on `run`, waking its driver to stream them now."""
        emitter = run.emitter
        out = emitter.out

        def stream(chunk: Chunk) -> None:
            out.append(chunk)
            wakeup = emitter.wakeup
            if wakeup is not None:  # the driver streams it now, mid-task
                wakeup()

        # The driver sets `stream_down` when the caller asked for subgraphs.
        return cls(stream, emitter.stream_down is not None, namespace=tuple(run.namespace))

    # -- emitting ------------------------------------------------------------

    def _emit(self, meta: Meta, message: BaseMessage, dedupe: bool) -> None:
        if dedupe and message.id in self.seen:
            return
        if message.id is None:
            message.id = str(uuid4())
        self.seen.add(message.id)
        self.stream((meta[0], "messages", (message, meta[1])))

    def _wants(self, ns: tuple[str, ...]) -> bool:
        return ns == self.namespace or self.subgraphs

    def push(self, metadata: dict[str, Any], message: BaseMessage) -> None:
        """Send `message` now (push_message), even if it was sent before."""
        ns = graph_namespace(metadata)
        if self._wants(ns):
            self._emit((ns, metadata), message, dedupe=False)

    # -- streaming protocol (the model's output is passed through untouched) --

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        return output

    def tap_output_aiter(self, run_id: UUID, output: Any) -> Any:
        return output

    # -- chat model callbacks -------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        if not metadata or "langgraph_checkpoint_ns" not in metadata:
            metadata, tags = _with_task_context(metadata, tags)
            if metadata is None:
                return  # not called from inside a graph task
        if tags and TAG_NOSTREAM in tags:
            return
        ns = graph_namespace(metadata)
        if not self._wants(ns):
            return
        meta = dict(metadata)
        user_tags = _user_tags(tags)
        if user_tags is not None:
            meta["tags"] = user_tags
        self.metadata[run_id] = (ns, meta)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        if isinstance(chunk, ChatGenerationChunk):
            meta = self.metadata.get(run_id)
            if meta is not None:
                self._emit(meta, chunk.message, dedupe=False)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> Any:
        meta = self.metadata.pop(run_id, None)
        if meta is not None and response.generations and response.generations[0]:
            generation = response.generations[0][0]
            if isinstance(generation, ChatGeneration):
                # Already sent if it was streamed: the chunks carry its id.
                self._emit(meta, generation.message, dedupe=True)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Any:
        self.metadata.pop(run_id, None)

    # -- node boundaries (called by the engine) ---------------------------------

    def task_finished(self, task: Any) -> None:
        """Send the messages a successful task wrote that were neither in its
        input nor streamed already (a node that built or copied a message)."""
        read: list[BaseMessage] = []
        for value in _top_values(task.input):
            read.extend(_messages_in(value))
        written: list[BaseMessage] = []
        for _, value in task.writes:
            written.extend(_messages_in(value))
        if not read and not written:
            return  # most tasks: no message to record or send
        config = task.config
        if TAG_HIDDEN in (config.get("tags") or ()):
            return
        metadata = config.get("metadata") or {}
        if "langgraph_checkpoint_ns" not in metadata:
            return
        ns = graph_namespace(metadata)
        if not self._wants(ns):
            return
        seen = self.seen
        for message in read:
            if message.id is not None:
                seen.add(message.id)
        meta: Meta | None = None
        skipped = self.node_output_skips
        for message in written:
            if message.id in seen and message.id is not None:
                continue
            if skipped and isinstance(message, skipped):
                continue
            if meta is None:
                meta = (ns, _node_metadata(metadata))
            self._emit(meta, message, dedupe=True)


class StreamMessagesHandlerV2(StreamMessagesHandler, _V2StreamingCallbackHandler):
    """The `messages` handler of runs streamed as v3 events: a chat model's output
    arrives as its protocol events (message-start, content-block-start/delta/finish,
    message-finish), each sent as ``(event, metadata + run_id)``.

    Being a `_V2StreamingCallbackHandler` is what makes a chat model's `invoke`
    produce protocol events (`on_stream_event`) instead of tokens; tokens that
    still arrive (a node calling `model.stream()`) are not sent. A message whose
    events were sent is not sent again whole, whatever id its final form has, and
    tool results a node writes are left to state and tool streams.
    """

    node_output_skips: tuple[type, ...] = (ToolMessage,)

    def __init__(
        self,
        stream: Callable[[Chunk], None],
        subgraphs: bool,
        *,
        namespace: tuple[str, ...] = (),
    ) -> None:
        super().__init__(stream, subgraphs, namespace=namespace)
        # Chat-model runs whose output was streamed as events: (namespace,
        # metadata with the run's id) that each of their events carries.
        self.event_meta: dict[UUID, Meta] = {}

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> Any:
        return None

    def on_stream_event(
        self,
        event: Mapping[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        meta = self.event_meta.get(run_id)
        if meta is None:
            run_meta = self.metadata.get(run_id)
            if run_meta is None:  # not a model this handler streams
                return
            meta = self.event_meta[run_id] = (run_meta[0], {**run_meta[1], "run_id": str(run_id)})
        if event.get("event") == "message-start":
            # The node will likely return this message: it is sent already.
            message_id = event.get("id") or event.get("message_id")
            if message_id:
                self.seen.add(message_id)
        self.stream((meta[0], "messages", (event, meta[1])))

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> Any:
        if self.event_meta.pop(run_id, None) is None:
            super().on_llm_end(response, run_id=run_id, **kwargs)
            return
        # Streamed as events: the final message (whose id may differ from the
        # one message-start announced) counts as sent.
        self.metadata.pop(run_id, None)
        if response.generations and response.generations[0]:
            generation = response.generations[0][0]
            if isinstance(generation, ChatGeneration):
                message = generation.message
                if message.id is None:
                    message.id = str(uuid4())
                self.seen.add(message.id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Any:
        self.event_meta.pop(run_id, None)
        self.metadata.pop(run_id, None)


def without_v2_handlers(callbacks: Any) -> Any:
    """`callbacks` (a list or a manager) without v2 messages handlers."""

    def keep(handlers: list[Any]) -> list[Any]:
        return [h for h in handlers if not isinstance(h, StreamMessagesHandlerV2)]

    if isinstance(callbacks, BaseCallbackManager):
        if not any(isinstance(h, StreamMessagesHandlerV2) for h in callbacks.handlers):
            return callbacks
        manager = callbacks.copy()
        manager.handlers = keep(manager.handlers)
        manager.inheritable_handlers = keep(manager.inheritable_handlers)
        return manager
    kept = keep(list(callbacks))
    return kept if len(kept) < len(callbacks) else callbacks


def _handlers(callbacks: Any) -> Sequence[Any]:
    if type(callbacks) is list:
        return callbacks
    if isinstance(callbacks, BaseCallbackManager):
        return callbacks.handlers
    return callbacks or ()


def on_task_done(run: Any, task: Any) -> None:
    """Engine hook: a task finished successfully and its writes are collected
    (call before the task's `updates` chunk is queued, as LangGraph orders them).

    The task's config is its last use here: the task lets go of it. The config
    refers back to the task (its parent-task and send keys), and that cycle would
    keep both, and everything they hold, for the garbage collector, whose passes
    then cost more than the run. A config the node kept is untouched."""
    config = task.built_config
    if config is None:  # nothing in the task asked for its config: no handler
        return
    for handler in _handlers(config.get("callbacks")):
        # the exact types first: isinstance goes through typing's protocol check
        # (LangChain's streaming handler base is a Protocol)
        cls = type(handler)
        if cls in _OWN_HANDLERS or isinstance(handler, StreamMessagesHandler):
            handler.task_finished(task)
    task._config = None  # rebuilt if asked for again


_OWN_HANDLERS = frozenset((StreamMessagesHandler, StreamMessagesHandlerV2))
