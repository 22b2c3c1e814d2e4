"""A graph's tasks on a Dask cluster (`compile(task_runner=DaskTaskRunner(...))`).

The engine stays in this process and each node call runs on one of two worker processes
of a `LocalCluster`: outputs, stream chunks and saved checkpoints must be what the same
graph gives run here; retries, interrupts and task calls work remotely; a worker killed
mid-task has its task run again elsewhere with the writes applied once; a node or input
that cannot be shipped is named; a cluster that cannot be reached fails clearly, and a
thread whose cluster went away mid-run resumes on a new one.
"""

from __future__ import annotations

import asyncio
import operator
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytest.importorskip("distributed", reason="the [dask] extra is not installed")
cloudpickle = pytest.importorskip("cloudpickle", reason="the [dask] extra is not installed")

from langgraph_jit.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph_jit.config import get_config, get_stream_writer  # noqa: E402
from langgraph_jit.distributed import (  # noqa: E402
    DaskTaskRunner,
    RemoteTaskError,
    ShippingError,
)
from langgraph_jit.func import entrypoint, task  # noqa: E402
from langgraph_jit.graph import END, START, StateGraph  # noqa: E402
from langgraph_jit.types import Command, RetryPolicy, Send, interrupt  # noqa: E402

PARENT = os.getpid()


class State(TypedDict):
    n: int
    log: Annotated[list, operator.add]


@pytest.fixture(scope="module")
def runner():
    # Workers would import this module by name, and tests/ is not on their path.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with DaskTaskRunner(n_workers=2, threads_per_worker=1) as r:
        yield r


def _cfg(thread: str, **conf: Any) -> dict:
    return {"configurable": {"thread_id": thread, **conf}}


def _mark(folder: str, what: str) -> int:
    """Append a line to folder/what; returns how many lines it has (runs so far)."""
    path = Path(folder, what)
    with path.open("a") as f:
        f.write(f"{os.getpid()}\n")
    return len(path.read_text().splitlines())


def _history(app: Any, config: dict) -> list[tuple[Any, ...]]:
    """What a user sees of a thread's checkpoints (ids and times aside: task and
    interrupt ids derive from checkpoint ids, which differ between any two runs)."""
    out = []
    for snap in app.get_state_history(config):
        meta = {k: v for k, v in (snap.metadata or {}).items() if k != "run_id"}
        out.append(
            (
                snap.values,
                snap.next,
                meta,
                [(t.name, t.error is not None, _asked(t.interrupts)) for t in snap.tasks],
                _asked(snap.interrupts),
            )
        )
    return out


def _asked(interrupts: Any) -> list[Any]:
    return [i.value for i in interrupts]


def _without_ids(chunk: Any) -> Any:
    if isinstance(chunk, tuple) and len(chunk) == 2 and chunk[0] == "tasks":
        return ("tasks", {k: v for k, v in chunk[1].items() if k != "id"})
    return chunk


# -- graphs ---------------------------------------------------------------------------


def _start(s: State) -> dict:
    get_stream_writer()({"at": "start", "remote": os.getpid() != PARENT})
    return {"log": [f"start:{get_config()['configurable'].get('user')}"]}


def _fan(s: State) -> list[Send]:
    return [Send("square", {"n": i, "log": []}) for i in range(s["n"])]


def _square(s: State) -> dict:
    return {"log": [s["n"] * s["n"]]}


def _route(s: State) -> str:
    return "big" if len(s["log"]) > 4 else "small"


def _big(s: State) -> dict:
    return {"log": ["big"], "n": sum(x for x in s["log"] if isinstance(x, int))}


def _small(s: State) -> dict:
    return {"log": ["small"]}


def fan_graph(runner: Any) -> Any:
    builder = StateGraph(State)
    builder.add_node("start", _start)
    builder.add_node("square", _square)
    builder.add_node("join", lambda s: {"log": ["join"]})
    builder.add_node("big", _big)
    builder.add_node("small", _small)
    builder.add_edge(START, "start")
    builder.add_conditional_edges("start", _fan, ["square"])
    builder.add_edge("square", "join")
    builder.add_conditional_edges("join", _route)
    builder.add_edge("big", END)
    builder.add_edge("small", END)
    return builder.compile(checkpointer=InMemorySaver(), task_runner=runner)


def _ask(s: State) -> dict:
    first = interrupt(f"first for {s['n']}?")
    second = interrupt("second?")
    return {"log": [first, second]}


def ask_graph(runner: Any) -> Any:
    builder = StateGraph(State)
    builder.add_node("before", lambda s: {"log": ["before"]})
    builder.add_node("ask", _ask)
    builder.add_node("after", lambda s: {"log": ["after"]})
    builder.add_edge(START, "before")
    builder.add_edge("before", "ask")
    builder.add_edge("ask", "after")
    return builder.compile(checkpointer=InMemorySaver(), task_runner=runner)


def _sorted_chunks(chunks: list[Any]) -> list[str]:
    # Sibling tasks finish in any order (here as in LangGraph): compare as multisets.
    return sorted(repr(_without_ids(c)) for c in chunks)


# -- outputs, chunks and checkpoints as a local run's ----------------------------------


def test_fan_out_matches_a_local_run(runner):
    local, remote = fan_graph(None), fan_graph(runner)
    for n in (2, 6):
        cfg = _cfg(f"fan{n}", user="u")
        expected = local.invoke({"n": n, "log": []}, cfg)
        assert remote.invoke({"n": n, "log": []}, cfg) == expected
        assert _history(remote, cfg) == _history(local, cfg)


def test_stream_chunks_match_a_local_run(runner):
    local, remote = fan_graph(None), fan_graph(runner)
    modes = ["updates", "values", "custom", "tasks"]
    cfg = _cfg("stream")
    expected = list(local.stream({"n": 3, "log": []}, cfg, stream_mode=modes))
    got = list(remote.stream({"n": 3, "log": []}, cfg, stream_mode=modes))
    custom = [c for c in got if c[0] == "custom"]
    assert custom == [("custom", {"at": "start", "remote": True})]  # ran on a worker
    expected = [c for c in expected if c[0] != "custom"]
    got = [c for c in got if c[0] != "custom"]
    assert _sorted_chunks(got) == _sorted_chunks(expected)
    assert [c for c in got if c[0] == "values"][-1] == [c for c in expected if c[0] == "values"][-1]


def test_async_runs_match_a_local_run(runner):
    local, remote = fan_graph(None), fan_graph(runner)

    async def both() -> tuple[Any, Any, list[Any], list[Any]]:
        cfg_a, cfg_b = _cfg("async-a"), _cfg("async-b")
        a = await local.ainvoke({"n": 5, "log": []}, cfg_a)
        b = await remote.ainvoke({"n": 5, "log": []}, cfg_a)
        sa = [c async for c in local.astream({"n": 2, "log": []}, cfg_b)]
        sb = [c async for c in remote.astream({"n": 2, "log": []}, cfg_b)]
        return a, b, sa, sb

    a, b, sa, sb = asyncio.run(both())
    assert a == b
    assert _sorted_chunks(sa) == _sorted_chunks(sb)


def test_interrupts_in_remote_tasks_resume(runner):
    local, remote = ask_graph(None), ask_graph(runner)
    for app in (local, remote):
        cfg = _cfg("ask")
        first = app.invoke({"n": 1, "log": []}, cfg)
        assert first["__interrupt__"][0].value == "first for 1?"
        second = app.invoke(Command(resume="yes"), cfg)
        assert second["__interrupt__"][0].value == "second?"
        done = app.invoke(Command(resume="sure"), cfg)
        assert done == {"n": 1, "log": ["before", "yes", "sure", "after"]}
    assert _history(remote, _cfg("ask")) == _history(local, _cfg("ask"))


def test_retry_policy_applies_to_remote_failures(runner, tmp_path):
    folder = str(tmp_path)

    def flaky(s: State) -> dict:
        if _mark(folder, "flaky") < 3:
            raise ConnectionError("try again")
        return {"log": ["ok"]}

    def broken(s: State) -> dict:
        _mark(folder, "broken")
        raise ValueError("not retried")

    builder = StateGraph(State)
    builder.add_node("flaky", flaky, retry_policy=RetryPolicy(initial_interval=0.01))
    builder.add_node("broken", broken, retry_policy=RetryPolicy(initial_interval=0.01))
    builder.add_edge(START, "flaky")
    builder.add_conditional_edges("flaky", lambda s: "broken" if s["n"] else END)
    app = builder.compile(task_runner=runner)
    assert app.invoke({"n": 0, "log": []}) == {"n": 0, "log": ["ok"]}
    lines = Path(folder, "flaky").read_text().splitlines()
    assert len(lines) == 3 and PARENT not in {int(pid) for pid in lines}
    with pytest.raises(ValueError, match="not retried") as info:
        app.invoke({"n": 1, "log": []})
    assert "During task with name 'broken'" in "".join(getattr(info.value, "__notes__", ()))
    assert len(Path(folder, "broken").read_text().splitlines()) == 1


@task
def _cube(x: int) -> tuple[int, bool]:
    return x**3, os.getpid() != PARENT


def _workflow(n: int) -> list[Any]:
    return [f.result() for f in [_cube(i) for i in range(n)]]


def test_task_calls_of_an_entrypoint_run_remotely(runner):
    local = entrypoint(checkpointer=InMemorySaver())(_workflow)
    remote = entrypoint(checkpointer=InMemorySaver(), task_runner=runner)(_workflow)
    got = remote.invoke(4, _cfg("wf"))
    assert got == [(i**3, True) for i in range(4)]
    assert [x for x, _ in local.invoke(4, _cfg("wf"))] == [x for x, _ in got]
    chunks = list(remote.stream(2, _cfg("wf2")))
    assert _sorted_chunks(chunks) == _sorted_chunks(
        [{"_cube": (0, True)}, {"_cube": (1, True)}, {"_workflow": [(0, True), (1, True)]}]
    )


def _where(x: int) -> list[Any]:
    return [x + 1, os.getpid() != PARENT]


def test_a_low_level_pregel_graph_takes_a_runner(runner):
    from langgraph_jit.channels import EphemeralValue, LastValue
    from langgraph_jit.pregel import NodeBuilder, Pregel

    def build(r: Any) -> Any:
        node = NodeBuilder().subscribe_only("a").do(_where).write_to("b")
        return Pregel(
            nodes={"one": node},
            channels={"a": EphemeralValue(int), "b": LastValue(list)},
            input_channels="a",
            output_channels="b",
            task_runner=r,
        )

    assert build(None).invoke(2) == [3, False]
    assert build(runner).invoke(2) == [3, True]


def test_nodes_kept_local(runner):
    def where(label: str) -> Any:
        return lambda s: {"log": [(label, os.getpid() == PARENT)]}

    builder = StateGraph(State)
    builder.add_node("here", where("here"), remote=False)
    builder.add_node("there", where("there"))
    builder.add_node("named", where("named"))
    builder.add_edge(START, "here")
    builder.add_edge("here", "there")
    builder.add_edge("there", "named")
    app = builder.compile(task_runner=runner)
    assert app.invoke({"n": 0, "log": []})["log"] == [
        ("here", True),
        ("there", False),
        ("named", False),
    ]
    runner.local_nodes = frozenset({"named"})
    try:
        app = builder.compile(task_runner=runner)
        assert app.invoke({"n": 0, "log": []})["log"][2] == ("named", True)
    finally:
        runner.local_nodes = frozenset()


def test_messages_from_a_remote_chat_model(runner):
    # Loaded here, as an application using chat models has it: `messages` then streams.
    pytest.importorskip("langchain_core.language_models.fake_chat_models")

    def chat(s: State) -> dict:
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage

        model = GenericFakeChatModel(messages=iter([AIMessage(content="hello there", id="m1")]))
        reply = model.invoke("hi")
        return {"log": [reply.content]}

    def build(r: Any) -> Any:
        builder = StateGraph(State)
        builder.add_node("chat", chat)
        builder.add_edge(START, "chat")
        return builder.compile(task_runner=r)

    def tokens(app: Any) -> list[tuple[str, str]]:
        return [
            (m.content, meta["langgraph_node"])
            for m, meta in app.stream({"n": 0, "log": []}, stream_mode="messages")
        ]

    expected = tokens(build(None))
    assert len(expected) > 1  # streamed token by token
    assert tokens(build(runner)) == expected


def _chain_step(s: State) -> dict:
    return {"log": [[s["n"], os.getpid() != PARENT]], "n": s["n"] + 1}  # lists: saved as such


def chain_graph(runner: Any, checkpointer: Any = None) -> Any:
    builder = StateGraph(State)
    builder.add_node("a", _chain_step)
    builder.add_node("b", _chain_step)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    return builder.compile(checkpointer=checkpointer, task_runner=runner)


def test_app_batch_runs_whole_threads_with_the_runners_saver(runner, tmp_path):
    import functools

    from langgraph_jit.checkpoint.sqlite import SqliteSaver

    db = str(tmp_path / "threads.sqlite")
    factory = functools.partial(SqliteSaver.from_conn_string, db)
    inputs = [{"n": 10 * i, "log": []} for i in range(4)]
    configs = [_cfg(f"b{i}") for i in range(4)]
    with DaskTaskRunner(runner.client, saver=factory) as threads:
        app = chain_graph(threads)
        out = app.batch(inputs, configs)
        again = asyncio.run(app.abatch(inputs[:2], [_cfg("c0"), _cfg("c1")]))
    # The whole thread ran on a worker (both nodes), saved to the shared saver.
    assert out == [{"n": n + 2, "log": [[n, True], [n + 1, True]]} for n in (0, 10, 20, 30)]
    assert again == out[:2]
    with SqliteSaver.from_conn_string(db) as saver:
        local = chain_graph(None, saver)
        assert [local.get_state(c).values for c in configs] == out


def test_app_batch_with_an_in_process_saver_runs_here_with_remote_tasks(runner):
    app = chain_graph(runner, InMemorySaver())
    configs = [_cfg(f"m{i}") for i in range(3)]
    out = app.batch([{"n": i, "log": []} for i in range(3)], configs)
    assert out == [{"n": i + 2, "log": [[i, True], [i + 1, True]]} for i in range(3)]
    assert [app.get_state(c).values for c in configs] == out  # saved here


# -- failures ------------------------------------------------------------------------


def test_killed_worker_mid_task_runs_it_elsewhere_once(runner, tmp_path):
    folder = str(tmp_path)

    def fragile(s: State) -> dict:
        if _mark(folder, f"fragile-{s['n']}") == 1 and s["n"] == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-task
        return {"log": [s["n"]]}

    def fan(s: State) -> list[Send]:
        return [Send("fragile", {"n": i, "log": []}) for i in range(4)]

    builder = StateGraph(State)
    builder.add_node("start", lambda s: {})
    builder.add_node("fragile", fragile)
    builder.add_edge(START, "start")
    builder.add_conditional_edges("start", fan, ["fragile"])
    app = builder.compile(checkpointer=InMemorySaver(), task_runner=runner)
    out = app.invoke({"n": 0, "log": []}, _cfg("killed"))
    assert sorted(out["log"]) == [0, 1, 2, 3]  # each task's write applied once
    runs = Path(folder, "fragile-2").read_text().splitlines()
    assert len(runs) == 2 and runs[0] != runs[1]  # ran again, in another process
    # A sibling that had finished on the dead worker may run again too (Dask keeps
    # results on workers until fetched): execution is at least once, writes once.


def test_a_node_that_cannot_be_shipped_is_named(runner):
    lock = threading.Lock()

    def holds_a_lock(s: State) -> dict:
        with lock:
            return {}

    builder = StateGraph(State)
    builder.add_node("fine", lambda s: {})
    builder.add_node("locked", holds_a_lock)
    builder.add_edge(START, "fine")
    builder.add_edge("fine", "locked")
    app = builder.compile(task_runner=runner)
    with pytest.raises(ShippingError, match="node 'locked'"):
        app.invoke({"n": 0, "log": []})
    # Kept local, it runs.
    builder.nodes["locked"].remote = False
    assert builder.compile(task_runner=runner).invoke({"n": 0, "log": []}) == {"n": 0, "log": []}


def test_an_input_that_cannot_be_shipped_is_named(runner):
    class Loose(TypedDict):
        n: Any
        log: Annotated[list, operator.add]

    builder = StateGraph(Loose)
    builder.add_node("takes", lambda s: {"log": ["took"]})
    builder.add_edge(START, "takes")
    app = builder.compile(task_runner=runner)
    with pytest.raises(TypeError, match="input of node 'takes'"):
        app.invoke({"n": threading.Lock(), "log": []})


def test_what_needs_the_engine_fails_clearly_on_a_worker(runner):
    from langgraph_jit.config import get_store
    from langgraph_jit.distributed._remote import NotOnWorkerError
    from langgraph_jit.store.memory import InMemoryStore

    def uses_store(s: State) -> dict:
        get_store()
        return {}

    def calls_a_task(s: State) -> dict:
        return {"log": [_cube(2).result()]}

    for node in (uses_store, calls_a_task):
        builder = StateGraph(State)
        builder.add_node("node", node)
        builder.add_edge(START, "node")
        app = builder.compile(task_runner=runner, store=InMemoryStore())
        with pytest.raises(NotOnWorkerError, match="remote=False"):
            app.invoke({"n": 0, "log": []})
        builder.nodes["node"].remote = False  # kept local, it works
        builder.compile(task_runner=runner, store=InMemoryStore()).invoke({"n": 0, "log": []})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_cluster_fails_at_start():
    start = time.monotonic()
    with pytest.raises(ConnectionError, match="Cannot reach the Dask scheduler"):
        DaskTaskRunner(address=f"tcp://127.0.0.1:{_free_port()}", connect_timeout=1)
    assert time.monotonic() - start < 15


def test_cluster_lost_mid_run_fails_clearly_and_the_thread_resumes(tmp_path):
    import distributed

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    folder = str(tmp_path)

    def first(s: State) -> dict:
        _mark(folder, "first")
        return {"log": ["first"]}

    def slow(s: State) -> dict:
        if _mark(folder, "slow") == 1:
            Path(folder, "started").touch()
            time.sleep(30)  # the cluster goes away meanwhile
        return {"log": ["slow"]}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("slow", slow)
    builder.add_edge(START, "first")
    builder.add_edge("first", "slow")
    saver = InMemorySaver()
    cfg = _cfg("lost")
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )

    def pull_the_plug() -> None:
        while not Path(folder, "started").exists():
            time.sleep(0.05)
        cluster.close()

    killer = threading.Thread(target=pull_the_plug)
    with DaskTaskRunner(distributed.Client(cluster)) as doomed:
        killer.start()
        app = builder.compile(checkpointer=saver, task_runner=doomed)
        with pytest.raises(RemoteTaskError, match="node 'slow'"):
            app.invoke({"n": 0, "log": []}, cfg, durability="sync")
        killer.join()
        doomed.client.close()
    assert app.get_state(cfg).next == ("slow",)
    with DaskTaskRunner(n_workers=1, threads_per_worker=1) as fresh:
        resumed = builder.compile(checkpointer=saver, task_runner=fresh)
        assert resumed.invoke(None, cfg) == {"n": 0, "log": ["first", "slow"]}
    assert len(Path(folder, "first").read_text().splitlines()) == 1


def test_graphs_without_a_runner_import_no_cluster_library():
    import subprocess

    code = (
        "import sys, langgraph_jit.distributed\n"
        "from langgraph_jit.graph import StateGraph, START\n"
        "from typing_extensions import TypedDict\n"
        "class S(TypedDict):\n    n: int\n"
        "b = StateGraph(S); b.add_node('a', lambda s: {'n': 1}); b.add_edge(START, 'a')\n"
        "assert b.compile().invoke({'n': 0}) == {'n': 1}\n"
        "bad = [m for m in ('dask', 'distributed', 'cloudpickle', 'ray') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
