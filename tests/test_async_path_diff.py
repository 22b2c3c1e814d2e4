"""The async driver's fast paths, compared on both engines: steps of sync
nodes advanced in a pool thread (pregel/_drive.py `_SyncStretch`), whose
saver calls go to the async savers' write pipeline from that thread under
durability "async" (`Persister.offer`), and Send fan-outs of sync nodes run
there by a puller and helpers that join one at a time (`_SyncFanout`).

Each case builds the same graph against `langgraph` and `langgraph_jit`
(imported by name) and returns what a user sees: the output or error, the
nodes that ran, the saved state and history.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import operator
import threading
import uuid
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypedDict

import pytest

from saver_fixtures import fresh_database, pg_dsn  # noqa: F401  (fixture)

PKGS = ("langgraph", "langgraph_jit")
DURABILITIES = ("async", "sync", "exit")
KINDS = ("sqlite", "postgres", "memory")
WAIT = 10.0  # seconds a node waits for a signal before the test fails


class S(TypedDict, total=False):
    x: int
    log: Annotated[list, operator.add]
    junk: object


class Unsaveable:
    """No serializer encodes it: saving a state that holds one fails."""


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


@asynccontextmanager
async def _saver(pkg: str, kind: str, tmp_path, dsn_of_cluster: str | None):
    if kind == "memory":
        yield _mod(pkg, "checkpoint.memory").InMemorySaver()
    elif kind == "sqlite":
        mod = _mod(pkg, "checkpoint.sqlite.aio")
        path = str(tmp_path / f"{uuid.uuid4().hex}.db")
        async with mod.AsyncSqliteSaver.from_conn_string(path) as saver:
            yield saver
    else:
        assert dsn_of_cluster is not None
        mod = _mod(pkg, "checkpoint.postgres.aio")
        with fresh_database(dsn_of_cluster) as dsn:
            async with mod.AsyncPostgresSaver.from_conn_string(dsn) as saver:
                await saver.setup()
                yield saver


@pytest.fixture
def dsn(request):
    """The cluster's DSN for the postgres cases only (others start none)."""
    if request.node.callspec.params.get("kind") != "postgres":
        return None
    return request.getfixturevalue("pg_dsn")


def _logger(name: str, ran: list, **extra: Any):
    def node(state: dict) -> dict:
        ran.append(name)
        return {"log": [name], **extra}

    return node


def _graph(pkg: str, saver: Any, ran: list, *, fan: int = 0, bodies: dict | None = None):
    """A chain of sync nodes a -> b -> ... ; with `fan`, the last one Sends
    `fan` packets to a sync worker, then "end" runs once."""
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")
    bodies = bodies or {n: _logger(n, ran) for n in ("a", "b", "c", "d", "e")}
    g = graph.StateGraph(S)
    names = list(bodies)
    for name in names:
        g.add_node(name, bodies[name])
    g.add_edge(graph.START, names[0])
    for a, b in itertools.pairwise(names):
        g.add_edge(a, b)
    if not fan:
        g.add_edge(names[-1], graph.END)
        return g.compile(checkpointer=saver)

    def worker(packet: dict) -> dict:
        ran.append(f"w{packet['i']}")
        return {"log": [f"w{packet['i']}"]}

    g.add_node("worker", worker)
    g.add_node("end", _logger("end", ran))
    g.add_conditional_edges(
        names[-1], lambda s: [types.Send("worker", {"i": i}) for i in range(fan)], ["worker"]
    )
    g.add_edge("worker", "end")
    g.add_edge("end", graph.END)
    return g.compile(checkpointer=saver)


async def _history(app: Any, config: dict) -> list:
    return [
        (
            snap.metadata.get("source"),
            snap.metadata.get("step"),
            snap.next,
            sorted(snap.values.get("log") or [], key=str),
            sorted((t.name, repr(t.error) if t.error else "") for t in snap.tasks),
        )
        async for snap in app.aget_state_history(config)
    ]


def _same(case: Any) -> None:
    expected = asyncio.run(case("langgraph"))
    actual = asyncio.run(case("langgraph_jit"))
    assert actual == expected


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("durability", DURABILITIES)
@pytest.mark.parametrize("fan", [0, 7])
def test_saved_history_per_durability(kind, durability, fan, tmp_path, dsn):
    """Two runs on one thread (the second continues from the first's last
    checkpoint): outputs, state and the whole history as in LangGraph."""

    async def case(pkg: str) -> tuple:
        ran: list = []
        async with _saver(pkg, kind, tmp_path, dsn) as saver:
            app = _graph(pkg, saver, ran, fan=fan)
            config = {"configurable": {"thread_id": "t"}}
            first = await app.ainvoke({"x": 1}, config, durability=durability)
            second = await app.ainvoke({"x": 2}, config, durability=durability)
            state = await app.aget_state(config)
            return (
                sorted(first["log"]),
                sorted(second["log"]),
                sorted(ran),
                state.values["x"],
                await _history(app, config),
            )

    _same(case)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("durability", DURABILITIES)
def test_a_step_that_cannot_be_saved(kind, durability, tmp_path, dsn):
    """A value no serializer encodes, written in the middle of a long chain:
    the run raises the saver's error, and no step after it is in the history
    (the runs differ in how many later nodes ran before the error surfaced,
    under "async", so that is not compared)."""

    async def case(pkg: str) -> tuple:
        ran: list = []
        names = [f"n{i}" for i in range(12)]
        bodies = {n: _logger(n, ran) for n in names}
        bodies["n5"] = _logger("n5", ran, junk=Unsaveable())
        async with _saver(pkg, kind, tmp_path, dsn) as saver:
            app = _graph(pkg, saver, ran, bodies=bodies)
            config = {"configurable": {"thread_id": "t"}}
            try:
                await app.ainvoke({"x": 0}, config, durability=durability)
                outcome: tuple = ("ok",)
            except Exception as exc:
                outcome = (type(exc).__name__,)
            return outcome, ran[:6], await _history(app, config)

    if kind == "memory":
        pytest.skip("InMemorySaver keeps values unserialized: nothing fails")
    _same(case)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("durability", DURABILITIES)
@pytest.mark.parametrize("fan", [0, 3])
def test_cancelled_mid_run(kind, durability, fan, tmp_path, dsn):
    """The caller cancels the run while sync nodes run (their threads go on
    until released): a step's only task, or the Send tasks of a fan-out.
    The run saves what finished before, as in LangGraph, including under
    durability "exit" (saved once, on the way out); cancelled fan-out tasks
    show the cancellation, a step's only task does not (LangGraph awaits it
    directly and records nothing)."""

    async def case(pkg: str) -> tuple:
        ran: list = []
        started, release = threading.Semaphore(0), threading.Event()

        def blocking(state: dict) -> dict:
            ran.append("blocked")
            started.release()
            release.wait(WAIT)
            return {"log": ["c"]}

        bodies = {n: _logger(n, ran) for n in ("a", "b")}
        if fan:
            graph = _mod(pkg, "graph")
            types = _mod(pkg, "types")
            g = graph.StateGraph(S)
            g.add_node("a", bodies["a"])
            g.add_node("b", bodies["b"])
            g.add_node("worker", blocking)
            g.add_edge(graph.START, "a")
            g.add_edge("a", "b")
            g.add_conditional_edges(
                "b", lambda s: [types.Send("worker", {"i": i}) for i in range(fan)], ["worker"]
            )
            g.add_edge("worker", graph.END)
        else:
            bodies["c"] = blocking
            bodies["d"] = _logger("d", ran)

        def wait_started() -> bool:
            return all(started.acquire(timeout=WAIT) for _ in range(max(fan, 1)))

        async with _saver(pkg, kind, tmp_path, dsn) as saver:
            app = g.compile(checkpointer=saver) if fan else _graph(pkg, saver, ran, bodies=bodies)
            config = {"configurable": {"thread_id": "t"}}
            run = asyncio.ensure_future(app.ainvoke({"x": 0}, config, durability=durability))
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, wait_started)
            run.cancel()
            try:
                await run
                outcome = "finished"
            except asyncio.CancelledError:
                outcome = "cancelled"
            finally:
                release.set()
            await asyncio.sleep(0.05)  # the released nodes' threads end
            state = await app.aget_state(config)
            return (
                outcome,
                sorted(ran),
                state.next,
                sorted(state.values.get("log") or []),
                await _history(app, config),
            )

    _same(case)


@pytest.mark.parametrize("kind", ["none", "sqlite"])
def test_blocking_fanout_tasks_run_side_by_side(kind, tmp_path):
    """Four sync Send tasks that can only end together (a barrier): the
    fan-out runs them at once, as LangGraph's executor does."""

    async def case(pkg: str) -> tuple:
        ran: list = []
        barrier = threading.Barrier(4, timeout=WAIT)

        def worker(packet: dict) -> dict:
            barrier.wait()
            ran.append(packet["i"])
            return {"log": [packet["i"]]}

        graph = _mod(pkg, "graph")
        types = _mod(pkg, "types")
        g = graph.StateGraph(S)
        g.add_node("a", _logger("a", []))
        g.add_node("worker", worker)
        g.add_edge(graph.START, "a")
        g.add_conditional_edges(
            "a", lambda s: [types.Send("worker", {"i": i}) for i in range(4)], ["worker"]
        )
        g.add_edge("worker", graph.END)
        if kind == "none":
            out = await g.compile().ainvoke({"x": 0})
            return sorted(out["log"], key=str), sorted(ran)
        async with _saver(pkg, kind, tmp_path, None) as saver:
            app = g.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "t"}}
            out = await app.ainvoke({"x": 0}, config)
            return sorted(out["log"], key=str), sorted(ran), await _history(app, config)

    _same(case)


@pytest.mark.parametrize("kind", KINDS)
def test_fanout_task_fails_after_its_siblings(kind, tmp_path, dsn):
    """A Send task fails once its siblings have finished (they were running
    beside it): the run raises its error; the siblings' writes are saved
    on the step's checkpoint, the failed task shows its error."""

    async def case(pkg: str) -> tuple:
        ran: list = []
        finished = threading.Semaphore(0)

        def worker(packet: dict) -> dict:
            i = packet["i"]
            if i == 0:
                for _ in range(3):
                    assert finished.acquire(timeout=WAIT)
                ran.append("w0")
                raise ValueError("w0 fails")
            ran.append(f"w{i}")
            finished.release()
            return {"log": [f"w{i}"]}

        graph = _mod(pkg, "graph")
        types = _mod(pkg, "types")
        g = graph.StateGraph(S)
        g.add_node("a", _logger("a", ran))
        g.add_node("worker", worker)
        g.add_edge(graph.START, "a")
        g.add_conditional_edges(
            "a", lambda s: [types.Send("worker", {"i": i}) for i in range(4)], ["worker"]
        )
        g.add_edge("worker", graph.END)
        async with _saver(pkg, kind, tmp_path, dsn) as saver:
            app = g.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "t"}}
            try:
                await app.ainvoke({"x": 0}, config)
                outcome: tuple = ("ok",)
            except ValueError as exc:
                outcome = ("ValueError", str(exc))
            state = await app.aget_state(config)
            return (
                outcome,
                sorted(ran),
                state.next,
                sorted((t.name, repr(t.error) if t.error else "") for t in state.tasks),
                await _history(app, config),
            )

    _same(case)


def _conf(label: str) -> dict:
    """A saver call's config (the pipeline keys entries by thread and namespace)."""
    return {"configurable": {"thread_id": "t", "checkpoint_ns": "", "i": label}}


def test_offer_from_threads_keeps_order_and_errors():
    """AsyncWritePipeline.offer from other threads: entries are committed in
    the order offered, one receipt's failure does not touch another's, and
    `wait` on the loop sees them all settled."""
    from langgraph_jit.checkpoint._pipeline import AsyncWritePipeline, Receipt

    async def main() -> tuple:
        committed: list = []

        async def commit(calls) -> None:
            await asyncio.sleep(0)
            if any(m == "bad" for m, _ in calls):
                raise ValueError("bad call")
            committed.extend(a[0]["configurable"]["i"] for _, a in calls)

        pipeline = AsyncWritePipeline(commit)
        good, bad = Receipt(), Receipt()
        # Nothing was submitted on the loop yet: an offer is refused.
        assert not pipeline.offer([("put", (_conf("early"),))], good)
        await pipeline.submit([("put", (_conf("g-1"),))], good)
        loop = asyncio.get_running_loop()

        def offer_many() -> list[bool]:
            taken = []
            for i in range(100):
                taken.append(pipeline.offer([("put", (_conf(f"g{i}"),))], good))
                if i == 50:
                    taken.append(pipeline.offer([("bad", (_conf("b"),))], bad))
            return taken

        taken = await loop.run_in_executor(None, offer_many)
        await pipeline.wait(good)
        await pipeline.wait(bad)
        await pipeline.drain()
        return committed, taken, good, bad, pipeline.busy

    committed, taken, good, bad, busy = asyncio.run(main())
    offered = ["g-1"] + [f"g{i}" for i, ok in zip(range(100), taken[:51] + taken[52:]) if ok]
    assert committed == offered
    assert len(offered) > 1
    assert good.pending == 0 and good.error is None
    assert bad.pending == 0 and isinstance(bad.error, ValueError)
    assert not busy


def test_a_saver_overriding_aput_is_awaited_on_the_loop():
    """InMemorySaver's sync writes may be called from the thread advancing an
    async run (writes_in_any_thread); a subclass overriding aput loses that,
    and each of its puts is awaited on the loop, as LangGraph calls it."""
    from langgraph_jit.checkpoint.memory import InMemorySaver

    on_loop: list[bool] = []

    class Counting(InMemorySaver):
        async def aput(self, config, checkpoint, metadata, new_versions):  # type: ignore[override]
            on_loop.append(threading.current_thread() is threading.main_thread())
            return await super().aput(config, checkpoint, metadata, new_versions)

    assert InMemorySaver().writes_in_any_thread
    saver = Counting()
    assert not saver.writes_in_any_thread
    app = _graph("langgraph_jit", saver, [])
    config = {"configurable": {"thread_id": "t"}}
    out = asyncio.run(app.ainvoke({"x": 1}, config))
    assert out["log"] == ["a", "b", "c", "d", "e"]
    assert len(on_loop) == 7 and all(on_loop)  # input, 5 steps, and START's
