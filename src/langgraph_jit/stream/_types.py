"""Protocol event shape and the transformer base class of v3 streaming."""

from __future__ import annotations

from abc import ABC
from typing import Any, ClassVar

from typing_extensions import TypedDict


class _ProtocolEventParams(TypedDict, total=False):
    namespace: list[str]
    timestamp: int
    data: Any


class ProtocolEvent(TypedDict, total=False):
    type: str
    method: str
    params: _ProtocolEventParams


class StreamTransformer(ABC):  # noqa: B024 - an ABC like langgraph's; every hook has a default
    """Observes protocol events of one namespace scope and builds projections."""

    requires_async: ClassVar[bool] = False
    supports_sync: ClassVar[bool] = False
    required_stream_modes: ClassVar[tuple[str, ...]] = ()
    before_builtins: ClassVar[bool] = False
    _native: ClassVar[bool] = False

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        self.scope = tuple(scope)
        self._mux: Any = None

    def init(self) -> dict[str, Any]:
        return {}

    def process(self, event: ProtocolEvent) -> bool:
        return True

    async def aprocess(self, event: ProtocolEvent) -> bool:
        return self.process(event)

    def finalize(self) -> None:
        return None

    async def afinalize(self) -> None:
        self.finalize()

    def fail(self, err: BaseException) -> None:
        return None

    async def afail(self, err: BaseException) -> None:
        self.fail(err)

    def schedule(self, coro: Any, *, on_error: Any = None) -> None:
        raise NotImplementedError(
            "langgraph_jit does not run v3 stream transformers (stream_events(version='v3'))"
        )
