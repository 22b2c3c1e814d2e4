"""Run handles of v3 streaming: what `stream_events(version="v3")` returns
(`GraphRunStream`) and awaits to (`AsyncGraphRunStream`), plus the per-subgraph handles.

Nothing runs in the background: reading a projection that is empty pulls the next
v2 part from the graph's iterator (the pump), converts it and pushes it through the mux.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from langgraph_jit.stream._convert import convert_to_protocol_event
from langgraph_jit.stream._mux import StreamMux
from langgraph_jit.stream._types import ProtocolEvent
from langgraph_jit.stream.stream_channel import StreamChannel

if TYPE_CHECKING:
    from langgraph_jit.stream._lifecycle_transformers import LifecyclePayload, SubgraphStatus


def _no_projection(run: object, name: str) -> NoReturn:
    # `_mux` read from __dict__: during __init__ it may not be set yet, and reading
    # it as an attribute would come back here
    mux = run.__dict__.get("_mux")
    known = ", ".join(sorted(mux.native_keys)) if mux is not None else ""
    raise AttributeError(
        f"{type(run).__name__!r} object has no attribute {name!r} "
        f"(registered projections: {known or 'none'})"
    )


class _RunState:
    """What both run handles track from the run's own values events."""

    _mux: StreamMux
    extensions: Mapping[str, Any]

    def _setup(self, mux: StreamMux) -> None:
        self._mux = mux
        self.extensions = MappingProxyType(mux.extensions)
        self._exhausted = False
        self._latest: Any = None
        self._interrupted = False
        self._interrupts: list[Any] = []
        self._scope_list = list(mux.scope)
        for key in mux.native_keys:
            setattr(self, key, mux.extensions[key])

    def _observe_event(self, event: ProtocolEvent) -> None:
        if event["method"] != "values":
            return
        params = event["params"]
        if params["namespace"] != self._scope_list:
            return
        self._latest = params["data"]
        interrupts = params.get("interrupts")
        if interrupts:
            self._interrupted = True
            self._interrupts.extend(interrupts)

    def _raise_run_error(self) -> None:
        err = self._mux._events._error
        if err is not None:
            raise err


class GraphRunStream(_RunState):
    """Sync handle over one run: projections as attributes (`run.values`, `run.messages`,
    ...; all of them in `run.extensions`), raw protocol events by iterating the handle,
    and `output` / `interrupted` / `interrupts`, which run the graph to its end.

    Each projection has one reader (use `.tee(n)` to share one); the reader's loop
    drives the graph.
    """

    values: StreamChannel[Any]
    messages: StreamChannel[Any]
    lifecycle: StreamChannel[LifecyclePayload]
    subgraphs: StreamChannel[SubgraphRunStream]
    updates: StreamChannel[dict[str, Any]]
    custom: StreamChannel[Any]
    checkpoints: StreamChannel[dict[str, Any]]
    debug: StreamChannel[dict[str, Any]]
    tasks: StreamChannel[dict[str, Any]]

    def __init__(
        self, graph_iter: Iterator[Any] | None, mux: StreamMux, *, wire_pump: bool = True
    ) -> None:
        self._graph_iter = graph_iter
        self._setup(mux)
        if wire_pump:
            mux.bind_pump(self._pump_next)

    def __getattr__(self, name: str) -> StreamChannel[Any]:
        _no_projection(self, name)

    def _pump_next(self) -> bool:
        """Move the run by one v2 part; False once it has ended (or has no iterator)."""
        if self._exhausted or self._graph_iter is None:
            return False
        try:
            part = next(self._graph_iter)
        except StopIteration:
            self._exhausted = True
            self._mux.close()
            return False
        except Exception as err:
            self._exhausted = True
            self._mux.fail(err)
            return False
        event = convert_to_protocol_event(part)
        if event["method"] == "values":  # the only events the handle itself reads
            self._observe_event(event)
        try:
            self._mux.push(event)
        except Exception as err:
            self._exhausted = True
            self._close_graph_iter()
            self._mux.fail(err)
            return False
        return True

    def _run_to_end(self) -> None:
        while self._pump_next():
            pass
        self._raise_run_error()

    def _close_graph_iter(self) -> None:
        graph_iter, self._graph_iter = self._graph_iter, None
        close = getattr(graph_iter, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()

    def abort(self) -> None:
        """Stop the run here (closing the graph's iterator cancels what still runs)."""
        if self._exhausted:
            return
        self._exhausted = True
        self._close_graph_iter()
        with contextlib.suppress(Exception):
            self._mux.close()

    def __enter__(self) -> GraphRunStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    @property
    def output(self) -> Any:
        """The run's last state, once the run has ended (its error, if it failed)."""
        self._run_to_end()
        return self._latest

    @property
    def interrupted(self) -> bool:
        self._run_to_end()
        return self._interrupted

    @property
    def interrupts(self) -> list[Any]:
        self._run_to_end()
        return self._interrupts

    def __iter__(self) -> Iterator[ProtocolEvent]:
        return iter(self._mux._events)

    def interleave(self, *names: str) -> Iterator[tuple[str, Any]]:
        """`(name, item)` from the named projections, in the order items arrived."""
        chosen: dict[str, StreamChannel[Any]] = {}
        try:
            for name in names:
                channel = self.extensions[name]
                if not isinstance(channel, StreamChannel):
                    raise TypeError(
                        "interleave() requires StreamChannel projections, "
                        f"got {type(channel).__name__} for {name!r}"
                    )
                if channel._is_async is None:
                    raise TypeError(f"StreamChannel {name!r} has not been bound yet.")
                if channel._is_async:
                    raise TypeError(
                        f"StreamChannel {name!r} is bound to async mode — "
                        "sync interleave() cannot consume async channels."
                    )
                if channel._subscribed:
                    raise RuntimeError(
                        f"StreamChannel {name!r} already has a subscriber; use .tee(n) for fan-out."
                    )
                channel._subscribed = True
                chosen[name] = channel
            yield from self._interleave(chosen)
        finally:
            for channel in chosen.values():
                channel._subscribed = False

    def _interleave(self, chosen: dict[str, StreamChannel[Any]]) -> Iterator[tuple[str, Any]]:
        open_ = dict(chosen)
        while open_:
            first: tuple[int, str] | None = None
            for name, channel in list(open_.items()):
                if channel._items:
                    stamp = channel._items[0][0]
                    if first is None or stamp < first[0]:
                        first = (stamp, name)
                elif channel._closed:
                    if channel._error is not None:
                        raise channel._error
                    del open_[name]
            if first is not None:
                yield first[1], open_[first[1]]._items.popleft()[1]
                continue
            if not open_:
                return
            pump = self._mux._pump_fn
            # once the run is over, a channel nobody closed ends the loop here
            if (pump is None or not pump()) and not any(
                c._items or c._closed for c in open_.values()
            ):
                return


class AsyncGraphRunStream(_RunState):
    """Async twin of `GraphRunStream`: `async for` over projections, and `output()`,
    `interrupted()`, `interrupts()` are coroutines. One reader pulls from the graph at a
    time; the others wait for that pull and then look at their queues again."""

    values: StreamChannel[Any]
    messages: StreamChannel[Any]
    lifecycle: StreamChannel[LifecyclePayload]
    subgraphs: StreamChannel[AsyncSubgraphRunStream]
    updates: StreamChannel[dict[str, Any]]
    custom: StreamChannel[Any]
    checkpoints: StreamChannel[dict[str, Any]]
    debug: StreamChannel[dict[str, Any]]
    tasks: StreamChannel[dict[str, Any]]

    def __init__(
        self,
        graph_aiter: AsyncIterator[Any] | None,
        mux: StreamMux,
        *,
        wire_pump: bool = True,
    ) -> None:
        self._graph_aiter = graph_aiter
        self._setup(mux)
        self._pump_cond = asyncio.Condition()
        self._pumping = False
        self._aborting = False
        self._anext_task: asyncio.Future[Any] | None = None
        if wire_pump:
            mux.bind_apump(self._apump_next)

    def __getattr__(self, name: str) -> StreamChannel[Any]:
        _no_projection(self, name)

    async def _apump_next(self) -> bool:
        """Move the run by one part, or wait for the reader that is moving it."""
        async with self._pump_cond:
            if self._exhausted or self._graph_aiter is None:
                return False
            if self._pumping:
                await self._pump_cond.wait()
                return not self._exhausted
            self._pumping = True
        try:
            return await self._pull_one(self._graph_aiter)
        finally:
            async with self._pump_cond:
                self._pumping = False
                self._pump_cond.notify_all()

    async def _pull_one(self, graph_aiter: AsyncIterator[Any]) -> bool:
        # The pull runs as its own task so that abort() can cancel it mid-step: the
        # cancellation reaches the running nodes and subgraphs.
        self._anext_task = asyncio.ensure_future(graph_aiter.__anext__())
        try:
            part = await self._anext_task
        except asyncio.CancelledError:
            if self._aborting:
                self._exhausted = True
                return False
            self._anext_task.cancel()
            raise
        except StopAsyncIteration:
            self._exhausted = True
            await self._finish(None)
            return False
        except Exception as err:
            self._exhausted = True
            await self._finish(err)
            return False
        finally:
            self._anext_task = None
        event = convert_to_protocol_event(part)
        self._observe_event(event)
        try:
            await self._mux.apush(event)
        except Exception as err:
            self._exhausted = True
            await self._close_graph_aiter()
            await self._mux.afail(err)
            return False
        return True

    async def _finish(self, err: BaseException | None) -> None:
        if err is None:
            try:
                await self._mux.aclose()
                return
            except Exception as close_err:
                if self._mux._events._closed:
                    # a finalize failed after the channels closed: the reader gets
                    # it once, as from a sync run's close
                    raise
                err = close_err
        await self._mux.afail(err)

    async def _run_to_end(self) -> None:
        while await self._apump_next():
            pass
        self._raise_run_error()

    async def _close_graph_aiter(self) -> None:
        graph_aiter, self._graph_aiter = self._graph_aiter, None
        aclose = getattr(graph_aiter, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()

    async def abort(self) -> None:
        """Stop the run here: an in-flight pull is cancelled, the iterator closed."""
        async with self._pump_cond:
            if self._exhausted:
                return
            self._exhausted = True
            self._aborting = True
            in_flight = self._anext_task
            self._pump_cond.notify_all()
        if in_flight is not None and not in_flight.done():
            in_flight.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await in_flight
        await self._close_graph_aiter()
        with contextlib.suppress(Exception):
            await self._mux.aclose()

    async def __aenter__(self) -> AsyncGraphRunStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.abort()

    async def output(self) -> Any:
        """The run's last state, once the run has ended (its error, if it failed)."""
        await self._run_to_end()
        return self._latest

    async def interrupted(self) -> bool:
        await self._run_to_end()
        return self._interrupted

    async def interrupts(self) -> list[Any]:
        await self._run_to_end()
        return self._interrupts

    def __aiter__(self) -> AsyncIterator[ProtocolEvent]:
        return self._mux._events.__aiter__()


class _SubgraphRunStreamMixin:
    """What a subgraph handle adds: where it runs and how it ended. Its mux is a child of
    the run's; reading it pulls the root run. `SubgraphTransformer` sets the status."""

    path: tuple[str, ...]
    graph_name: str | None
    trigger_call_id: str | None
    status: SubgraphStatus
    error: str | None
    _seen_terminal: bool

    def _init_subgraph(
        self, path: tuple[str, ...], graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        self.path = tuple(path)
        self.graph_name = graph_name
        self.trigger_call_id = trigger_call_id
        self.status = "started"
        self.error = None
        self._seen_terminal = False


class SubgraphRunStream(GraphRunStream, _SubgraphRunStreamMixin):
    """Sync handle of one subgraph run, found while the parent streams."""

    def __init__(
        self,
        mux: StreamMux,
        *,
        path: tuple[str, ...],
        graph_name: str | None = None,
        trigger_call_id: str | None = None,
    ) -> None:
        self._parent_pump_fn: Callable[[], bool] | None = mux._pump_fn
        super().__init__(None, mux, wire_pump=False)
        self._init_subgraph(path, graph_name, trigger_call_id)

    def _pump_next(self) -> bool:
        if (
            self._exhausted
            or self._seen_terminal
            or self._mux._events._closed
            or self._parent_pump_fn is None
        ):
            return False
        return self._parent_pump_fn()


class AsyncSubgraphRunStream(AsyncGraphRunStream, _SubgraphRunStreamMixin):
    """Async handle of one subgraph run, found while the parent streams."""

    def __init__(
        self,
        mux: StreamMux,
        *,
        path: tuple[str, ...],
        graph_name: str | None = None,
        trigger_call_id: str | None = None,
    ) -> None:
        self._parent_apump_fn: Callable[[], Awaitable[bool]] | None = mux._apump_fn
        super().__init__(None, mux, wire_pump=False)
        self._init_subgraph(path, graph_name, trigger_call_id)

    async def _apump_next(self) -> bool:
        if (
            self._exhausted
            or self._seen_terminal
            or self._mux._events._closed
            or self._parent_apump_fn is None
        ):
            return False
        return await self._parent_apump_fn()
