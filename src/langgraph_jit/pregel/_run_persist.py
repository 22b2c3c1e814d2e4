"""The persistence side of a run: saving checkpoints and task writes (as
queued saver calls), node caches, and the configs that address a thread.

A mixin of PregelRun; the drivers perform the queued calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xxhash import xxh3_128_hexdigest

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
    CONFIG_KEY_CHECKPOINT_NS,
    NULL_TASK_ID,
    PULL,
    RETURN,
)
from langgraph_jit.pregel._core.task import (
    _CACHE_NS_WRITES,
    _identifier,
    _pull_path_str,
    _task_path_str,
)

if TYPE_CHECKING:
    from langgraph_jit.pregel._core.task import Task


class RunPersistence:
    """Checkpoint, write and cache calls of a PregelRun."""

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
        conf = {k: v for k, v in self.configurable.items() if not k.startswith("__pregel_")}
        conf.setdefault(CONFIG_KEY_CHECKPOINT_NS, self.checkpoint_ns)
        return {**self.config, CONF: conf}

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
                if self.checkpoint_config
                and self.checkpoint_config[CONF].get(CONFIG_KEY_CHECKPOINT_ID)
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
        return {
            CONF: {
                "thread_id": self.configurable.get("thread_id"),
                CONFIG_KEY_CHECKPOINT_NS: self.checkpoint_ns,
            }
        }

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
