"""Progress of long runs and batches: `progress(app.stream(...))` shows items done, the
rate and (given a total) the ETA while the caller iterates. tqdm draws it when installed
(its notebook widget in Jupyter, through tqdm.auto); otherwise a plain line on stderr.
Nothing in the library turns it on: the caller wraps what they iterate."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TextIO


class PlainBar:
    """A tqdm-like bar without tqdm: one line, redrawn in place on a terminal, printed
    every few seconds elsewhere (logs, CI)."""

    def __init__(
        self,
        total: int | None = None,
        desc: str | None = None,
        unit: str = "step",
        file: TextIO | None = None,
        min_interval: float | None = None,
    ) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.file = file if file is not None else sys.stderr
        self.tty = bool(getattr(self.file, "isatty", lambda: False)())
        self.min_interval = min_interval if min_interval is not None else (0.1 if self.tty else 5.0)
        self.n = 0
        self.start = time.monotonic()
        self._shown = self.start  # when the line was last drawn (first: one interval in)
        self.closed = False

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._shown >= self.min_interval:
            self._shown = now
            self._draw(now, final=False)

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        head = f"{self.desc}: " if self.desc else ""
        done = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        parts = [f"{_clock(elapsed)} elapsed", f"{rate:.1f} {self.unit}s/s"]
        if self.total is not None and rate > 0 and self.n <= self.total:
            parts.append(f"ETA {_clock((self.total - self.n) / rate)}")
        percent = ""
        if self.total:
            percent = f" {self.n / self.total:4.0%}"
        return f"{head}{done} {self.unit}s{percent} [{', '.join(parts)}]"

    def _draw(self, now: float, final: bool) -> None:
        text = self.line(now)
        if self.tty:
            self.file.write("\r" + text + ("\n" if final else ""))
        else:
            self.file.write(text + "\n")
        self.file.flush()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._draw(time.monotonic(), final=True)

    def __enter__(self) -> PlainBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def make_bar(
    total: int | None = None,
    desc: str | None = None,
    unit: str = "step",
    *,
    use_tqdm: bool | None = None,
    file: TextIO | None = None,
) -> Any:
    """A progress bar with `update(n)` and `close()`: tqdm's (tqdm.auto: the notebook
    widget in Jupyter) when installed and `use_tqdm` is not False, else a PlainBar."""
    if use_tqdm is not False:
        try:
            tqdm = importlib.import_module("tqdm.auto").tqdm
        except ImportError:
            if use_tqdm:
                raise ImportError("use_tqdm=True needs tqdm: pip install tqdm") from None
        else:
            return tqdm(total=total, desc=desc, unit=unit, file=file)
    return PlainBar(total=total, desc=desc, unit=unit, file=file)


def progress(
    iterable: Iterable[Any] | AsyncIterable[Any] | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "step",
    count: Callable[[Any], int] | None = None,
    enabled: bool = True,
    use_tqdm: bool | None = None,
    file: TextIO | None = None,
) -> Any:
    """Show progress while `iterable` is consumed: each item is one `unit` done (or
    `count(item)` of them). Sync and async iterables alike: `for chunk in
    progress(app.stream(inp, stream_mode="updates"))`, `async for ... in
    progress(app.astream(...))`, `progress(app.batch_as_completed(inputs),
    total=len(inputs), unit="run")`. `total` gives a percentage and an ETA.
    Without an iterable: a bar to call `update(n)` on (a callback for batch APIs).
    `enabled=False` returns the iterable itself."""
    if iterable is None:
        return make_bar(total, desc, unit, use_tqdm=use_tqdm, file=file)
    if not enabled:
        return iterable
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    bar = make_bar(total, desc, unit, use_tqdm=use_tqdm, file=file)
    if hasattr(iterable, "__aiter__"):
        return _aiterate(iterable, bar, count)  # type: ignore[arg-type]
    return _iterate(iterable, bar, count)


def _iterate(items: Iterable[Any], bar: Any, count: Callable[[Any], int] | None) -> Iterator[Any]:
    try:
        for item in items:
            bar.update(1 if count is None else count(item))
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # the caller stopped early: the stream stops too
        bar.close()


async def _aiterate(
    items: AsyncIterable[Any], bar: Any, count: Callable[[Any], int] | None
) -> AsyncIterator[Any]:
    try:
        async for item in items:
            bar.update(1 if count is None else count(item))
            yield item
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()
        bar.close()
