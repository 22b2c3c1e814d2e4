"""Lifecycle and subgraph transformers of v3 streaming.

Both read the `tasks` stream mode and infer from it when a subgraph starts and ends:

- a subgraph started when the first task event arrives from a namespace under the
  scope; its last segment `"<node>:<task id>"` names the graph and the task that runs it;
- it ended when that task's result arrives in the parent namespace (interrupts win over
  an error; no error means completed), or when the run itself ends (completed, or the
  run's error turned into a status: drained / interrupted / failed).

`LifecycleTransformer` publishes those transitions as `LifecyclePayload`s on the
`lifecycle` channel (every depth below its scope); `SubgraphTransformer` gives each
direct child subgraph a run handle whose child mux sees that subgraph's events.
Task events are folded into these projections and kept out of the event log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

from typing_extensions import NotRequired, TypedDict

from langgraph_jit.errors import GraphDrained, GraphInterrupt
from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.run_stream import AsyncSubgraphRunStream, SubgraphRunStream
from langgraph_jit.stream.stream_channel import StreamChannel

if TYPE_CHECKING:
    from langgraph_jit.stream._mux import StreamMux

__all__ = [
    "LifecycleCause",
    "LifecyclePayload",
    "LifecycleTransformer",
    "SubgraphStatus",
    "SubgraphTransformer",
    "_TasksLifecycleBase",
]

SubgraphStatus = Literal["started", "completed", "failed", "interrupted", "drained"]


class LifecycleCauseToolCall(TypedDict):
    type: Literal["toolCall"]
    tool_call_id: str


class LifecycleCauseSend(TypedDict):
    type: Literal["send"]
    node: NotRequired[str]


class LifecycleCauseEdge(TypedDict):
    type: Literal["edge"]
    node: NotRequired[str]


LifecycleCause = LifecycleCauseToolCall | LifecycleCauseSend | LifecycleCauseEdge
"""Why a subgraph started; the transformers infer only tool calls (agents as tools)."""


class LifecyclePayload(TypedDict):
    """One transition of one subgraph run, as `run.lifecycle` yields it."""

    event: SubgraphStatus
    namespace: list[str]
    graph_name: NotRequired[str]
    trigger_call_id: NotRequired[str]
    cause: NotRequired[LifecycleCause]
    error: NotRequired[str]


Namespace = tuple[str, ...]
_TASKS_ONLY = frozenset(("tasks",))
_Transition = tuple[Namespace, SubgraphStatus, "str | None"]


def _split_segment(segment: str) -> tuple[str, str | None]:
    """`"node:task_id"` -> (node, task id); a segment without a task id -> (segment, None)."""
    name, sep, task_id = segment.partition(":")
    return (name, task_id) if sep else (segment, None)


def _status_of_error(err: BaseException) -> tuple[SubgraphStatus, str | None]:
    """The terminal status of subgraphs still open when the run ends with `err`."""
    if isinstance(err, GraphDrained):
        return "drained", None
    if isinstance(err, GraphInterrupt):
        return "interrupted", None
    return "failed", str(err)


def _status_of_result(data: Mapping[str, Any]) -> tuple[SubgraphStatus, str | None]:
    if data.get("interrupts"):
        return "interrupted", None
    error = data.get("error")
    if error:
        return "failed", str(error)
    return "completed", None


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # a plain dict (what events carry) without the abstract-class check
    return type(value) is dict or isinstance(value, Mapping)


def _tool_call_id(task_input: Any) -> str | None:
    """The id of the tool call a task runs, from a tool node's task input: a tool call
    with its context (`{"tool_call": {...}}`) or a list of tool calls (the first)."""
    if _is_mapping(task_input):
        call = task_input.get("tool_call")
        if call is not None and _is_mapping(call) and isinstance(call.get("id"), str):
            return call["id"]
        return None
    if isinstance(task_input, list):
        for call in task_input:
            if isinstance(call, Mapping) and isinstance(call.get("id"), str):
                return call["id"]
    return None


class _TasksLifecycleBase(StreamTransformer):
    """Tracks subgraph runs below `scope` from `tasks` events.

    Subclasses say which namespaces they follow (`_should_track`) and react to
    `_on_started(ns, graph_name, trigger_call_id)` and `_on_terminal(ns, status, error)`.
    The cause of a start (the tool call that ran an agent) is not an argument, so
    overrides written against the three-argument hook keep working: it is in
    `self._pending_cause` while `_on_started` runs.
    """

    required_stream_modes = ("tasks",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        # namespaces whose start was reported: a namespace starts at most once
        self._seen: set[Namespace] = set()
        # started and not yet ended, in start order (the run's end closes them so),
        # each with the key of the task result that ends it: (parent namespace, task id)
        self._open: dict[Namespace, tuple[Namespace, str]] = {}
        self._open_by_task: dict[tuple[Namespace, str], list[Namespace]] = {}
        # tool call each task ran, by task id: a nested agent's namespace segment
        # carries its parent task's id, which leads back to the tool call
        self._tool_call_by_task: dict[str, str] = {}
        # `lc_agent_name` of the first task event seen at each namespace: subclasses
        # outside this package (langchain's SubagentTransformer) read it
        self._lc_by_ns: dict[Namespace, str | None] = {}
        self._pending_cause: LifecycleCause | None = None

    # -- hooks ---------------------------------------------------------------------

    def _should_track(self, ns: Namespace) -> bool:
        raise NotImplementedError

    def _on_started(
        self, ns: Namespace, graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        raise NotImplementedError

    def _on_terminal(self, ns: Namespace, status: SubgraphStatus, error: str | None) -> None:
        raise NotImplementedError

    # -- events --------------------------------------------------------------------

    def _reads_only(self) -> frozenset[str] | None:
        return _TASKS_ONLY if type(self).process is _TasksLifecycleBase.process else None

    def process(self, event: ProtocolEvent) -> bool:
        if event["method"] != "tasks":
            return True
        for ns, status, error in self._consume_task_event(event):
            self._on_terminal(ns, status, error)
        return False

    def _consume_task_event(self, event: ProtocolEvent) -> list[_Transition]:
        """Report a start (if any) and return the subgraphs this event ended."""
        params = event["params"]
        ns = tuple(params["namespace"])
        data = params["data"]
        scope = self.scope
        if (scope and ns[: len(scope)] != scope) or not _is_mapping(data):
            return []
        # only a task's result carries these keys: any other task event is a start
        if "result" in data or "error" in data or "interrupts" in data:
            return self._ended_by(ns, data)
        self._task_started(ns, data)
        return []

    def _task_started(self, ns: Namespace, data: Mapping[str, Any]) -> None:
        self._record_identity(ns, data)
        self._record_pending_tool_calls(data)
        self._handle_task_start(ns, data)

    # The three steps of a start are separate methods because subclasses outside this
    # package (langchain's SubagentTransformer) call them from their own `aprocess`.

    def _record_identity(self, ns: Namespace, data: Mapping[str, Any]) -> None:
        if ns not in self._lc_by_ns:
            metadata = data.get("metadata")
            self._lc_by_ns[ns] = metadata.get("lc_agent_name") if _is_mapping(metadata) else None

    def _record_pending_tool_calls(self, data: Mapping[str, Any]) -> None:
        task_id = data.get("id")
        if isinstance(task_id, str):
            task_input = data.get("input")
            if type(task_input) is dict and "tool_call" not in task_input:
                return  # most tasks: a state, not a tool call
            call_id = _tool_call_id(task_input)
            if call_id is not None:
                self._tool_call_by_task[task_id] = call_id

    def _handle_task_start(self, ns: Namespace, data: Mapping[str, Any]) -> None:
        if len(ns) <= len(self.scope) or ns in self._seen or not self._should_track(ns):
            return
        node, trigger_call_id = _split_segment(ns[-1])
        self._seen.add(ns)
        if trigger_call_id is not None:
            # without a task id no result can end it (only its handle is made)
            key = (ns[:-1], trigger_call_id)
            self._open[ns] = key
            self._open_by_task.setdefault(key, []).append(ns)
        graph_name: str | None = node
        cause: LifecycleCause | None = None
        metadata = data.get("metadata")
        agent_name = metadata.get("lc_agent_name") if _is_mapping(metadata) else None
        if agent_name is not None:
            # a named agent (create_agent(name=...)) runs here, maybe as a tool
            graph_name = agent_name
            call_id = self._tool_call_by_task.get(trigger_call_id or "")
            if call_id is not None:
                cause = {"type": "toolCall", "tool_call_id": call_id}
        self._pending_cause = cause
        try:
            self._on_started(ns, graph_name, trigger_call_id)
        finally:
            self._pending_cause = None

    def _ended_by(self, ns: Namespace, data: Mapping[str, Any]) -> list[_Transition]:
        task_id = data.get("id")
        if not isinstance(task_id, str):
            return []
        # matched by task id alone: the node name in the segment is not compared
        ended = self._open_by_task.pop((ns, task_id), None)
        if not ended:
            return []
        status, error = _status_of_result(data)
        for sub in ended:
            del self._open[sub]
        return [(sub, status, error) for sub in ended]

    # the name subclasses outside this package call
    _pop_terminal_transitions = _ended_by

    # -- end of the run --------------------------------------------------------------

    def _close_all(self, status: SubgraphStatus, error: str | None) -> list[_Transition]:
        ended = [(ns, status, error) for ns in self._open]
        self._open.clear()
        self._open_by_task.clear()
        return ended

    def finalize(self) -> None:
        for ns, status, error in self._close_all("completed", None):
            self._on_terminal(ns, status, error)

    def fail(self, err: BaseException) -> None:
        for ns, status, error in self._close_all(*_status_of_error(err)):
            self._on_terminal(ns, status, error)


class LifecycleTransformer(_TasksLifecycleBase):
    """The `lifecycle` projection: a `LifecyclePayload` per start and end of every
    subgraph run below the scope, at any depth."""

    _native = True

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._channel: StreamChannel[LifecyclePayload] = StreamChannel("lifecycle")

    def init(self) -> dict[str, Any]:
        return {"lifecycle": self._channel}

    def _should_track(self, ns: Namespace) -> bool:
        return len(ns) > len(self.scope)

    def _on_started(
        self, ns: Namespace, graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        if trigger_call_id is None:
            return  # not a subgraph run (its namespace segment names no task)
        payload: LifecyclePayload = {"event": "started", "namespace": list(ns)}
        if graph_name:
            payload["graph_name"] = graph_name
        if trigger_call_id:
            payload["trigger_call_id"] = trigger_call_id
        if self._pending_cause is not None:
            payload["cause"] = self._pending_cause
        self._channel.push(payload)

    def _on_terminal(self, ns: Namespace, status: SubgraphStatus, error: str | None) -> None:
        payload: LifecyclePayload = {"event": status, "namespace": list(ns)}
        if status == "failed" and error is not None:
            payload["error"] = error
        self._channel.push(payload)


class SubgraphTransformer(_TasksLifecycleBase):
    """The `subgraphs` projection: a run handle per direct child subgraph.

    Each handle reads a child mux (same transformer factories, the child's scope) that
    receives every event from under the child's namespace, so `sub.values`,
    `sub.messages`, `sub.subgraphs` (grandchildren), `sub.output` and `sub.status`
    work as on the run's own handle. The child mux is closed when the subgraph ends
    (failed with its error if it failed).
    """

    _native = True
    supports_sync = True

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        # unnamed: handles are in-process objects, not forwarded into the event log
        self._log: StreamChannel[Any] = StreamChannel()
        self._handles: dict[Namespace, SubgraphRunStream | AsyncSubgraphRunStream] = {}
        self._mux: StreamMux | None = None

    def init(self) -> dict[str, Any]:
        return {"subgraphs": self._log}

    def _on_register(self, mux: Any) -> None:
        self._mux = mux

    def _should_track(self, ns: Namespace) -> bool:
        return len(ns) == len(self.scope) + 1

    def _on_started(
        self, ns: Namespace, graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        mux = self._mux
        if mux is None:
            raise RuntimeError("SubgraphTransformer must be registered with a StreamMux")
        child = mux._make_child(ns)
        handle_cls = AsyncSubgraphRunStream if mux.is_async else SubgraphRunStream
        handle = handle_cls(child, path=ns, graph_name=graph_name, trigger_call_id=trigger_call_id)
        self._handles[ns] = handle
        self._log.push(handle)

    # -- events --------------------------------------------------------------------

    def _handle_for_event(self, event: ProtocolEvent) -> Any:
        """The open handle whose subgraph emitted `event` (at any depth below it)."""
        if not self._handles:
            return None
        ns = event["params"]["namespace"]
        depth = len(self.scope) + 1
        if len(ns) < depth:
            return None
        handle = self._handles.get(tuple(ns[:depth]))
        if handle is None or handle._seen_terminal or _closed(handle):
            return None
        return handle

    def process(self, event: ProtocolEvent) -> bool:
        keep = True
        if event["method"] == "tasks":
            keep = False
            for ns, status, error in self._consume_task_event(event):
                self._on_terminal(ns, status, error)
        if self._handles:
            handle = self._handle_for_event(event)
            if handle is not None:
                handle._observe_event(event)
                handle._mux.push(event)
        return keep

    async def aprocess(self, event: ProtocolEvent) -> bool:
        keep = True
        if event["method"] == "tasks":
            keep = False
            for ns, status, error in self._consume_task_event(event):
                await self._aon_terminal(ns, status, error)
        handle = self._handle_for_event(event)
        if handle is not None:
            handle._observe_event(event)
            await handle._mux.apush(event)
        return keep

    # -- ends ------------------------------------------------------------------------

    def _mark_terminal(self, ns: Namespace, status: SubgraphStatus, error: str | None) -> Any:
        """Record the end on the handle; the handle if its child mux is still to close."""
        handle = self._handles.get(ns)
        if handle is None or handle._seen_terminal:
            return None
        handle.status = status
        handle.error = error
        handle._seen_terminal = True
        return None if _closed(handle) else handle

    def _on_terminal(self, ns: Namespace, status: SubgraphStatus, error: str | None) -> None:
        handle = self._mark_terminal(ns, status, error)
        if handle is None:
            return
        if status == "failed":
            handle._mux.fail(RuntimeError(error or ""))
        else:
            handle._mux.close()

    async def _aon_terminal(self, ns: Namespace, status: SubgraphStatus, error: str | None) -> None:
        handle = self._mark_terminal(ns, status, error)
        if handle is None:
            return
        if status == "failed":
            await handle._mux.afail(RuntimeError(error or ""))
        else:
            await handle._mux.aclose()

    def _unended(self) -> list[Namespace]:
        """Subgraphs whose end was not seen, in start order (the run's end ends them);
        this includes a handle whose namespace names no task, which no result ends."""
        self._close_all("completed", None)
        return [ns for ns, handle in self._handles.items() if not handle._seen_terminal]

    def finalize(self) -> None:
        # close every child before raising the first error one of them raised
        first: BaseException | None = None
        for ns in self._unended():
            try:
                self._on_terminal(ns, "completed", None)
            except BaseException as err:
                first = first or err
        if first is not None:
            raise first

    async def afinalize(self) -> None:
        first: BaseException | None = None
        for ns in self._unended():
            try:
                await self._aon_terminal(ns, "completed", None)
            except BaseException as err:
                first = first or err
        if first is not None:
            raise first

    def fail(self, err: BaseException) -> None:
        status, error = _status_of_error(err)
        for ns in self._unended():
            handle = self._mark_terminal(ns, status, error)
            if handle is not None:
                handle._mux.fail(err)

    async def afail(self, err: BaseException) -> None:
        status, error = _status_of_error(err)
        for ns in self._unended():
            handle = self._mark_terminal(ns, status, error)
            if handle is not None:
                await handle._mux.afail(err)


def _closed(handle: Any) -> bool:
    """Whether the handle's child mux has ended (its run ended or it was aborted)."""
    return bool(handle._mux._events._closed)
