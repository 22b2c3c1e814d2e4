"""A graph's tasks, and whole threads, on a local Ray instance (`RayTaskRunner`).

The same checks as on Dask, fewer of them (the runners share everything but the
transport): outputs and checkpoints equal to a local run's, interrupts, task calls, a
worker killed mid-task, whole threads with a shared saver. A local Ray instance takes
about 3 s to start and 2 s to stop on a 2-core machine; skipped without the [ray] extra.
"""

from __future__ import annotations

import functools
import operator
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytest.importorskip("ray", reason="the [ray] extra (ray) is not installed")
cloudpickle = pytest.importorskip("cloudpickle", reason="the [ray] extra is not installed")

from langgraph_jit.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph_jit.checkpoint.sqlite import SqliteSaver  # noqa: E402
from langgraph_jit.distributed import RayTaskRunner, ShippingError  # noqa: E402
from langgraph_jit.func import entrypoint, task  # noqa: E402
from langgraph_jit.graph import END, START, StateGraph  # noqa: E402
from langgraph_jit.types import Command, Send, interrupt  # noqa: E402

PARENT = os.getpid()


class State(TypedDict):
    n: int
    log: Annotated[list, operator.add]


@pytest.fixture(scope="module")
def runner():
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with RayTaskRunner(num_cpus=2) as r:
        yield r


def _cfg(thread: str) -> dict:
    return {"configurable": {"thread_id": thread}}


def _mark(folder: str, what: str) -> int:
    path = Path(folder, what)
    with path.open("a") as f:
        f.write(f"{os.getpid()}\n")
    return len(path.read_text().splitlines())


def _fan(s: State) -> list[Send]:
    return [Send("square", {"n": i, "log": []}) for i in range(s["n"])]


def _square(s: State) -> dict:
    return {"log": [(s["n"] * s["n"], os.getpid() != PARENT)]}


def _ask(s: State) -> dict:
    return {"log": [interrupt("why?")]}


def build(runner: Any, folder: str = "") -> Any:
    def fragile(s: State) -> dict:
        if folder and _mark(folder, "fragile") == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return {"log": ["survived"]}

    builder = StateGraph(State)
    builder.add_node("start", lambda s: {})
    builder.add_node("square", _square)
    builder.add_node("ask", _ask)
    builder.add_node("fragile", fragile)
    builder.add_edge(START, "start")
    builder.add_conditional_edges("start", _fan, ["square"])
    builder.add_edge("square", "ask")
    builder.add_edge("ask", "fragile")
    return builder.compile(checkpointer=InMemorySaver(), task_runner=runner)


def test_tasks_match_a_local_run_with_interrupt_and_killed_worker(runner, tmp_path):
    local, remote = build(None), build(runner, str(tmp_path))
    got, expected = [], []
    for app, out in ((local, expected), (remote, got)):
        cfg = _cfg("t")
        out.append(app.invoke({"n": 4, "log": []}, cfg)["log"])
        out.append(app.invoke(Command(resume="because"), cfg))
        out.append([s.next for s in app.get_state_history(cfg)])
    assert sorted(x for x, _ in got[0]) == sorted(x for x, _ in expected[0])
    assert all(remote for _, remote in got[0])
    assert [[x, True] for x, _ in expected[1]["log"][:4]] == got[1]["log"][:4]
    assert got[1]["log"][4:] == expected[1]["log"][4:] == ["because", "survived"]
    assert got[2] == expected[2]
    runs = Path(tmp_path, "fragile").read_text().splitlines()
    assert len(runs) == 2 and runs[0] != runs[1]  # killed, then run by another worker


@task
def _double(x: int) -> tuple[int, bool]:
    return 2 * x, os.getpid() != PARENT


def _workflow(n: int) -> list[Any]:
    return [f.result() for f in [_double(i) for i in range(n)]]


def test_task_calls_run_on_ray(runner):
    app = entrypoint(checkpointer=InMemorySaver(), task_runner=runner)(_workflow)
    assert app.invoke(3, _cfg("wf")) == [(0, True), (2, True), (4, True)]


def test_async_runs_on_ray(runner):
    import asyncio

    app = build(runner)
    out = asyncio.run(app.ainvoke({"n": 3, "log": []}, _cfg("async")))
    assert sorted(out["log"]) == [(0, True), (1, True), (4, True)]
    assert out["__interrupt__"][0].value == "why?"


def _chain(s: State) -> dict:
    return {"log": [s["n"]], "n": s["n"] + 1}


def test_batch_of_threads_on_a_shared_saver(runner, tmp_path):
    builder = StateGraph(State)
    builder.add_node("a", _chain)
    builder.add_node("b", _chain)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile()
    db = str(tmp_path / "threads.sqlite")
    configs = [_cfg(f"t{i}") for i in range(4)]
    out = runner.batch(
        graph,
        [{"n": i, "log": []} for i in range(4)],
        configs,
        saver=functools.partial(SqliteSaver.from_conn_string, db),
    )
    assert out == [{"n": i + 2, "log": [i, i + 1]} for i in range(4)]
    with SqliteSaver.from_conn_string(db) as saver:
        app = graph.copy({"checkpointer": saver})
        assert [app.get_state(c).values for c in configs] == out


def test_unpicklable_node_is_named(runner):
    import threading

    lock = threading.Lock()

    def locked(s: State) -> dict:
        with lock:
            return {}

    builder = StateGraph(State)
    builder.add_node("locked", locked)
    builder.add_edge(START, "locked")
    builder.add_edge("locked", END)
    with pytest.raises(ShippingError, match="node 'locked'"):
        builder.compile(task_runner=runner).invoke({"n": 0, "log": []})
