"""One run of a Pregel graph: the sans-IO core shared by the sync and async drivers.

The core plans tasks, accepts their results and commits steps; it never runs
user code and never talks to a checkpointer. Saver calls are queued in
`pending_io` as (target, method, args) for the driver to perform (sync or async),
and stream chunks are queued in `out` as (namespace, mode, payload).
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from xxhash import xxh3_128_hexdigest

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    ERROR,
    INPUT,
    INTERRUPT,
    MISSING,
    NO_WRITES,
    PREVIOUS,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
    PULL,
    PUSH,
    RESUME,
    RETURN,
    TASKS,
)  # noqa
from langgraph_jit.errors import (
    GraphBubbleUp,
    EmptyInputError,
    GraphInterrupt,
    GraphRecursionError,
    ErrorCode,
    create_error_message,
)
from langgraph_jit.pregel import _lc, _output
from langgraph_jit.pregel._checkpoint import CheckpointState, empty_saved
from langgraph_jit.pregel._table import ChannelTable
from langgraph_jit.types import Command, PregelTask, Send

PUSH_TRIGGER = (PUSH,)
_CONTROL_WRITES = frozenset((ERROR, "__error_source_node__", INTERRUPT, RESUME))
# Configurable keys LangGraph copies into a task's metadata (for tracing).
_PROPAGATE_TO_METADATA = (
    "thread_id", "checkpoint_id", "checkpoint_ns", "task_id", "run_id", "assistant_id", "graph_id",
)
WRITES_SPECIAL = (ERROR, INTERRUPT, RESUME, "__scheduled__")


class Task:
    """A task of the current step: one node run on one input."""

    __slots__ = (
        "run",
        "name",
        "node_id",
        "proc",
        "input",
        "triggers",
        "path",
        "writes",
        "_id",
        "_config",
        "cached",
        "error",
        "_scratchpad",
        "calls",
        "_runtime",
        "attempt",
        "first_attempt_time",
        "handled_error",
    )

    def __init__(self, run, name, node_id, proc, input, triggers, path):
        self.run = run
        self.name = name
        self.node_id = node_id
        self.proc = proc
        self.input = input
        self.triggers = triggers
        self.path = path
        self.writes: list[tuple[str, Any]] = []
        self._id = None
        self._config = None
        self.cached = False
        self.error = None
        self._scratchpad = None
        self.calls = 0  # task calls made so far (functional API)
        self._runtime = None
        self.attempt = 1
        self.first_attempt_time: float | None = None
        self.handled_error: Any = None  # for error-handler tasks: the NodeError

    @property
    def id(self) -> str:
        # Derived from the checkpoint id, so computed only when observed.
        if self._id is None:
            self._id = self.run.task_id(self)
        return self._id

    @property
    def scratchpad(self) -> Any:
        if self._scratchpad is None:
            from langgraph_jit.pregel._interrupt import Scratchpad

            self._scratchpad = Scratchpad(self)
        return self._scratchpad

    @property
    def checkpoint_ns(self) -> str:
        parent = self.run.checkpoint_ns
        base = f"{parent}{NS_SEP}{self.name}" if parent else self.name
        return f"{base}{NS_END}{self.id}"

    @property
    def runtime(self) -> Any:
        """The Runtime this task's node sees (built once per task)."""
        runtime = self._runtime
        if runtime is None:
            from langgraph_jit.runtime import ExecutionInfo, Runtime

            run = self.run
            previous = run.channel_map.get(PREVIOUS)
            runtime = self._runtime = Runtime(
                context=run.context,
                store=run.graph.store,
                stream_writer=run.stream_writer(),
                previous=previous.get() if previous is not None and previous.is_available() else None,
                execution_info=ExecutionInfo(
                    checkpoint_id=run.state.current_id(),
                    checkpoint_ns=self.checkpoint_ns,
                    task_id=self.id,
                    thread_id=run.configurable.get("thread_id"),
                    run_id=str(run.config["run_id"]) if run.config.get("run_id") else None,
                    node_attempt=self.attempt,
                    node_first_attempt_time=self.first_attempt_time,
                ),
                control=run.control,
            )
        return runtime

    @property
    def config(self) -> dict:
        if self._config is None:
            self._config = self.run.task_config(self)
        return self._config

    @property
    def sort_key(self) -> tuple:
        # LangGraph orders writes by the task path string: every pull task
        # (by node name) before every push task (by index).
        path = self.path
        if path[0] == PULL:
            return (0, path[1], 0)
        if isinstance(path[1], tuple):  # a task call: after the sends
            return (2, _task_path_str(path[1]), path[2])
        return (1, "", path[1])  # a Send: (PUSH, idx, False)

    def send(self, writes: Sequence[tuple[str, Any]]) -> None:
        self.writes.extend(writes)

    def read(self, select: str | Sequence[str], fresh: bool = False) -> Any:
        """Read channels; `fresh` reads them as if this task's writes so far
        were applied (what a conditional edge sees after its node ran)."""
        run = self.run
        channels = run.channel_map
        keys = [select] if isinstance(select, str) else select
        managed = run.graph.managed
        if fresh:
            pending: dict[str, list] = {}
            for chan, value in self.writes:
                if chan in keys:
                    pending.setdefault(chan, []).append(value)
            idle_sweep = run.topo.idle_sweep
            chan_id = run.topo.chan_id
            local = {}
            for k in keys:
                ch = channels.get(k)
                if ch is None:
                    continue
                if k in pending or idle_sweep[chan_id[k]]:
                    # A copy: the step's real commit happens later, for all tasks.
                    ch = ch.copy()
                    ch.update(pending.get(k, ()))
                local[k] = ch
        else:
            local = channels
        if isinstance(select, str):
            return _output.read_channel(local, select)
        values = _output.read_channels(local, [k for k in keys if k not in managed])
        for k in keys:
            if k in managed:
                values[k] = managed[k].get(self.run.scratchpad())
        return values


def CURRENT_TASK_IS(task: Any) -> bool:
    from langgraph_jit.pregel._runner import CURRENT_TASK

    return CURRENT_TASK.get() is task


class _Scratchpad:
    __slots__ = ("step", "stop")

    def __init__(self, step: int, stop: int) -> None:
        self.step = step
        self.stop = stop


class PregelRun:
    """The state machine of one invoke/stream call on one graph."""

    def __init__(
        self,
        graph: Any,
        input: Any,
        config: dict,
        *,
        stream_modes: frozenset[str],
        output_keys: str | Sequence[str],
        stream_keys: str | Sequence[str],
        interrupt_before: Sequence[str] | str,
        interrupt_after: Sequence[str] | str,
        checkpointer: Any,
        durability: str,
        namespace: tuple[str, ...] = (),
        parent_stream: tuple[Any, frozenset[str]] | None = None,
    ) -> None:
        self.graph = graph
        # Modes this run's caller asked for; a subgraph also produces those
        # its parent streams (subgraphs=True).
        self.own_modes = stream_modes
        self.parent_stream = parent_stream
        # What subgraphs run by this run's tasks stream into (set by the
        # driver when the caller asked for subgraphs=True).
        self.stream_down = parent_stream
        if parent_stream is not None:
            stream_modes = stream_modes | parent_stream[1]
        self.topo = graph._topology
        self.input = input
        self.config = config
        self.configurable = config.get(CONF) or {}
        self.stream_modes = stream_modes
        self.output_keys = output_keys
        self.output_key_set = (
            frozenset((output_keys,)) if isinstance(output_keys, str) else frozenset(output_keys)
        )
        self.stream_keys = stream_keys
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        self.checkpointer = checkpointer
        self.durability = durability
        self.namespace = namespace
        self.checkpoint_ns = self.configurable.get(CONFIG_KEY_CHECKPOINT_NS, "")
        # What savers see of the config: no private engine keys.
        self._public_configurable = {
            k: v for k, v in self.configurable.items() if not k.startswith("__pregel_")
        }
        self._public_configurable[CONFIG_KEY_CHECKPOINT_NS] = self.checkpoint_ns
        self.out: deque = deque()
        self.pending_io: list[tuple[Any, str, tuple]] = []
        self.cache = graph.cache if graph.cache is not None and _has_cache_policy(graph) else None
        self.tasks: list[Task] = []
        self.status = "pending"
        self.step = 0
        self.stop = 0
        self.recursion_limit = config.get("recursion_limit", graph._default_recursion_limit)
        self.wants_updates = "updates" in stream_modes
        self.wants_values = "values" in stream_modes
        self.wants_messages = "messages" in stream_modes and _lc.langchain_loaded()
        self.wants_tasks = "tasks" in stream_modes or "debug" in stream_modes
        self.wants_checkpoints = (
            "checkpoints" in stream_modes or "debug" in stream_modes
        )
        self.saving = checkpointer is not None and durability != "exit"
        self.nested = "__pregel_task_id" in self.configurable
        # Guards run state that task calls (functional API) update from
        # worker threads while a step runs.
        self.lock = threading.RLock()
        self.lc_context = _lc.context_needed(config, stream_modes)
        # Chunks that users watch live (tokens, custom progress, subgraph
        # events) are streamed while tasks run, not when they finish.
        self.eager = bool(self.own_modes & {"custom", "messages"}) or (
            graph.stream_eager and bool(self.own_modes)
        )
        self.wakeup: Any = None
        self.max_concurrency = config.get("max_concurrency")
        self.context: Any = None
        from langgraph_jit.runtime import RunControl

        parent_task = self.configurable.get("__pregel_parent_task")
        self.control = parent_task.run.control if parent_task is not None else RunControl()
        self._pull_tails: dict[str, bytes] = graph._pull_tails
        self._writes_config: dict | None = None
        self._cache_keys: dict[str, tuple] = {}
        self._read_cache: dict[int, list] = {}
        self._bump_log: list[list[int]] = []
        self._commit_no = 0
        self._log_start = 0
        self._saved_id: str | None = None
        self._emitted_interrupts: set[int] = set()
        self._written_ids: set[str] = set()
        self.superseded = False  # set by the driver: a newer checkpoint exists
        self.replaying = False
        self._created_checkpoint = False
        self.interrupts: list = []
        # Last `values` chunk, kept incrementally when only invoke's final
        # result is needed (see track_latest_values).
        self._latest_only = False
        self._latest: Any = None
        self._has_latest = False
        self._dirty_outputs: set[int] = set()

    # -- identifiers ------------------------------------------------------

    def task_id(self, task: Task) -> str:
        # xxh3-128 of (checkpoint id, node namespace, step, node, kind, ...),
        # formatted as a UUID: LangGraph's scheme, so ids match for the same
        # checkpoint. The per-node tail is constant and cached.
        name = task.name
        path = task.path
        if path[0] == PUSH and isinstance(path[1], tuple):
            # A task call: identified by its parent's path and call index.
            tail = f"{name}{PUSH}{_task_path_str(path[1])}{path[2]}".encode()
        elif path[0] == PUSH:
            tail = f"{name}{PUSH}{path[1]}".encode()
        else:
            tail = self._pull_tails.get(name)
            if tail is None:
                tail = self._pull_tails[name] = (
                    name + PULL + "".join(task.triggers)
                ).encode()
        ns = self.checkpoint_ns
        node_ns = f"{ns}{NS_SEP}{name}" if ns else name
        h = xxh3_128_hexdigest(
            self.state.checkpoint_id_bytes() + f"{node_ns}{self.step}".encode() + tail
        )
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def task_config(self, task: Task) -> dict:
        """The RunnableConfig a node sees (LangGraph's ensure_config shape)."""
        config = self.config
        proc = task.proc
        configurable = dict(self.configurable)
        metadata = dict(config.get("metadata") or {})
        for key in _PROPAGATE_TO_METADATA:
            if key not in metadata and configurable.get(key):
                metadata[key] = configurable[key]
        metadata.update(
            langgraph_step=self.step,
            langgraph_node=task.name,
            langgraph_triggers=task.triggers,
            langgraph_path=task.path,
            langgraph_checkpoint_ns=task.checkpoint_ns,
        )
        if proc.metadata:
            metadata.update(proc.metadata)
        tags = list(config.get("tags") or ())
        if proc.tags:
            tags.extend(proc.tags)
        configurable[CONFIG_KEY_CHECKPOINT_NS] = task.checkpoint_ns
        configurable.pop(CONFIG_KEY_CHECKPOINT_ID, None)
        configurable["__pregel_task_id"] = task.id
        configurable["__pregel_send"] = task.send
        configurable["__pregel_parent_task"] = task
        configurable[CONFIG_KEY_CHECKPOINT_MAP] = {
            **self.configurable.get(CONFIG_KEY_CHECKPOINT_MAP, {}),
            self.checkpoint_ns: self.state.current_id(),
        }
        stream_down = self.stream_down
        if stream_down is not None:
            configurable["__pregel_stream"] = stream_down
        else:
            configurable.pop("__pregel_stream", None)
        if self.checkpointer is not None:
            configurable["__pregel_checkpointer"] = self.checkpointer
        callbacks = config.get("callbacks")
        extra = _lc.messages_callbacks(self) if "messages" in self.stream_modes else None
        if extra:
            callbacks = [*(callbacks or ()), *extra]
        return {
            "recursion_limit": self.recursion_limit,
            **config,
            "callbacks": callbacks,
            "metadata": metadata,
            "tags": tags,
            "run_name": task.name,
            CONF: configurable,
        }

    # -- starting ---------------------------------------------------------

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

    def scratchpad(self) -> Any:
        """What managed values are computed from: this step and the limit."""
        return _Scratchpad(self.step, self.stop)

    def latest_lookup_config(self) -> dict | None:
        """When the caller addressed a checkpoint: the config that finds the
        thread's latest one (to tell whether the addressed one is superseded)."""
        if self.nested or not self.configurable.get(CONFIG_KEY_CHECKPOINT_ID):
            return None
        config = self.lookup_config()
        conf = {k: v for k, v in config[CONF].items() if k != CONFIG_KEY_CHECKPOINT_ID}
        return {**config, CONF: conf}

    def lookup_config(self) -> dict:
        """The config to load the thread's checkpoint with."""
        conf = {
            k: v for k, v in self.configurable.items() if not k.startswith("__pregel_")
        }
        conf.setdefault(CONFIG_KEY_CHECKPOINT_NS, self.checkpoint_ns)
        return {**self.config, CONF: conf}

    def load(self, saved: Any) -> None:
        """Rebuild channels and bookkeeping from a saved checkpoint tuple."""
        graph = self.graph
        self.state = state = CheckpointState.load(
            self.topo, graph.channels, saved or empty_saved(), self.checkpointer
        )
        self.table = ChannelTable(
            self.topo,
            state.channels,
            state.versions,
            state.seen,
            state.has_seen,
            force_compiled=graph._force_compiled,
        )
        self.channel_map = dict(zip(self.topo.chan_names, state.channels))
        self.step = state.metadata_step + 1
        self.stop = self.step + self.recursion_limit + 1
        self.next_nodes: list[int] | None = state.initial_candidates(self.topo)
        self.pending_writes: list[tuple[str, str, Any]] = list(state.pending_writes)
        self._written_ids: set[str] = {w[0] for w in self.pending_writes}
        if saved is not None and self.checkpointer is not None:
            self.checkpoint_config = saved.config
        else:
            self.checkpoint_config = None
        self.parent_config = getattr(saved, "parent_config", None)

    def start(self, saved: Any) -> None:
        """Load the saved checkpoint tuple (or None) and apply the input."""
        self.load(saved)
        state = self.state
        graph = self.graph
        input = self.input
        is_command = isinstance(input, Command)
        nested = "__pregel_task_id" in self.configurable
        resuming = bool(state.has_versions) and bool(
            self.configurable.get("__pregel_resuming", input is None or is_command)
        )
        # Time travel: the caller addressed a checkpoint (not resuming an
        # interrupt there). Its tasks run again instead of reusing saved writes.
        addressed = not nested and bool(self.configurable.get(CONFIG_KEY_CHECKPOINT_ID))
        time_traveling = addressed and not (is_command and input.resume is not None)
        self.replaying = time_traveling or self.superseded
        if time_traveling:
            self.pending_writes = [w for w in self.pending_writes if w[1] != RESUME]
        forks = (
            resuming
            and time_traveling
            and (state.metadata.get("source") not in ("update", "fork") or self.superseded)
        )
        if is_command:
            self._apply_command(input)
        if not nested:
            # Subgraphs run by this run's first step learn whether to resume.
            self.configurable = {**self.configurable, "__pregel_resuming": resuming}
        null_writes = [(c, v) for tid, c, v in self.pending_writes if tid == NULL_TASK_ID]
        if null_writes:
            # The nodes to examine next are those of the checkpoint's update
            # plus those the null writes (Command input) trigger.
            before = self.next_nodes
            self._commit([], null_writes, bump_step=False)
            if before is not None:
                after = self.next_nodes
                if after is None:
                    self.next_nodes = before
                else:
                    self.next_nodes = self.table.plan(sorted(set(before) | set(after)))
        if resuming:
            state.mark_interrupts_seen(self.table)
            if forks:
                # The replayed branch starts with a copy of the checkpoint.
                self.pending_writes = [w for w in self.pending_writes if w[1] != INTERRUPT]
                self._save("fork")
            if self._latest_only:
                self._dirty_outputs.update(self._output_ids)
                self._refresh_latest()
            if self.wants_values:
                self._emit_values()
        else:
            input_writes = self._map_input(input)
            if input_writes:
                discarded = self._plan_pull()
                self._commit(
                    [t for t in discarded],
                    input_writes,
                    bump_step=bool(discarded),
                    input_task=True,
                )
                self.pending_writes = []
                self._save("input")
            elif not is_command and "__pregel_resuming" not in self.config.get(CONF, {}):
                keys = graph.input_channels
                raise EmptyInputError(f"Received no input for {keys}")

    def _apply_command(self, cmd: Command) -> None:
        if cmd.graph == Command.PARENT:
            from langgraph_jit.errors import InvalidUpdateError

            raise InvalidUpdateError("There is no parent graph")
        writes: list[tuple[str, Any]] = []
        resume_is_map = False
        if cmd.resume is not None:
            if self.checkpointer is None:
                raise RuntimeError("Cannot use Command(resume=...) without checkpointer")
            resume = cmd.resume
            resume_is_map = isinstance(resume, dict) and all(_is_interrupt_id(k) for k in resume)
            if resume_is_map:
                self.configurable = {**self.configurable, "__pregel_resume_map": resume}
            else:
                if len(self._pending_interrupt_ids()) > 1:
                    raise RuntimeError(
                        "When there are multiple pending interrupts, you must specify the "
                        "interrupt id when resuming. Docs: https://docs.langchain.com/oss/"
                        "python/langgraph/interrupts#handling-multiple-interrupts."
                    )
                writes.append((RESUME, resume))
        if cmd.update is not None:
            writes.extend(cmd._update_as_tuples())
        gotos = cmd.goto if isinstance(cmd.goto, (list, tuple)) else [cmd.goto] if cmd.goto else []
        for g in gotos:
            if isinstance(g, Send):
                writes.append((TASKS, g))
            elif isinstance(g, str):
                writes.append((f"branch:to:{g}", None))
        if not writes and not resume_is_map:
            raise EmptyInputError("Received empty Command input")
        self.pending_writes = [
            w for w in self.pending_writes if not (w[0] == NULL_TASK_ID and w[1] in WRITES_SPECIAL)
        ] + [(NULL_TASK_ID, c, v) for c, v in writes]
        if self.saving:
            self._queue_put_writes(NULL_TASK_ID, writes, "")

    def _input_keys(self) -> frozenset[str]:
        keys = self.graph.input_channels
        cached = getattr(self.graph, "_input_key_set", None)
        if cached is None or cached[0] is not keys:
            cached = self.graph._input_key_set = (keys, frozenset(keys))
        return cached[1]

    def _pending_interrupt_ids(self) -> set[str]:
        """Ids of saved interrupts whose task has not finished since."""
        finished = {
            tid
            for tid, chan, _ in self.pending_writes
            if chan not in (ERROR, INTERRUPT, RESUME, "__error_source_node__")
        }
        ids = set()
        for tid, chan, value in self.pending_writes:
            if chan == INTERRUPT and tid not in finished:
                for i in value if isinstance(value, (list, tuple)) else [value]:
                    ids.add(i.id if hasattr(i, "id") else i.get("id"))
        return ids

    def _map_input(self, input: Any) -> list[tuple[str, Any]]:
        keys = self.graph.input_channels
        if input is None:
            return []
        if isinstance(keys, str):
            # A Command on a fresh thread is also the input (LangGraph).
            return [(keys, input)]
        if not isinstance(input, dict):
            raise TypeError(f"Expected chunk to be a dict, got {type(input).__name__}")
        writes = []
        chan_id = self.topo.chan_id
        for k, v in input.items():
            if k in chan_id and k in self._input_keys():
                writes.append((k, v))
            else:
                import logging

                logging.getLogger("langgraph_jit").warning(
                    "Input channel %s not found in %s", k, keys
                )
        return writes

    # -- planning ---------------------------------------------------------

    def _plan_pull(self) -> list[Task]:
        topo = self.topo
        table = self.table
        if self.next_nodes is None:
            # LangGraph examines no node while the checkpoint has no versions.
            node_ids = table.plan(topo.insertion_order) if table.max_version > 0 else []
        else:
            node_ids = self.next_nodes
        tasks = []
        channels = self.channel_map
        for n in node_ids:
            proc = topo.procs[n]
            name = topo.node_names[n]
            sub = proc.channels
            if isinstance(sub, str):
                ch = channels.get(sub)
                if ch is None or not ch.is_available():
                    continue
                value = ch.get()
            else:
                value = self._read_state(sub, topo.read_set[n])
            if proc.mapper is not None:
                try:
                    value = proc.mapper(value)
                except Exception as exc:
                    exc.add_note(f"Before task with name '{name}' and path '{(PULL, name)}'")
                    raise
            tasks.append(
                Task(self, name, n, proc, value, topo.sorted_triggers[n], (PULL, name))
            )
        return tasks

    def _read_state(self, keys: list[str], read_set: int) -> dict[str, Any]:
        """A node's input dict: its channels' current values, in `keys` order.

        Kept per read set and refreshed from the channels bumped since it was
        last built, so a step costs what changed, not the state's size. A
        channel that gains or loses its value changes key order: rebuild.
        """
        entry = self._read_cache.get(read_set)
        commit_no = self._commit_no
        if entry is not None and entry[1] != commit_no:
            values, seen_no, keyset, managed = entry
            log = self._bump_log
            if seen_no < self._log_start:
                entry = None
            else:
                names = self.topo.chan_names
                channels = self.table.channels
                for bumped in log[seen_no - self._log_start:]:
                    for c in bumped:
                        name = names[c]
                        if name not in keyset:
                            continue
                        ch = channels[c]
                        if ch.is_available():
                            if name in values:
                                values[name] = ch.get()
                                continue
                        elif name not in values:
                            continue
                        entry = None
                        break
                    if entry is None:
                        break
                if entry is not None:
                    entry[1] = commit_no
        if entry is None:
            channels = self.channel_map
            values = {}
            managed = []
            for k in keys:
                ch = channels.get(k)
                if ch is None:
                    managed.append(k)
                    values[k] = None  # placeholder keeps the key's position
                elif ch.is_available():
                    values[k] = ch.get()
            entry = [values, commit_no, frozenset(keys), managed]
            self._read_cache[read_set] = entry
        values = dict(entry[0])
        if entry[3]:
            pad = self.scratchpad()
            for k in entry[3]:
                values[k] = self.graph.managed[k].get(pad)
        return values

    def _plan_push(self) -> list[Task]:
        tasks_channel = self.channel_map.get(TASKS)
        if tasks_channel is None or not tasks_channel.is_available():
            return []
        tasks = []
        node_id = self.topo.node_id
        for idx, packet in enumerate(tasks_channel.get()):
            if not isinstance(packet, Send):
                import logging

                logging.getLogger("langgraph_jit").warning(
                    "Ignoring invalid packet type %s in pending sends", type(packet)
                )
                continue
            n = node_id.get(packet.node)
            if n is None:
                import logging

                logging.getLogger("langgraph_jit").warning(
                    "Ignoring unknown node name %s in pending sends", packet.node
                )
                continue
            proc = self.topo.procs[n]
            if proc.bound is None and not proc.writers:
                continue
            tasks.append(
                Task(self, packet.node, n, proc, packet.arg, PUSH_TRIGGER, (PUSH, idx, False))
            )
        return tasks

    def plan(self) -> list[Task]:
        push = self._plan_push()
        pull = self._plan_pull()
        return push + pull if push else pull

    # -- the loop ---------------------------------------------------------

    def tick(self) -> bool:
        """Plan the next step; False when the run is over."""
        if self.step > self.stop:
            self.status = "out_of_steps"
            self.tasks = self.plan()
            self._emit_checkpoint()
            return False
        self.tasks = tasks = self.plan()
        self._emit_checkpoint()
        if not tasks:
            self.status = "done"
            return False
        if self.pending_writes and not self.replaying:
            self._reuse_pending_writes(tasks)
        if self.interrupt_before and self._should_interrupt(self.interrupt_before):
            self.status = "interrupt_before"
            raise GraphInterrupt()
        if self.wants_tasks:
            for t in tasks:
                if not _output.is_hidden(t):
                    self._emit_task("task", _output.task_start_payload(t, self.config))
        for t in tasks:
            if t.cached:
                self._emit_task_done(t, cached=True)
        return True

    def cache_lookup(self) -> list[tuple]:
        """Cache keys of this step's tasks that have a cache policy."""
        keys = []
        for t in self.tasks:
            if t.cached:
                continue
            key = self._cache_key(t)
            if key is not None:
                keys.append(key)
        return keys

    def _cache_key(self, task: Task) -> tuple | None:
        policy = task.proc.cache_policy or self.graph.cache_policy
        if policy is None:
            return None
        entry = self._cache_keys.get(task.id)
        if entry is not None:
            return entry[0]
        args_key = policy.key_func(task.input)
        digest = xxh3_128_hexdigest(args_key.encode() if isinstance(args_key, str) else args_key)
        namespace = (_CACHE_NS_WRITES, _identifier(task.proc.bound) or "__dynamic__", task.name)
        key = (namespace, digest)
        self._cache_keys[task.id] = (key, policy.ttl)
        return key

    def apply_cached(self, found: dict) -> None:
        """Tasks whose writes are cached are not run; their writes replay."""
        if not found:
            return
        for t in self.tasks:
            entry = self._cache_keys.get(t.id)
            if entry is not None and entry[0] in found and not t.cached:
                t.writes.extend(tuple(w) for w in found[entry[0]])
                t.cached = True
                if self.checkpointer is not None:
                    self._record_writes(t, t.writes)
                self._emit_task_done(t, cached=True)

    def runnable_tasks(self) -> list[Task]:
        return [t for t in self.tasks if not t.cached]

    def _reuse_pending_writes(self, tasks: list[Task]) -> None:
        # Tasks whose successful writes were saved before a failure or an
        # interrupt are not run again.
        by_id: dict[str, list[tuple[str, Any]]] = {}
        for tid, chan, value in self.pending_writes:
            if tid == NULL_TASK_ID or chan in (ERROR, INTERRUPT, RESUME, "__scheduled__"):
                continue
            by_id.setdefault(tid, []).append((chan, value))
        if not by_id:
            return
        for t in tasks:
            writes = by_id.get(t.id)
            if writes is not None:
                t.writes.extend(writes)
                t.cached = True

    def task_done(self, task: Task) -> None:
        """A task finished successfully; its writes are in task.writes."""
        if self.wants_messages:
            # Messages a node wrote without streaming them, before its update.
            from langgraph_jit.pregel._messages import on_task_done

            on_task_done(self, task)
        if self.checkpointer is not None:
            writes = task.writes
            if all(c in _CONTROL_WRITES for c, _ in writes):
                # Marks the task done even though it wrote nothing.
                writes.append((NO_WRITES, None))
            self._record_writes(task, writes)
        if self.cache is not None:
            entry = self._cache_keys.get(task.id)
            if entry is not None:
                key, ttl = entry
                self.pending_io.append((self.cache, "set", ({key: (list(task.writes), ttl)},)))
        self._emit_task_done(task)

    def saved_call_result(self, task: Task) -> tuple[Any] | None:
        """(value,) when this task call's result was saved before (resume)."""
        tid = task.id
        for wtid, chan, value in self.pending_writes:
            if wtid == tid and chan == RETURN:
                return (value,)
        return None

    def _record_writes(self, task: Task, writes: Sequence[tuple[str, Any]]) -> None:
        tid = task.id
        # A task's new writes replace its earlier ones (a set, not a scan:
        # a step can have thousands of tasks).
        written = self._written_ids
        if tid in written:
            self.pending_writes = [w for w in self.pending_writes if w[0] != tid]
        else:
            written.add(tid)
        self.pending_writes.extend((tid, c, v) for c, v in writes)
        if self.saving:
            # Saved even for a lone task: history snapshots show each task's
            # result from these writes, as LangGraph's do.
            self._queue_put_writes(tid, writes, task.path)

    def error_handler_task(self, task: Task, exc: BaseException) -> Task | None:
        """The task that handles this failure (add_node(error_handler=...)),
        to run in the same step instead of failing the run; else None."""
        handlers = getattr(self.graph, "error_handlers", None)
        if not handlers or isinstance(exc, GraphBubbleUp) or not isinstance(exc, Exception):
            return None
        name = handlers.get(task.name)
        if name is None:
            return None
        from langgraph_jit.errors import NodeError

        n = self.topo.node_id[name]
        handler = Task(self, name, n, self.topo.procs[n], task.input, PUSH_TRIGGER, (PUSH, task.path, 0, True))
        handler.handled_error = NodeError(task.name, exc)
        self.tasks.append(handler)
        return handler

    def task_failed(self, task: Task, exc: BaseException) -> None:
        """A task raised; record the error so the thread can be resumed."""
        task.error = exc
        if isinstance(exc, GraphInterrupt):
            interrupts = tuple(exc.args[0]) if exc.args else ()
            emitted = self._emitted_interrupts
            fresh = tuple(i for i in interrupts if id(i) not in emitted)
            emitted.update(id(i) for i in interrupts)
            if interrupts:
                self.interrupts.extend(fresh)
                writes = [(INTERRUPT, interrupts)]
                writes.extend(w for w in task.writes if w[0] == RESUME)
                if self.checkpointer is not None:
                    self._record_writes(task, writes)
                if _output.is_hidden(task) or not fresh:
                    return
                if self._latest_only:
                    # invoke's result is the values chunk LangGraph emits here.
                    self._dirty_outputs.update(self._output_ids)
                    self._refresh_latest()
                if self.wants_updates:
                    self.emit("updates", {INTERRUPT: interrupts})
                if self.wants_values:
                    values = _output.read_channels(self.channel_map, self.output_keys)
                    if isinstance(values, dict):
                        values[INTERRUPT] = interrupts
                        self.emit("values", values)
                    else:
                        self.emit("values", {INTERRUPT: interrupts})
                if self.wants_tasks:
                    task.writes = writes
                    self._emit_task("task_result", _output.task_result_payload(task, self.stream_keys))
            return
        if isinstance(exc, GraphBubbleUp):
            return
        if self.checkpointer is not None:
            # Writes the task made before failing (e.g. a node's update
            # before its conditional edge raised) are saved with the error.
            self._record_writes(task, [*task.writes, (ERROR, repr(exc))])
        if self.wants_tasks:
            self._emit_task(
                "task_result",
                {
                    "id": task.id,
                    "name": task.name,
                    "error": exc,
                    "result": {},
                    "interrupts": [],
                },
            )

    def _emit_task_done(self, task: Task, cached: bool = False) -> None:
        if self.wants_updates:
            chunk = _output.updates_chunk(self.output_keys, [task], cached=cached)
            if chunk is not None:
                self.emit("updates", chunk)
        if self.wants_tasks and not _output.is_hidden(task):
            self._emit_task(
                "task_result", _output.task_result_payload(task, self.stream_keys)
            )

    def after_tick(self) -> None:
        """Commit the step: apply all writes, save a checkpoint."""
        tasks = sorted(self.tasks, key=_task_sort_key) if len(self.tasks) > 1 else self.tasks
        writes: list[tuple[str, Any]] = []
        for t in tasks:
            writes.extend(t.writes)
        self._commit(tasks, writes, bump_step=True)
        self.pending_writes = []
        self.replaying = False  # only the first step of a replay re-runs done tasks
        self._save("loop")
        if self.configurable.get("__pregel_resuming") and "__pregel_task_id" not in self.configurable:
            self.configurable = {**self.configurable, "__pregel_resuming": False}
        if self.interrupt_after and self._should_interrupt(self.interrupt_after):
            self.status = "interrupt_after"
            self.tasks = self.plan()
            self._emit_checkpoint()
            raise GraphInterrupt()

    def _commit(
        self,
        tasks: Sequence[Task],
        writes: Sequence[tuple[str, Any]],
        *,
        bump_step: bool,
        input_task: bool = False,
        versionless: bool = False,
    ) -> None:
        topo = self.topo
        ran: list[int] = []
        consumed: list[int] = []
        consume_ids = topo.consume_ids
        pushed: list[int] = []
        state = self.state
        tracking = state.tracking
        for t in tasks:
            if t.path[0] == PULL:
                n = t.node_id
                ran.append(n)
                for c in consume_ids[n]:
                    if c not in consumed:
                        consumed.append(c)
                if tracking:
                    state.record_seen(t.name, n, self.table)
            else:
                if t.node_id is not None:  # task calls are not graph nodes
                    pushed.append(t.node_id)
                if tracking:
                    state.record_seen(t.name, None, self.table)
        if input_task and tracking:
            state.record_seen(INPUT, None, self.table)
        if tasks:
            self.table.mark_seen(ran)
            if pushed:
                self.table.mark_seen(pushed)
        bumped, bumped_avail, next_nodes = self.table.apply_writes(
            ran, consumed, writes, bump_step, versionless
        )
        if bumped and tracking:
            state.bump(bumped, self.table)
        if versionless:
            self._read_cache.clear()
        elif bumped:
            # What node inputs refresh from (see _read_state); bounded.
            self._bump_log.append(bumped)
            self._commit_no += 1
            if len(self._bump_log) > 64:
                del self._bump_log[:32]
                self._log_start += 32
        updated = [c for c, a in zip(bumped, bumped_avail) if a] if len(bumped) != 1 else bumped if bumped_avail[0] else []
        state.updated_channels = updated
        self.next_nodes = next_nodes if updated else None
        if self._latest_only:
            out_ids = self._output_ids
            self._dirty_outputs.update(c for c in bumped if c in out_ids)
            if not input_task and bump_step and any(c in out_ids for c in updated):
                self._refresh_latest()
                if self.wants_values:  # a parent streams this subgraph's values
                    self._emit_values()
        elif self.wants_values and not input_task and bump_step:
            names = topo.chan_names
            if any(names[c] in self.output_key_set for c in updated):
                self._emit_values()

    # -- checkpoints --------------------------------------------------------

    def _save(self, source: str) -> None:
        state = self.state
        if not self.saving and self.checkpointer is None:
            # Nothing observes this checkpoint but task ids derived from it.
            state.new_checkpoint(self.step, None)
            self.step += 1
            return
        metadata = {
            "source": source,
            "step": self.step,
            "parents": self.configurable.get(CONFIG_KEY_CHECKPOINT_MAP, {}),
        }
        state.new_checkpoint(self.step, metadata)
        self._created_checkpoint = True
        if self.saving:
            self._put_current()
        self.step += 1

    def _put_current(self) -> None:
        """Queue a put of the current checkpoint as a child of the last saved one."""
        state = self.state
        metadata = state.metadata
        checkpoint, new_versions = state.snapshot(self.checkpointer)
        if True:
            base = self.checkpoint_config or self._thread_config()
            conf = dict(self._public_configurable)
            parent_id = base[CONF].get(CONFIG_KEY_CHECKPOINT_ID)
            if parent_id:
                conf[CONFIG_KEY_CHECKPOINT_ID] = parent_id
            else:
                conf.pop(CONFIG_KEY_CHECKPOINT_ID, None)
            config = {**self.config, CONF: conf}
            self.pending_io.append(
                (self.checkpointer, "put", (config, checkpoint, metadata, new_versions))
            )
            self.parent_config = (
                self.checkpoint_config
                if self.checkpoint_config and self.checkpoint_config[CONF].get(CONFIG_KEY_CHECKPOINT_ID)
                else None
            )
            self.checkpoint_config = {
                CONF: {
                    "thread_id": self.configurable.get("thread_id"),
                    CONFIG_KEY_CHECKPOINT_NS: self.checkpoint_ns,
                    CONFIG_KEY_CHECKPOINT_ID: checkpoint["id"],
                }
            }
        self._saved_id = checkpoint["id"]

    def on_exit(self) -> None:
        """The run ends (done, interrupted or failed). With durability "exit"
        this is when the last checkpoint and its pending writes are saved."""
        if self.durability != "exit" or self.checkpointer is None:
            return
        state = getattr(self, "state", None)
        if state is None or state.metadata is None:
            return
        if self._created_checkpoint and state.current_id() != self._saved_id:
            self._put_current()
        by_task: dict[str, list] = {}
        for tid, chan, value in self.pending_writes:
            if tid != NULL_TASK_ID:
                by_task.setdefault(tid, []).append((chan, value))
        paths = {t.id: t.path for t in self.tasks}
        for tid, writes in by_task.items():
            self._queue_put_writes(tid, writes, paths.get(tid, ""))

    def _thread_config(self) -> dict:
        return {CONF: {"thread_id": self.configurable.get("thread_id"), CONFIG_KEY_CHECKPOINT_NS: self.checkpoint_ns}}

    def _queue_put_writes(self, task_id: str, writes: Sequence[tuple[str, Any]], path: Any) -> None:
        untracked = self.topo.untracked
        if untracked:
            # UntrackedValue writes are never persisted.
            writes = [w for w in writes if w[0] not in untracked]
        if not writes:
            return
        checkpoint_id = self.state.current_id()
        config = self._writes_config
        if config is None or config[CONF][CONFIG_KEY_CHECKPOINT_ID] != checkpoint_id:
            config = self._writes_config = {
                CONF: {**self._public_configurable, CONFIG_KEY_CHECKPOINT_ID: checkpoint_id}
            }
        if not path:
            path_str = ""
        elif path[0] == PULL:
            path_str = _pull_path_str(path[1])
        else:
            path_str = _task_path_str(path)
        self.pending_io.append(
            (self.checkpointer, "put_writes", (config, list(writes), task_id, path_str))
        )

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
                entries.append({"id": t.id, "name": t.name, "result": _output.task_result_payload(t, self.output_keys)["result"], "interrupts": (), "state": sub})
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

    def on_interrupt(self, exc: GraphInterrupt) -> None:
        """The run stops at a breakpoint or at interrupt() calls in tasks."""
        interrupts = tuple(exc.args[0]) if exc.args else ()
        done = [t for t in self.tasks if t.writes and t.error is None]
        if interrupts and done and self.checkpointer is not None:
            # Show the state with the finished tasks' writes (not saved).
            done.sort(key=_task_sort_key)
            self._commit(done, [w for t in done for w in t.writes], bump_step=True)
        if not interrupts and self.wants_updates and not self.nested:
            self.emit("updates", {INTERRUPT: interrupts})

    def _emit_values(self) -> None:
        self.emit("values", _output.read_channels(self.channel_map, self.output_keys))

    def _should_interrupt(self, nodes: Sequence[str] | str) -> bool:
        seen = self.state.interrupt_seen
        any_new = any(
            self.table.version(c) > seen.get(c, 0) for c in range(self.topo.n_channels)
        )
        if not any_new:
            return False
        from langgraph_jit.constants import TAG_HIDDEN

        for t in self.tasks:
            if nodes == "*":
                if not (t.proc.tags and TAG_HIDDEN in t.proc.tags):
                    return True
            elif t.name in nodes:
                return True
        return False

    def output(self) -> Any:
        return _output.read_channels(self.channel_map, self.output_keys)

    def recursion_error(self) -> GraphRecursionError:
        return GraphRecursionError(
            create_error_message(
                message=(
                    f"Recursion limit of {self.recursion_limit} reached "
                    "without hitting a stop condition. You can increase the "
                    "limit by setting the `recursion_limit` config key."
                ),
                error_code=ErrorCode.GRAPH_RECURSION_LIMIT,
            )
        )


_CACHE_NS_WRITES = "__pregel_ns_writes"


@functools.lru_cache(maxsize=4096)
def _pull_path_str(name: str) -> str:
    """The saved path string of a pull task, computed once per node name."""
    return f"~{PULL}, {name}"


def _has_cache_policy(graph: Any) -> bool:
    return graph.cache_policy is not None or any(
        n.cache_policy is not None for n in graph.nodes.values()
    )


def _identifier(obj: Any) -> str | None:
    """module.qualname of a node's function: part of its cache namespace."""
    obj = getattr(obj, "steps", [obj])[0] if obj.__class__.__name__ == "_Sequence" else obj
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if name is None or module is None:
        return None
    return f"{module}.{name}"


def _is_interrupt_id(key: Any) -> bool:
    return isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def _task_sort_key(task: Task) -> tuple:
    return task.sort_key


def _task_path_str(path: Any) -> str:
    if isinstance(path, (tuple, list)):
        if len(path) == 2 and path[0] == PULL:
            return f"~{PULL}, {path[1]}"
        return "~" + ", ".join(_task_path_str(p) for p in path)
    if isinstance(path, int):
        return f"{path:010d}"
    return str(path)
