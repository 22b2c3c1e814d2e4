"""Running graphs on a cluster: whole threads on Dask workers, the saver as the source of truth.

`DaskTaskRunner` hands work to a Dask cluster (the user's `distributed.Client`, one at an
address, or a `LocalCluster` it starts); `runner.batch(app, inputs, configs, saver=...)`
runs each thread on a worker, which opens the saver from a picklable factory. Importing
this package imports neither dask nor cloudpickle; creating a runner does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgraph_jit.distributed._dask import DaskTaskRunner

__all__ = ("DaskTaskRunner",)


def __getattr__(name: str) -> Any:
    if name == "DaskTaskRunner":
        from langgraph_jit.distributed._dask import DaskTaskRunner

        return DaskTaskRunner
    raise AttributeError(name)
