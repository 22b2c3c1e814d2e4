"""`RayTaskRunner`: a graph's tasks, or whole threads, as Ray tasks.

The same interface as `DaskTaskRunner`: given to `compile(task_runner=...)` it runs each
node call on a Ray worker (the engine stays in the caller); `batch` runs whole threads.
Ray retries a task whose worker process died (`max_retries`), so the caller still gets
one result.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Collection
from typing import Any

from langgraph_jit.distributed._base import TaskRunner
from langgraph_jit.distributed._remote import RemoteTaskError


class RayTaskRunner(TaskRunner):
    """Runs work on Ray: the instance this process is already connected to, the
    cluster at `address` (`"auto"`, `"ray://host:10001"`), or (neither) a local
    instance started with `init_kwargs` (`num_cpus=2`...) and shut down by `close()`.
    `max_retries`: how often Ray runs a task again after its worker died. See
    `TaskRunner` for `local_nodes`, `remote_nodes` and `saver`."""

    def __init__(
        self,
        address: str | None = None,
        *,
        max_retries: int = 3,
        local_nodes: Collection[str] = (),
        remote_nodes: Collection[str] | None = None,
        saver: Callable[[], Any] | None = None,
        **init_kwargs: Any,
    ) -> None:
        try:  # optional dependencies (the [ray] extra), untyped: imported by name
            importlib.import_module("cloudpickle")
            ray = importlib.import_module("ray")
        except ImportError as exc:  # pragma: no cover - the [ray] extra is missing
            raise ImportError(
                "RayTaskRunner needs ray and cloudpickle: pip install 'langgraph-jit[ray]'"
            ) from exc
        super().__init__(local_nodes=local_nodes, remote_nodes=remote_nodes, saver=saver)
        self.ray = ray
        self._started = False
        if not ray.is_initialized():
            init_kwargs.setdefault("include_dashboard", False)
            init_kwargs.setdefault("log_to_driver", False)
            try:
                ray.init(address=address, **init_kwargs)
            except ConnectionError as exc:
                raise ConnectionError(f"Cannot reach the Ray cluster at {address}: {exc}") from exc
            self._started = True
        from langgraph_jit.distributed._remote import run_on_worker
        from langgraph_jit.distributed._threads import run_threads

        self._node_call = ray.remote(run_on_worker).options(max_retries=max_retries)
        self._threads = ray.remote(run_threads).options(max_retries=max_retries)
        self._max_retries = max_retries

    def close(self) -> None:
        """Shut down the Ray instance this runner started (not one it joined)."""
        super().close()
        if self._started:
            self.ray.shutdown()
            self._started = False

    def __enter__(self) -> RayTaskRunner:
        return self

    # -- one node call

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._node_call.remote(*args)

    def wait(self, handle: Any, node: str) -> Any:
        try:
            return self.ray.get(handle)
        except Exception as exc:  # the function itself never raises: the cluster did
            raise _lost(f"the task of node '{node}'", exc) from exc

    async def await_(self, handle: Any, node: str) -> Any:
        try:
            return await handle
        except asyncio.CancelledError:
            self.ray.cancel(handle)
            raise
        except Exception as exc:
            raise _lost(f"the task of node '{node}'", exc) from exc

    # -- whole threads

    def _share(self, value: Any) -> Any:
        return self.ray.put(value)

    def _submit_thread(self, *args: Any) -> Any:
        return self._threads.remote(*args[1:])  # args[0]: run_threads, made remote at start

    def _results(self, handles: list[Any]) -> list[Any]:
        try:
            return list(self.ray.get(handles))
        except Exception as exc:  # the chunk function never raises: the cluster did
            raise _lost("a chunk of the batch's threads", exc) from exc


def _lost(what: str, exc: BaseException) -> RemoteTaskError:
    return RemoteTaskError(
        f"The Ray cluster lost {what} ({type(exc).__name__}: {exc}). "
        "With a checkpointer, invoke(None, config) resumes the thread from its last saved "
        "step once the cluster is back."
    )


__all__ = ("RayTaskRunner",)
