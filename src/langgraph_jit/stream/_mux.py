"""`StreamMux`: hands each protocol event of one namespace scope to its transformers, in
order, and keeps the scope's event log; child muxes serve subgraph scopes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langgraph_jit.stream._types import (
    ProtocolEvent,
    StreamTransformer,
    transformer_requires_async,
)
from langgraph_jit.stream.stream_channel import StreamChannel

TransformerFactory = Callable[["tuple[str, ...]"], StreamTransformer]
"""Builds a transformer for a scope; a transformer class is one."""


class StreamMux:
    """The transformers of one scope, their merged projections (`extensions`) and the
    scope's event log (`_events`).

    Factories are called with the scope (and again for every child scope); prebuilt
    `transformers` serve this mux only. `before_builtins` transformers are registered
    first, each lane in the order given. The root mux numbers the events of its log
    (`seq`); child muxes share event objects with their parent and leave them as is.
    """

    def __init__(
        self,
        transformers: Sequence[StreamTransformer] | None = None,
        *,
        is_async: bool = False,
        factories: Sequence[TransformerFactory] | None = None,
        scope: tuple[str, ...] = (),
        _assign_seq: bool = True,
    ) -> None:
        self.is_async = is_async
        self.scope: tuple[str, ...] = tuple(scope)
        self._assign_seq = _assign_seq
        self._seq = 0
        self._push_seq = 0
        self._events: StreamChannel[ProtocolEvent] = StreamChannel()
        self._events._bind(is_async=is_async)
        self._events._bind_mux(self)
        self._transformers: list[StreamTransformer] = []
        # their bound `process`, looked up once: `push` runs for every event
        self._processors: list[Callable[[ProtocolEvent], bool]] = []
        # by event method, the processors that read events of that method (see
        # StreamTransformer._reads_only), found on the method's first event
        self._routes: dict[str, list[Callable[[ProtocolEvent], bool]]] = {}
        self._channels: list[StreamChannel[Any]] = []
        self.extensions: dict[str, Any] = {}
        self.native_keys: set[str] = set()
        self._transformer_by_key: dict[str, StreamTransformer] = {}
        self._factories: list[TransformerFactory] | None = (
            None if factories is None else list(factories)
        )
        self._pump_fn: Callable[[], bool] | None = None
        self._apump_fn: Callable[[], Awaitable[bool]] | None = None
        if factories is not None:
            self._register_all([factory(self.scope) for factory in factories])
        if transformers:
            self._register_all(list(transformers))

    # -- registration ---------------------------------------------------------------

    def _register_all(self, transformers: list[StreamTransformer]) -> None:
        early = [t for t in transformers if getattr(t, "before_builtins", False)]
        for t in early + [t for t in transformers if not getattr(t, "before_builtins", False)]:
            self._register(t)

    def _register(self, transformer: StreamTransformer) -> None:
        name = type(transformer).__name__
        if not self.is_async and transformer_requires_async(transformer):
            raise RuntimeError(
                f"{name} requires an async run (it overrides aprocess/afinalize/afail "
                "or sets requires_async=True): use astream_events(), not stream_events()."
            )
        projection = transformer.init()
        if not isinstance(projection, dict):
            raise TypeError(
                f"StreamTransformer.init() must return a dict, got {type(projection).__name__}"
            )
        taken = sorted(k for k in projection if k in self.extensions)
        if taken:
            owners = ", ".join(
                f"{k!r} (owned by {type(self._transformer_by_key[k]).__name__})" for k in taken
            )
            raise ValueError(
                f"Transformer {name} returned projection keys that conflict with "
                f"already-registered keys: {owners}"
            )
        native = bool(getattr(transformer, "_native", False))
        self._transformers.append(transformer)
        self._processors.append(transformer.process)
        self._routes.clear()
        for value in projection.values():
            if isinstance(value, StreamChannel):
                self._adopt_channel(value, native)
        self.extensions.update(projection)
        for key in projection:
            self._transformer_by_key[key] = transformer
        if native:
            self.native_keys.update(projection)
        transformer._on_register(self)

    def _adopt_channel(self, channel: StreamChannel[Any], native: bool) -> None:
        channel._bind(is_async=self.is_async)
        channel._bind_mux(self)
        if self._pump_fn is not None:
            channel._request_more = self._pump_fn
        if self._apump_fn is not None:
            channel._arequest_more = self._apump_fn
        self._channels.append(channel)
        if channel.name is not None:
            method = channel.name if native else f"custom:{channel.name}"
            channel._wire(lambda item: self._forward(method, item))

    def transformer_by_key(self, key: str) -> StreamTransformer | None:
        return self._transformer_by_key.get(key)

    def _next_push_seq(self) -> int:
        self._push_seq += 1
        return self._push_seq

    # -- pumping and child scopes ------------------------------------------------------

    def bind_pump(self, fn: Callable[[], bool]) -> None:
        """Make every reader of this mux pull more events through `fn` when it runs dry."""
        self._pump_fn = fn
        self._events._request_more = fn
        for channel in self._channels:
            channel._request_more = fn
        for transformer in self._transformers:
            hook = getattr(transformer, "_bind_pump", None)
            if hook is not None:
                hook(fn)

    def bind_apump(self, fn: Callable[[], Awaitable[bool]]) -> None:
        self._apump_fn = fn
        self._events._arequest_more = fn
        for channel in self._channels:
            channel._arequest_more = fn
        for transformer in self._transformers:
            hook = getattr(transformer, "_bind_apump", None)
            if hook is not None:
                hook(fn)

    def _make_child(self, scope: tuple[str, ...]) -> StreamMux:
        """A mux for a subgraph scope: fresh transformers from the same factories,
        pulled by the same pump."""
        if self._factories is None:
            raise RuntimeError(
                "StreamMux._make_child requires a mux built with `factories=`: "
                "prebuilt transformers cannot be cloned into another scope."
            )
        child = StreamMux(
            factories=self._factories, is_async=self.is_async, scope=scope, _assign_seq=False
        )
        if self._pump_fn is not None:
            child.bind_pump(self._pump_fn)
        if self._apump_fn is not None:
            child.bind_apump(self._apump_fn)
        return child

    # -- events ------------------------------------------------------------------------

    def _log(self, event: ProtocolEvent) -> None:
        # numbered when it enters the log, so items forwarded while transformers
        # processed it come first, in order
        if self._assign_seq:
            self._seq += 1
            event["seq"] = self._seq
        self._events.push(event)

    def _route(self, method: str) -> list[Callable[[ProtocolEvent], bool]]:
        route = []
        for transformer, process in zip(self._transformers, self._processors, strict=True):
            reads = transformer._reads_only()
            if reads is None or method in reads:
                route.append(process)
        self._routes[method] = route
        return route

    def push(self, event: ProtocolEvent) -> None:
        """Show `event` to every transformer (those that read its method); log it
        unless one of them said False."""
        route = self._routes.get(event["method"])
        if route is None:
            route = self._route(event["method"])
        keep = True
        for process in route:
            if not process(event):
                keep = False
        if keep:
            self._log(event)

    async def apush(self, event: ProtocolEvent) -> None:
        keep = True
        for transformer in self._transformers:
            if not await transformer.aprocess(event):
                keep = False
        if keep:
            self._log(event)

    def _forward(self, method: str, item: Any) -> None:
        # Straight to the log, not through the transformers (one pushing to its own
        # channel while processing would loop).
        event: ProtocolEvent = {
            "type": "event",
            "method": method,
            "params": {"namespace": [], "timestamp": int(time.time() * 1000), "data": item},
        }
        self._log(event)

    # -- end of the run ----------------------------------------------------------------

    def _close_channels(self) -> None:
        for channel in self._channels:
            if not channel._closed:
                channel.close()
        self._events.close()

    def _fail_channels(self, err: BaseException) -> None:
        for channel in self._channels:
            if not channel._closed:
                channel.fail(err)
        if not self._events._closed:
            self._events.fail(err)

    def close(self) -> None:
        """Finalize every transformer, then close every channel; the first error a
        `finalize` raised is raised once all are closed."""
        first: BaseException | None = None
        for transformer in self._transformers:
            try:
                transformer.finalize()
            except BaseException as err:
                first = first or err
        self._close_channels()
        if first is not None:
            raise first

    def fail(self, err: BaseException) -> None:
        for transformer in self._transformers:
            with contextlib.suppress(BaseException):
                transformer.fail(err)
        self._fail_channels(err)

    def _pending_tasks(self) -> list[asyncio.Task[Any]]:
        return [
            task
            for transformer in self._transformers
            for task in list(transformer.__dict__.get("_stream_scheduled_tasks", ()))
            if not task.done()
        ]

    async def aclose(self) -> None:
        """Await the transformers' scheduled tasks, then finalize and close."""
        pending = self._pending_tasks()
        if pending:
            results = await asyncio.gather(*pending, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(
                    result, asyncio.CancelledError
                ):
                    raise result
        first: BaseException | None = None
        for transformer in self._transformers:
            try:
                await transformer.afinalize()
            except BaseException as err:
                first = first or err
        self._close_channels()
        if first is not None:
            raise first

    async def afail(self, err: BaseException) -> None:
        """Cancel the scheduled tasks, then fail the transformers and channels."""
        pending = self._pending_tasks()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for transformer in self._transformers:
            with contextlib.suppress(BaseException):
                await transformer.afail(err)
        self._fail_channels(err)
