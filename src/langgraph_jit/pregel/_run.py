"""One run of a Pregel graph: a small coordinator over the parts that own its state.

The parts are the planner (which tasks a step runs), the channel table and
checkpoint state (committing writes), the persister (saver calls, saved
writes, caches) and the emitter (stream chunks). The run never executes user
code and never talks to a saver: the drivers (`_drive.py`) run the tasks and
perform the queued saver calls, sync or async.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from hashlib import sha1
from itertools import compress
from typing import Any

from xxhash import xxh3_128_hexdigest

from langgraph_jit._config_merge import DEFAULT_RECURSION_LIMIT
from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_DURABILITY,
    CONFIG_KEY_NODE_FINISHED,
    CONFIG_KEY_PARENT_TASK,
    CONFIG_KEY_REPLAY_STATE,
    CONFIG_KEY_RESUME_MAP,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SEND,
    CONFIG_KEY_STREAM,
    CONFIG_KEY_STRICT_RESUME,
    CONFIG_KEY_TASK_ID,
    CONTROL_WRITES,
    ENGINE_LOGGER,
    ERROR,
    ERROR_HANDLER_PATH,
    ERROR_SOURCE_NODE,
    INPUT,
    INTERRUPT,
    NO_WRITES,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
    PULL,
    PUSH,
    PUSH_TRIGGER,
    RESUME,
    TASKS,
)
from langgraph_jit.constants import TAG_HIDDEN
from langgraph_jit.errors import (
    EmptyInputError,
    ErrorCode,
    GraphBubbleUp,
    GraphDrained,
    GraphInterrupt,
    GraphRecursionError,
    InvalidUpdateError,
    NodeError,
    UnknownInterruptError,
    create_error_message,
)
from langgraph_jit.pregel import _lc, _lifecycle
from langgraph_jit.pregel._checkpoint import DeltaBook
from langgraph_jit.pregel._core import output as _output
from langgraph_jit.pregel._core.checkpoint_state import CheckpointState
from langgraph_jit.pregel._core.planner import Planner, reuse_pending_writes
from langgraph_jit.pregel._core.replay import ReplayScope
from langgraph_jit.pregel._core.table import ChannelTable
from langgraph_jit.pregel._core.task import (
    CallTask,
    Task,
    _has_cache_policy,
    _is_interrupt_id,
    _Scratchpad,
    _task_path_str,
    _task_sort_key,
)
from langgraph_jit.pregel._emit import Emitter, subgraph_state
from langgraph_jit.pregel._persist import CacheKey, Persister
from langgraph_jit.types import Command, Send

logger = logging.getLogger(ENGINE_LOGGER)
# Makes a run's lock once when two threads ask for it first at once.
_LOCK_MAKING = threading.Lock()
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


def root_config(config: dict[str, Any]) -> dict[str, Any]:
    """A root run given the config of a subgraph's checkpoint runs the whole
    graph: from the root's checkpoint its checkpoint map names (the
    subgraph, when it runs, loads the one named for it). Its tasks' metadata
    still shows the namespace and checkpoint the caller named."""
    conf = config[CONF]
    named = {
        k: conf[k] for k in (CONFIG_KEY_CHECKPOINT_NS, CONFIG_KEY_CHECKPOINT_ID) if conf.get(k)
    }
    return {
        **config,
        "metadata": {**named, **(config.get("metadata") or {})},
        CONF: {**conf, CONFIG_KEY_CHECKPOINT_NS: "", CONFIG_KEY_CHECKPOINT_ID: None},
    }


class ErrorHandlerTask(Task):
    """The task of a node's error handler, run in the step its node failed in,
    on the node's input. Path, namespace and id are LangGraph's: the failed
    task's path plus a marker, a namespace inside the failed task's, and an
    id hashing the failed task's id (so a resumed thread finds its writes)."""

    __slots__ = ("_parent_ns",)

    def __init__(self, run: PregelRun, failed: Task, name: str, node_id: int, proc: Any) -> None:
        parent_ns = f"{failed.checkpoint_ns}{NS_SEP}{name}"
        h = xxh3_128_hexdigest(
            run.state.checkpoint_id_bytes()
            + f"{parent_ns}{run.step}{name}{PUSH}{ERROR_HANDLER_PATH}{failed.id}".encode()
        )
        super().__init__(
            run,
            name,
            node_id,
            proc,
            failed.input,
            PUSH_TRIGGER,
            (*failed.path[:3], ERROR_HANDLER_PATH, False),
            task_id=f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
        )
        self._parent_ns = parent_ns

    @property
    def checkpoint_ns(self) -> str:
        return f"{self._parent_ns}{NS_END}{self.id}"


class PregelRun:
    """The state machine of one invoke/stream call on one graph."""

    # Immutable starting values, read from the class until a run sets its own
    # (a run is created per invoke, and per subgraph call: fewer stores).
    status = "pending"
    step = 0
    stop = 0
    inline_single = False  # set by the sync driver (see drive_sync)
    context: Any = None
    _control: Any = None
    # The config's graph lifecycle handlers (None: it has none), and the
    # events taken for them that the driver has still to send.
    graph_callbacks: Any = None
    lifecycle_events: list[Any] | tuple[()] = ()
    superseded = False  # set by the driver: a newer checkpoint exists
    trace: Any = None  # a _trace.GraphTrace when LangChain callbacks listen
    replaying = False
    # What an empty `configurable` gives (a root run's usual config).
    checkpoint_ns = ""
    nested = False
    node_finished: Any = None

    def __init__(
        self,
        graph: Any,
        input: Any,
        config: dict[str, Any],
        *,
        stream_modes: frozenset[str],
        output_keys: str | Sequence[str],
        stream_keys: str | Sequence[str],
        interrupt_before: Sequence[str] | str,
        interrupt_after: Sequence[str] | str,
        checkpointer: Any,
        durability: str,
        namespace: tuple[str, ...] = (),
        parent_stream: tuple[Any, ...] | None = None,
        control: Any = None,
    ) -> None:
        self.graph = graph
        topo = graph._topology_cache or graph._topology
        if checkpointer is None and not interrupt_before and not interrupt_after:
            # Nothing sees a channel's version or a trigger's value: edge
            # triggers need no clearing (see Topology.unswept_triggers).
            topo = topo.unswept_triggers(output_keys, stream_keys)
        self.topo = topo
        self.input = input
        self.config = config
        self.configurable = configurable = config.get(CONF) or {}
        if configurable:
            self.checkpoint_ns = ns = configurable.get(CONFIG_KEY_CHECKPOINT_NS, "")
            named = configurable.get(CONFIG_KEY_CHECKPOINT_MAP)
            if named and ns in named:
                # The caller named this graph's checkpoint in the map (the config
                # of a subgraph's state): that one is loaded, not the latest.
                configurable = {**configurable, CONFIG_KEY_CHECKPOINT_ID: named[ns]}
                self.configurable = configurable
                config = self.config = {**config, CONF: configurable}
            self.nested = CONFIG_KEY_TASK_ID in configurable
            self.node_finished = configurable.get(CONFIG_KEY_NODE_FINISHED)
        self.namespace = namespace
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        # The default's own type: a node's config then tells a limit nobody
        # chose (not inherited by subgraphs, not sent to a RemoteGraph).
        self.recursion_limit = config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)
        self.max_concurrency = config.get("max_concurrency")
        self.emitter = Emitter(
            topo,
            stream_modes,
            namespace=namespace,
            output_keys=output_keys,
            stream_keys=stream_keys,
            parent_stream=parent_stream,
            stream_eager=graph.stream_eager,
        )
        self.persist = Persister(
            config,
            configurable,
            checkpointer=checkpointer,
            durability=durability,
            cache=graph.cache if graph.cache is not None and _has_cache_policy(graph) else None,
            default_cache_policy=graph.cache_policy,
            untracked=topo.untracked,
        )
        self.tasks: list[Task] = []
        self.interrupts: list[Any] = []
        self.lc_context = _lc.context_needed(config, self.emitter.stream_modes)
        if config.get("callbacks"):
            self.graph_callbacks = _lifecycle.graph_callbacks(config)
            if self.graph_callbacks is not None:
                self.lifecycle_events = []
        if control is None and self.nested:
            # A subgraph stops when its root is asked to drain.
            parent_task = configurable.get(CONFIG_KEY_PARENT_TASK)
            if parent_task is not None:
                control = parent_task.run._control
        if control is not None:
            self._control = control
        # Channels a commit found written but unknown (reused: almost always empty).
        self._unknown_channels: list[str] = []

    # ids of the interrupts already reported (made on the first one)
    _emitted_interrupts: set[int] | None = None
    _lock: Any = None

    @property
    def lock(self) -> Any:
        """Guards run state that task calls (functional API) update from
        worker threads while a step runs; made on first use (most runs
        never take it)."""
        lock = self._lock
        if lock is None:
            with _LOCK_MAKING:
                lock = self._lock
                if lock is None:
                    lock = self._lock = threading.RLock()
        return lock

    @classmethod
    def for_thread_state(
        cls, graph: Any, config: dict[str, Any], saved: Any, *, checkpointer: Any, durability: str
    ) -> PregelRun:
        """A run that streams nothing, loaded from `saved` and examining every
        node next: what state snapshots and update_state build on."""
        run = cls(
            graph,
            None,
            config,
            stream_modes=frozenset(),
            output_keys=graph.output_channels,
            stream_keys=graph.stream_channels_asis,
            interrupt_before=(),
            interrupt_after=(),
            checkpointer=checkpointer,
            durability=durability,
        )
        run.load(saved)
        run.planner.next_nodes = None  # LangGraph examines every node here
        return run

    # -- identifiers ------------------------------------------------------

    def task_id(self, task: Task) -> str:
        # xxh3-128 of (checkpoint id, node namespace, step, node, kind, ...),
        # formatted as a UUID: LangGraph's scheme, so ids match for the same
        # checkpoint. The per-node tail is constant and cached.
        name = task.name
        path = task.path
        if isinstance(task, CallTask):
            # A task call: identified by its caller's path and call index,
            # in a namespace nested under its caller's.
            tail = f"{name}{PUSH}{_task_path_str(path[1])}{path[2]}".encode()
            node_ns = task.node_ns
        else:
            if path[0] == PUSH:
                tail = f"{name}{PUSH}{path[1]}".encode()
            else:
                tail = self.topo.pull_tail(name, task.triggers)
            ns = self.checkpoint_ns
            node_ns = f"{ns}{NS_SEP}{name}" if ns else name
        state = self.state
        data = state.checkpoint_id_bytes() + f"{node_ns}{self.step}".encode() + tail
        # Checkpoint format 1 (LangGraph < 0.3) named its tasks by SHA-1.
        h = sha1(data).hexdigest() if state.sha1_task_ids else xxh3_128_hexdigest(data)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def task_config(self, task: Task) -> dict[str, Any]:
        """The RunnableConfig a node sees (LangGraph's ensure_config shape)."""
        base = self._task_config_base
        if base is None or base[0] is not self.configurable or base[1] is not self.config:
            base = self._task_config_base = self._config_base()
        _, _, head, base_conf, base_map, base_metadata, base_tags, callbacks, built = base
        proc = task.proc
        metadata = base_metadata.copy()
        metadata["langgraph_step"] = self.step
        metadata["langgraph_node"] = task.name
        metadata["langgraph_triggers"] = task.triggers
        metadata["langgraph_path"] = task.path
        metadata["langgraph_checkpoint_ns"] = ns = task.checkpoint_ns
        if proc.metadata:
            metadata.update(proc.metadata)
        tags = base_tags.copy()
        if proc.tags:
            tags.extend(proc.tags)
        configurable = base_conf.copy()
        configurable[CONFIG_KEY_CHECKPOINT_NS] = ns
        configurable[CONFIG_KEY_TASK_ID] = task.id
        configurable[CONFIG_KEY_SEND] = task.send
        configurable[CONFIG_KEY_PARENT_TASK] = task
        configurable[CONFIG_KEY_CHECKPOINT_MAP] = {
            **base_map,
            self.checkpoint_ns: self.state.current_id(),
        }
        trace = self.trace
        if trace is not None:
            # Traced (see _trace): tasks' callbacks are children of the
            # graph's run, which holds the stream handlers.
            callbacks = trace.step_callbacks(self.step)
        elif built:
            callbacks = callbacks.copy()  # the run's handlers added: each task its own list
        config: dict[str, Any] = head.copy()
        config["callbacks"] = callbacks
        config["metadata"] = metadata
        config["tags"] = tags
        config["run_name"] = task.name
        config[CONF] = configurable
        return config

    # What every task config of the run shares (see _config_base); the run's
    # `configurable` and `config` it was built from come first.
    _task_config_base: tuple[Any, ...] | None = None

    def _config_base(self) -> tuple[Any, ...]:
        """The parts of a task config that are the same for every task of the run,
        each with the per-task keys already in place (set to None), so that a
        task's copy, once they are filled in, has its keys in LangGraph's order."""
        config = self.config
        configurable = dict(self.configurable)
        metadata = dict(config.get("metadata") or {})
        for key in _PROPAGATE_TO_METADATA:
            if key not in metadata and configurable.get(key):
                metadata[key] = configurable[key]
        metadata.update(
            langgraph_step=None,
            langgraph_node=None,
            langgraph_triggers=None,
            langgraph_path=None,
            langgraph_checkpoint_ns=None,
        )
        tags = list(config.get("tags") or ())
        configurable.pop(
            CONFIG_KEY_CHECKPOINT_ID, None
        )  # re-added after the map, as LangGraph orders it
        configurable[CONFIG_KEY_CHECKPOINT_NS] = None
        configurable[CONFIG_KEY_TASK_ID] = None
        configurable[CONFIG_KEY_SEND] = None
        configurable[CONFIG_KEY_PARENT_TASK] = None
        configurable[CONFIG_KEY_CHECKPOINT_MAP] = None
        # A node sees no checkpoint id of its own (LangGraph's tasks carry the key, set to None).
        configurable[CONFIG_KEY_CHECKPOINT_ID] = None
        stream_down = self.emitter.stream_down
        if stream_down is not None:
            configurable[CONFIG_KEY_STREAM] = stream_down
        else:
            configurable.pop(CONFIG_KEY_STREAM, None)
        checkpointer = self.persist.checkpointer
        if checkpointer is not None:
            configurable[CONFIG_KEY_CHECKPOINTER] = checkpointer
        # Subgraphs save as often as their parent does (nodes may read it, as in LangGraph).
        configurable[CONFIG_KEY_DURABILITY] = self.persist.durability
        callbacks = None
        built = False
        if self.trace is None:
            callbacks = config.get("callbacks")
            extra = self.stream_callbacks()
            if extra:
                callbacks = [*(callbacks or ()), *extra]
                built = True
        head = {
            "recursion_limit": self.recursion_limit,
            **config,
            "callbacks": None,
            "metadata": None,
            "tags": None,
            "run_name": None,
            CONF: None,
        }
        return (
            self.configurable,
            config,
            head,
            configurable,
            self.configurable.get(CONFIG_KEY_CHECKPOINT_MAP, {}),
            metadata,
            tags,
            callbacks,
            built,
        )

    def stream_callbacks(self) -> list[Any] | None:
        """Callback handlers the `messages` and `tools` stream modes need."""
        modes = self.emitter.stream_modes
        extra = _lc.messages_callbacks(self) if "messages" in modes else None
        if "tools" in modes and _lc.langchain_loaded():
            # Imported on use: the tools stream module imports langchain_core.
            from langgraph_jit.pregel._tools import tool_stream_callbacks

            extra = [*(extra or ()), *tool_stream_callbacks(self)]
        return extra

    @property
    def control(self) -> Any:
        """The RunControl of this run (a subgraph shares its parent's)."""
        if self._control is None:
            parent_task = self.configurable.get(CONFIG_KEY_PARENT_TASK)
            if parent_task is not None:
                self._control = parent_task.run.control
            else:
                # Imported on use: most runs never ask for their control.
                from langgraph_jit.runtime import RunControl

                self._control = RunControl()
        return self._control

    @property
    def store(self) -> Any:
        """The store nodes see. As in LangGraph, a subgraph (or a graph run
        inside a node) uses its parent's, and a root the store of a runtime
        its host put in the config, if any, else its own."""
        configurable = self.configurable
        parent_task = configurable.get(CONFIG_KEY_PARENT_TASK)
        if parent_task is not None:
            return parent_task.run.store
        seeded = configurable.get(CONFIG_KEY_RUNTIME)
        if seeded is not None:
            return getattr(seeded, "store", None)
        return self.graph.store

    def scratchpad(self) -> Any:
        """What managed values are computed from: this step and the limit."""
        return _Scratchpad(self.step, self.stop)

    def latest_lookup_config(self) -> dict[str, Any] | None:
        """When the caller addressed a checkpoint: the config that finds the
        thread's latest one (to tell whether the addressed one is superseded)."""
        if not self.configurable.get(CONFIG_KEY_CHECKPOINT_ID):
            return None
        return self.persist.latest_lookup_config()

    def checkpoint_lookup(self) -> tuple[dict[str, Any], str | None]:
        """How to find the checkpoint this run starts from: a config for the
        saver, and an id the checkpoint must be older than (None: the one the
        config names, or the latest)."""
        if self.persist.checkpointer is None:
            return {}, None  # nothing to load
        config = self.persist.lookup_config()
        configurable = self.configurable
        if not self.nested or configurable.get(CONFIG_KEY_CHECKPOINT_ID):
            return config, None
        scope = configurable.get(CONFIG_KEY_REPLAY_STATE)
        if scope is None or not scope.first_visit(self.checkpoint_ns):
            return config, None
        # A replaying root reruns this subgraph for the first time: it starts
        # over from its input, on its history as of the replay point.
        self.configurable = {k: v for k, v in configurable.items() if k != CONFIG_KEY_RESUMING}
        return config, scope.checkpoint_id

    # -- starting ---------------------------------------------------------

    def load(self, saved: Any) -> None:
        """Rebuild channels and bookkeeping from a saved checkpoint tuple."""
        graph = self.graph
        topo = self.topo
        checkpointer = self.persist.checkpointer
        if saved is not None and saved.checkpoint.get("v", 4) < 4:
            # Saved by an older LangGraph: its channels as they are named now.
            graph._migrate_checkpoint(saved.checkpoint)
        self.state = state = CheckpointState.load(topo, graph.channels, saved, checkpointer)
        self.table = ChannelTable(
            topo,
            state.channels,
            state.versions,
            state.seen,
            state.has_seen,
            force_compiled=graph._force_compiled,
            blank=saved is None,
        )
        self.channel_map = channel_map = dict(zip(topo.chan_names, state.channels))
        self.planner = Planner(topo, graph.managed, self.table, channel_map)
        self.planner.next_nodes = state.initial_candidates(topo)
        self.emitter.attach(channel_map, state.channels)
        self.persist.attach(state, saved)
        persist = self.persist
        if topo.has_delta_channels:
            persist.delta = DeltaBook.for_run(
                graph.channels,
                topo,
                exit_mode=persist.checkpointer is not None and persist.durability == "exit",
            )
        self.step = state.metadata_step + 1
        self.stop = self.step + self.recursion_limit + 1

    def start(self, saved: Any) -> None:
        """Load the saved checkpoint tuple (or None) and apply the input."""
        self.load(saved)
        state = self.state
        persist = self.persist
        input = self.input
        is_command = isinstance(input, Command)
        nested = self.nested
        configurable = self.configurable
        told_resuming = CONFIG_KEY_RESUMING in configurable
        resuming = bool(state.has_versions) and bool(
            configurable.get(CONFIG_KEY_RESUMING, input is None or is_command)
        )
        # Time travel: the caller addressed a checkpoint (not resuming an
        # interrupt there), or a replaying root reruns this subgraph. Its
        # tasks run again instead of reusing saved writes. A subgraph
        # checkpoint named by the caller is time travel even though the
        # parent, which cannot tell, says it resumes.
        exact = bool(configurable.get(CONFIG_KEY_CHECKPOINT_ID))
        time_traveling = False
        if exact or (nested and CONFIG_KEY_REPLAY_STATE in configurable):
            time_traveling = (nested and exact) or not (
                (is_command and input.resume is not None)
                or configurable.get(CONFIG_KEY_RESUMING, False)
            )
        self.replaying = time_traveling or self.superseded
        if time_traveling:
            persist.drop_writes_to(RESUME)
        forks = (
            resuming
            and time_traveling
            and ((state.metadata or {}).get("source") not in ("update", "fork") or self.superseded)
        )
        if persist.delta is not None:
            persist.delta.started(
                persist.pending_writes,
                reapplies=resuming and not self.replaying,
                has_parent=persist.checkpoint_config is not None,
                on_latest=not (self.configurable.get(CONFIG_KEY_CHECKPOINT_ID) or time_traveling),
            )
        if is_command:
            # A fork carries the Command's writes itself: the addressed
            # checkpoint may have other children, which would replay them.
            self._apply_command(input, store=not forks)
        if not nested:
            # Subgraphs run by this run's first step learn whether to resume;
            # on time travel, which checkpoints of theirs to go back to.
            extra: dict[str, Any] = {CONFIG_KEY_RESUMING: resuming}
            if time_traveling and state.has_versions:
                extra[CONFIG_KEY_REPLAY_STATE] = ReplayScope(self._replay_bound())
            self.configurable = {**self.configurable, **extra}
        null_writes = (
            [(c, v) for tid, c, v in persist.pending_writes if tid == NULL_TASK_ID]
            if persist.pending_writes
            else None
        )
        planner = self.planner
        if null_writes:
            # The nodes to examine next are those of the checkpoint's update
            # plus those the null writes (Command input) trigger.
            before = planner.next_nodes
            self.commit([], null_writes, bump_step=False)
            if before is not None:
                after = planner.next_nodes
                if after is None:
                    planner.next_nodes = before
                else:
                    planner.next_nodes = self.table.plan(sorted(set(before) | set(after)))
        if resuming:
            state.mark_interrupts_seen(self.table)
            if forks:
                # The replayed branch starts with a copy of the checkpoint.
                persist.drop_writes_to(INTERRUPT)
                self.save_checkpoint("fork")
            self.emitter.mark_all_outputs()
            if self.emitter.wants_values:
                self.emitter.values()
            if self.graph_callbacks is not None:
                self._lifecycle_event("resume")
        else:
            input_writes = self.map_input(input)
            if input_writes:
                if persist.delta is not None:
                    persist.delta.input_writes(input_writes, persist, self.step)
                discarded = planner.plan_pull(self)
                self.commit(discarded, input_writes, bump_step=bool(discarded), input_task=True)
                persist.clear_writes()
                self.save_checkpoint("input")
            elif not is_command and not told_resuming:
                raise EmptyInputError(f"Received no input for {self.graph.input_channels}")

    def _replay_bound(self) -> str:
        """The id subgraphs of a replay find their checkpoints older than:
        the addressed checkpoint, or for one made by update_state (or a
        fork) its parent, since its subgraphs' checkpoints predate it."""
        state = self.state
        source = (state.metadata or {}).get("source")
        parent = self.persist.parent_config
        if source in ("update", "fork") and parent:
            parent_id = parent[CONF].get(CONFIG_KEY_CHECKPOINT_ID)
            if parent_id:
                return str(parent_id)
        return state.current_id()

    def _apply_command(self, cmd: Command, *, store: bool = True) -> None:
        if cmd.graph == Command.PARENT:
            raise InvalidUpdateError("There is no parent graph")
        persist = self.persist
        writes: list[tuple[str, Any]] = []
        resume_is_map = False
        if cmd.resume is not None:
            if persist.checkpointer is None:
                raise RuntimeError("Cannot use Command(resume=...) without checkpointer")
            resume = cmd.resume
            resume_is_map = isinstance(resume, dict) and all(_is_interrupt_id(k) for k in resume)
            # Strict mode checks answers against the pending interrupts before
            # anything is written. Not in a subgraph (it inherits the config),
            # nor on a superseded checkpoint (a rerun task may ask again).
            strict = (
                bool(self.configurable.get(CONFIG_KEY_STRICT_RESUME))
                and not self.nested
                and not self.superseded
            )
            if resume_is_map:
                if strict:
                    self._check_resume_map(resume)
                self.configurable = {**self.configurable, CONFIG_KEY_RESUME_MAP: resume}
            else:
                pending = self._pending_interrupt_ids()
                if len(pending) > 1:
                    message = (
                        "When there are multiple pending interrupts, you must specify the "
                        "interrupt id when resuming. Docs: https://docs.langchain.com/oss/"
                        "python/langgraph/interrupts#handling-multiple-interrupts."
                    )
                    if strict:
                        raise UnknownInterruptError(
                            message, reason="ambiguous", pending_ids=sorted(pending)
                        )
                    raise RuntimeError(message)
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
        if persist.delta is not None:
            persist.delta.command(writes, carried=not store)
        persist.set_input_writes(writes, store=store)

    def _check_resume_map(self, resume: dict[str, Any]) -> None:
        """A strict resume map names only pending interrupts, and at least one."""
        pending = self._pending_interrupt_ids()
        if not resume:
            raise UnknownInterruptError(
                "The resume map names no interrupt",
                reason="empty_map",
                pending_ids=sorted(pending),
            )
        unknown = sorted(set(resume) - pending)
        if unknown:
            raise UnknownInterruptError(
                f"Unknown or already-consumed interrupt: {unknown[0]}",
                reason="not_pending",
                interrupt_ids=unknown,
                pending_ids=sorted(pending),
            )

    def _pending_interrupt_ids(self) -> set[str]:
        """Ids of saved interrupts whose task has not finished since."""
        pending_writes = self.persist.pending_writes
        finished = {tid for tid, chan, _ in pending_writes if chan not in CONTROL_WRITES}
        ids = set()
        for tid, chan, value in pending_writes:
            if chan == INTERRUPT and tid not in finished:
                for i in value if isinstance(value, (list, tuple)) else [value]:
                    ids.add(i.id if hasattr(i, "id") else i.get("id"))
        return ids

    def map_input(self, input: Any) -> list[tuple[str, Any]]:
        """The writes the graph's input makes to its input channels."""
        keys = self.graph.input_channels
        if input is None:
            return []
        if isinstance(keys, str):
            # A Command on a fresh thread is also the input (LangGraph).
            return [(keys, input)]
        if not isinstance(input, dict):
            raise TypeError(f"Expected chunk to be a dict, got {type(input).__name__}")
        known = self.topo.input_channel_set(keys)
        if input.keys() <= known:  # every key an input channel (tested in C)
            return list(input.items())
        writes = [item for item in input.items() if item[0] in known]
        for k in input:
            if k not in known:
                logger.warning("Input channel %s not found in %s", k, keys)
        return writes

    # -- the step loop ------------------------------------------------------

    def plan(self) -> list[Task]:
        return self.planner.plan(self)

    def tick(self) -> bool:
        """Plan the next step; False when the run is over."""
        emitter = self.emitter
        if self.step > self.stop:
            self.status = "out_of_steps"
            self.tasks = self.planner.plan(self)
            self._emit_checkpoint()
            return False
        self.tasks = tasks = self.planner.plan(self)
        if emitter.wants_checkpoints:
            self._emit_checkpoint()
        if not tasks:
            self.status = "done"
            return False
        reused = bool(self.persist.pending_writes) and not self.replaying
        if reused:
            reuse_pending_writes(tasks, self.persist.pending_writes)
        if self.interrupt_before and self._should_interrupt(self.interrupt_before):
            self.status = "interrupt_before"
            raise GraphInterrupt()
        if reused and getattr(self.graph, "error_handlers", None):
            # Added after the breakpoints: a handler is never one (as in LangGraph).
            self._resume_error_handlers(tasks)
        control = self._control
        if control is not None and control.drain_requested:
            # After the breakpoint check: a resume passes the next step's
            # breakpoints, so a drain in front of one must stop at it.
            self.status = "draining"
            return False
        if emitter.wants_tasks:
            for t in tasks:
                if not _output.is_hidden(t):
                    self.task_started(t)
        if reused:
            for t in tasks:
                if t.cached:
                    emitter.task_done(t, self.step, cached=True)
        return True

    # -- the plain path: a run nothing observes step by step ----------------

    def plain_steps(self) -> bool:
        """Whether this run's steps may take the plain path (`tick_plain`,
        `after_tick_plain`, no `task_done`): it streams nothing and nothing sees
        a step but its nodes and its final values: no saver, cache, breakpoints,
        DeltaChannels, lifecycle handlers or node-finished hook. Asked once,
        before `start`; what start may still bring (a Command's writes, a replay)
        is tested per step."""
        persist = self.persist
        emitter = self.emitter
        return (
            persist.checkpointer is None
            and persist.cache is None
            and not persist.saving
            and not self.topo.has_delta_channels
            and not self.interrupt_before
            and not self.interrupt_after
            and self.graph_callbacks is None
            and self.node_finished is None
            and self.trace is None
            and not emitter.stream_modes
        )

    def tick_plain(self) -> bool:
        """`tick` for a plain run (see plain_steps): the checks for what such a
        run never has (checkpoint chunks, breakpoints, task chunks) left out."""
        if self.step > self.stop or self.persist.pending_writes or self.replaying:
            return self.tick()  # the recursion limit, a Command's writes, a replay
        self.tasks = tasks = self.planner.plan(self)
        if not tasks:
            self.status = "done"
            return False
        control = self._control
        if control is not None and control.drain_requested:
            self.status = "draining"
            return False
        return True

    def after_tick_plain(self) -> None:
        """`after_tick` for a plain run (see plain_steps): commit the step and
        start a checkpoint nobody saves."""
        tasks = self.tasks
        if len(tasks) == 1:
            writes = tasks[0].writes
        else:
            tasks = sorted(tasks, key=_task_sort_key)
            writes = [w for t in tasks for w in t.writes]
        self.commit(tasks, writes, bump_step=True)
        if self.persist.pending_writes:
            self.persist.clear_writes()
        self.replaying = False
        self.state.new_checkpoint(self.step, None)
        self.step += 1
        if self.configurable.get(CONFIG_KEY_RESUMING) and not self.nested:
            self.configurable = {**self.configurable, CONFIG_KEY_RESUMING: False}

    def task_started(self, task: Task) -> None:
        """Stream the start of a task (a planned one or a task call)."""
        self.emitter.task_event("task", _output.task_start_payload(task, self.config), self.step)

    def runnable_tasks(self) -> list[Task]:
        tasks = self.tasks
        if len(tasks) == 1:
            # A new list: error handlers append to self.tasks mid-step.
            return [] if tasks[0].cached else [tasks[0]]
        return [t for t in tasks if not t.cached]

    def cache_lookup(self) -> list[CacheKey]:
        """Cache keys of this step's tasks that have a cache policy."""
        return self.persist.cache_lookup(self.tasks)

    def apply_cached(self, found: dict[CacheKey, Any]) -> None:
        """Tasks whose writes are cached are not run; their writes replay."""
        if found:
            for t in self.persist.apply_cached(self.tasks, found):
                self.emitter.task_done(t, self.step, cached=True)

    def task_done(self, task: Task, cached: bool = False) -> None:
        """A task finished successfully (or, `cached`, its writes were
        found in the cache); its writes are in task.writes."""
        emitter = self.emitter
        persist = self.persist
        if self.node_finished is not None and not _output.is_hidden(task):
            self.node_finished(task.name)
        if persist.delta is not None:
            persist.delta.stamp(task.writes)
        if emitter.wants_messages:
            # Messages a node wrote without streaming them, before its update.
            _lc.messages_task_done(self, task)
        if persist.checkpointer is not None:
            writes = task.writes
            if all(c in CONTROL_WRITES for c, _ in writes):
                # Marks the task done even though it wrote nothing.
                writes.append((NO_WRITES, None))
            persist.record_writes(task, writes)
        if persist.cache is not None:
            persist.cache_result(task)
        if emitter.wants_updates or emitter.wants_tasks:
            emitter.task_done(task, self.step, cached)

    def error_handler_task(self, task: Task, exc: BaseException) -> Task | None:
        """The task that handles this failure (add_node(error_handler=...)),
        to run in the same step instead of failing the run; else None."""
        handlers = getattr(self.graph, "error_handlers", None)
        if not handlers or isinstance(exc, GraphBubbleUp) or not isinstance(exc, Exception):
            return None
        name = handlers.get(task.name)
        if name is None:
            return None
        return self._add_handler_task(task, name, exc)

    def _add_handler_task(self, task: Task, name: str, error: Any) -> Task:
        n = self.topo.node_id[name]
        handler = ErrorHandlerTask(self, task, name, n, self.topo.procs[n])
        handler.handled_error = NodeError(task.name, error)
        self.tasks.append(handler)
        return handler

    def _resume_error_handlers(self, tasks: list[Task]) -> None:
        """Nodes that failed before the thread stopped, their error handler
        pending: the handlers run again (told the saved error), not the nodes."""
        handlers: dict[str, str] = self.graph.error_handlers
        saved = self.persist.pending_writes
        handled = {tid for tid, chan, _ in saved if chan == ERROR_SOURCE_NODE}
        errors = {tid: value for tid, chan, value in saved if chan == ERROR}
        added = [
            self._add_handler_task(t, handlers[t.name], errors.get(t.id))
            for t in list(tasks)
            if t.cached and t.name in handlers and t.id in handled
        ]
        if added:
            reuse_pending_writes(added, saved)

    def task_failed(self, task: Task, exc: BaseException) -> None:
        """A task raised; record the error so the thread can be resumed."""
        task.error = exc
        persist = self.persist
        emitter = self.emitter
        if isinstance(exc, GraphInterrupt):
            interrupts = tuple(exc.args[0]) if exc.args else ()
            emitted = self._emitted_interrupts
            if emitted is None:
                emitted = self._emitted_interrupts = set()
            fresh = tuple(i for i in interrupts if id(i) not in emitted)
            emitted.update(id(i) for i in interrupts)
            if interrupts:
                self.interrupts.extend(fresh)
                writes = [(INTERRUPT, interrupts)]
                writes.extend(w for w in task.writes if w[0] == RESUME)
                if persist.checkpointer is not None:
                    persist.record_writes(task, writes)
                if _output.is_hidden(task) or not fresh:
                    return
                emitter.interrupted(interrupts)
                if emitter.wants_tasks:
                    task.writes = writes
                    emitter.task_event(
                        "task_result",
                        _output.task_result_payload(task, emitter.stream_keys),
                        self.step,
                    )
            return
        if isinstance(exc, GraphBubbleUp):
            return
        if persist.checkpointer is not None:
            # Writes the task made before failing (e.g. a node's update
            # before its conditional edge raised) are saved with the error.
            failed = [*task.writes, (ERROR, repr(exc))]
            handlers = getattr(self.graph, "error_handlers", None)
            if handlers and task.name in handlers and isinstance(exc, Exception):
                # Its handler runs next (and again, instead of it, on resume).
                failed.append((ERROR_SOURCE_NODE, task.name))
            persist.record_writes(task, failed)
        if emitter.wants_tasks:
            emitter.task_event(
                "task_result",
                {"id": task.id, "name": task.name, "error": exc, "result": {}, "interrupts": []},
                self.step,
            )

    def after_tick(self) -> None:
        """Commit the step: apply all writes, save a checkpoint."""
        tasks = self.tasks
        if len(tasks) == 1:
            writes = tasks[0].writes
        else:
            tasks = sorted(tasks, key=_task_sort_key)
            writes = [w for t in tasks for w in t.writes]
        self.commit(tasks, writes, bump_step=True)
        persist = self.persist
        if persist.delta is not None:
            persist.delta.stepped(tasks, writes, self.step)
        if persist.pending_writes:
            persist.clear_writes()
        self.replaying = False  # only the first step of a replay re-runs done tasks
        self.save_checkpoint("loop")
        if self.configurable.get(CONFIG_KEY_RESUMING) and not self.nested:
            self.configurable = {**self.configurable, CONFIG_KEY_RESUMING: False}
        if self.interrupt_after and self._should_interrupt(self.interrupt_after):
            self.status = "interrupt_after"
            self.tasks = self.plan()
            self._emit_checkpoint()
            raise GraphInterrupt()

    def commit(
        self,
        tasks: Sequence[Task],
        writes: Sequence[tuple[str, Any]],
        *,
        bump_step: bool,
        input_task: bool = False,
        versionless: bool = False,
    ) -> None:
        """Apply writes to the channels (as the given tasks' step when
        `bump_step`); `versionless` changes values without new versions."""
        topo = self.topo
        table = self.table
        state = self.state
        tracking = state.tracking
        consume_ids = topo.consume_ids
        ran: Sequence[int]
        consumed: Sequence[int]
        done = None  # (channels bumped, nodes triggered) of a commit made inline
        if len(tasks) == 1 and not tracking and tasks[0].path[0] == PULL:
            # A step of one node (chains): its id is never None.
            n1: int = tasks[0].node_id  # type: ignore[assignment]
            consumed = consume_ids[n1]
            if 0 < len(writes) <= 8 and not consumed and not versionless and not input_task:
                # A few values written (a chain's step): committed inline when it can be.
                done = table.apply_few(n1, writes)
            ran = (n1,)
            if done is None:
                table.has_seen[n1] = 1
        elif not tasks:
            ran = consumed = ()  # the input, an update: no node ran
            if 0 < len(writes) <= 8 and not tracking and not versionless:
                # A few values (a chain's input): committed inline when it can be.
                done = table.apply_few(None, writes)
        else:
            ran, consumed = self._note_ran(tasks)
        if done is not None:
            bumped = done[0]
            self.planner.note_bumped(bumped)
            state.updated_channels = bumped
            self.planner.next_nodes = done[1]
            watched = self.emitter.watched
            if watched is None or not watched.isdisjoint(bumped):
                self.emitter.committed(bumped, bumped, bump_step and not input_task)
            return
        if input_task and tracking:
            state.record_seen(INPUT, None, table)
        unknown = self._unknown_channels
        if not consumed and not versionless and topo.swept_commit:
            # What apply_writes picks for most graphs, called directly.
            bumped, bumped_avail, next_nodes = table._apply_swept(ran, writes, bump_step, unknown)
        else:
            bumped, bumped_avail, next_nodes = table.apply_writes(
                ran, consumed, writes, bump_step, versionless, unknown
            )
        if unknown:
            self._warn_unknown_channels(tasks, unknown)
            unknown.clear()
        if bumped and tracking:
            state.bump(bumped, table)
        if versionless:
            self.planner.forget_inputs()
        elif bumped:
            self.planner.note_bumped(bumped)
        if len(bumped) == 1:
            updated = bumped if bumped_avail[0] else []
        elif all(bumped_avail):
            updated = bumped
        else:
            updated = list(compress(bumped, bumped_avail))
        state.updated_channels = updated
        self.planner.next_nodes = next_nodes if updated else None
        self.emitter.committed(bumped, updated, bump_step and not input_task)

    def _note_ran(self, tasks: Sequence[Task]) -> tuple[list[int], list[int]]:
        """For a commit of several tasks (or one a saver tracks): mark what
        they saw; the nodes that ran and the trigger channels to consume."""
        table = self.table
        state = self.state
        tracking = state.tracking
        consume_ids = self.topo.consume_ids
        ran: list[int] = []
        consumed: list[int] = []
        pushed: list[int] = []
        for t in tasks:
            if t.path[0] == PULL:
                # A pull task runs a graph node: its id is never None (no
                # runtime check on the per-step path).
                n: int = t.node_id  # type: ignore[assignment]
                ran.append(n)
                for c in consume_ids[n]:
                    if c not in consumed:
                        consumed.append(c)
                if tracking:
                    state.record_seen(t.name, n, table)
            else:
                if t.node_id is not None:  # task calls are not graph nodes
                    pushed.append(t.node_id)
                if tracking:
                    state.record_seen(t.name, None, table)
        table.mark_seen(ran)
        if pushed:
            table.mark_seen(pushed)
        return ran, consumed

    def _warn_unknown_channels(self, tasks: Sequence[Task], unknown: list[str]) -> None:
        """LangGraph's warning for writes to channels the graph lacks, naming
        the task that wrote each (input writes name no task)."""
        for chan in unknown:
            writer = next((t for t in tasks if any(c == chan for c, _ in t.writes)), None)
            if writer is None:  # the input or a Command's update
                logger.warning(f"Task wrote to unknown channel {chan}, ignoring it.")
            else:
                logger.warning(
                    f"Task {writer.name} with path {writer.path} wrote to unknown channel "
                    f"{chan}, ignoring it."
                )

    # -- checkpoints --------------------------------------------------------

    def save_checkpoint(self, source: str, parents: dict[str, str] | None = None) -> None:
        """Make this step's checkpoint (saved when persisting) and move on
        to the next step."""
        persist = self.persist
        if persist.checkpointer is None and not persist.saving:
            # All persist.save does when nothing observes the checkpoint.
            self.state.new_checkpoint(self.step, None)
        else:
            persist.save(source, self.step, self.configurable, parents)
        self.step += 1

    def _emit_checkpoint(self) -> None:
        if not self.emitter.wants_checkpoints or self.persist.checkpointer is None:
            return
        persist = self.persist
        self.emitter.checkpoint(
            persist.current_config(),
            persist.parent_config,
            self.state.metadata,
            self.tasks,
            # What the saved writes say of each task (a resumed run shows the
            # interrupts raised and the results of tasks that finished).
            _output.task_statuses(persist.pending_writes),
            self.configurable,
            self.step,
        )

    def subgraph_state(self, task: Task) -> dict[str, Any] | None:
        """For a task running a subgraph: the config that addresses its state."""
        return subgraph_state(task, self.configurable)

    def on_interrupt(self, exc: GraphInterrupt) -> None:
        """The run stops at a breakpoint or at interrupt() calls in tasks."""
        interrupts = tuple(exc.args[0]) if exc.args else ()
        done = [t for t in self.tasks if t.writes and t.error is None]
        if done and not self.nested:
            # Show the state with the finished tasks' writes (not saved), also
            # when a subgraph stopped at a breakpoint (no interrupt values):
            # with durability "exit", the step's checkpoint is put first.
            self.persist.put_exit_checkpoint()
            done.sort(key=_task_sort_key)
            self.commit(done, [w for t in done for w in t.writes], bump_step=True)
        if not interrupts and self.emitter.wants_updates and not self.nested:
            self.emitter.emit("updates", {INTERRUPT: interrupts})
        if self.graph_callbacks is not None and not self.nested:
            self._lifecycle_event("interrupt", interrupts)

    def _lifecycle_event(self, kind: str, interrupts: tuple[Any, ...] = ()) -> None:
        """Take a lifecycle event for the graph handlers (sent by the driver)."""
        args = (self.graph_callbacks, self.status, self.state.current_id(), self.namespace)
        event = (
            _lifecycle.resume_event(*args)
            if kind == "resume"
            else _lifecycle.interrupt_event(*args, interrupts)
        )
        self.lifecycle_events.append(event)  # type: ignore[union-attr]  # a list here

    def drained_error(self) -> GraphDrained:
        """What a run stopped by a drain request raises."""
        return GraphDrained(self._control.drain_reason or "shutdown")

    def on_exit(self) -> None:
        """The run ends (done, interrupted or failed)."""
        if self.status == "done" and self.nested and any(NS_END in part for part in self.namespace):
            # With durability "exit", a subgraph that finished keeps nothing
            # (its parent's checkpoint covers it), unless it keeps a history
            # of its own (checkpointer=True: no task ids in its namespace).
            return
        self.persist.on_exit(self.tasks)

    def _should_interrupt(self, nodes: Sequence[str] | str) -> bool:
        seen = self.state.interrupt_seen
        table = self.table
        if not any(table.version(c) > seen.get(c, 0) for c in range(self.topo.n_channels)):
            return False
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
