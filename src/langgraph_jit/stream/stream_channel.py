"""A single-consumer queue of stream items (`StreamChannel`)."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class StreamChannel(Generic[T]):
    """Items pushed by a transformer, drained by one consumer."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._items: deque[T] = deque()
        self._closed = False
        self._error: BaseException | None = None

    def push(self, item: T) -> None:
        if self._closed:
            raise RuntimeError("Cannot push to a closed StreamChannel")
        self._items.append(item)

    def close(self) -> None:
        self._closed = True

    def fail(self, err: BaseException) -> None:
        self._error = err
        self._closed = True

    def __iter__(self) -> Iterator[T]:
        while self._items:
            yield self._items.popleft()
        if self._error is not None:
            raise self._error

    async def __aiter__(self) -> AsyncIterator[T]:
        for item in self:
            yield item

    def tee(self, n: int = 2) -> tuple[Iterator[T], ...]:
        items = list(self)
        return tuple(iter(list(items)) for _ in range(n))
