"""The persistence part of a run: checkpoints and task writes as queued saver
calls, the writes saved for the current checkpoint, and node caches.

Owns its state; the drivers hand the queued calls (`pending_io`, as
(target, method, args)) back to `perform`/`aperform`, which make them in
order, or give a saver's put/put_writes calls to its write pipeline (see
checkpoint/_pipeline.py): as one transaction now, or, with durability
"async", queued for its writer, with a receipt `settle` waits on before the
run ends.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from xxhash import xxh3_128_hexdigest

from langgraph_jit._constants import (
    CACHE_NS_WRITES,
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    MISSING,
    NULL_TASK_ID,
    PRIVATE_CONFIG_PREFIX,
    PULL,
    RESUME,
    RETURN,
    TASKS,
    WRITES_NOT_REUSED,
)
from langgraph_jit.checkpoint._frozen import HandedOverMetadata
from langgraph_jit.checkpoint._pipeline import Receipt
from langgraph_jit.checkpoint.base import get_checkpoint_metadata
from langgraph_jit.pregel._core.checkpoint_state import CheckpointState
from langgraph_jit.pregel._core.task import Task, _identifier, _pull_path_str, _task_path_str
from langgraph_jit.types import Send


def _running_loop() -> Any:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# One lock for every run: taking a resume value is rare and brief.
_null_resume_lock = threading.Lock()
Write = tuple[str, str, Any]  # (task id, channel, value)
CacheKey = tuple[tuple[str, ...], str]  # (namespace, digest of the input)
IoCall = tuple[Any, str, tuple[Any, ...]]  # (target, method, args)
# The saver calls a write pipeline takes.
_PIPELINED = frozenset(("put", "put_writes"))


# put_writes / aput_writes function -> whether it takes `task_path` (read once).
_TASK_PATH_PARAM: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _takes_task_path(saver: Any) -> bool:
    """Whether both of the saver's put_writes methods accept `task_path`."""
    for name in ("put_writes", "aput_writes"):
        method = getattr(saver, name, None)
        if method is None:
            continue
        func = getattr(method, "__func__", None)
        known = _TASK_PATH_PARAM.get(func) if func is not None else None
        if known is None:
            try:
                params = inspect.signature(method).parameters.values()
                # task_path is passed as the fourth positional argument, so a
                # *args catch-all (e.g. a sync saver's stub async method)
                # accepts it too.
                known = any(
                    p.name == "task_path" or p.kind is inspect.Parameter.VAR_POSITIONAL
                    for p in params
                )
            except (TypeError, ValueError):
                known = True
            if func is not None:
                _TASK_PATH_PARAM[func] = known
        if not known:
            return False
    return True


def put_writes_args(
    saver: Any, config: dict[str, Any], writes: Any, task_id: str, path: str
) -> tuple[Any, ...]:
    """The arguments of a put_writes call to `saver` (no `task_path` for a
    saver whose put_writes predates it)."""
    if _takes_task_path(saver):
        return (config, writes, task_id, path)
    return (config, writes, task_id)


class Persister:
    """Saver calls, saved writes and cache entries of one run."""

    # Immutable starting values, read from the class until a run sets its own.
    _writes_config: dict[str, Any] | None = None
    _saved_id: str | None = None
    created_checkpoint = False
    checkpoint_config: dict[str, Any] | None = None
    # The run's checkpoint state, from attach() on (before it, only the
    # config lookups may be used).
    state: CheckpointState
    attached = False
    parent_config: dict[str, Any] | None = None
    # A fork's first checkpoint holds the Command's writes: not saved again.
    _null_writes_carried = False
    # A DeltaBook when the graph has DeltaChannels (see pregel._checkpoint).
    delta: Any = None
    # The saver's write pipeline: unknown (MISSING) until the first batch.
    _pipeline: Any = MISSING
    # What this run queued on it (durability "async"), from its first submit.
    receipt: Receipt | None = None
    # Config entries merged into saved metadata (see _extras_for): unknown
    # (None) until the first put.
    _metadata_extras: Any = None
    # Whether puts go to the saver's put_step/put_step_writes (takes_step_puts):
    # unknown (None) until the first put.
    _step_puts: bool | None = None
    # (thread, ns, checkpoint id) a node's writes are saved against with
    # put_step_writes: the last checkpoint put that way.
    _step_key: tuple[str, str, str] | None = None
    # Whether puts after the first go to put_step_record (the checkpoint state
    # keeps versions as changes: CheckpointState.defer).
    _records = False

    def __init__(
        self,
        config: dict[str, Any],
        configurable: dict[str, Any],
        *,
        checkpointer: Any,
        durability: str,
        cache: Any,
        default_cache_policy: Any,
        untracked: frozenset[str] | set[str],
    ) -> None:
        self.config = config
        self.checkpointer = checkpointer
        self.durability = durability
        self.saving = checkpointer is not None and durability != "exit"
        # Savers written before put_writes took `task_path` get three arguments.
        self._takes_task_path = checkpointer is None or _takes_task_path(checkpointer)
        self.checkpoint_ns: str = configurable.get(CONFIG_KEY_CHECKPOINT_NS, "")
        # Savers and checkpoint configs see the thread id as a string (a UUID
        # given as thread_id is saved, listed and streamed as its str).
        thread_id = configurable.get("thread_id")
        if thread_id is not None and not isinstance(thread_id, str):
            thread_id = str(thread_id)
        self.thread_id = thread_id
        # What savers see of the config: no private engine keys.
        public = {k: v for k, v in configurable.items() if not k.startswith(PRIVATE_CONFIG_PREFIX)}
        public[CONFIG_KEY_CHECKPOINT_NS] = self.checkpoint_ns
        if thread_id is not None:
            public["thread_id"] = thread_id
        self.public_configurable = public
        self.cache = cache
        self._default_cache_policy = default_cache_policy
        self._untracked = untracked
        self.pending_io: list[tuple[Any, str, tuple[Any, ...]]] = []
        # Writes saved against the current checkpoint (task id, channel, value).
        self.pending_writes: list[Write] = []
        self._written_ids: set[str] = set()
        # task id -> (cache key, ttl) of tasks with a cache policy.
        self._cache_keys: dict[str, tuple[CacheKey, int | None]] = {}

    def attach(self, state: CheckpointState, saved: Any) -> None:
        """Start from a loaded checkpoint (the saved tuple, or None)."""
        self.state = state
        self.attached = True
        self.pending_writes = list(state.pending_writes)
        self._written_ids = {w[0] for w in self.pending_writes}
        self.checkpoint_config = (
            saved.config if saved is not None and self.checkpointer is not None else None
        )
        self.parent_config = getattr(saved, "parent_config", None)

    # -- configs that address the thread -------------------------------------

    def lookup_config(self) -> dict[str, Any]:
        """The config to load the thread's checkpoint with."""
        return {**self.config, CONF: dict(self.public_configurable)}

    def latest_lookup_config(self) -> dict[str, Any]:
        """The config that finds the thread's latest checkpoint."""
        conf = {k: v for k, v in self.public_configurable.items() if k != CONFIG_KEY_CHECKPOINT_ID}
        return {**self.config, CONF: conf}

    def current_config(self) -> dict[str, Any]:
        """The config of the current checkpoint (what stream payloads show)."""
        return {
            CONF: {**self.public_configurable, CONFIG_KEY_CHECKPOINT_ID: self.state.current_id()}
        }

    # -- writes ----------------------------------------------------------------

    def record_writes(self, task: Task, writes: Sequence[tuple[str, Any]]) -> None:
        """A task's writes (its result, error or interrupt), kept and saved."""
        tid = task.id
        # A task's new writes replace its earlier ones (a set, not a scan:
        # a step can have thousands of tasks).
        if tid in self._written_ids:
            self.pending_writes = [w for w in self.pending_writes if w[0] != tid]
        else:
            self._written_ids.add(tid)
        if len(writes) == 1:
            self.pending_writes.append((tid, *writes[0]))
        else:
            self.pending_writes.extend([(tid, c, v) for c, v in writes])
        if not self.saving:
            return
        # Saved even for a lone task: history snapshots show each task's
        # result from these writes, as LangGraph's do.
        path = task.path
        key = self._step_key
        if (
            key is not None
            and path[0] == PULL
            and writes
            and not self._untracked
            and key[2] == self.state._id
        ):
            self.pending_io.append(
                (
                    self.checkpointer,
                    "put_step_writes",
                    (key, list(writes), tid, f"~{PULL}, {path[1]}"),
                )
            )
            return
        config = self._writes_config
        if (
            path[0] == PULL
            and writes
            and not self._untracked
            and self._takes_task_path
            and config is not None
            and config[CONF][CONFIG_KEY_CHECKPOINT_ID] == self.state._id
        ):
            # queue_put_writes for a node's task (the per-step case).
            self.pending_io.append(
                (
                    self.checkpointer,
                    "put_writes",
                    (config, list(writes), tid, f"~{PULL}, {path[1]}"),
                )
            )
        else:
            self.queue_put_writes(tid, writes, path)

    def drop_writes_to(self, channel: str) -> None:
        """Forget the saved writes to one channel (RESUME when time
        traveling, INTERRUPT when forking)."""
        self.pending_writes = [w for w in self.pending_writes if w[1] != channel]

    def set_input_writes(self, writes: Sequence[tuple[str, Any]], *, store: bool = True) -> None:
        """A Command's writes, made by no task (NULL_TASK_ID): they replace
        the control writes of an earlier Command and are saved (unless not
        `store`: a fork's first checkpoint carries them)."""
        kept = [
            w
            for w in self.pending_writes
            if not (w[0] == NULL_TASK_ID and w[1] in WRITES_NOT_REUSED)
        ]
        # Savers key a write by its index in the list: the earlier Commands'
        # updates are saved again first (same slots), then the new writes,
        # control writes last (a resume ahead of an update would take a slot
        # an update has next time, and that update would apply twice).
        writes = sorted(writes, key=lambda w: w[0] in WRITES_NOT_REUSED)
        earlier = [(c, v) for tid, c, v in kept if tid == NULL_TASK_ID]
        self.pending_writes = kept + [(NULL_TASK_ID, c, v) for c, v in writes]
        if not store:
            self._null_writes_carried = True
        elif self.saving:
            self.queue_put_writes(NULL_TASK_ID, [*earlier, *writes], "")

    def null_resume(self, consume: bool) -> Any:
        """The resume value a Command gave the run (MISSING if none); tasks
        in worker threads race for it, so taking it is atomic."""
        with _null_resume_lock:
            pending = self.pending_writes
            for i, (tid, chan, value) in enumerate(pending):
                if tid == NULL_TASK_ID and chan == RESUME:
                    if consume:
                        del pending[i]
                    return value
        return MISSING

    def clear_writes(self) -> None:
        """A new checkpoint: no writes are saved against it yet."""
        self.pending_writes = []
        self._written_ids = set()

    def saved_call_result(self, task: Task) -> tuple[Any] | None:
        """(value,) when this task call's result was saved before (resume)."""
        tid = task.id
        for wtid, chan, value in self.pending_writes:
            if wtid == tid and chan == RETURN:
                return (value,)
        return None

    def queue_put_writes(self, task_id: str, writes: Sequence[tuple[str, Any]], path: Any) -> None:
        if self._untracked:
            # UntrackedValue writes are never persisted, nor their values in
            # the state a Send passes on.
            writes = [
                (c, self._without_untracked(v)) if c == TASKS else (c, v)
                for c, v in writes
                if c not in self._untracked
            ]
        if not writes:
            return
        checkpoint_id = self.state.current_id()
        config = self._writes_config
        if config is None or config[CONF][CONFIG_KEY_CHECKPOINT_ID] != checkpoint_id:
            config = self._writes_config = {
                CONF: {**self.public_configurable, CONFIG_KEY_CHECKPOINT_ID: checkpoint_id}
            }
        if not self._takes_task_path:
            self.pending_io.append(
                (self.checkpointer, "put_writes", (config, list(writes), task_id))
            )
            return
        if not path:
            path_str = ""
        elif path[0] == PULL:
            path_str = _pull_path_str(path[1])
        else:
            path_str = _task_path_str(path)
        self.pending_io.append(
            (self.checkpointer, "put_writes", (config, list(writes), task_id, path_str))
        )

    # -- performing saver calls ---------------------------------------------------

    def _pipeline_for(self, is_async: bool) -> Any:
        """The checkpointer's write pipeline if this kind of driver can use it."""
        pipeline = self._pipeline
        if pipeline is MISSING:
            saver = self.checkpointer
            pipeline = None
            if saver is not None and getattr(saver, "pipelines_writes", False):
                pipeline = saver.write_pipeline
            self._pipeline = pipeline
        if pipeline is None or pipeline.is_async is not is_async:
            return None
        if is_async and getattr(self.checkpointer, "loop", None) is not _running_loop():
            return None  # an async saver's pipeline lives on the saver's loop
        return pipeline

    def _split(self, batch: list[IoCall]) -> tuple[list[tuple[str, tuple[Any, ...]]], list[IoCall]]:
        saver = self.checkpointer
        piped: list[tuple[str, tuple[Any, ...]]] = []
        rest: list[IoCall] = []
        for call in batch:
            if call[0] is saver and call[1] in _PIPELINED:
                piped.append((call[1], call[2]))
            else:
                rest.append(call)
        return piped, rest

    def perform(self, batch: list[IoCall]) -> None:
        """Make a batch of queued calls (sync drivers)."""
        pipeline = self._pipeline
        if pipeline is not None:
            pipeline = self._pipeline_for(False)
        if pipeline is None:
            for target, method, args in batch:
                getattr(target, method)(*args)
            return
        piped, rest = self._split(batch)
        for target, method, args in rest:
            getattr(target, method)(*args)
        if not piped:
            return
        if self.durability == "async":
            receipt = self.receipt
            if receipt is None:
                receipt = self.receipt = Receipt()
            receipt.raise_error()  # an earlier step failed to be saved: stop now
            pipeline.submit(piped, receipt)
        else:
            pipeline.write(piped)

    async def aperform(self, batch: list[IoCall]) -> None:
        """Async twin of `perform` (the async methods of each target)."""
        pipeline = self._pipeline_for(True)
        if pipeline is None:
            for target, method, args in batch:
                await getattr(target, "a" + method)(*args)
            return
        piped, rest = self._split(batch)
        for target, method, args in rest:
            await getattr(target, "a" + method)(*args)
        if not piped:
            return
        if self.durability == "async":
            receipt = self.receipt
            if receipt is None:
                receipt = self.receipt = Receipt()
            receipt.raise_error()
            await pipeline.submit(piped, receipt)
        else:
            await pipeline.write(piped)

    def offer(self, batch: list[IoCall], loop: Any) -> bool:
        """From a thread other than `loop`'s (the async driver's): queue the
        batch on the saver's async write pipeline without waiting, if that is
        all `aperform` would do (durability "async", only put/put_writes, no
        earlier entry failed, room in the queue). False: `aperform` it."""
        pipeline = self._pipeline  # known once aperform has seen a batch
        if (
            self.durability != "async"
            or pipeline is MISSING
            or pipeline is None
            or not pipeline.is_async
            or getattr(self.checkpointer, "loop", None) is not loop
        ):
            return False
        receipt = self.receipt
        if receipt is None or receipt.error is not None:
            return False
        piped, rest = self._split(batch)
        return not rest and pipeline.offer(piped, receipt)

    @property
    def unsettled(self) -> bool:
        """Whether calls this run queued may not be committed yet."""
        receipt = self.receipt
        return receipt is not None and (receipt.pending > 0 or receipt.error is not None)

    def settle(self, *, quiet: bool = False) -> None:
        """Until what this run queued is committed; then raise the first error
        of it (unless `quiet`: the run is already ending with an error)."""
        receipt = self.receipt
        if receipt is None:
            return
        self._pipeline.wait(receipt)
        if not quiet:
            receipt.raise_error()

    async def asettle(self, *, quiet: bool = False) -> None:
        receipt = self.receipt
        if receipt is None:
            return
        await self._pipeline.wait(receipt)
        if not quiet:
            receipt.raise_error()

    # -- checkpoints -------------------------------------------------------------

    def save(
        self,
        source: str,
        step: int,
        configurable: dict[str, Any],
        parents: dict[str, str] | None = None,
    ) -> None:
        """Make the checkpoint of `step` and, when saving, queue its put.
        Its ancestors' checkpoints are the config's checkpoint map unless
        `parents` names them."""
        state = self.state
        if not self.saving and self.checkpointer is None:
            # Nothing observes this checkpoint but task ids derived from it.
            state.new_checkpoint(step, None)
            return
        if parents is None:
            parents = configurable.get(CONFIG_KEY_CHECKPOINT_MAP, {})
        if self._records:  # (saving, no DeltaChannels)
            self._put_record(source, step, parents)
            return
        metadata: dict[str, Any] = {"source": source, "step": step, "parents": parents}
        if self.delta is not None:
            self.delta.checkpoint(state, metadata, saving=self.saving)
        state.new_checkpoint(step, metadata)
        self.created_checkpoint = True
        if self.saving:
            if self._step_puts:  # known from the first put on
                self._put_step()
            else:
                self._put_current()

    def _put_current(self) -> None:
        """Queue a put of the current checkpoint as a child of the last saved one."""
        step_puts = self._step_puts
        if step_puts is None:
            step_puts = self._step_puts = self._takes_step_puts()
        if step_puts:
            self._put_step()
            return
        state = self.state
        checkpoint, new_versions = state.snapshot(self.checkpointer)
        if self._untracked and checkpoint["channel_values"].get(TASKS):
            values = checkpoint["channel_values"]
            checkpoint = {  # type: ignore[assignment]  # the same keys, a new dict
                **checkpoint,
                "channel_values": {
                    **values,
                    TASKS: [self._without_untracked(v) for v in values[TASKS]],
                },
            }
        base = self.checkpoint_config or self._thread_config()
        parent_id = base[CONF].get(CONFIG_KEY_CHECKPOINT_ID)
        writes_config = self._writes_config
        if (
            parent_id
            and writes_config is not None
            and writes_config[CONF][CONFIG_KEY_CHECKPOINT_ID] == parent_id
        ):
            # The configurable the parent's writes were saved with (never changed).
            conf = writes_config[CONF]
        else:
            conf = dict(self.public_configurable)
            if parent_id:
                conf[CONFIG_KEY_CHECKPOINT_ID] = parent_id
            else:
                conf.pop(CONFIG_KEY_CHECKPOINT_ID, None)
        config = {**self.config, CONF: conf}
        metadata: Any = state.metadata
        extras = self._metadata_extras
        if extras is None:
            extras = self._metadata_extras = self._extras_for(config)
        if extras is not False and self.delta is None:
            # What the saver would merge into it, merged once per run (the
            # config's entries do not change during a run); engine keys win.
            metadata = HandedOverMetadata(metadata)
            parents = metadata.get("parents")
            if parents:  # the config's checkpoint map: the saver gets its own
                metadata["parents"] = dict(parents)
            for key, value in extras:
                if key not in metadata:
                    metadata[key] = value
        self.pending_io.append(
            (self.checkpointer, "put", (config, checkpoint, metadata, new_versions))
        )
        previous = self.checkpoint_config
        self.parent_config = (
            previous if previous and previous[CONF].get(CONFIG_KEY_CHECKPOINT_ID) else None
        )
        checkpoint_id = checkpoint["id"]
        self.checkpoint_config = {
            CONF: {
                "thread_id": self.thread_id,
                CONFIG_KEY_CHECKPOINT_NS: self.checkpoint_ns,
                CONFIG_KEY_CHECKPOINT_ID: checkpoint_id,
            }
        }
        self._saved_id = checkpoint_id
        # The config the writes against this checkpoint are saved with.
        self._writes_config = {
            CONF: {**self.public_configurable, CONFIG_KEY_CHECKPOINT_ID: checkpoint_id}
        }

    def _takes_step_puts(self) -> bool:
        """Whether this run's puts go to the saver's put_step (see
        InMemorySaver.takes_step_puts): not with DeltaChannels or untracked
        values (their own shapes), nor for a put_writes without task_path."""
        saver = self.checkpointer
        if (
            self.delta is not None
            or self._untracked
            or not self._takes_task_path
            or not getattr(saver, "takes_step_puts", False)
        ):
            return False
        extras = self._metadata_extras
        if extras is None:
            extras = self._metadata_extras = self._extras_for(
                {**self.config, CONF: dict(self.public_configurable)}
            )
        return extras is not False

    def _put_step(self) -> None:
        """_put_current for a saver that takes step puts: the stored form of
        the checkpoint, no configs."""
        state = self.state
        saver = self.checkpointer
        skeleton, values, new_versions = state.stored_snapshot(saver)
        previous = self.checkpoint_config
        parent_id = previous[CONF].get(CONFIG_KEY_CHECKPOINT_ID) if previous else None
        metadata = self._step_metadata()
        thread_id = self.thread_id
        ns = self.checkpoint_ns
        self.pending_io.append(
            (
                saver,
                "put_step",
                (thread_id, ns, parent_id or None, skeleton, values, metadata, new_versions),
            )
        )
        self.parent_config = previous if parent_id else None
        checkpoint_id = skeleton["id"]
        self._now_at_step(thread_id, ns, checkpoint_id)
        # The later checkpoints are put as what changed (the saver has this
        # one to start from), when the saver takes that.
        if (
            self.saving
            and getattr(saver, "put_step_record", None) is not None
            and state.defer(saver)
        ):
            self._records = True

    def _now_at_step(self, thread_id: Any, ns: str, checkpoint_id: str) -> None:
        """The run is now at a checkpoint put by a step (`_put_step`, `_put_record`)."""
        self.checkpoint_config = {
            CONF: {
                "thread_id": thread_id,
                CONFIG_KEY_CHECKPOINT_NS: ns,
                CONFIG_KEY_CHECKPOINT_ID: checkpoint_id,
            }
        }
        self._saved_id = checkpoint_id
        self._step_key = (thread_id, ns, checkpoint_id)
        self._writes_config = None  # made when a write needs it (queue_put_writes)

    def _step_metadata(self) -> HandedOverMetadata:
        """The current checkpoint's metadata merged with the config's entries."""
        metadata = HandedOverMetadata(self.state.metadata)  # type: ignore[arg-type]
        parents = metadata.get("parents")
        if parents:  # the config's checkpoint map: the saver gets its own
            metadata["parents"] = dict(parents)
        for key, value in self._metadata_extras:
            if key not in metadata:
                metadata[key] = value
        return metadata

    def _put_record(self, source: str, step: int, parents: dict[str, str]) -> None:
        """save and _put_step after the run's first checkpoint: what changed
        since the last one, the metadata as (source, step, a copy of the
        checkpoint map or None when empty): what _step_metadata makes before
        the config's entries."""
        state = self.state
        state.new_checkpoint(step, {"source": source, "step": step, "parents": parents})
        self.created_checkpoint = True
        checkpoint_id, ts, updated, changes, values = state.step_record()
        previous = self.checkpoint_config
        thread_id = self.thread_id
        ns = self.checkpoint_ns
        self.pending_io.append(
            (
                self.checkpointer,
                "put_step_record",
                (
                    thread_id,
                    ns,
                    previous[CONF][CONFIG_KEY_CHECKPOINT_ID],  # type: ignore[index]
                    checkpoint_id,
                    ts,
                    updated,
                    changes,
                    values,
                    # (Flat, and None for no parents: nothing the GC must visit.)
                    (source, step, dict(parents) if parents else None),
                    self._metadata_extras,
                    state._context,
                ),
            )
        )
        self.parent_config = previous
        self._now_at_step(thread_id, ns, checkpoint_id)

    def _extras_for(self, config: dict[str, Any]) -> Any:
        """The (key, value) entries `get_checkpoint_metadata` takes from this
        run's config, when the saver takes metadata merged with them
        (`accepts_handed_over_metadata`); else False."""
        if not getattr(self.checkpointer, "accepts_handed_over_metadata", False):
            return False
        return tuple(get_checkpoint_metadata(config, {}).items())

    def _without_untracked(self, packet: Any) -> Any:
        """A Send whose state (a dict keyed by channel) holds untracked
        values, as it is saved: without them."""
        if not isinstance(packet, Send) or not isinstance(packet.arg, dict):
            return packet
        arg = packet.arg
        if not any(k in self._untracked for k in arg):
            return packet
        kept = {k: v for k, v in arg.items() if k not in self._untracked}
        return Send(packet.node, kept, timeout=getattr(packet, "timeout", None))

    def _thread_config(self) -> dict[str, Any]:
        return {CONF: {"thread_id": self.thread_id, CONFIG_KEY_CHECKPOINT_NS: self.checkpoint_ns}}

    def put_exit_checkpoint(self) -> None:
        """With durability "exit": queue the put of the current checkpoint if
        it is not saved yet, from the channels as they are now (so before
        anything changes them without making a new checkpoint)."""
        if self.durability != "exit" or self.checkpointer is None or not self.attached:
            return
        state = self.state
        if self.created_checkpoint and state.current_id() != self._saved_id:
            if self.delta is not None:
                self.delta.exit(self, state)
            self._put_current()

    def on_exit(self, tasks: Sequence[Task]) -> None:
        """The run ends (done, interrupted or failed). With durability "exit"
        this is when the last checkpoint and its pending writes are saved."""
        if self.durability != "exit" or self.checkpointer is None:
            return
        if not self.attached:  # the run failed before its checkpoint loaded
            return
        if self.state.metadata is None:
            return
        self.put_exit_checkpoint()
        # Only tasks that wrote in this run: writes loaded with the checkpoint
        # are stored on it already, and saved again they could take new
        # slots and apply twice. (Loaded writes are the loaded tuples.)
        loaded = {id(w) for w in self.state.pending_writes}
        written = {w[0] for w in self.pending_writes if id(w) not in loaded}
        if self._null_writes_carried:
            written.discard(NULL_TASK_ID)
        by_task: dict[str, list[Any]] = {}
        for tid, chan, value in self.pending_writes:
            if tid in written:
                by_task.setdefault(tid, []).append((chan, value))
        paths = {t.id: t.path for t in tasks}
        for tid, writes in by_task.items():
            self.queue_put_writes(tid, writes, paths.get(tid, ""))

    # -- node caches ---------------------------------------------------------------

    def cache_lookup(self, tasks: Sequence[Task]) -> list[CacheKey]:
        """Cache keys of these tasks that have a cache policy."""
        keys = []
        for t in tasks:
            if t.cached:
                continue
            key = self._cache_key(t)
            if key is not None:
                keys.append(key)
        return keys

    def _cache_key(self, task: Task) -> CacheKey | None:
        policy = task.proc.cache_policy or self._default_cache_policy
        if policy is None:
            return None
        entry = self._cache_keys.get(task.id)
        if entry is not None:
            return entry[0]
        args_key = policy.key_func(task.input)
        digest = xxh3_128_hexdigest(args_key.encode() if isinstance(args_key, str) else args_key)
        namespace = (CACHE_NS_WRITES, _identifier(task.proc.bound) or "__dynamic__", task.name)
        key = (namespace, digest)
        self._cache_keys[task.id] = (key, policy.ttl)
        return key

    def call_cache_entry(self, task: Task) -> tuple[CacheKey, int | None] | None:
        """(cache key, ttl) of a task call (functional API) with a cache
        policy, else None. Keyed by the task function and its arguments, so
        every caller of the function shares the entries."""
        policy = task.proc.cache_policy or self._default_cache_policy
        if policy is None:
            return None
        args, kwargs = task.input
        args_key = policy.key_func(*args, **kwargs)
        digest = xxh3_128_hexdigest(args_key.encode() if isinstance(args_key, str) else args_key)
        return (
            (CACHE_NS_WRITES, _identifier(task.proc.bound) or "__dynamic__"),
            digest,
        ), policy.ttl

    def apply_cached(self, tasks: Sequence[Task], found: dict[CacheKey, Any]) -> list[Task]:
        """Tasks whose writes are cached are not run: their writes replay.
        Returns the tasks that were served from the cache."""
        served = []
        for t in tasks:
            entry = self._cache_keys.get(t.id)
            if entry is not None and entry[0] in found and not t.cached:
                t.writes.extend(tuple(w) for w in found[entry[0]])
                t.cached = True
                if self.checkpointer is not None:
                    self.record_writes(t, t.writes)
                served.append(t)
        return served

    def cache_result(self, task: Task) -> None:
        """A task with a cache policy finished: queue its writes for the cache."""
        entry = self._cache_keys.get(task.id)
        if entry is not None:
            key, ttl = entry
            self.pending_io.append((self.cache, "set", ({key: (list(task.writes), ttl)},)))
