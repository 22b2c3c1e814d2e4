"""One thread (one run of a graph on one thread id) as a worker runs it, whatever the cluster.

The worker gets the graph without its checkpointer (pickled once per batch), opens the saver
from a picklable factory (kept open for the worker's later runs), and runs the thread. A
run that the cluster starts again after its worker died resumes from the thread's last
saved checkpoint instead of applying the input twice: every checkpoint of a batch carries
the batch's id in its metadata, so a second attempt finds the first one's progress.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

BATCH_KEY = "langgraph_jit_batch"

# (factory key, thread id) -> open saver; a worker thread reuses its saver across runs.
_savers: dict[tuple[bytes, int], Any] = {}
_closers = contextlib.ExitStack()
_savers_lock = threading.Lock()
atexit.register(_closers.close)


def _is_manager(made: Any) -> bool:
    # Savers are context managers too; a factory's manager is one that is not a saver.
    return hasattr(made, "__enter__") and not hasattr(made, "get_tuple")


def open_saver(factory: Callable[[], Any]) -> Any:
    """The saver `factory()` makes: a saver, or a context manager yielding one (such as
    `PostgresSaver.from_conn_string(dsn)`), entered for the life of the worker."""
    made = factory()
    return _closers.enter_context(made) if _is_manager(made) else made


@contextlib.contextmanager
def opened_saver(factory: Callable[[], Any]) -> Iterator[Any]:
    """The saver `factory()` makes, closed (if it came from a context manager) on exit."""
    made = factory()
    if _is_manager(made):
        with made as saver:
            yield saver
    else:
        yield made


def worker_saver(factory: Callable[[], Any], key: bytes) -> Any:
    slot = (key, threading.get_ident())
    saver = _savers.get(slot)
    if saver is None:
        with _savers_lock:
            saver = _savers.get(slot)
            if saver is None:
                saver = _savers[slot] = open_saver(factory)
    return saver


# (id of the shipped graph, factory key, thread id) -> (graph, its copy with the saver)
_apps: dict[tuple[int, bytes, int], tuple[Any, Any]] = {}


def _app_with_saver(graph: Any, factory: Callable[[], Any], key: bytes) -> Any:
    slot = (id(graph), key, threading.get_ident())
    found = _apps.get(slot)
    if found is None or found[0] is not graph:
        found = _apps[slot] = (graph, graph.copy({"checkpointer": worker_saver(factory, key)}))
    return found[1]


# batch id -> the graph it ships (pickled once per batch, unpickled once per worker).
_graphs: dict[str, Any] = {}
_GRAPHS_KEPT = 16


def _graph_of(batch: str, shipped: bytes) -> Any:
    graph = _graphs.get(batch)
    if graph is None:
        graph = importlib.import_module("cloudpickle").loads(shipped)
        with _savers_lock:
            if len(_graphs) >= _GRAPHS_KEPT:
                _graphs.clear()
            _graphs[batch] = graph
    return graph


def run_thread(
    graph: Any,
    factory: Callable[[], Any] | None,
    key: bytes,
    inp: Any,
    config: dict,
    batch: str,
    kwargs: dict,
) -> Any:
    """Run one thread of a batch on this worker (`kwargs`: invoke's, such as
    durability); returns what `invoke` returns. `graph` may come pickled (bytes)."""
    if isinstance(graph, bytes):
        graph = _graph_of(batch, graph)
    app = graph if factory is None else _app_with_saver(graph, factory, key)
    config = {**config, "metadata": {**(config.get("metadata") or {}), BATCH_KEY: batch}}
    if factory is not None:
        snapshot = app.get_state(config)
        if (snapshot.metadata or {}).get(BATCH_KEY) == batch:
            # An earlier attempt of this run saved progress (its worker died): go on from
            # there; a finished thread just returns its output.
            return app.invoke(None, config, **kwargs)
    return app.invoke(inp, config, **kwargs)


def run_threads(
    graph: Any,
    factory: Callable[[], Any] | None,
    key: bytes,
    jobs: list[tuple[Any, dict]],
    batch: str,
    kwargs: dict,
    retries: int,
) -> list[tuple[bool, Any]]:
    """Run a chunk of a batch's threads on this worker, side by side in the engine's
    thread pool (their saver calls overlap, as in `graph.batch`); returns (True, output)
    or (False, error) per thread. A thread that raised runs again `retries` times."""

    def one(job: tuple[Any, dict]) -> tuple[bool, Any]:
        for attempt in range(retries + 1):
            try:
                return True, run_thread(graph, factory, key, job[0], job[1], batch, kwargs)
            except Exception as exc:
                if attempt == retries:
                    return False, exc
        raise AssertionError("unreachable")

    if len(jobs) == 1:
        return [one(jobs[0])]
    from langgraph_jit.pregel._runner import shared_pool

    return list(shared_pool().map(one, jobs))


def unpicklable_node(graph: Any, dumps: Callable[[Any], bytes]) -> str | None:
    """The name of the first node whose code cannot be pickled, if one can't."""
    nodes: dict[str, Any] = getattr(graph, "nodes", {}) or {}
    for name, node in nodes.items():
        try:
            dumps(node)
        except Exception:
            return name
    return None


def batch_configs(configs: Any, n: int) -> Sequence[dict]:
    """One config per input, as Runnable.batch takes them (one for all, or a list)."""
    if configs is None:
        return [{} for _ in range(n)]
    if isinstance(configs, dict):
        return [configs] * n
    configs = list(configs)
    if len(configs) != n:
        raise ValueError(f"batch got {n} inputs but {len(configs)} configs")
    return configs
