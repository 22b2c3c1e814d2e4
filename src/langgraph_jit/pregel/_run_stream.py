"""The streaming side of a run: chunk emission for every stream mode, the
checkpoint/task payloads, and the incrementally kept `values` of invoke().

A mixin of PregelRun: it reads the run's state and appends to `run.out`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph_jit._constants import CONF, CONFIG_KEY_CHECKPOINT_ID, CONFIG_KEY_CHECKPOINT_NS, ERROR
from langgraph_jit.pregel._core import output as _output

if TYPE_CHECKING:
    from langgraph_jit.pregel._core.task import Task


class RunStreaming:
    """Stream output of a PregelRun."""

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

    def stream_writer(self) -> Any:
        """The `custom` stream writer of this run (a no-op when not streamed)."""
        if "custom" not in self.stream_modes:
            from langgraph_jit.runtime import _no_op_stream_writer

            return _no_op_stream_writer
        emit = self.emit
        return lambda chunk: emit("custom", chunk)

    def _emit_task_done(self, task: Task, cached: bool = False) -> None:
        if self.wants_updates:
            chunk = _output.updates_chunk(self.output_keys, [task], cached=cached)
            if chunk is not None:
                self.emit("updates", chunk)
        if self.wants_tasks and not _output.is_hidden(task):
            self._emit_task("task_result", _output.task_result_payload(task, self.stream_keys))

    def _emit_checkpoint(self) -> None:
        if not self.wants_checkpoints or self.checkpointer is None:
            return
        state = self.state
        config = {CONF: {**self._public_configurable, CONFIG_KEY_CHECKPOINT_ID: state.current_id()}}
        values = _output.read_channels(self.channel_map, self.stream_keys)
        entries = []
        errors = {tid: v for tid, c, v in self.pending_writes if c == ERROR}
        for t in self.tasks:
            sub = self.subgraph_state(t)
            if t.id in errors:
                entries.append({"id": t.id, "name": t.name, "error": errors[t.id], "state": sub})
            elif t.cached and t.writes:
                entries.append(
                    {
                        "id": t.id,
                        "name": t.name,
                        "result": _output.task_result_payload(t, self.output_keys)["result"],
                        "interrupts": (),
                        "state": sub,
                    }
                )
            else:
                entries.append({"id": t.id, "name": t.name, "interrupts": (), "state": sub})
        payload = _output.checkpoint_payload(
            config, self.parent_config, values, state.metadata, self.tasks, entries
        )
        if "checkpoints" in self.stream_modes:
            self.emit("checkpoints", payload)
        if "debug" in self.stream_modes:
            self.emit("debug", _output.debug_chunk(self.step - 1, "checkpoint", payload))

    def subgraph_state(self, task: Task) -> dict | None:
        """For a task running a subgraph: the config that addresses its state."""
        if not getattr(task.proc, "subgraphs", None):
            return None
        return {
            CONF: {
                "thread_id": self.configurable.get("thread_id"),
                CONFIG_KEY_CHECKPOINT_NS: task.checkpoint_ns,
            }
        }

    def _emit_task(self, kind: str, payload: dict) -> None:
        if "tasks" in self.stream_modes:
            self.emit("tasks", payload)
        if "debug" in self.stream_modes:
            self.emit("debug", _output.debug_chunk(self.step, kind, payload))

    def track_latest_values(self) -> None:
        """Keep only the latest values chunk, updated from what changed."""
        self._latest_only = True
        chan_id = self.topo.chan_id
        self._output_ids = frozenset(chan_id[k] for k in self.output_key_set if k in chan_id)
        self._latest = None if isinstance(self.output_keys, str) else {}
        # Everything counts as changed until the first values chunk.
        self._dirty_outputs.update(self._output_ids)

    def _refresh_latest(self) -> None:
        names = self.topo.chan_names
        channels = self.table.channels
        self._has_latest = True
        if isinstance(self.output_keys, str):
            self._latest = _output.read_channel(self.channel_map, self.output_keys)
            self._dirty_outputs.clear()
            return
        latest = self._latest
        for c in self._dirty_outputs:
            ch = channels[c]
            if ch.is_available():
                latest[names[c]] = ch.get()
            else:
                latest.pop(names[c], None)
        self._dirty_outputs.clear()

    def latest_values(self) -> Any:
        if not self._has_latest:
            return None
        if not isinstance(self.output_keys, str):
            # Keep the output keys' declared order, as a fresh read would.
            latest = self._latest
            keys = self.output_keys
            return {k: latest[k] for k in keys if k in latest}
        return self._latest

    def _emit_values(self) -> None:
        self.emit("values", _output.read_channels(self.channel_map, self.output_keys))
