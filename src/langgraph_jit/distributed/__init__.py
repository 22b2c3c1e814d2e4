"""Running graphs on a cluster: a graph's tasks, or whole threads, on Dask or Ray workers.

`compile(task_runner=DaskTaskRunner(...))` runs each node call of each step on a worker
while the engine (planning, commits, checkpoints, streaming) stays in the caller;
`runner.batch(app, inputs, configs, saver=...)` (or `app.batch` with a runner) runs whole
threads on the workers, which open the saver from a picklable factory. Importing this
package imports neither dask, ray nor cloudpickle; creating a runner does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgraph_jit.distributed._base import TaskRunner
    from langgraph_jit.distributed._dask import DaskTaskRunner
    from langgraph_jit.distributed._ray import RayTaskRunner
    from langgraph_jit.distributed._remote import RemoteTaskError, ShippingError

__all__ = ("DaskTaskRunner", "RayTaskRunner", "RemoteTaskError", "ShippingError", "TaskRunner")

_HOMES = {
    "DaskTaskRunner": "_dask",
    "RayTaskRunner": "_ray",
    "TaskRunner": "_base",
    "RemoteTaskError": "_remote",
    "ShippingError": "_remote",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"langgraph_jit.distributed.{home}"), name)
