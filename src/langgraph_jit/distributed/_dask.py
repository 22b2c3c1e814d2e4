"""`DaskTaskRunner`: hands a batch's threads to a Dask cluster.

The engine (planning, commit, checkpoints, streaming) of each thread runs on the worker
that got it; the saver behind the factory (PostgreSQL, or a SQLite file every worker can
reach) is the shared source of truth, so a thread whose worker dies is run again elsewhere
and resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import importlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langgraph_jit.distributed._threads import (
    batch_configs,
    opened_saver,
    run_thread,
    unpicklable_node,
)


class DaskTaskRunner:
    """Runs work on a Dask cluster: the given `client` (a `distributed.Client`), a
    scheduler at `address`, or (neither given) a `LocalCluster` of worker processes
    started with `cluster_kwargs` and closed by `close()` / the context manager."""

    def __init__(self, client: Any = None, address: str | None = None, **cluster_kwargs: Any):
        try:  # optional dependencies (the [dask] extra), untyped: imported by name
            cloudpickle = importlib.import_module("cloudpickle")
            distributed = importlib.import_module("distributed")
        except ImportError as exc:  # pragma: no cover - the [dask] extra is missing
            raise ImportError(
                "DaskTaskRunner needs dask's distributed scheduler and cloudpickle: "
                "pip install 'langgraph-jit[dask]'"
            ) from exc
        if client is not None and address is not None:
            raise ValueError("DaskTaskRunner takes a client or an address, not both")
        self._dumps = cloudpickle.dumps
        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif address is not None:
            self.client = distributed.Client(address)
        else:
            cluster_kwargs.setdefault("processes", True)
            cluster_kwargs.setdefault("dashboard_address", None)
            self._cluster = distributed.LocalCluster(**cluster_kwargs)
            self.client = distributed.Client(self._cluster)

    # -- lifetime

    def close(self) -> None:
        """Close the client and the cluster this runner started (not a client it was given)."""
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskTaskRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- whole threads

    def batch(
        self,
        graph: Any,
        inputs: Sequence[Any],
        configs: dict | Sequence[dict] | None = None,
        *,
        saver: Callable[[], Any] | None = None,
        return_exceptions: bool = False,
        retries: int = 0,
        **kwargs: Any,
    ) -> list[Any]:
        """Run `graph` on each input (with its config: one thread per run) on the cluster's
        workers; returns the outputs in input order, as `graph.batch` would.

        `saver` is a picklable factory each worker calls once to open its saver, a saver or a
        context manager yielding one (`functools.partial(PostgresSaver.from_conn_string,
        dsn)`); it is set up once here before anything runs. Without it the graph runs with
        no checkpointer. `retries` re-runs a thread whose node raised (a thread whose worker
        died is re-run by Dask anyway, resuming from its last saved checkpoint: with
        `durability="sync"` that is the last step that finished). Other keyword arguments
        go to each `invoke` (durability, stream settings...)."""
        configs = batch_configs(configs, len(inputs))
        shipped = graph.copy({"checkpointer": None})
        try:
            self._dumps(shipped)  # fail here, naming the node, before any work is sent
        except Exception as exc:
            node = unpicklable_node(shipped, self._dumps)
            where = f"node '{node}'" if node else "the graph"
            raise TypeError(
                f"Cannot send {where} to the Dask workers: it does not pickle ({exc!r}). "
                "Define node functions at module level or avoid capturing open resources "
                "(connections, locks, clients) in them."
            ) from exc
        key = b""
        if saver is not None:
            key = hashlib.sha256(self._dumps(saver)).digest()
            with opened_saver(saver) as local:
                local.setup()
        batch = uuid.uuid4().hex
        graph_future = self.client.scatter(shipped, broadcast=True, hash=False)
        futures = [
            self.client.submit(
                run_thread,
                graph_future,
                saver,
                key,
                inp,
                dict(cfg),
                batch,
                kwargs,
                pure=False,
                retries=retries,
            )
            for inp, cfg in zip(inputs, configs, strict=True)
        ]
        if not return_exceptions:
            return self.client.gather(futures)
        out: list[Any] = []
        for future in futures:
            try:
                out.append(future.result())
            except Exception as exc:
                out.append(exc)
        return out


__all__ = ("DaskTaskRunner",)
