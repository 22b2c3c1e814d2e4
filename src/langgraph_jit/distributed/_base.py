"""What every cluster task runner does, whatever the cluster (Dask, Ray).

A runner given to `compile(task_runner=...)` is asked once per compiled graph (when its
topology is built) to `adopt` it: each node that can run remotely gets a twin whose call
is a `RemoteCall`; the others (listed below) keep running in the caller. `batch` runs
whole threads on the workers instead. A subclass supplies the transport: `submit`,
`wait`, `await_`, and the whole-thread primitives `_share`, `_submit_thread`, `_results`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import hashlib
import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from typing import Any

from langgraph_jit._constants import RUNS_IN_CALLER
from langgraph_jit.distributed._remote import RemoteCall, ShippingError, pickler, run_on_worker
from langgraph_jit.distributed._threads import (
    batch_configs,
    opened_saver,
    run_threads,
    unpicklable_node,
)


class TaskRunner:
    """Runs a graph's tasks (or whole threads) on a cluster. Options shared by every
    runner: `local_nodes` (names of nodes that always run in the caller: cheap ones
    don't pay a network hop), `remote_nodes` (if given, only these run remotely),
    `saver` (a picklable factory of the saver workers open for `batch`: a saver, or a
    context manager yielding one)."""

    def __init__(
        self,
        *,
        local_nodes: Collection[str] = (),
        remote_nodes: Collection[str] | None = None,
        saver: Callable[[], Any] | None = None,
    ) -> None:
        self._dumps = pickler().dumps
        self.local_nodes = frozenset(local_nodes)
        self.remote_nodes = None if remote_nodes is None else frozenset(remote_nodes)
        self.saver = saver
        # Remote twins of task functions (@task), by the function's id, and of node
        # calls by (call's id, node name): a graph copied (with_config) pickles nothing.
        self._task_calls: dict[int, tuple[Any, RemoteCall]] = {}
        self._node_calls: dict[tuple[int, str], tuple[Any, RemoteCall]] = {}
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # Threads that wait on remote tasks (a sync step wider than the engine's shared
    # pool): as many tasks in flight as the cluster is likely to take at once.
    max_in_flight = 256

    def pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """The threads a sync step's remote tasks wait in (made on first use)."""
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(
                        max_workers=self.max_in_flight, thread_name_prefix="langgraph_jit-remote"
                    )
        return self._pool

    # -- the transport (subclasses) ------------------------------------------------

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def wait(self, handle: Any, node: str) -> Any:
        raise NotImplementedError

    async def await_(self, handle: Any, node: str) -> Any:
        raise NotImplementedError

    def _share(self, value: Any) -> Any:
        """`value` placed on the cluster once, for many whole-thread runs."""
        raise NotImplementedError

    def _submit_thread(self, *args: Any) -> Any:
        raise NotImplementedError

    def _results(self, handles: list[Any]) -> list[Any]:
        """The handles' results in order (a chunk's function never raises)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the threads that waited on remote tasks (subclasses close the cluster)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- a graph's tasks ----------------------------------------------------------

    def runs_remotely(self, graph: Any, name: str, proc: Any) -> bool:
        """Whether node `name` runs on the workers. Not: nodes without a function,
        nodes kept local (by name, `add_node(..., remote=False)`, or a function that
        must run beside the engine, such as an @entrypoint workflow orchestrating its
        task calls), nodes running a subgraph (it needs the run's saver, stream and
        parent task), nodes with a timeout (their watchdog runs in the caller's event
        loop) and the engine's own nodes (error handlers: names starting with "__")."""
        if proc.call is None or name.startswith("__") or name in self.local_nodes:
            return False
        if self.remote_nodes is not None and name not in self.remote_nodes:
            return False
        if getattr(proc.bound, RUNS_IN_CALLER, False) or proc.timeout is not None:
            return False
        spec = (getattr(getattr(graph, "builder", None), "nodes", None) or {}).get(name)
        if spec is not None and getattr(spec, "remote", True) is False:
            return False
        return not proc.subgraphs

    def adopt(self, graph: Any, topo: Any) -> None:
        """Give the nodes of `graph` that run remotely their remote twins in `topo`
        (the engine's view of the graph; `graph.nodes` stays as the user built it).
        A node whose function does not pickle fails here, before anything runs."""
        for i, name in enumerate(topo.node_names):
            proc = topo.procs[i]
            if not self.runs_remotely(graph, name, proc):
                continue
            call = proc.call
            found = self._node_calls.get((id(call), name))
            if found is None or found[0] is not call:
                if len(self._node_calls) >= 1024:  # graphs compiled again and again
                    self._node_calls.clear()
                remote = RemoteCall(call, name, self, self._dumps)
                found = self._node_calls[(id(call), name)] = (call, remote)
            twin = copy.copy(proc)  # shares writers and triggers with the node
            twin.call = found[1]
            topo.procs[i] = twin

    def remote_call(self, fn: Any, call: Any) -> Any:
        """The call of a task function (@task) run remotely, made once per function;
        `call` itself when it must stay local (a timeout, a function kept local)."""
        if fn.timeout is not None or fn.name in self.local_nodes:
            return call
        if self.remote_nodes is not None and fn.name not in self.remote_nodes:
            return call
        found = self._task_calls.get(id(fn))
        if found is None or found[0] is not fn:
            if len(self._task_calls) >= 1024:
                self._task_calls.clear()
            found = self._task_calls[id(fn)] = (fn, RemoteCall(call, fn.name, self, self._dumps))
        return found[1]

    # -- whole threads --------------------------------------------------------------

    def graph_batch(
        self,
        graph: Any,
        inputs: Sequence[Any],
        config: Any,
        return_exceptions: bool,
        kwargs: dict[str, Any],
    ) -> list[Any] | None:
        """`graph.batch` with this runner: whole runs on the workers when they can see
        the same saver (the runner's `saver` factory) or need none; None when the graph
        has an in-process checkpointer the workers cannot share (the batch then runs
        here, each run's tasks on the workers)."""
        if self.saver is None and graph.checkpointer not in (None, False):
            return None
        return self.batch(
            graph,
            inputs,
            config,
            saver=self.saver,
            return_exceptions=return_exceptions,
            **kwargs,
        )

    async def agraph_batch(
        self,
        graph: Any,
        inputs: Sequence[Any],
        config: Any,
        return_exceptions: bool,
        kwargs: dict[str, Any],
    ) -> list[Any] | None:
        """Async twin of `graph_batch` (the batch waits in a thread)."""
        if self.saver is None and graph.checkpointer not in (None, False):
            return None
        return await asyncio.get_running_loop().run_in_executor(
            None, self.graph_batch, graph, inputs, config, return_exceptions, kwargs
        )

    def batch(
        self,
        graph: Any,
        inputs: Sequence[Any],
        configs: dict | Sequence[dict] | None = None,
        *,
        saver: Callable[[], Any] | None = None,
        return_exceptions: bool = False,
        retries: int = 0,
        chunk: int | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """Run `graph` on each input (with its config: one thread per run) on the
        workers; returns the outputs in input order, as `graph.batch` would.

        `saver` is a picklable factory each worker calls once to open its saver: a
        saver, or a context manager yielding one (`functools.partial(
        PostgresSaver.from_conn_string, dsn)`); it is set up once here before anything
        runs. Without it the graph runs with no checkpointer. `retries` re-runs a
        thread whose node raised (a thread whose worker died is run again anyway,
        resuming from its last saved checkpoint: with `durability="sync"` that is the
        last step that finished). `chunk`: threads per cluster task (default: about
        1/16 of the batch, at most 16). Other keyword arguments go to each `invoke`."""
        configs = batch_configs(configs, len(inputs))
        if not inputs:
            return []
        shipped = graph.copy({"checkpointer": None, "task_runner": None})
        try:
            # Pickled here, once: a node that does not pickle fails now, named.
            blob = self._dumps(shipped)
        except Exception as exc:
            node = unpicklable_node(shipped, self._dumps)
            where = f"node '{node}'" if node else "the graph"
            raise ShippingError(
                f"Cannot send {where} to the cluster workers: it does not pickle ({exc!r}). "
                "Define node functions at module level or avoid capturing open resources "
                "(connections, locks, clients) in them."
            ) from exc
        key = b""
        if saver is not None:
            key = hashlib.sha256(self._dumps(saver)).digest()
            with opened_saver(saver) as local:
                local.setup()
        batch = uuid.uuid4().hex
        shared = self._share(blob)
        jobs = [(inp, dict(cfg)) for inp, cfg in zip(inputs, configs, strict=True)]
        # Threads go in chunks, one future each: the cluster's cost per future is paid
        # once per chunk, and a worker runs its chunk's threads side by side.
        size = chunk or max(1, min(16, len(jobs) // 16))
        handles = [
            self._submit_thread(
                run_threads, shared, saver, key, jobs[i : i + size], batch, kwargs, retries
            )
            for i in range(0, len(jobs), size)
        ]
        out: list[Any] = []
        for ok, value in (r for chunk_out in self._results(handles) for r in chunk_out):
            if not ok and not return_exceptions:
                raise value
            out.append(value)
        return out


__all__ = ("TaskRunner", "run_on_worker")
