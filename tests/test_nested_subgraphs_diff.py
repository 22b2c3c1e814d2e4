"""Differential tests of nested subgraphs against LangGraph 1.2.22: which node functions are
found to run a subgraph (closures, attribute paths, wrappers), get_subgraphs namespaces, and
where the checkpoints of graphs invoked inside a node go (own thread, several per task)."""

from __future__ import annotations

import functools
import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from diff_helpers import Impl, assert_same, capture, cfg

pytestmark = pytest.mark.timeout(60)


class Log(TypedDict):
    log: Annotated[list, operator.add]


class Count(TypedDict):
    count: int


class _Box:
    def __init__(self, payload: Any) -> None:
        self.payload = payload


def _leaf(lg: Impl, tag: str, **compile_kwargs: Any) -> Any:
    g = lg.StateGraph(Log)
    g.add_node("leaf", lambda s: {"log": [tag]})
    g.add_edge(lg.START, "leaf")
    graph = g.compile(**compile_kwargs)
    graph.name = tag
    return graph


def _single(lg: Impl, node: Any, schema: type = Log, **compile_kwargs: Any) -> Any:
    g = lg.StateGraph(schema)
    g.add_node("n", node)
    g.add_edge(lg.START, "n")
    return g.compile(**compile_kwargs)


def _found(graph: Any) -> list[str]:
    return [(name, getattr(sub, "name", "?")) for name, sub in graph.get_subgraphs(recurse=True)]


def test_subgraphs_found_in_node_functions():
    def program(lg: Impl) -> dict:
        sub = _leaf(lg, "closure")
        chain = _Box(_Box(_leaf(lg, "chain")))
        holder = _Box(_leaf(lg, "nested"))

        def by_closure(state):
            return sub.invoke(state)

        def by_attribute_path(state):
            return chain.payload.payload.invoke(state)

        def by_nested_def(state):
            def inner():
                return holder.payload.invoke(state)

            return inner()

        def wrapped(state):
            return sub.invoke(state)

        @functools.wraps(wrapped)
        def wrapper(state):
            return {"log": []}

        async def by_async(state):
            return await sub.ainvoke(state)

        def subscript_only(state):
            return [sub][0].invoke(state)

        no_checkpoints = _leaf(lg, "no_checkpoints", checkpointer=False)

        def by_closure_no_checkpoints(state):
            return no_checkpoints.invoke(state)

        nodes = {
            "closure": by_closure,
            "attribute_path": by_attribute_path,
            "nested_def": by_nested_def,
            "wraps": wrapper,
            "async": by_async,
            "partial": functools.partial(by_closure),
            "graph_itself": _leaf(lg, "itself"),
            "checkpointer_false": no_checkpoints,
            "closure_checkpointer_false": by_closure_no_checkpoints,
        }
        return {name: _found(_single(lg, node)) for name, node in nodes.items()}

    assert_same(program)


def _prefix_named(lg: Impl) -> Any:
    research = (
        lg.StateGraph(Log)
        .add_node("review", _leaf(lg, "research|review"))
        .add_edge(lg.START, "review")
        .compile()
    )
    return (
        lg.StateGraph(Log)
        .add_node("research", research)
        .add_node("research_review", _leaf(lg, "research_review"))
        .add_node("review", _leaf(lg, "review"))
        .add_edge(lg.START, "research")
        .add_edge("research", "research_review")
        .add_edge("research_review", "review")
        .compile()
    )


def test_get_subgraphs_namespaces():
    def program(lg: Impl) -> dict:
        parent = _prefix_named(lg)
        out: dict = {"all": _found(parent), "top": [n for n, _ in parent.get_subgraphs()]}
        for ns in ("research", "research|review", "research_review", "review", "res", "x|y"):
            for recurse in (False, True):
                out[f"{ns}:{recurse}"] = [
                    (n, getattr(s, "name", "?"))
                    for n, s in parent.get_subgraphs(namespace=ns, recurse=recurse)
                ]
        return out

    assert_same(program)


def test_child_with_its_own_thread_is_a_root_run():
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        child = _single(
            lg, lambda s: {"count": (s.get("count") or 0) + 1}, Count, checkpointer=saver
        )

        def parent_node(state):
            child.invoke({}, {"configurable": {"thread_id": "child"}})
            return {"log": ["ok"]}

        parent = _single(lg, parent_node, checkpointer=saver)
        parent.invoke({"log": []}, cfg("parent"))
        parent.invoke({"log": []}, cfg("parent"))
        state = child.get_state(cfg("child"))
        return {
            "values": state.values,
            "ns": state.config["configurable"]["checkpoint_ns"],
            "namespaces": sorted(
                {
                    (
                        c.config["configurable"]["thread_id"],
                        c.config["configurable"]["checkpoint_ns"],
                    )
                    for c in saver.list(None)
                }
            ),
        }

    assert_same(program)


def test_several_graphs_run_by_one_task_keep_apart():
    def program(lg: Impl) -> dict:
        def wrapper(name: str, prefix: str) -> Any:
            inner = _single(lg, lambda s: {"log": [prefix + str(len(s["log"]))]})
            return (
                lg.StateGraph(Log)
                .add_node(name, inner)
                .add_edge(lg.START, name)
                .compile(checkpointer=True)
            )

        first, second = wrapper("first", "a"), wrapper("second", "b")
        seen: list = []

        def both(state):
            seen.append((first.invoke({"log": ["x"]})["log"], second.invoke({"log": ["y"]})["log"]))
            return {"log": ["done"]}

        saver = lg.InMemorySaver()
        parent = _single(lg, both, checkpointer=saver)
        parent.invoke({"log": []}, cfg())
        parent.invoke({"log": []}, cfg())
        namespaces = sorted(
            {c.config["configurable"]["checkpoint_ns"].split(":")[0] for c in saver.list(None)}
        )
        return {"seen": seen, "namespaces": namespaces}

    assert_same(program)


def test_state_of_a_subgraph_called_in_a_node():
    def program(lg: Impl) -> dict:
        sub = _leaf(lg, "inner")

        def node(state):
            return {"log": sub.invoke({"log": []})["log"]}

        parent = _single(lg, node, checkpointer=lg.InMemorySaver())
        parent.invoke({"log": []}, cfg())
        history = list(parent.get_state_history(cfg()))
        return {
            "state": capture(lambda: parent.get_state(cfg(), subgraphs=True)),
            "task_states": [[t.state for t in s.tasks] for s in history],
        }

    assert_same(program)


class Text(TypedDict):
    my_key: Annotated[str, operator.add]


def _parallel_with_breakpoint(lg: Impl, saver: Any) -> Any:
    inner = (
        lg.StateGraph(Text)
        .add_node("inner_1", lambda s: __import__("time").sleep(0.05) or {"my_key": "here"})
        .add_node("inner_2", lambda s: {"my_key": " and there"})
        .add_edge(lg.START, "inner_1")
        .add_edge("inner_1", "inner_2")
        .compile(interrupt_before=["inner_2"])
    )
    return (
        lg.StateGraph(Text)
        .add_node("inner", inner)
        .add_node("outer_1", lambda s: {"my_key": " and parallel"})
        .add_node("outer_2", lambda s: {"my_key": " and back"})
        .add_edge(lg.START, "inner")
        .add_edge(lg.START, "outer_1")
        .add_edge(["inner", "outer_1"], "outer_2")
        .compile(checkpointer=saver)
    )


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_sibling_writes_survive_a_subgraph_breakpoint(durability):
    def program(lg: Impl) -> dict:
        app = _parallel_with_breakpoint(lg, lg.InMemorySaver())
        first = app.invoke({"my_key": ""}, cfg("1"), durability=durability)
        second = app.invoke(None, cfg("1"), durability=durability)
        streamed = [
            (len(ns), chunk)
            for ns, chunk in app.stream(
                {"my_key": ""}, cfg("2"), subgraphs=True, durability=durability
            )
        ]
        resumed = list(app.stream(None, cfg("2"), durability=durability))
        return {"invoke": [first, second], "stream": streamed, "resumed": resumed}

    assert_same(program)


def _inner_loop_parent(lg: Impl, saver: Any) -> Any:
    inner = (
        lg.StateGraph(Text)
        .add_node("inner_1", lambda s: {"my_key": " got here"})
        .add_node("inner_2", lambda s: {"my_key": " and there"})
        .add_edge(lg.START, "inner_1")
        .add_edge("inner_1", "inner_2")
        .compile(checkpointer=saver)
    )
    return (
        lg.StateGraph(Text)
        .add_node("inner", inner)
        .add_edge(lg.START, "inner")
        .add_conditional_edges(
            "inner", lambda s: "inner" if s["my_key"].count("there") < 2 else lg.END
        )
        .compile(checkpointer=saver)
    )


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_subgraphs_save_as_often_as_their_parent(durability):
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = _inner_loop_parent(lg, saver)
        out = app.invoke({"my_key": ""}, cfg(), durability=durability)
        saved = [
            (c.config["configurable"]["checkpoint_ns"].split(":")[0], c.metadata["source"])
            for c in saver.list(cfg())
        ]
        return {"out": out, "saved": saved}

    assert_same(program)


def test_functional_interrupt_resumes_with_durability_exit():
    def program(lg: Impl) -> list:
        @lg_task(lg)
        def double(i: int) -> str:
            return str(i) * 2

        @lg_entrypoint(lg, checkpointer=lg.InMemorySaver())
        def workflow(numbers: list) -> list:
            mapped = [f.result() for f in [double(i) for i in numbers]]
            answer = lg.types.interrupt("question")
            return [m + answer for m in mapped]

        first = [
            {k: v for k, v in chunk.items() if k != "__interrupt__"}
            for chunk in workflow.stream([0, 1], cfg(), durability="exit")
        ]
        resumed = workflow.invoke(lg.Command(resume="!"), cfg(), durability="exit")
        return [sorted(first, key=repr), resumed]

    assert_same(program)


def lg_task(lg: Impl) -> Any:
    return _func_module(lg).task()


def lg_entrypoint(lg: Impl, **kwargs: Any) -> Any:
    return _func_module(lg).entrypoint(**kwargs)


def _func_module(lg: Impl) -> Any:
    import importlib

    return importlib.import_module(lg.graph.__name__.replace(".graph", ".func"))


def test_a_saver_whose_put_writes_takes_no_task_path():
    def program(lg: Impl) -> dict:
        calls: list = []

        class OldSaver(lg.InMemorySaver):
            def put_writes(self, config, writes, task_id):
                calls.append(task_id is not None)
                return super().put_writes(config, writes, task_id)

        graph = _single(lg, lambda s: {"log": ["x"]}, checkpointer=OldSaver())
        out = graph.invoke({"log": []}, cfg())
        graph.update_state(cfg(), {"log": ["edit"]}, as_node="n")
        return {"out": out, "calls": bool(calls), "state": graph.get_state(cfg()).values}

    assert_same(program)


def test_node_finished_hook_sees_nested_nodes():
    def program(lg: Impl) -> list:
        finished: list = []
        inner = _leaf(lg, "inner")
        parent = (
            lg.StateGraph(Log)
            .add_node("first", lambda s: {"log": ["1"]})
            .add_node("sub", inner)
            .add_edge(lg.START, "first")
            .add_edge("first", "sub")
            .compile()
        )
        parent.invoke({"log": []}, {"configurable": {"__pregel_node_finished": finished.append}})
        return finished

    assert_same(program)


def test_task_calls_use_the_cache():
    def program(lg: Impl) -> dict:
        import importlib

        cache_mod = importlib.import_module(lg.graph.__name__.replace(".graph", ".cache.memory"))
        calls: list = []

        @_func_module(lg).task(cache_policy=lg.types.CachePolicy())
        def double(x: int) -> int:
            calls.append(x)
            return 2 * x

        cache = cache_mod.InMemoryCache()

        @lg_entrypoint(lg, checkpointer=lg.InMemorySaver(), cache=cache)
        def workflow(numbers: list) -> list:
            return [double(x).result() for x in numbers]

        first = workflow.invoke([1, 1, 2], cfg("a"))
        second = workflow.invoke([2, 3], cfg("b"))
        double.clear_cache(cache)
        third = workflow.invoke([1], cfg("c"))
        return {"out": [first, second, third], "calls": calls}

    assert_same(program)


def test_send_state_with_an_untracked_value_is_saved_without_it():
    def program(lg: Impl) -> dict:
        class Resource:
            def __init__(self, name: str) -> None:
                self.name = name
                self.lock = __import__("threading").Lock()

        State = TypedDict(  # noqa: UP013 (class syntax would defer `lg` in the annotations)
            "State",
            {
                "log": Annotated[list, operator.add],
                "resource": Annotated[Any, lg.ch.UntrackedValue],
            },
        )

        def tool(state):
            return {"log": [state["resource"].name], "resource": Resource("new")}

        app = (
            lg.StateGraph(State)
            .add_node("setup", lambda s: {"log": ["setup"], "resource": Resource("r")})
            .add_node("tool", tool)
            .add_edge(lg.START, "setup")
            .add_conditional_edges("setup", lambda s: [lg.Send("tool", s)])
            .compile(checkpointer=lg.InMemorySaver())
        )
        out = app.invoke({}, cfg())
        return {"log": out["log"], "resource": out["resource"].name, "state": state_values(app)}

    assert_same(program)


def state_values(app: Any) -> Any:
    return app.get_state(cfg()).values


@pytest.mark.parametrize("with_saver", [False, True])
def test_an_interrupt_shows_the_writes_of_finished_siblings(with_saver):
    def program(lg: Impl) -> dict:
        class State(TypedDict):
            my_key: Annotated[str, operator.add]

        g = lg.StateGraph(State)
        g.add_node("asks", lambda s: {"my_key": lg.types.interrupt("q")})
        g.add_node("sibling", lambda s: {"my_key": " one"})
        g.add_conditional_edges(lg.START, lambda s: ["asks", lg.Send("sibling", s)])
        app = g.compile(checkpointer=lg.InMemorySaver() if with_saver else None)
        config = cfg() if with_saver else None
        out = app.invoke({"my_key": "value"}, config)
        chunks = list(
            app.stream({"my_key": "v"}, cfg("2") if with_saver else None, stream_mode="values")
        )
        return {
            "out": {k: v for k, v in out.items() if k != "__interrupt__"},
            "values": [{k: v for k, v in c.items() if k != "__interrupt__"} for c in chunks],
        }

    assert_same(program)


def test_copy_and_update_in_one_go():
    def program(lg: Impl) -> list:
        class State(TypedDict):
            name: Annotated[str, lambda a, b: f"{a} > {b}" if a else b]

        graph = (
            lg.StateGraph(State)
            .add_node("one", lambda s: lg.Command(goto=[lg.Send("two", {})], update={"name": "1"}))
            .add_node("two", lambda s: {"name": "2"})
            .add_edge(lg.START, "one")
            .add_edge("one", "two")
            .compile(checkpointer=lg.InMemorySaver())
        )
        graph.invoke({"name": "s"}, cfg())
        history = list(graph.get_state_history(cfg()))
        update = lg.types.StateUpdate(values={"name": "s*"}, as_node="__start__")
        graph.invoke(None, graph.update_state(history[-1].config, [update], as_node="__copy__"))
        return [
            (s.metadata["source"], s.values, [(t.name, t.result) for t in s.tasks], s.next)
            for s in graph.get_state_history(cfg())
        ]

    assert_same(program)


def test_parent_command_from_the_second_graph_a_node_runs():
    def program(lg: Impl) -> list:
        class Parent(TypedDict):
            jump_from: int

        class Child(TypedDict):
            jump: bool

        def child_node(state):
            if state["jump"]:
                return lg.Command(graph=lg.Command.PARENT, goto="second")
            return state

        def child() -> Any:
            return (
                lg.StateGraph(Child)
                .add_node("node", child_node)
                .add_edge(lg.START, "node")
                .compile()
            )

        child_0, child_1 = child(), child()

        def first(state):
            child_0.invoke({"jump": state["jump_from"] == 1})
            child_1.invoke({"jump": state["jump_from"] == 2})
            return state

        graph = (
            lg.StateGraph(Parent)
            .add_node("first", first)
            .add_node("second", lambda s: s)
            .add_edge(lg.START, "first")
            .compile()
        )
        return [capture(lambda i=i: graph.invoke({"jump_from": i})) for i in (0, 1, 2)]

    assert_same(program)
