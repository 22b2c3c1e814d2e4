"""One run of a Pregel graph: the sans-IO core shared by the sync and async drivers.

The core plans tasks, accepts their results and commits steps; it never runs
user code and never talks to a checkpointer. Saver calls are queued in
`pending_io` as (target, method, args) for the driver to perform (sync or async),
and stream chunks are queued in `out` as (namespace, mode, payload).
"""

from __future__ import annotations

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
    NO_WRITES,
    NS_SEP,
    NULL_TASK_ID,
    PULL,
    PUSH,
    RESUME,
    TASKS,
)
from langgraph_jit.errors import (
    EmptyInputError,
    ErrorCode,
    GraphBubbleUp,
    GraphInterrupt,
    GraphRecursionError,
    create_error_message,
)
from langgraph_jit.pregel import _lc
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.checkpoint_state import CheckpointState
from langgraph_jit.pregel._core.table import ChannelTable
from langgraph_jit.pregel._core.task import (  # noqa: F401  (re-exported for older imports)
    _CACHE_NS_WRITES,
    Task,
    _has_cache_policy,
    _identifier,
    _is_interrupt_id,
    _pull_path_str,
    _Scratchpad,
    _task_path_str,
    _task_sort_key,
)
from langgraph_jit.pregel._run_persist import RunPersistence
from langgraph_jit.pregel._run_plan import RunPlanning
from langgraph_jit.pregel._run_stream import RunStreaming
from langgraph_jit.types import Command, Send

PUSH_TRIGGER = (PUSH,)
_CONTROL_WRITES = frozenset((ERROR, "__error_source_node__", INTERRUPT, RESUME))
# Configurable keys LangGraph copies into a task's metadata (for tracing).
_PROPAGATE_TO_METADATA = (
    "thread_id",
    "checkpoint_id",
    "checkpoint_ns",
    "task_id",
    "run_id",
    "assistant_id",
    "graph_id",
)
WRITES_SPECIAL = (ERROR, INTERRUPT, RESUME, "__scheduled__")


class PregelRun(RunPlanning, RunStreaming, RunPersistence):
    """The state machine of one invoke/stream call on one graph."""

    # Immutable starting values, read from the class until a run sets its
    # own (a run is created per invoke, and per subgraph call: fewer stores).
    status = "pending"
    step = 0
    stop = 0
    wakeup: Any = None
    inline_single = False  # set by the sync driver (see drive_sync)
    context: Any = None
    _control: Any = None
    _writes_config: dict | None = None
    _commit_no = 0
    _log_start = 0
    _saved_id: str | None = None
    superseded = False  # set by the driver: a newer checkpoint exists
    replaying = False
    _created_checkpoint = False
    # Last `values` chunk, kept incrementally when only invoke's final
    # result is needed (see track_latest_values).
    _latest_only = False
    _latest: Any = None
    _has_latest = False

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
        self.recursion_limit = config.get("recursion_limit", graph._default_recursion_limit)
        self.wants_updates = "updates" in stream_modes
        self.wants_values = "values" in stream_modes
        self.wants_messages = "messages" in stream_modes and _lc.langchain_loaded()
        self.wants_tasks = "tasks" in stream_modes or "debug" in stream_modes
        self.wants_checkpoints = "checkpoints" in stream_modes or "debug" in stream_modes
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
        self.max_concurrency = config.get("max_concurrency")
        self._pull_tails: dict[str, bytes] = graph._pull_tails
        self._cache_keys: dict[str, tuple] = {}
        self._read_cache: dict[int, list] = {}
        self._bump_log: list[list[int]] = []
        self._emitted_interrupts: set[int] = set()
        self._written_ids: set[str] = set()
        self.interrupts: list = []
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
                tail = self._pull_tails[name] = (name + PULL + "".join(task.triggers)).encode()
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

    @property
    def control(self) -> Any:
        """The RunControl of this run (a subgraph shares its parent's)."""
        if self._control is None:
            parent_task = self.configurable.get("__pregel_parent_task")
            if parent_task is not None:
                self._control = parent_task.run.control
            else:
                from langgraph_jit.runtime import RunControl

                self._control = RunControl()
        return self._control

    def scratchpad(self) -> Any:
        """What managed values are computed from: this step and the limit."""
        return _Scratchpad(self.step, self.stop)

    def load(self, saved: Any) -> None:
        """Rebuild channels and bookkeeping from a saved checkpoint tuple."""
        graph = self.graph
        self.state = state = CheckpointState.load(
            self.topo, graph.channels, saved, self.checkpointer
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
        self._tasks_channel = self.channel_map.get(TASKS)
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
        input_keys = self._input_keys()
        for k, v in input.items():
            if k in input_keys and k in chan_id:
                writes.append((k, v))
            else:
                import logging

                logging.getLogger("langgraph_jit").warning(
                    "Input channel %s not found in %s", k, keys
                )
        return writes

    # -- planning ---------------------------------------------------------

    def tick(self) -> bool:
        """Plan the next step; False when the run is over."""
        if self.step > self.stop:
            self.status = "out_of_steps"
            self.tasks = self.plan()
            self._emit_checkpoint()
            return False
        self.tasks = tasks = self.plan()
        if self.wants_checkpoints:
            self._emit_checkpoint()
        if not tasks:
            self.status = "done"
            return False
        reused = bool(self.pending_writes) and not self.replaying
        if reused:
            self._reuse_pending_writes(tasks)
        if self.interrupt_before and self._should_interrupt(self.interrupt_before):
            self.status = "interrupt_before"
            raise GraphInterrupt()
        if self.wants_tasks:
            for t in tasks:
                if not _output.is_hidden(t):
                    self._emit_task("task", _output.task_start_payload(t, self.config))
        if reused:
            for t in tasks:
                if t.cached:
                    self._emit_task_done(t, cached=True)
        return True

    def runnable_tasks(self) -> list[Task]:
        tasks = self.tasks
        if len(tasks) == 1:
            # A new list: error handlers append to self.tasks mid-step.
            return [] if tasks[0].cached else [tasks[0]]
        return [t for t in tasks if not t.cached]

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
        if self.wants_updates or self.wants_tasks:
            self._emit_task_done(task)

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
        handler = Task(
            self, name, n, self.topo.procs[n], task.input, PUSH_TRIGGER, (PUSH, task.path, 0, True)
        )
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
                    self._emit_task(
                        "task_result", _output.task_result_payload(task, self.stream_keys)
                    )
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

    def after_tick(self) -> None:
        """Commit the step: apply all writes, save a checkpoint."""
        tasks = self.tasks
        if len(tasks) == 1:
            writes = tasks[0].writes
        else:
            tasks = sorted(tasks, key=_task_sort_key)
            writes = [w for t in tasks for w in t.writes]
        self._commit(tasks, writes, bump_step=True)
        self.pending_writes = []
        self.replaying = False  # only the first step of a replay re-runs done tasks
        self._save("loop")
        if (
            self.configurable.get("__pregel_resuming")
            and "__pregel_task_id" not in self.configurable
        ):
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
        updated = (
            [c for c, a in zip(bumped, bumped_avail) if a]
            if len(bumped) != 1
            else bumped
            if bumped_avail[0]
            else []
        )
        state.updated_channels = updated
        self.next_nodes = next_nodes if updated else None
        if self._latest_only:
            out_ids = self._output_ids
            self._dirty_outputs.update(out_ids.intersection(bumped))
            if not input_task and bump_step and not out_ids.isdisjoint(updated):
                self._refresh_latest()
                if self.wants_values:  # a parent streams this subgraph's values
                    self._emit_values()
        elif self.wants_values and not input_task and bump_step:
            names = topo.chan_names
            if any(names[c] in self.output_key_set for c in updated):
                self._emit_values()

    # -- checkpoints --------------------------------------------------------

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

    def _should_interrupt(self, nodes: Sequence[str] | str) -> bool:
        seen = self.state.interrupt_seen
        any_new = any(self.table.version(c) > seen.get(c, 0) for c in range(self.topo.n_channels))
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
