"""Differential tests of time travel against LangGraph 1.2.22: replaying and forking from a
parent checkpoint, from a subgraph's own checkpoint (the config of a subgraph's state) and
from an update_state fork of either; what a subgraph with its own history (checkpointer=True)
loads while its parent replays (its state as of the replay point, then its latest); and the
state methods addressed with a subgraph's config.
"""

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from diff_helpers import Impl, arun, assert_same, capture

pytestmark = pytest.mark.timeout(60)


class V(TypedDict):
    value: Annotated[list[str], operator.add]


class P(TypedDict):
    results: Annotated[list[str], operator.add]


def _history(app: Any, config: dict) -> list:
    return [
        (s.next, s.metadata["source"], s.values, [t.interrupts for t in s.tasks])
        for s in app.get_state_history(config)
    ]


def _saved(saver: Any) -> dict:
    """Every checkpoint per namespace (newest first) with its parent, metadata and writes."""
    out: dict = {}
    for t in saver.list(None):
        conf = t.config["configurable"]
        out.setdefault(conf["checkpoint_ns"], []).append(
            (
                conf["checkpoint_id"],
                (t.parent_config or {}).get("configurable", {}).get("checkpoint_id"),
                t.metadata,
                t.checkpoint["channel_values"].get("value"),
                sorted((w[1:] for w in t.pending_writes or ()), key=lambda w: (w[0], repr(w[1]))),
            )
        )
    # Namespaces hold random task ids: ordered by their first checkpoint (ids are time-ordered).
    rows_by_ns = {ns: sorted(rows, key=lambda r: r[0]) for ns, rows in out.items()}
    return dict(sorted(rows_by_ns.items(), key=lambda item: item[1][0][0]))


def _snapshot(state: Any) -> Any:
    """A StateSnapshot without the saver object LangGraph leaves in a subgraph's config."""
    conf = {k: v for k, v in state.config["configurable"].items() if not k.startswith("__")}
    return state._replace(config={"configurable": conf})


def _asking_subgraph(lg: Impl, called: list, *, own_history: bool = True) -> Any:
    """step_a -> ask (interrupt) -> step_b."""

    def step(name: str):
        def f(state):
            called.append(name)
            return {"value": [name]}

        return f

    def ask(state):
        called.append("ask")
        return {"value": [f"human:{lg.types.interrupt('Provide input:')}"]}

    return (
        lg.StateGraph(V)
        .add_node("step_a", step("step_a"))
        .add_node("ask", ask)
        .add_node("step_b", step("step_b"))
        .add_edge(lg.START, "step_a")
        .add_edge("step_a", "ask")
        .add_edge("ask", "step_b")
        .compile(checkpointer=True if own_history else None)
    )


def _parent_of(lg: Impl, sub: Any, called: list, saver: Any) -> Any:
    def router(state):
        called.append("router")
        return {"value": ["routed"]}

    def post(state):
        called.append("post")
        return {"value": ["post"]}

    return (
        lg.StateGraph(V)
        .add_node("router", router)
        .add_node("sub", sub)
        .add_node("post", post)
        .add_edge(lg.START, "router")
        .add_edge("router", "sub")
        .add_edge("sub", "post")
        .compile(checkpointer=saver)
    )


@pytest.mark.parametrize("own_history", [True, False])
def test_replay_from_parent_checkpoint_reruns_the_subgraph(own_history):
    def program(lg: Impl) -> dict:
        called: list = []
        saver = lg.InMemorySaver()
        app = _parent_of(lg, _asking_subgraph(lg, called, own_history=own_history), called, saver)
        config = {"configurable": {"thread_id": "1"}}
        obs: dict = {"first": app.invoke({"value": []}, config)}
        obs["done"] = app.invoke(lg.Command(resume="old"), config)
        before_sub = next(s for s in app.get_state_history(config) if s.next == ("sub",))
        called.clear()
        obs["replay"] = app.invoke(None, before_sub.config)
        obs["replay_called"] = list(called)
        called.clear()
        obs["resume"] = app.invoke(lg.Command(resume="new"), config)
        obs["resume_called"] = list(called)
        obs["history"] = _history(app, config)
        obs["saved"] = _saved(saver)
        return obs

    assert_same(program)


def test_replay_and_resume_from_a_subgraph_checkpoint():
    def program(lg: Impl) -> dict:
        called: list = []
        saver = lg.InMemorySaver()
        app = _parent_of(lg, _asking_subgraph(lg, called), called, saver)
        config = {"configurable": {"thread_id": "1"}}
        obs: dict = {"first": app.invoke({"value": []}, config)}
        state = app.get_state(config, subgraphs=True)
        obs["state"] = state
        sub_config = state.tasks[0].state.config
        obs["sub_state"] = _snapshot(app.get_state(sub_config))
        obs["sub_history"] = [
            (s.next, s.metadata["source"]) for s in app.get_state_history(sub_config)
        ]
        called.clear()
        obs["replay"] = app.invoke(None, sub_config)
        obs["replay_called"] = list(called)
        called.clear()
        obs["resume"] = app.invoke(lg.Command(resume="again"), sub_config)
        obs["resume_called"] = list(called)
        obs["history"] = _history(app, config)
        obs["saved"] = _saved(saver)
        return obs

    assert_same(program)


def test_fork_a_subgraph_checkpoint_then_resume():
    def program(lg: Impl) -> dict:
        called: list = []
        saver = lg.InMemorySaver()
        app = _parent_of(lg, _asking_subgraph(lg, called), called, saver)
        config = {"configurable": {"thread_id": "1"}}
        obs: dict = {"first": app.invoke({"value": []}, config)}
        sub_config = app.get_state(config, subgraphs=True).tasks[0].state.config
        fork = app.update_state(sub_config, {"value": ["sub_forked"]})
        obs["fork_config"] = fork
        called.clear()
        obs["from_fork"] = app.invoke(None, fork)
        obs["from_fork_called"] = list(called)
        called.clear()
        obs["resume"] = app.invoke(lg.Command(resume="new"), fork)
        obs["resume_called"] = list(called)
        obs["history"] = _history(app, config)
        obs["saved"] = _saved(saver)
        return obs

    assert_same(program)


def test_three_levels_deep_replay_from_the_innermost_checkpoint():
    def program(lg: Impl) -> dict:
        called: list = []
        inner = _asking_subgraph(lg, called)
        middle = lg.StateGraph(V).add_node("inner", inner).add_edge(lg.START, "inner")
        middle = middle.compile(checkpointer=True)
        saver = lg.InMemorySaver()
        app = (
            lg.StateGraph(V)
            .add_node("outer", middle)
            .add_edge(lg.START, "outer")
            .compile(checkpointer=saver)
        )
        config = {"configurable": {"thread_id": "1"}}
        obs: dict = {"first": app.invoke({"value": []}, config)}
        state = app.get_state(config, subgraphs=True)
        inner_config = state.tasks[0].state.tasks[0].state.config
        obs["inner_config"] = inner_config
        obs["done"] = app.invoke(lg.Command(resume="a"), config)
        called.clear()
        obs["replay"] = app.invoke(None, inner_config)
        obs["replay_called"] = list(called)
        called.clear()
        fork = app.update_state(inner_config, {"value": ["forked"]})
        obs["fork"] = app.invoke(None, fork)
        obs["fork_called"] = list(called)
        obs["saved"] = _saved(saver)
        return obs

    assert_same(program)


def _counting_subgraph(lg: Impl, seen: list, name: str = "sub_step") -> Any:
    def sub_step(state):
        seen.append((name, dict(state)))
        return {"value": ["s"]}

    return (
        lg.StateGraph(V)
        .add_node(name, sub_step)
        .add_edge(lg.START, name)
        .compile(checkpointer=True)
    )


@pytest.mark.parametrize("how", ["replay", "fork"])
def test_subgraph_with_own_history_loads_its_state_as_of_the_replay_point(how):
    def program(lg: Impl) -> dict:
        seen: list = []
        saver = lg.InMemorySaver()
        app = (
            lg.StateGraph(P)
            .add_node("a", lambda s: {"results": ["a"]})
            .add_node("b", lambda s: {"results": ["b"]})
            .add_node("sub", _counting_subgraph(lg, seen))
            .add_edge(lg.START, "a")
            .add_edge("a", "b")
            .add_edge("b", "sub")
            .compile(checkpointer=saver)
        )
        config = {"configurable": {"thread_id": "1"}}
        app.invoke({"results": []}, config)
        app.invoke({"results": []}, config)
        target = next(s for s in app.get_state_history(config) if s.next == ("a",)).config
        if how == "fork":
            target = app.update_state(target, {"results": ["forked"]})
        seen.clear()
        obs: dict = {"replay": app.invoke(None, target), "replay_seen": list(seen)}
        seen.clear()
        obs["third"] = app.invoke({"results": []}, config)
        obs["third_seen"] = list(seen)
        obs["saved"] = _saved(saver)
        return obs

    assert_same(program)


def test_subgraph_called_in_a_loop_during_a_replay():
    class Loop(TypedDict):
        counter: int
        results: Annotated[list[str], operator.add]

    def program(lg: Impl) -> dict:
        seen: list = []
        saver = lg.InMemorySaver()
        app = (
            lg.StateGraph(Loop)
            .add_node("inc", lambda s: {"counter": s["counter"] + 1})
            .add_node("sub", _counting_subgraph(lg, seen))
            .add_edge(lg.START, "inc")
            .add_edge("inc", "sub")
            .add_conditional_edges("sub", lambda s: "inc" if s["counter"] < 2 else lg.END)
            .compile(checkpointer=saver)
        )
        config = {"configurable": {"thread_id": "1"}}
        app.invoke({"counter": 0, "results": []}, config)
        app.invoke({"counter": 0, "results": []}, config)
        history = list(app.get_state_history(config))
        obs: dict = {}
        for counter in (0, 1):
            target = next(
                s for s in history if s.next == ("inc",) and s.values["counter"] == counter
            )
            seen.clear()
            obs[f"replay{counter}"] = app.invoke(None, target.config)
            obs[f"seen{counter}"] = list(seen)
        return obs

    assert_same(program)


def test_parallel_and_nested_subgraphs_during_a_replay():
    class Mid(TypedDict):
        mid: Annotated[list[str], operator.add]

    def program(lg: Impl) -> dict:
        seen: list = []

        def mid_step(state):
            seen.append(("mid", dict(state)))
            return {"mid": ["m"]}

        inner = _counting_subgraph(lg, seen, "inner")
        mid = (
            lg.StateGraph(Mid)
            .add_node("mid_step", mid_step)
            .add_node("inner", inner)
            .add_edge(lg.START, "mid_step")
            .add_edge("mid_step", "inner")
            .compile(checkpointer=True)
        )
        saver = lg.InMemorySaver()
        app = (
            lg.StateGraph(P)
            .add_node("p", lambda s: {"results": ["p"]})
            .add_node("mid", mid)
            .add_node("side", _counting_subgraph(lg, seen, "side"))
            .add_edge(lg.START, "p")
            .add_edge("p", "mid")
            .add_edge("p", "side")
            .compile(checkpointer=saver)
        )
        config = {"configurable": {"thread_id": "1"}}
        app.invoke({"results": []}, config)
        app.invoke({"results": []}, config)
        target = next(s for s in app.get_state_history(config) if s.next == ("p",))
        seen.clear()
        obs: dict = {"replay": app.invoke(None, target.config)}
        obs["seen"] = sorted(seen, key=repr)
        seen.clear()
        obs["third"] = app.invoke({"results": []}, config)
        obs["third_seen"] = sorted(seen, key=repr)
        return obs

    assert_same(program)


def test_state_methods_with_an_unknown_subgraph_namespace():
    def program(lg: Impl) -> dict:
        called: list = []
        app = _parent_of(lg, _asking_subgraph(lg, called), called, lg.InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        app.invoke({"value": []}, config)
        stray = {"configurable": {"thread_id": "1", "checkpoint_ns": "nope:123"}}
        return {
            "state": capture(lambda: app.get_state(stray)),
            "update": capture(lambda: app.update_state(stray, {"value": ["x"]})),
        }

    assert_same(program)


def test_async_replay_and_fork_from_a_subgraph_checkpoint():
    def program(lg: Impl) -> dict:
        called: list = []
        saver = lg.InMemorySaver()
        app = _parent_of(lg, _asking_subgraph(lg, called), called, saver)
        config = {"configurable": {"thread_id": "1"}}

        async def go() -> dict:
            obs: dict = {"first": await app.ainvoke({"value": []}, config)}
            state = await app.aget_state(config, subgraphs=True)
            sub_config = state.tasks[0].state.config
            obs["sub_state"] = _snapshot(await app.aget_state(sub_config))
            obs["sub_history"] = [s.next async for s in app.aget_state_history(sub_config)]
            called.clear()
            obs["replay"] = await app.ainvoke(None, sub_config)
            fork = await app.aupdate_state(sub_config, {"value": ["forked"]})
            obs["fork"] = await app.ainvoke(None, fork)
            obs["resume"] = await app.ainvoke(lg.Command(resume="new"), fork)
            obs["called"] = list(called)
            obs["saved"] = _saved(saver)
            return obs

        return arun(go)

    assert_same(program)


# -- resuming: Command writes, durability "exit", retries -----------------------------


class Log(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_each_resume_with_an_update_applies_once(durability):
    def program(lg: Impl) -> dict:
        def ask_three_times(state):
            return {"log": ["a:" + "".join(lg.types.interrupt(str(q)) for q in range(1, 4))]}

        saver = lg.InMemorySaver()
        app = (
            lg.StateGraph(Log)
            .add_node("a", ask_three_times)
            .add_edge(lg.START, "a")
            .compile(checkpointer=saver)
        )
        config = {"configurable": {"thread_id": "1"}}
        obs: dict = {"first": app.invoke({"log": []}, config, durability=durability)}
        for i in range(1, 4):
            command = lg.Command(resume=str(i), update={"log": [f"u{i}"]})
            obs[f"resume{i}"] = app.invoke(command, config, durability=durability)
        obs["state"] = app.get_state(config).values
        obs["saved"] = _saved(saver)
        return obs

    assert_same(program)


def test_answered_parallel_interrupts_apply_once_with_durability_exit():
    def program(lg: Impl) -> dict:
        builder = lg.StateGraph(Log)
        for name in "abc":
            builder.add_node(name, lambda s, n=name: {"log": [f"{n}:{lg.types.interrupt(n)}"]})
            builder.add_edge(lg.START, name)
        app = builder.compile(checkpointer=lg.InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        result = app.invoke({"log": []}, config, durability="exit")
        answered = []
        while pending := result.get("__interrupt__"):
            answered.append(sorted(i.value for i in pending))
            answer = {pending[0].id: "yes"}
            result = app.invoke(lg.Command(resume=answer), config, durability="exit")
        return {"answered": answered, "log": sorted(result["log"])}

    assert_same(program)


def test_a_retried_node_gets_the_same_answer():
    def program(lg: Impl) -> dict:
        failures = [ConnectionError("flaky api")]
        answers: list = []

        def ask(state):
            answers.append(lg.types.interrupt("delete a.txt?"))
            if failures:
                raise failures.pop()
            return {"log": [answers[-1]]}

        app = (
            lg.StateGraph(Log)
            .add_node("ask", ask, retry_policy=lg.RetryPolicy(initial_interval=0, jitter=False))
            .add_edge(lg.START, "ask")
            .compile(checkpointer=lg.InMemorySaver())
        )
        config = {"configurable": {"thread_id": "1", "__pregel_strict_resume": True}}
        app.invoke({"log": []}, config)
        (card,) = app.get_state(config).interrupts
        result = app.invoke(lg.Command(resume={card.id: "yes"}), config)
        return {"result": result, "answers": answers}

    assert_same(program)


# -- checkpoints saved by LangGraph before checkpoint format 3 ------------------------


class Doc(TypedDict, total=False):
    query: str
    answer: str


def _format_1_thread(saver: Any) -> dict:
    """A thread saved by LangGraph < 0.3: rewrite ran (triggered by `start:rewrite`), its
    output channel `rewrite` now triggers qa. Returns the thread's config."""
    config = {"configurable": {"thread_id": "1", "checkpoint_ns": ""}}
    v = [f"{i:032}.0.5" for i in range(5)]
    first = {
        "v": 1,
        "ts": "2025-04-02T19:51:40.525051+00:00",
        "id": "1f00ffbe-5368-6c0a-bfff-ac22bea4c512",
        "channel_values": {"__start__": {"query": "q"}},
        "channel_versions": {"__start__": v[1]},
        "versions_seen": {"__input__": {}},
        "pending_sends": [],
    }
    saved = saver.put(config, first, {"source": "input", "step": -1, "parents": {}}, {})
    second = {
        "v": 1,
        "ts": "2025-04-02T19:51:40.530000+00:00",
        "id": "1f00ffbe-5370-6c0a-8000-ac22bea4c512",
        "channel_values": {"query": "query: q", "rewrite": "rewrite"},
        "channel_versions": {
            "__start__": v[2],
            "query": v[3],
            "start:rewrite": v[2],
            "rewrite": v[3],
        },
        "versions_seen": {
            "__input__": {},
            "__start__": {"__start__": v[1]},
            "rewrite": {"start:rewrite": v[2]},
        },
        "pending_sends": [],
    }
    saver.put(saved, second, {"source": "loop", "step": 0, "parents": {}}, {})
    return config


def test_a_format_1_checkpoint_is_migrated_on_load():
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = (
            lg.StateGraph(Doc)
            .add_node("rewrite", lambda s: {"query": f"query: {s['query']}"})
            .add_node("qa", lambda s: {"answer": s["query"].upper()})
            .add_edge(lg.START, "rewrite")
            .add_edge("rewrite", "qa")
            .compile(checkpointer=saver)
        )
        config = _format_1_thread(saver)
        obs: dict = {"history": list(app.get_state_history(config))}
        obs["resumed"] = app.invoke(None, config)
        obs["state"] = app.get_state(config)
        return obs

    assert_same(program)


def test_a_root_given_a_namespace_keeps_it_in_task_metadata():
    def program(lg: Impl) -> dict:
        seen: list = []

        def node(state):
            metadata = lg.get_config()["metadata"]
            conf = lg.get_config()["configurable"]
            seen.append(
                (
                    {k: metadata.get(k) for k in ("checkpoint_ns", "checkpoint_id", "thread_id")},
                    conf.get("checkpoint_ns"),
                )
            )
            return {"log": ["n"]}

        app = lg.StateGraph(Log).add_node("n", node).add_edge(lg.START, "n").compile()
        config = {"configurable": {"thread_id": "t", "checkpoint_ns": "x", "checkpoint_id": "c"}}
        return {"result": app.invoke({"log": []}, config), "seen": seen}

    assert_same(program)
