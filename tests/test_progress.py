"""`langgraph_jit.progress(...)` (issue 20): progress of long runs and batches, with
tqdm when installed and a plain line otherwise; never on unless the caller asks."""

from __future__ import annotations

import asyncio
import io
import sys
import types
from typing import TypedDict

import pytest

import langgraph_jit
from langgraph_jit.graph import END, START, StateGraph
from langgraph_jit.profiling import PlainBar, make_bar, progress


class S(TypedDict):
    x: int


def counter_graph(n: int):
    g = StateGraph(S)
    previous = START
    for i in range(n):
        g.add_node(f"n{i}", lambda s: {"x": s["x"] + 1})
        g.add_edge(previous, f"n{i}")
        previous = f"n{i}"
    g.add_edge(previous, END)
    return g.compile()


@pytest.fixture
def no_tqdm(monkeypatch):
    # As if tqdm were not installed (None in sys.modules makes the import fail).
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


class FakeTqdm:
    made: list[FakeTqdm] = []

    def __init__(self, total=None, desc=None, unit=None, file=None):
        self.total, self.desc, self.unit = total, desc, unit
        self.n = 0
        self.closed = False
        FakeTqdm.made.append(self)

    def update(self, n=1):
        self.n += n

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    FakeTqdm.made = []
    tqdm = types.ModuleType("tqdm")
    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeTqdm  # type: ignore[attr-defined]
    tqdm.auto = auto  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", tqdm)
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    return FakeTqdm


def test_plain_progress_of_a_stream(no_tqdm):
    app = counter_graph(5)
    out = io.StringIO()
    chunks = list(progress(app.stream({"x": 0}, stream_mode="updates"), desc="run", file=out))
    assert len(chunks) == 5
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("run: 5 steps [")
    assert "steps/s" in lines[-1]


def test_plain_progress_with_a_total_shows_eta(no_tqdm):
    out = io.StringIO()
    bar = PlainBar(total=4, desc="batch", unit="run", file=out, min_interval=0)
    bar.update()
    assert "1/4 runs" in out.getvalue() and "25%" in out.getvalue() and "ETA" in out.getvalue()
    bar.update(3)
    bar.close()
    bar.close()  # once only
    assert out.getvalue().splitlines()[-1].startswith("batch: 4/4 runs 100%")
    assert len(out.getvalue().splitlines()) == 3


def test_batches_know_their_length(no_tqdm):
    app = counter_graph(2)
    out = io.StringIO()
    inputs = [{"x": i} for i in range(6)]
    results = list(
        progress(app.batch_as_completed(inputs), total=len(inputs), unit="run", file=out)
    )
    assert sorted(r[1]["x"] for r in results) == [2, 3, 4, 5, 6, 7]
    assert "6/6 runs" in out.getvalue()
    out = io.StringIO()
    assert list(progress([1, 2, 3], file=out)) == [1, 2, 3]
    assert "3/3 steps" in out.getvalue()


def test_async_streams(no_tqdm):
    app = counter_graph(3)
    out = io.StringIO()

    async def main():
        return [c async for c in langgraph_jit.progress(app.astream({"x": 0}), file=out)]

    assert len(asyncio.run(main())) == 3
    assert "3 steps" in out.getvalue()


def test_tqdm_is_used_when_installed(fake_tqdm):
    app = counter_graph(4)
    chunks = list(progress(app.stream({"x": 0}), total=4, desc="graph"))
    assert len(chunks) == 4
    (bar,) = fake_tqdm.made
    assert (bar.total, bar.desc, bar.unit, bar.n, bar.closed) == (4, "graph", "step", 4, True)
    assert isinstance(make_bar(use_tqdm=False), PlainBar)


def test_use_tqdm_without_tqdm_says_what_to_install(no_tqdm):
    with pytest.raises(ImportError, match="pip install tqdm"):
        make_bar(use_tqdm=True)


def test_count_and_manual_bar(no_tqdm):
    out = io.StringIO()
    items = [[1, 2], [3], [4, 5, 6]]
    assert list(progress(items, count=len, unit="task", file=out, total=6)) == items
    assert "6/6 tasks" in out.getvalue()
    bar = progress(total=2, file=out)  # no iterable: a bar to update from a callback
    bar.update(2)
    bar.close()
    assert "2/2 steps" in out.getvalue().splitlines()[-1]


def test_disabled_and_early_stop(no_tqdm):
    items = [1, 2]
    assert progress(items, enabled=False) is items
    app = counter_graph(5)
    stream = app.stream({"x": 0})
    out = io.StringIO()
    for _ in progress(stream, file=out):
        break  # the stream is closed with the bar
    assert stream.gi_frame is None
    assert out.getvalue().startswith("1 steps")
