"""The protocol event envelope of v3 streaming and the `StreamTransformer` base class."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import Any, ClassVar, Literal

from typing_extensions import NotRequired, TypedDict

logger = logging.getLogger(__name__)


class _ProtocolEventParams(TypedDict):
    namespace: list[str]
    # wall-clock ms; order events by `seq`, which the root mux assigns
    timestamp: int
    data: Any
    interrupts: NotRequired[tuple[Any, ...]]


class ProtocolEvent(TypedDict):
    """One v2 stream part (or one forwarded channel item) in the wire envelope."""

    type: Literal["event"]
    event_id: NotRequired[str]
    seq: NotRequired[int]
    method: str
    params: _ProtocolEventParams


class StreamTransformer(ABC):
    """Watches the protocol events of one namespace scope and builds projections.

    `init()` returns the projections (usually `StreamChannel`s) by name; the mux
    binds, closes and fails the channels in them. `process()` returns False to keep
    an event out of the mux's event log. A transformer that needs an event loop
    overrides `aprocess`/`afinalize`/`afail`, calls `schedule()`, or sets
    `requires_async`; `supports_sync` says it still works on the sync lane.
    `before_builtins` registers it ahead of the built-in transformers.
    """

    requires_async: ClassVar[bool] = False
    supports_sync: ClassVar[bool] = False
    required_stream_modes: ClassVar[tuple[str, ...]] = ()
    before_builtins: ClassVar[bool] = False

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        self.scope: tuple[str, ...] = scope

    @abstractmethod
    def init(self) -> dict[str, Any]:
        """The projections this transformer exposes, by key."""

    def _on_register(self, mux: Any) -> None:  # noqa: B027 - optional hook
        """Hook run once the mux registered this transformer (subgraph handles use it)."""

    def _reads_only(self) -> frozenset[str] | None:
        """The event methods `process` reads, when it passes every other event on
        untouched (returning True): the mux then does not call it for those. None: it
        may read any event (the default)."""
        return None

    def process(self, event: ProtocolEvent) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must override process() or aprocess()")

    async def aprocess(self, event: ProtocolEvent) -> bool:
        return self.process(event)

    def finalize(self) -> None:  # noqa: B027 - optional hook
        """The run ended normally (its channels are closed by the mux afterwards)."""

    async def afinalize(self) -> None:
        self.finalize()

    def fail(self, err: BaseException) -> None:  # noqa: B027 - optional hook
        """The run ended with `err` (its channels are failed by the mux afterwards)."""

    async def afail(self, err: BaseException) -> None:
        self.fail(err)

    def schedule(
        self, coro: Coroutine[Any, Any, Any], *, on_error: Literal["log", "raise"] = "log"
    ) -> asyncio.Task[Any]:
        """Run `coro` as a task the mux awaits before finalizing (cancels on failure)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            raise RuntimeError(
                f"{type(self).__name__}.schedule() requires a running event loop; "
                "use astream_events(), not stream_events(), and set requires_async=True "
                "on the transformer so a sync run rejects it up front."
            ) from None
        task = asyncio.create_task(_logged(coro) if on_error == "log" else coro)
        pending = self._scheduled_tasks()
        pending.add(task)
        task.add_done_callback(pending.discard)
        return task

    def _scheduled_tasks(self) -> set[asyncio.Task[Any]]:
        # set lazily: subclasses need not call super().__init__()
        tasks: set[asyncio.Task[Any]] | None = self.__dict__.get("_stream_scheduled_tasks")
        if tasks is None:
            tasks = self.__dict__["_stream_scheduled_tasks"] = set()
        return tasks


async def _logged(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        return await coro
    except asyncio.CancelledError:
        raise
    except BaseException:
        logger.exception("A task scheduled by a StreamTransformer failed")


_ASYNC_HOOKS = ("aprocess", "afinalize", "afail")


def transformer_requires_async(transformer: StreamTransformer) -> bool:
    """Whether `transformer` can only run under `astream_events`."""
    if transformer.requires_async:
        return True
    if transformer.supports_sync:
        return False
    cls = type(transformer)
    return any(getattr(cls, h) is not getattr(StreamTransformer, h) for h in _ASYNC_HOOKS)
