"""Dispatch of protocol events to transformers (`StreamMux`), reduced to bookkeeping."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer

TransformerFactory = Callable[["tuple[str, ...]"], StreamTransformer]


class StreamMux:
    """Holds a scope's transformers and forwards events to them in order."""

    def __init__(
        self,
        factories: Sequence[TransformerFactory] = (),
        scope: tuple[str, ...] = (),
        *,
        is_async: bool = False,
        **_: Any,
    ) -> None:
        self.scope = tuple(scope)
        self.is_async = is_async
        self._transformers = [f(self.scope) for f in factories]
        self.extensions: dict[str, Any] = {}
        for t in self._transformers:
            t._mux = self
            self.extensions.update(t.init() or {})

    def transformer_by_key(self, key: str) -> StreamTransformer | None:
        for t in self._transformers:
            if key in (t.init() or {}):
                return t
        return None

    def push(self, event: ProtocolEvent) -> None:
        for t in self._transformers:
            if t.process(event) is False:
                return

    def close(self) -> None:
        for t in self._transformers:
            t.finalize()

    def fail(self, err: BaseException) -> None:
        for t in self._transformers:
            t.fail(err)
