"""`PregelProtocol`: what every runnable graph offers, at LangGraph's path.

Code that must tell "is this a graph?" (node wrappers, the LangChain bridge)
tests against this class instead of importing `pregel.main`. `StreamProtocol`
is the stream a caller hands down to a graph run inside a node.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence, Set
from typing import Any

__all__ = ("PregelProtocol", "StreamProtocol")


class PregelProtocol(ABC):
    """The public surface of a compiled graph (Pregel, CompiledStateGraph)."""

    @abstractmethod
    def with_config(self, config: dict | None = None, **kwargs: Any) -> PregelProtocol: ...

    @abstractmethod
    def get_graph(self, config: dict | None = None, *, xray: int | bool = False) -> Any: ...

    @abstractmethod
    async def aget_graph(self, config: dict | None = None, *, xray: int | bool = False) -> Any: ...

    @abstractmethod
    def get_state(self, config: dict, *, subgraphs: bool = False) -> Any: ...

    @abstractmethod
    async def aget_state(self, config: dict, *, subgraphs: bool = False) -> Any: ...

    @abstractmethod
    def get_state_history(
        self,
        config: dict,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> Iterator[Any]: ...

    @abstractmethod
    def aget_state_history(
        self,
        config: dict,
        *,
        filter: dict[str, Any] | None = None,
        before: dict | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[Any]: ...

    @abstractmethod
    def bulk_update_state(self, config: dict, supersteps: Sequence[Sequence[Any]]) -> dict: ...

    @abstractmethod
    async def abulk_update_state(
        self, config: dict, supersteps: Sequence[Sequence[Any]]
    ) -> dict: ...

    @abstractmethod
    def update_state(self, config: dict, values: Any, as_node: str | None = None) -> dict: ...

    @abstractmethod
    async def aupdate_state(
        self, config: dict, values: Any, as_node: str | None = None
    ) -> dict: ...

    @abstractmethod
    def stream(self, input: Any, config: dict | None = None, **kwargs: Any) -> Iterator[Any]: ...

    @abstractmethod
    def astream(
        self, input: Any, config: dict | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]: ...

    @abstractmethod
    def invoke(self, input: Any, config: dict | None = None, **kwargs: Any) -> Any: ...

    @abstractmethod
    async def ainvoke(self, input: Any, config: dict | None = None, **kwargs: Any) -> Any: ...


class StreamProtocol:
    """A stream handed down to a graph that runs inside a node: calling it with
    a `(namespace, mode, payload)` chunk passes the chunk to the caller's
    stream; `modes` are the stream modes the caller wants."""

    __slots__ = ("_push", "modes")

    def __init__(self, push: Callable[[tuple[tuple[str, ...], str, Any]], None], modes: Set[str]):
        self._push = push
        self.modes = modes

    def __call__(self, chunk: tuple[tuple[str, ...], str, Any]) -> None:
        self._push(chunk)
