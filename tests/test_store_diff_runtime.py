"""Differential tests of the runtime against LangGraph 1.2.22: Runtime objects, graph nodes that
use the store and the runtime, get_runtime inside tasks and entrypoints, and import hygiene.
"""

import asyncio
import dataclasses
import subprocess
import sys
from typing import Annotated

import pytest
from typing_extensions import TypedDict

from _store_diff_common import DIMS, Impl, aembed_fn, attempt, same

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------- runtime


def test_runtime_objects():
    def program(lg: Impl):
        rt = lg.runtime
        r = rt.Runtime(context={"u": 1})
        ei = rt.ExecutionInfo(checkpoint_id="c", checkpoint_ns="", task_id="t")
        control = rt.RunControl()
        out = {
            "default": (
                r.store,
                r.previous,
                r.execution_info,
                r.server_info,
                r.control,
                r.drain_requested,
            ),
            "positional": attempt(lambda: rt.Runtime({"u": 1})),
            "frozen": attempt(lambda: setattr(r, "context", 2)),
            "override": r.override(previous=5).previous,
            "override_bad": attempt(lambda: r.override(nope=1)),
            "patch_none": attempt(lambda: r.patch_execution_info(task_id="x")),
            "patched": r.override(execution_info=ei)
            .patch_execution_info(node_attempt=2)
            .execution_info,
            "ei_patch": ei.patch(thread_id="th"),
            "ei_missing": attempt(lambda: rt.ExecutionInfo(checkpoint_id="c")),
            "server": rt.ServerInfo(assistant_id="a", graph_id="g"),
        }
        control.request_drain()
        r2 = rt.Runtime(control=control)
        out["drain"] = (r2.drain_requested, r2.drain_reason, control.drain_reason)
        control.request_drain("deploy")
        out["drain2"] = r2.drain_reason
        merged = rt.Runtime(context="a", previous=1).merge(
            rt.Runtime(context="", store=None, previous=0)
        )
        out["merge"] = (merged.context, merged.previous, merged.stream_writer is r.stream_writer)
        out["eq"] = rt.Runtime(context=1) == rt.Runtime(context=1)
        out["outside"] = attempt(rt.get_runtime)

        class User:
            is_authenticated = True
            display_name = "d"
            identity = "i"
            permissions = []

            def __getitem__(self, k):
                return k

            def __contains__(self, k):
                return True

            def __iter__(self):
                return iter(())

        out["base_user"] = (isinstance(User(), rt.BaseUser), isinstance(object(), rt.BaseUser))
        return out

    same(program)


def _memory_graph(lg: Impl, *, use_async: bool = False):
    @dataclasses.dataclass
    class Ctx:
        user_id: str
        greeting: str = "hi"

    class State(TypedDict):
        question: str
        log: Annotated[list, lambda a, b: a + b]

    Runtime = lg.runtime.Runtime

    def remember(state: State, runtime: Runtime[Ctx]):
        ns = ("memories", runtime.context.user_id)
        runtime.store.put(ns, state["question"][:4], {"q": state["question"]})
        found = runtime.store.search(ns, filter={"q": state["question"]})
        return {"log": [f"{runtime.context.greeting}:{len(found)}"]}

    def recall(state: State, *, store, config):
        rt = lg.runtime.get_runtime()
        ns = ("memories", rt.context.user_id)
        same_store = store is rt.store is lg.config.get_store()
        items = store.search(ns)
        info = rt.execution_info
        return {
            "log": [
                [i.value["q"] for i in items],
                same_store,
                info.thread_id,
                info.checkpoint_ns.split(":")[0],
                info.task_id is not None,
                info.node_attempt,
                rt.previous,
                rt.server_info,
            ]
        }

    async def aremember(state: State, runtime: Runtime[Ctx]):
        ns = ("memories", runtime.context.user_id)
        await runtime.store.aput(ns, state["question"][:4], {"q": state["question"]})
        found = await runtime.store.asearch(ns)
        return {"log": [f"{runtime.context.greeting}:{len(found)}"]}

    def no_runtime(state: State):
        return {"log": ["plain"]}

    g = lg.graph.StateGraph(State, context_schema=Ctx)
    g.add_node("remember", aremember if use_async else remember)
    g.add_node("recall", recall)
    g.add_node("plain", no_runtime)
    g.add_edge(lg.graph.START, "remember")
    g.add_edge("remember", "recall")
    g.add_edge("recall", "plain")
    return g, Ctx


def test_graph_nodes_use_store_and_runtime():
    def program(lg: Impl):
        g, Ctx = _memory_graph(lg)
        store = lg.memory.InMemoryStore()
        app = g.compile(store=store, checkpointer=lg.Saver())
        out = []
        for i, (user, q) in enumerate(
            [("u1", "what is up"), ("u1", "who am I"), ("u2", "what is up")]
        ):
            cfg = {"configurable": {"thread_id": f"t{i}"}}
            out.append(
                app.invoke(
                    {"question": q, "log": []}, cfg, context=Ctx(user_id=user, greeting="yo")
                )
            )
        out.append(
            list(
                app.stream(
                    {"question": "stream me", "log": []},
                    {"configurable": {"thread_id": "s"}},
                    context=Ctx("u3"),
                    stream_mode="updates",
                )
            )
        )
        out.append(store.list_namespaces())
        out.append(store.search(("memories",), limit=20))
        # no store given: the store param / runtime.store are None
        bare = g.compile()
        out.append(attempt(lambda: bare.invoke({"question": "q", "log": []}, context=Ctx("u"))))
        return out

    same(program)


def test_graph_async_nodes_use_store_and_runtime():
    def program(lg: Impl):
        g, Ctx = _memory_graph(lg, use_async=True)
        store = lg.memory.InMemoryStore(index={"dims": DIMS, "embed": aembed_fn, "fields": ["q"]})
        app = g.compile(store=store)

        async def go():
            a = await app.ainvoke({"question": "brown fox", "log": []}, context=Ctx("u1"))
            b = await app.ainvoke({"question": "lazy dog", "log": []}, context=Ctx("u1"))
            hits = await store.asearch(("memories", "u1"), query="fox")
            return [a, b, hits]

        return asyncio.run(go())

    same(program)


def test_runtime_visible_from_get_runtime_matches_param():
    def program(lg: Impl):
        class S(TypedDict):
            x: int

        seen = {}

        def node(state: S, runtime: lg.runtime.Runtime):
            r = lg.runtime.get_runtime()
            seen["eq_fields"] = (
                r.context == runtime.context,
                r.store is runtime.store,
                r.execution_info == runtime.execution_info,
            )
            seen["ctx"] = r.context
            return {"x": state["x"] + 1}

        store = lg.memory.InMemoryStore()
        app = (
            lg.graph.StateGraph(S, context_schema=dict)
            .add_node(node)
            .set_entry_point("node")
            .compile(store=store)
        )
        out = app.invoke({"x": 1}, context={"k": "v"})
        return [out, seen]

    same(program)


# --------------------------------------------------------------------------- hygiene


def test_import_does_not_pull_numba_or_langchain_core():
    code = (
        "import sys, langgraph_jit.store.memory, langgraph_jit.store.base, langgraph_jit.runtime;"
        "print(sorted(m for m in ('numba', 'langchain_core', 'langgraph') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _task_runtime_fields(lg: Impl):
    class S(TypedDict):
        x: int

    seen = {}

    def node(state: S, runtime: lg.runtime.Runtime):
        r = lg.runtime.get_runtime()
        info = runtime.execution_info
        seen["identity"] = r is runtime
        seen["control"] = type(runtime.control).__name__
        seen["first_attempt_time"] = type(info.node_first_attempt_time).__name__
        seen["writer"] = (callable(runtime.stream_writer), callable(r.stream_writer))
        return {"x": 1}

    lg.graph.StateGraph(S).add_node(node).set_entry_point("node").compile().invoke({"x": 0})
    return seen


def test_task_runtime_writer_is_callable():
    """The stream writer handed to a node is callable both as a parameter and via get_runtime."""

    def program(lg: Impl):
        return _task_runtime_fields(lg)["writer"]

    same(program)


def test_task_runtime_identity_control_and_attempt_time():
    same(_task_runtime_fields)


def test_entrypoint_runtime_previous():
    import importlib

    def program(lg: Impl):
        pkg = lg.runtime.__name__.rsplit(".", 1)[0]
        func = importlib.import_module(pkg + ".func")

        @func.entrypoint(checkpointer=lg.Saver())
        def wf(x: int, *, runtime: lg.runtime.Runtime):
            return [x, runtime.previous, lg.runtime.get_runtime().previous]

        c = {"configurable": {"thread_id": "1"}}
        return [wf.invoke(1, c), wf.invoke(2, c)]

    same(program)
