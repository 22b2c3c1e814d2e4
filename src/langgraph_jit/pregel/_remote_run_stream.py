"""The run handle `RemoteGraph.stream_events(version="v3")` returns: a thin
adapter from `langgraph_sdk`'s thread stream to the local run-stream surface.

The SDK object does the work (wire protocol, typed projections); this module
only starts and cancels the run, and gives it the names a local
`GraphRunStream` has. It never imports `langgraph_sdk` (an optional extra): it
is handed the SDK's objects.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import Any

from langgraph_jit.types import Command

__all__ = (
    "_AsyncRemoteGraphRunStream",
    "_ChannelProjection",
    "_ProjectionRegistry",
    "_RemoteGraphRunStream",
    "_translate_command_input",
)

logger = logging.getLogger(__name__)


def _translate_command_input(input: Any) -> Any:
    """The v3 wire `input` for a run: a resume Command is sent as its bare
    resume value (the server itself wraps it as `{"resume": ...}` when the
    thread is waiting on an interrupt); anything else as given."""
    if isinstance(input, Command):
        # v3 `run.start` has no way to carry a jump or a state update.
        if input.goto or input.update:
            raise NotImplementedError(
                "RemoteGraph streaming v3 accepts only Command(resume=...): "
                "Command `goto` and `update` cannot be sent on a v3 run start"
            )
        return input.resume
    return input


def _event_data(event: Any, channel: str) -> Iterator[Any]:
    """The payload (`params.data`) of a wire event of `channel`, if it has one."""
    if event.get("method") != channel:
        return
    data = (event.get("params") or {}).get("data")
    if data is not None:
        yield data


class _ChannelProjection:
    """The payloads of one wire channel the SDK has no typed projection for
    (updates, checkpoints, tasks, custom): what the local transformer of that
    channel yields. `for` on a sync run, `async for` on an async one; the run
    must have been entered first (the SDK opens the subscription)."""

    def __init__(self, sdk: Any, channel: str) -> None:
        self._sdk = sdk
        self._channel = channel

    def __iter__(self) -> Iterator[Any]:
        channel = self._channel
        for event in self._sdk.subscribe([channel]):
            yield from _event_data(event, channel)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Any]:
        channel = self._channel
        async for event in self._sdk.subscribe([channel]):
            for data in _event_data(event, channel):
                yield data


class _ProjectionRegistry(Mapping[str, Any]):
    """Name -> projection, as a local run's `extensions`.

    The SDK's typed projections answer for values, messages, tool_calls (tool
    executions) and subgraphs; the plain-payload channels get a
    `_ChannelProjection`; any other name is a custom extension channel of the
    SDK. `lifecycle` and `debug` are not listed: the SDK consumes the first
    itself, and the second is no v3 channel (both remain in the raw events).
    """

    _TYPED = ("values", "messages", "tool_calls", "subgraphs")
    _DECODED = ("updates", "checkpoints", "tasks", "custom")
    _NATIVE = _TYPED + _DECODED

    def __init__(self, sdk: Any) -> None:
        self._sdk = sdk

    def __getitem__(self, name: str) -> Any:
        if name in self._TYPED:
            return getattr(self._sdk, name)
        if name in self._DECODED:
            return _ChannelProjection(self._sdk, name)
        return self._sdk.extensions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._NATIVE)

    def __len__(self) -> int:
        return len(self._NATIVE)


class _RemoteRunStreamBase:
    """What the sync and async handles share: the run's start arguments, its
    id once started, and the SDK's projections under local names."""

    def __init__(
        self,
        client: Any,
        sdk_thread: Any,
        input: Any,
        config: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
    ) -> None:
        self._client = client
        self._sdk = sdk_thread
        # Translated now: an unsupported Command fails before any request.
        self._start_kwargs: dict[str, Any] = {
            "input": _translate_command_input(input),
            "config": config,
            "metadata": metadata,
        }
        self._run_id: str | None = None
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} already closed")

    def _begin_abort(self) -> bool:
        """Marks the handle closed; whether this call is the one to abort."""
        if self._closed:
            return False
        self._closed = True
        return True

    @property
    def values(self) -> Any:
        """The state after each step (the SDK's values projection)."""
        return self._sdk.values

    @property
    def messages(self) -> Any:
        """Chat-model output, one stream per message."""
        return self._sdk.messages

    @property
    def subgraphs(self) -> Any:
        """A handle per subgraph run."""
        return self._sdk.subgraphs

    @property
    def tool_calls(self) -> Any:
        """Tool executions (the `tools` channel), not the calls inside messages."""
        return self._sdk.tool_calls

    @property
    def extensions(self) -> Mapping[str, Any]:
        """Every projection by name (see `_ProjectionRegistry`)."""
        return _ProjectionRegistry(self._sdk)


class _RemoteGraphRunStream(_RemoteRunStreamBase):
    """Sync handle of a remote v3 run: `with` starts the run on the SDK thread
    stream, iteration yields its raw protocol events."""

    def __init__(
        self,
        *,
        sync_client: Any,
        sdk_thread: Any,
        input: Any,
        config: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
    ) -> None:
        super().__init__(sync_client, sdk_thread, input, config, metadata)
        self._events: Iterator[Any] | None = None

    def __enter__(self) -> _RemoteGraphRunStream:
        self._check_open()
        sdk = self._sdk
        sdk.__enter__()
        try:
            started = sdk.run.start(**self._start_kwargs)
        except BaseException:
            # The SDK stream was opened: it is closed with the error.
            sdk.__exit__(*sys.exc_info())
            raise
        self._run_id = started["run_id"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        self._closed = True
        self._sdk.__exit__(exc_type, exc, tb)

    @property
    def output(self) -> Any:
        return self._sdk.output

    @property
    def interrupted(self) -> bool:
        """Whether the run waits on an interrupt now. Unlike a local run, this
        does not wait for the run to end (a sync handle cannot wait on the
        SDK's background reader)."""
        return self._sdk.interrupted

    @property
    def interrupts(self) -> list[Any]:
        """The interrupts the run waits on now."""
        return list(self._sdk.interrupts)

    def abort(self) -> None:
        """Cancel the run on the server (if it started) and close the stream.
        Failures are logged, not raised: aborting is best effort."""
        if not self._begin_abort():
            return
        if self._run_id is not None:
            try:
                self._client.runs.cancel(self._sdk.thread_id, self._run_id, wait=False)
            except Exception:
                logger.debug("RemoteGraph run abort: cancel failed", exc_info=True)
        try:
            self._sdk.close()
        except Exception:
            logger.debug("RemoteGraph run abort: closing the stream failed", exc_info=True)

    def __iter__(self) -> Iterator[Any]:
        # One subscription per handle: iterating again continues it.
        if self._events is None:
            self._events = iter(self._sdk.events)
        return self._events

    def interleave(self, *names: str) -> Iterator[tuple[str, Any]]:
        """`(name, item)` pairs of several projections in arrival order."""
        yield from self._sdk.interleave_projections(list(names))


class _AsyncRemoteGraphRunStream(_RemoteRunStreamBase):
    """Async handle of a remote v3 run (`async with`, `async for`). As the
    local async handle, it has no `interleave`: use asyncio to combine."""

    def __init__(
        self,
        *,
        client: Any,
        sdk_thread: Any,
        input: Any,
        config: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
    ) -> None:
        super().__init__(client, sdk_thread, input, config, metadata)
        self._events: AsyncIterator[Any] | None = None

    async def __aenter__(self) -> _AsyncRemoteGraphRunStream:
        self._check_open()
        sdk = self._sdk
        await sdk.__aenter__()
        try:
            started = await sdk.run.start(**self._start_kwargs)
        except BaseException:
            await sdk.__aexit__(*sys.exc_info())
            raise
        self._run_id = started["run_id"]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        self._closed = True
        await self._sdk.__aexit__(exc_type, exc, tb)

    async def output(self) -> Any:
        """The run's final state, once it has ended."""
        return await self._sdk.output

    async def interrupted(self) -> bool:
        """Whether the run waits on an interrupt now (does not wait for its end)."""
        return self._sdk.interrupted

    async def interrupts(self) -> list[Any]:
        """The interrupts the run waits on now."""
        return list(self._sdk.interrupts)

    async def abort(self) -> None:
        """Cancel the run on the server (if it started) and close the stream,
        best effort."""
        if not self._begin_abort():
            return
        if self._run_id is not None:
            try:
                await self._client.runs.cancel(self._sdk.thread_id, self._run_id, wait=False)
            except Exception:
                logger.debug("RemoteGraph run abort: cancel failed", exc_info=True)
        try:
            await self._sdk.close()
        except Exception:
            logger.debug("RemoteGraph run abort: closing the stream failed", exc_info=True)

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._events is None:
            self._events = self._sdk.events.__aiter__()
        return self._events
