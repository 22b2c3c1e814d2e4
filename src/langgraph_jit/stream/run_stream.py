"""Run-stream handles of v3 streaming (class surface only in langgraph_jit)."""

from __future__ import annotations

from typing import Any


class GraphRunStream:
    """Handle over one v3-streamed run; v3 streaming is not run by langgraph_jit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._kwargs = kwargs
        self.extensions: dict[str, Any] = {}

    def abort(self) -> None:
        pass

    @property
    def output(self) -> Any:
        return None

    @property
    def interrupted(self) -> bool:
        return False

    @property
    def interrupts(self) -> list[Any]:
        return []


class AsyncGraphRunStream(GraphRunStream):
    pass


class _SubgraphRunStreamMixin:
    path: tuple[str, ...] = ()
    graph_name: str | None = None
    trigger_call_id: str | None = None
    status: str = "started"
    error: Any = None


class SubgraphRunStream(GraphRunStream, _SubgraphRunStreamMixin):
    def __init__(
        self,
        *args: Any,
        path: tuple[str, ...] = (),
        graph_name: str | None = None,
        trigger_call_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.path = tuple(path)
        self.graph_name = graph_name
        self.trigger_call_id = trigger_call_id


class AsyncSubgraphRunStream(AsyncGraphRunStream, _SubgraphRunStreamMixin):
    def __init__(
        self,
        *args: Any,
        path: tuple[str, ...] = (),
        graph_name: str | None = None,
        trigger_call_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.path = tuple(path)
        self.graph_name = graph_name
        self.trigger_call_id = trigger_call_id
