"""The streaming part of a run: which stream modes are on, the chunk queue, and
the incrementally kept `values` that invoke() returns.

Owns its state; the run coordinator calls it when tasks finish, steps commit
and checkpoints are made. Chunks are (namespace, mode, payload) in `out`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict
from itertools import repeat
from operator import attrgetter, is_
from typing import Any, get_args

from langgraph_jit._constants import CONF, CONFIG_KEY_CHECKPOINT_NS, INTERRUPT, MISSING
from langgraph_jit.channels.last_value import LastValue
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.task import Task
from langgraph_jit.types import StreamMode

# Every stream mode LangGraph 1.2 accepts: the documented ones (types.StreamMode),
# then "tools" (tool-call events, see pregel/_tools.py).
STREAM_MODES: tuple[str, ...] = (*get_args(StreamMode), "tools")
_VALID_MODES = frozenset(STREAM_MODES)
_NO_MODES: frozenset[str] = frozenset()


def stream_mode_set(stream_mode: str | Sequence[str], debug: bool = False) -> frozenset[str]:
    """The requested modes as a set; ValueError naming an unknown one."""
    if stream_mode == () and not debug:
        return _NO_MODES  # invoke's own values (see Pregel._invoke_run)
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
    for mode in modes:
        if mode not in _VALID_MODES:
            raise ValueError(
                f"Unknown stream_mode {mode!r}; valid modes are: {', '.join(STREAM_MODES)}"
            )
    if debug:
        modes = [*modes, "updates", "values"]
    return frozenset(modes)


def _no_op_writer(chunk: Any) -> None:
    pass


class Emitter:
    """Stream output of one run (and, for a streamed subgraph, of its parent)."""

    # Immutable starting values, read from the class until a run sets its own.
    wakeup: Callable[[], Any] | None = None
    # The `messages` callback handler (False: this run streams messages
    # only for its parent, whose handler it inherits); see _lc.
    messages_handler: Any = None
    # Chat-model output as protocol events (set for v3 event streams; see _lc).
    messages_v2 = False
    # The same for the `tools` handler (see _tools.tool_stream_callbacks).
    tools_handler: Any = None
    _latest_only = False
    # What a run that streams nothing keeps (see __init__).
    parent_stream: tuple[Any, ...] | None = None
    stream_down: tuple[Any, ...] | None = None
    wants_updates = False
    wants_values = False
    wants_messages = False
    wants_tasks = False
    wants_checkpoints = False
    eager = False
    _latest: Any = None
    _has_latest = False
    _output_ids: frozenset[int] = frozenset()
    # The channels whose bump `committed` acts on, when that is all it acts on (a
    # run keeping only invoke's latest values: its output channels); None: any.
    watched: frozenset[int] | None = None

    def __init__(
        self,
        topo: Any,
        stream_modes: frozenset[str],
        *,
        namespace: tuple[str, ...],
        output_keys: str | Sequence[str],
        stream_keys: str | Sequence[str],
        parent_stream: tuple[Any, ...] | None,
        stream_eager: bool,
    ) -> None:
        self.topo = topo
        # Modes this run's caller asked for; a subgraph also produces those
        # its parent streams (subgraphs=True).
        self.own_modes = stream_modes
        self.namespace = namespace
        self.out: deque[tuple[tuple[str, ...], str, Any]] = deque()
        self.output_keys = output_keys
        self.stream_keys = stream_keys
        self.channel_map: dict[str, Any] = {}
        self._dirty_outputs: set[int] = set()
        if not stream_modes and parent_stream is None:
            # Streams nothing (an invoke): the class's defaults hold.
            self.stream_modes = stream_modes
            return
        self.parent_stream = parent_stream
        # What subgraphs run by this run's tasks stream into (set by the
        # graph when the caller asked for subgraphs=True).
        self.stream_down = parent_stream
        if parent_stream is not None:
            stream_modes = stream_modes | parent_stream[1]
        self.stream_modes = stream_modes
        self.wants_updates = "updates" in stream_modes
        self.wants_values = "values" in stream_modes
        self.wants_messages = "messages" in stream_modes and _lc.langchain_loaded()
        self.wants_tasks = "tasks" in stream_modes or "debug" in stream_modes
        self.wants_checkpoints = "checkpoints" in stream_modes or "debug" in stream_modes
        # Chunks that users watch live (tokens, custom progress, subgraph
        # events) are streamed while tasks run, not when they finish.
        self.eager = bool(self.own_modes & {"custom", "messages"}) or (
            stream_eager and bool(self.own_modes)
        )

    _output_key_set: frozenset[str] | None = None

    @property
    def output_key_set(self) -> frozenset[str]:
        """The output keys as a set (made on first use: an invoke needs it
        only for streamed modes)."""
        found = self._output_key_set
        if found is None:
            keys = self.output_keys
            found = self._output_key_set = (
                frozenset((keys,)) if isinstance(keys, str) else frozenset(keys)
            )
        return found

    # The run's channels by id (None: only by name, in channel_map).
    channels: list[Any] | None = None

    def attach(self, channel_map: dict[str, Any], channels: list[Any] | None = None) -> None:
        """The run's channels (after a checkpoint was loaded), by name and by id."""
        self.channel_map = channel_map
        self.channels = channels

    # -- chunks -------------------------------------------------------------

    def emit(self, mode: str, payload: Any) -> None:
        """Queue a stream chunk for this run's caller and, for a subgraph
        streamed with subgraphs=True, for the parent's caller too."""
        if mode in self.own_modes:
            self.out.append((self.namespace, mode, payload))
            if self.wakeup is not None:
                self.wakeup()
        parent = self.parent_stream
        if parent is not None and mode in parent[1]:
            parent[0].append((self.namespace, mode, payload))
            wake = parent[2] if len(parent) > 2 else None
            if wake is not None and wake[0] is not None:
                wake[0]()

    def stream_writer(self) -> Callable[[Any], None]:
        """The `custom` stream writer of this run (a no-op when not streamed)."""
        if "custom" not in self.stream_modes:
            return _no_op_writer
        emit = self.emit
        return lambda chunk: emit("custom", chunk)

    def task_event(self, kind: str, payload: dict[str, Any], step: int) -> None:
        """A task started ("task") or finished ("task_result")."""
        if "tasks" in self.stream_modes:
            self.emit("tasks", payload)
        if "debug" in self.stream_modes:
            self.emit("debug", _output.debug_chunk(step, kind, payload))

    def task_done(self, task: Task, step: int, cached: bool = False) -> None:
        if self.wants_updates:
            # the keys as a set already (a str is the single-key form)
            keys = self.output_keys if isinstance(self.output_keys, str) else self.output_key_set
            chunk = _output.updates_chunk(keys, [task], cached=cached)
            if chunk is not None:
                self.emit("updates", chunk)
        # A task whose writes were cached or saved did not run: no result event.
        if self.wants_tasks and not cached and not _output.is_hidden(task):
            self.task_event(
                "task_result", _output.task_result_payload(task, self.stream_keys), step
            )

    def checkpoint(
        self,
        config: dict[str, Any],
        parent_config: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
        tasks: Sequence[Task],
        statuses: dict[str, tuple[Any, ...]],
        configurable: dict[str, Any],
        step: int,
    ) -> None:
        """The `checkpoints` / `debug` chunk of a checkpoint just made."""
        values = _output.read_channels(self.channel_map, self.stream_keys)
        entries = []
        for t in tasks:
            sub = subgraph_state(t, configurable)
            output, interrupts, error = statuses.get(t.id, _output.NO_STATUS)
            if error:
                entries.append({"id": t.id, "name": t.name, "error": error, "state": sub})
                continue
            raised = tuple(asdict(i) for i in interrupts)
            if output:
                result = _output.task_result(output, self.output_keys)
            elif t.cached and t.writes:
                result = _output.task_result_payload(t, self.output_keys)["result"]
            else:
                result = None
            if result:
                entries.append(
                    {
                        "id": t.id,
                        "name": t.name,
                        "result": result,
                        "interrupts": raised,
                        "state": sub,
                    }
                )
            else:
                entries.append({"id": t.id, "name": t.name, "interrupts": raised, "state": sub})
        payload = _output.checkpoint_payload(
            config, parent_config, values, metadata, tasks, entries
        )
        if "checkpoints" in self.stream_modes:
            self.emit("checkpoints", payload)
        if "debug" in self.stream_modes:
            self.emit("debug", _output.debug_chunk(step - 1, "checkpoint", payload))

    def values(self) -> None:
        self.emit("values", _output.read_channels(self.channel_map, self.output_keys))

    def interrupted(self, interrupts: tuple[Any, ...]) -> None:
        """Chunks for interrupts a task raised."""
        if self._latest_only:
            # invoke's result is the values chunk LangGraph emits here.
            self.mark_all_outputs()
        if self.wants_updates:
            self.emit("updates", {INTERRUPT: interrupts})
        if self.wants_values:
            values = _output.read_channels(self.channel_map, self.output_keys)
            if isinstance(values, dict):
                values[INTERRUPT] = interrupts
                self.emit("values", values)
            else:
                self.emit("values", {INTERRUPT: interrupts})

    # -- invoke's latest values ----------------------------------------------

    def track_latest_values(self) -> None:
        """Keep only the latest values chunk, updated from what changed."""
        self._latest_only = True
        topo = self.topo
        keys = self.output_keys
        cached = topo.output_ids_cache
        if cached is not None and cached[0] is keys and cached[1] == len(keys):
            ids = cached[2]
        else:
            chan_id = topo.chan_id
            ids = frozenset(chan_id[k] for k in self.output_key_set if k in chan_id)
            # Kept per graph for the keys object most runs pass (the graph's own).
            topo.output_ids_cache = (keys, len(keys), ids)
        self._output_ids = ids
        if not self.wants_values:
            self.watched = ids  # see `committed`: a bump of no output does nothing then
        self._latest = None if isinstance(keys, str) else {}
        # Everything counts as changed until the first values chunk.
        self._dirty_outputs.update(ids)

    def mark_all_outputs(self) -> None:
        """Refresh every output key now (resuming, an interrupt)."""
        if self._latest_only:
            self._dirty_outputs.update(self._output_ids)
            self._refresh_latest()

    def committed(self, bumped: Sequence[int], updated: Sequence[int], step_output: bool) -> None:
        """A commit bumped these channels (`updated`: those that now hold a
        value); `step_output` when the commit ends a step (not input)."""
        if self._latest_only:
            out_ids = self._output_ids
            dirty = self._dirty_outputs
            if len(bumped) > 8:
                dirty.update(out_ids.intersection(bumped))  # a wide commit: in C
            else:
                for c in bumped:
                    if c in out_ids:
                        dirty.add(c)
            if not (step_output and dirty and not out_ids.isdisjoint(updated)):
                return
            latest = self._latest
            if self.channels is None or isinstance(self.output_keys, str):
                self._refresh_latest()
            else:
                # _refresh_latest for the usual case (a dict of output keys), inline.
                self._has_latest = True
                names = self.topo.chan_names
                channels = self.channels
                if len(dirty) > 8 and _take_plain(latest, dirty, channels, names):
                    dirty.clear()
                    if self.wants_values:
                        self.values()
                    return
                for c in dirty:
                    ch = channels[c]
                    if type(ch) is LastValue:
                        if ch.value is not MISSING:
                            latest[names[c]] = ch.value
                        else:
                            latest.pop(names[c], None)
                    elif ch.is_available():
                        latest[names[c]] = ch.get()
                    else:
                        latest.pop(names[c], None)
                dirty.clear()
            if self.wants_values:  # a parent streams this subgraph's values
                self.values()
        elif self.wants_values and step_output:
            names = self.topo.chan_names
            if any(names[c] in self.output_key_set for c in updated):
                self.values()

    def _refresh_latest(self) -> None:
        self._has_latest = True
        if isinstance(self.output_keys, str):
            self._latest = _output.read_channel(self.channel_map, self.output_keys)
            self._dirty_outputs.clear()
            return
        names = self.topo.chan_names
        channel_map = self.channel_map
        latest = self._latest
        for c in self._dirty_outputs:
            name = names[c]
            ch = channel_map[name]
            if type(ch) is LastValue:  # most state keys: read inline
                if ch.value is not MISSING:
                    latest[name] = ch.value
                else:
                    latest.pop(name, None)
            elif ch.is_available():
                latest[name] = ch.get()
            else:
                latest.pop(name, None)
        self._dirty_outputs.clear()

    def latest_values(self) -> Any:
        if not self._has_latest:
            return None
        keys = self.output_keys
        if not isinstance(keys, str):
            # Keep the output keys' declared order, as a fresh read would (a
            # copy of the same order is cheaper to make than to rebuild).
            latest = self._latest
            if len(latest) == len(keys) and list(latest) == list(keys):
                return dict(latest)
            return {k: latest[k] for k in keys if k in latest}
        return self._latest


_value_of = attrgetter("value")
_PLAIN_KINDS = {LastValue}


def _take_plain(latest: dict[str, Any], ids: Any, channels: list[Any], names: list[str]) -> bool:
    """Copy the values of channels `ids` into `latest` by name, in C, when all
    are LastValues holding a value (True); else change nothing (False)."""
    ids = list(ids)
    chans = list(map(channels.__getitem__, ids))
    if set(map(type, chans)) != _PLAIN_KINDS:
        return False
    values = list(map(_value_of, chans))
    if any(map(is_, values, repeat(MISSING))):
        return False
    latest.update(zip(map(names.__getitem__, ids), values))
    return True


def subgraph_state(task: Task, configurable: dict[str, Any]) -> dict[str, Any] | None:
    """For a task running a subgraph: the config that addresses its state."""
    if not getattr(task.proc, "subgraphs", None):
        return None
    return {
        CONF: {
            "thread_id": configurable.get("thread_id"),
            CONFIG_KEY_CHECKPOINT_NS: task.checkpoint_ns,
        }
    }
