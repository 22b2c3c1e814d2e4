"""`DaskTaskRunner`: a graph's tasks, or whole threads, as Dask futures.

Given to `compile(task_runner=...)`, it runs each node call on a worker as one future (the
engine stays in the caller); `batch` runs whole threads on the workers, the saver behind
a picklable factory (PostgreSQL) being the shared source of truth. Dask itself retries a
future whose worker died (on another worker), so the caller still gets one result.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Collection
from typing import Any

from langgraph_jit.distributed._base import TaskRunner
from langgraph_jit.distributed._remote import RemoteTaskError


class DaskTaskRunner(TaskRunner):
    """Runs work on a Dask cluster: the given `client` (a `distributed.Client`), a
    scheduler at `address` (reached within `connect_timeout` seconds), or (neither
    given) a `LocalCluster` of worker processes started with `cluster_kwargs` and closed
    by `close()` / the context manager. See `TaskRunner` for `local_nodes`,
    `remote_nodes` and `saver`."""

    def __init__(
        self,
        client: Any = None,
        address: str | None = None,
        *,
        connect_timeout: float = 10.0,
        local_nodes: Collection[str] = (),
        remote_nodes: Collection[str] | None = None,
        saver: Callable[[], Any] | None = None,
        **cluster_kwargs: Any,
    ):
        try:  # optional dependencies (the [dask] extra), untyped: imported by name
            importlib.import_module("cloudpickle")
            distributed = importlib.import_module("distributed")
        except ImportError as exc:  # pragma: no cover - the [dask] extra is missing
            raise ImportError(
                "DaskTaskRunner needs dask's distributed scheduler and cloudpickle: "
                "pip install 'langgraph-jit[dask]'"
            ) from exc
        if client is not None and address is not None:
            raise ValueError("DaskTaskRunner takes a client or an address, not both")
        super().__init__(local_nodes=local_nodes, remote_nodes=remote_nodes, saver=saver)
        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif address is not None:
            try:
                self.client = distributed.Client(address, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ConnectionError(
                    f"Cannot reach the Dask scheduler at {address} within "
                    f"{connect_timeout:g} s: {exc}"
                ) from exc
        else:
            cluster_kwargs.setdefault("processes", True)
            cluster_kwargs.setdefault("dashboard_address", None)
            # Without a dashboard nobody sees the profile the workers build by
            # sampling their threads' stacks every 10 ms, and on a 2-core machine it
            # cost CPU-bound nodes ~10% (54-58 ms against 50 ms a task): it is off
            # unless a dashboard is asked for.
            quiet = {}
            if cluster_kwargs["dashboard_address"] is None:
                quiet = {"distributed.worker.profile.enabled": False}
            with importlib.import_module("dask").config.set(quiet):
                self._cluster = distributed.LocalCluster(**cluster_kwargs)
            self.client = distributed.Client(self._cluster)

    def close(self) -> None:
        """Close the client and the cluster this runner started (not a client it was given)."""
        super().close()
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskTaskRunner:
        return self

    # -- one node call

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait(self, handle: Any, node: str) -> Any:
        try:
            return handle.result()
        except Exception as exc:  # the function itself never raises: the cluster did
            raise _lost(f"the task of node '{node}'", exc) from exc

    async def await_(self, handle: Any, node: str) -> Any:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def on_done(_: Any) -> None:
            loop.call_soon_threadsafe(_set_done, done)

        handle.add_done_callback(on_done)
        try:
            await done
        except asyncio.CancelledError:
            handle.cancel()  # the run was cancelled: so is the task
            raise
        return self.wait(handle, node)

    # -- whole threads

    def _share(self, value: Any) -> Any:
        return self.client.scatter(value, broadcast=True, hash=False)

    def _submit_thread(self, *args: Any) -> Any:
        return self.client.submit(*args, pure=False)

    def _results(self, handles: list[Any]) -> list[Any]:
        try:
            return self.client.gather(handles)
        except Exception as exc:  # the chunk function never raises: the cluster did
            raise _lost("a chunk of the batch's threads", exc) from exc


def _set_done(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


def _lost(what: str, exc: BaseException) -> RemoteTaskError:
    return RemoteTaskError(
        f"The Dask cluster lost {what} ({type(exc).__name__}: {exc}). "
        "With a checkpointer, invoke(None, config) resumes the thread from its last saved "
        "step once the cluster is back."
    )


__all__ = ("DaskTaskRunner",)
