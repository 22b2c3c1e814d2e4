"""`StreamChannel`: the single-reader queue behind every v3 projection (`run.values`, ...).

Readers pull: when the queue is empty, iterating asks the run for one more event
(`_request_more` / `_arequest_more`, set by the run stream) instead of buffering the run.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from langgraph_jit.stream._mux import StreamMux

T = TypeVar("T")


class StreamChannel(Generic[T]):
    """A named or local queue of items a transformer produces for one reader.

    A channel with a `name` is also forwarded into its mux's event log as a protocol
    event (method `name` for native transformers, `custom:<name>` otherwise). Items are
    kept only once a reader subscribed (lazy subscribe); the mux binds the channel to
    the sync or the async lane before anyone can read it.
    """

    def __init__(self, name: str | None = None, *, maxlen: int | None = None) -> None:
        if maxlen is not None and maxlen <= 0:
            raise ValueError("StreamChannel maxlen must be a positive int or None")
        self.name = name
        self._maxlen = maxlen
        # (arrival stamp, item): the stamp orders items across channels (interleave).
        self._items: deque[tuple[int, T]] = deque()
        self._closed = False
        self._error: BaseException | None = None
        self._is_async: bool | None = None
        self._subscribed = False
        self._request_more: Callable[[], bool] | None = None
        self._arequest_more: Callable[[], Awaitable[bool]] | None = None
        self._wire_fn: Callable[[T], None] | None = None
        self._mux: StreamMux | None = None

    # -- wiring, done by the mux ------------------------------------------------

    def _bind(self, *, is_async: bool) -> None:
        if self._is_async is not None:
            raise RuntimeError("StreamChannel is already bound")
        self._is_async = is_async

    def _bind_mux(self, mux: StreamMux) -> None:
        self._mux = mux

    def _wire(self, fn: Callable[[T], None]) -> None:
        self._wire_fn = fn

    # -- producer side ------------------------------------------------------------

    def push(self, item: T) -> None:
        if self._subscribed:
            if self._closed:
                raise RuntimeError("Cannot push to a closed StreamChannel")
            mux = self._mux
            if mux is None:
                self._items.append((0, item))
            else:
                mux._push_seq += 1  # the arrival stamp interleave() orders by
                self._items.append((mux._push_seq, item))
        if self._wire_fn is not None:
            self._wire_fn(item)

    def close(self) -> None:
        self._closed = True

    def fail(self, err: BaseException) -> None:
        self._error = err
        self._closed = True

    # -- reader side --------------------------------------------------------------

    def _subscribe(self, want_async: bool) -> None:
        if self._is_async is None:
            raise TypeError(
                "StreamChannel has not been bound yet. "
                "Register the transformer with a StreamMux first."
            )
        if self._is_async and not want_async:
            raise TypeError("This StreamChannel is bound to async mode — use 'async for' instead.")
        if not self._is_async and want_async:
            raise TypeError("This StreamChannel is bound to sync mode — use 'for' instead.")
        if self._subscribed:
            fan_out = ".atee(n)" if want_async else ".tee(n)"
            raise RuntimeError(
                f"StreamChannel already has a subscriber; use {fan_out} for fan-out."
            )
        self._subscribed = True

    def __iter__(self) -> Iterator[T]:
        self._subscribe(False)
        return self._drain()

    def _drain(self) -> Iterator[T]:
        items = self._items
        while True:
            if items:
                yield items.popleft()[1]
                continue
            if self._closed:
                if self._error is not None:
                    raise self._error
                return
            more = self._request_more
            if more is None or (not more() and not items and not self._closed):
                return

    def __aiter__(self) -> AsyncIterator[T]:
        self._subscribe(True)
        return self._adrain()

    async def _adrain(self) -> AsyncIterator[T]:
        items = self._items
        while True:
            if items:
                yield items.popleft()[1]
                continue
            if self._closed:
                if self._error is not None:
                    raise self._error
                return
            more = self._arequest_more
            if more is None or (not await more() and not items and not self._closed):
                return

    # -- fan-out ------------------------------------------------------------------

    def tee(self, n: int = 2) -> tuple[Iterator[T], ...]:
        """`n` readers of this channel, each seeing every item (one subscription)."""
        if n < 1:
            raise ValueError("tee() requires n >= 1")
        source = iter(self)
        queues: list[deque[T]] = [deque() for _ in range(n)]
        state = {"done": False}

        def reader(own: deque[T]) -> Iterator[T]:
            while True:
                if own:
                    yield own.popleft()
                    continue
                if state["done"]:
                    return
                try:
                    item = next(source)
                except StopIteration:
                    state["done"] = True
                    return
                for q in queues:
                    q.append(item)

        return tuple(reader(q) for q in queues)

    def atee(self, n: int = 2) -> tuple[AsyncIterator[T], ...]:
        """Async `tee`: one reader at a time pulls from the channel (under a lock)."""
        if n < 1:
            raise ValueError("atee() requires n >= 1")
        source = self.__aiter__()
        queues: list[deque[T]] = [deque() for _ in range(n)]
        lock = asyncio.Lock()
        state: dict[str, Any] = {"done": False, "error": None}

        async def reader(own: deque[T]) -> AsyncIterator[T]:
            while True:
                if own:
                    yield own.popleft()
                    continue
                if state["done"]:
                    if state["error"] is not None:
                        raise state["error"]
                    return
                async with lock:
                    if own or state["done"]:
                        continue
                    try:
                        item = await source.__anext__()
                    except StopAsyncIteration:
                        state["done"] = True
                        continue
                    except Exception as err:
                        state["done"], state["error"] = True, err
                        continue
                    for q in queues:
                        q.append(item)

        return tuple(reader(q) for q in queues)
