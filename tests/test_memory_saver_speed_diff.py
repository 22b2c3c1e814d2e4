"""InMemorySaver's cheaper step (issue 16): what a user sees is still LangGraph's.

The saver keeps immutable scalars and short number lists as they are, growing lists as
what each version appended, and metadata handed over by the engine; add_messages reuses
the id positions of the list it returned last. These run the same graphs on langgraph
and langgraph_jit with their InMemorySaver and compare outputs, get_state,
get_state_history, the saver's checkpoints and writes, and that values mutated after a
put or after a read never reach what is stored.
"""

import operator
import uuid
from datetime import datetime
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage
from tests.diff_helpers import IMPLS, JIT, LG, Impl, assert_same, capture
from typing_extensions import TypedDict

import langgraph_jit.checkpoint.memory as jit_memory
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer


def cfg(thread: str = "t", **configurable: Any) -> dict:
    return {"configurable": {"thread_id": thread, **configurable}}


def saver_view(saver: Any, thread: str = "t") -> list:
    """Every checkpoint of a thread as the saver's list() gives it (newest first)."""
    return [
        {
            "config": t.config,
            "parent": t.parent_config,
            "checkpoint": t.checkpoint,
            "metadata": t.metadata,
            "writes": t.pending_writes,
        }
        for t in saver.list(cfg(thread))
    ]


def history(app: Any, config: dict) -> list:
    return [
        {
            "values": s.values,
            "next": s.next,
            "metadata": s.metadata,
            "config": s.config,
            "parent": s.parent_config,
            "tasks": [(t.name, t.result) for t in s.tasks],
        }
        for s in app.get_state_history(config)
    ]


# -- a low-level chain (the chain-100 workload, smaller) --------------------------------


def pregel_chain(lg: Impl, n: int, saver: Any) -> Any:
    nodes = {
        f"n{i}": lg.NodeBuilder().subscribe_only(f"c{i}").do(lambda x: x + 1).write_to(f"c{i + 1}")
        for i in range(n)
    }
    return lg.Pregel(
        nodes=nodes,
        channels={f"c{i}": lg.ch.LastValue(int) for i in range(n + 1)},
        input_channels="c0",
        output_channels=f"c{n}",
        checkpointer=saver,
    )


def test_chain_checkpoints_match() -> None:
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = pregel_chain(lg, 6, saver)
        out = [app.invoke(1, cfg()), app.invoke(10, cfg())]
        return {
            "out": out,
            "state": app.get_state(cfg()),
            "history": history(app, cfg()),
            "saved": saver_view(saver),
            "latest": saver.get_tuple(cfg()),
        }

    assert_same(program)


def test_chain_ids_ts_and_versions_ordered() -> None:
    for lg in IMPLS:
        saver = lg.InMemorySaver()
        app = pregel_chain(lg, 8, saver)
        app.invoke(1, cfg())
        app.invoke(2, cfg())
        tuples = list(saver.list(cfg()))
        ids = [t.checkpoint["id"] for t in tuples]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids), lg
        for t in tuples:
            parsed = uuid.UUID(t.checkpoint["id"])
            assert parsed.version == 6 and str(parsed) == t.checkpoint["id"]
            # the step is the clock sequence (-1 -> 0x3fff)
            assert parsed.clock_seq == t.metadata["step"] & 0x3FFF
            assert datetime.fromisoformat(t.checkpoint["ts"]).tzinfo is not None
        stamps = [datetime.fromisoformat(t.checkpoint["ts"]) for t in tuples]
        assert stamps == sorted(stamps, reverse=True), lg
        versions = [v for t in tuples for v in t.checkpoint["channel_versions"].values()]
        assert all(isinstance(v, str) and len(v.split(".", 1)[0]) == 32 for v in versions)


def test_ts_text_is_isoformat() -> None:
    from langgraph_jit.pregel._core import checkpoint_state

    for _ in range(200):
        text = checkpoint_state._iso_now()
        parsed = datetime.fromisoformat(text)
        assert parsed.isoformat() == text


# -- scalars, number lists, strings, metadata ------------------------------------------


class Scalars(TypedDict, total=False):
    i: int
    f: float
    b: bool
    s: str
    u: str
    nums: Annotated[list, operator.add]
    mixed: list
    none: Any


def scalar_graph(lg: Impl, saver: Any) -> Any:
    def step(state: dict) -> dict:
        k = state.get("i", 0)
        return {
            "i": k + 1,
            "f": k / 3,
            "b": k % 2 == 0,
            "s": f"s{k}",
            "u": f"ü{k}",
            "nums": [k, k + 0.5, True],
            "mixed": [k, "x", None, {"k": k}],
            "none": None,
        }

    def route(state: dict) -> str:
        return lg.END if state["i"] >= 4 else "step"

    builder = lg.StateGraph(Scalars)
    builder.add_node("step", step)
    builder.add_edge(lg.START, "step")
    builder.add_conditional_edges("step", route)
    return builder.compile(checkpointer=saver)


def test_scalars_and_number_lists_match() -> None:
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = scalar_graph(lg, saver)
        out = app.invoke({"i": 0, "nums": [2**63 - 1, -(2**63)]}, cfg())
        values = app.get_state(cfg()).values
        return {
            "out": out,
            "types": {k: type(v).__name__ for k, v in values.items()},
            "num_types": [type(x).__name__ for x in values["nums"]],
            "history": history(app, cfg()),
            "saved": saver_view(saver),
        }

    assert_same(program)


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, [1, 2**70], [1.5, 2**70], "\ud800"])
def test_values_the_serializer_refuses_fail_alike(value: Any) -> None:
    class State(TypedDict):
        v: Any

    def program(lg: Impl) -> dict:
        builder = lg.StateGraph(State)
        builder.add_node("a", lambda s: {"v": value})
        builder.add_edge(lg.START, "a")
        app = builder.compile(checkpointer=lg.InMemorySaver())
        result = capture(lambda: app.invoke({"v": 0}, cfg()))
        raised = result.get("raised")
        return {"raised": raised is not None}

    assert_same(program)


def test_metadata_takes_config_entries() -> None:
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = pregel_chain(lg, 2, saver)
        config = {
            "configurable": {"thread_id": "t", "user": "u1", "n": 3, "flag": True, "obj": [1]},
            "metadata": {"m": "x\x00y", "source": "ignored", "nested": {"a": 1}},
        }
        app.invoke(1, config)
        return {"metadata": [t.metadata for t in saver.list(None)]}

    assert_same(program)


def test_subgraph_parents_in_metadata() -> None:
    class State(TypedDict):
        x: Annotated[list, operator.add]

    def program(lg: Impl) -> dict:
        child = lg.StateGraph(State)
        child.add_node("c", lambda s: {"x": ["c"]})
        child.add_edge(lg.START, "c")
        parent = lg.StateGraph(State)
        parent.add_node("p", child.compile(checkpointer=True))
        parent.add_edge(lg.START, "p")
        saver = lg.InMemorySaver()
        app = parent.compile(checkpointer=saver)
        app.invoke({"x": []}, cfg())
        return {
            "all": sorted(
                (t.config["configurable"]["checkpoint_ns"].split(":")[0], t.metadata["step"])
                for t in saver.list(None)
            ),
            "parents": [bool(t.metadata["parents"]) for t in saver.list(None)],
        }

    assert_same(program)


# -- message threads: appended pieces and add_messages positions -------------------------


def agent_graph(lg: Impl, saver: Any, turns: int, reply_size: int = 300) -> Any:
    add_messages = lg.graph.add_messages

    class State(TypedDict):
        messages: Annotated[list, add_messages]

    def agent(state: dict) -> dict:
        k = len(state["messages"]) // 2
        if k == 5:
            # replace an earlier message in place of the list (same id), and delete one
            return {
                "messages": [
                    AIMessage(content="rewritten", id="ai1"),
                    RemoveMessage(id="tool2"),
                    AIMessage(content="x" * reply_size, id=f"ai{k}", tool_calls=_call(k)),
                ]
            }
        if k < turns - 1:
            return {
                "messages": [AIMessage(content="x" * reply_size, id=f"ai{k}", tool_calls=_call(k))]
            }
        return {"messages": [AIMessage(content="done", id=f"ai{k}")]}

    def tools(state: dict) -> dict:
        call = state["messages"][-1].tool_calls[0]
        return {
            "messages": [
                ToolMessage(
                    content="y" * 50, tool_call_id=call["id"], id=f"tool{call['args']['k']}"
                )
            ]
        }

    def route(state: dict) -> str:
        return "tools" if state["messages"][-1].tool_calls else lg.END

    builder = lg.StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("tools", tools)
    builder.add_edge(lg.START, "agent")
    builder.add_conditional_edges("agent", route, ["tools", lg.END])
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=saver)


def _call(k: int) -> list:
    return [{"name": "t", "args": {"k": k}, "id": f"call{k}"}]


@pytest.mark.parametrize("turns", [3, 45])
def test_message_thread_matches(turns: int) -> None:
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = agent_graph(lg, saver, turns)
        config = {**cfg(), "recursion_limit": 4 * turns + 10}
        out = app.invoke({"messages": [HumanMessage(content="go", id="h0")]}, config)
        # a second invoke on the same thread continues the list
        out2 = app.invoke({"messages": [HumanMessage(content="again", id="h1")]}, config)
        return {
            "out": [m.id for m in out["messages"]],
            "out2": out2,
            "history": history(app, cfg()),
            "saved": [
                (t.checkpoint["channel_values"], t.pending_writes) for t in saver.list(cfg())
            ],
        }

    assert_same(program)


def test_message_list_stored_as_pieces_reads_back_whole() -> None:
    saver = JIT.InMemorySaver()
    app = agent_graph(JIT, saver, 45)
    app.invoke(
        {"messages": [HumanMessage(content="go", id="h0")]}, {**cfg(), "recursion_limit": 200}
    )
    tags = {blob[0] for key, blob in saver.blobs.items() if key[2] == "messages"}
    assert jit_memory._APPENDED in tags  # the optimisation is in use
    for t in saver.list(cfg()):
        messages = t.checkpoint["channel_values"].get("messages", [])
        assert [m.id for m in messages] == sorted(
            {m.id for m in messages}, key=[m.id for m in messages].index
        )
        # each read is the caller's own list
        messages.append("junk")
        again = saver.get_tuple(t.config).checkpoint["channel_values"].get("messages", [])
        assert "junk" not in again


def test_node_mutating_message_state_in_place() -> None:
    def program(lg: Impl) -> dict:
        add_messages = lg.graph.add_messages

        class State(TypedDict):
            messages: Annotated[list, add_messages]

        def first(state: dict) -> dict:
            return {"messages": [AIMessage(content="a", id="a")]}

        def mutate(state: dict) -> dict:
            # in place: the list add_messages returned is changed before the next merge
            state["messages"][0] = AIMessage(content="swapped", id="s")
            state["messages"].append(AIMessage(content="tail", id="tail"))
            return {
                "messages": [AIMessage(content="again", id="a"), AIMessage(content="n", id="n")]
            }

        builder = lg.StateGraph(State)
        builder.add_node("first", first)
        builder.add_node("mutate", mutate)
        builder.add_edge(lg.START, "first")
        builder.add_edge("first", "mutate")
        app = builder.compile(checkpointer=lg.InMemorySaver())
        out = app.invoke({"messages": [HumanMessage(content="h", id="h")]}, cfg())
        return {"out": [(m.id, m.content) for m in out["messages"]]}

    assert_same(program)


def test_add_messages_reused_positions_match_fresh_merge() -> None:
    from langgraph.graph.message import add_messages as lg_add

    from langgraph_jit.graph.message import add_messages as jit_add

    lg_list: list = [HumanMessage(content="h", id="h")]
    jit_list: list = [HumanMessage(content="h", id="h")]
    for k in range(30):
        right: list = [AIMessage(content=f"a{k}", id=f"a{k}")]
        if k % 7 == 3:
            right.append(AIMessage(content=f"re{k}", id=f"a{k - 2}"))
        if k % 11 == 5:
            right.append(RemoveMessage(id=f"a{k - 1}"))
        if k % 13 == 6:
            right.append(AIMessage(content="no id"))
        lg_list = lg_add(lg_list, [m.model_copy() for m in right])
        jit_list = jit_add(jit_list, [m.model_copy() for m in right])
        assert [m.content for m in jit_list] == [m.content for m in lg_list]
        assert len({m.id for m in jit_list}) == len(jit_list)


# -- isolation: what is stored never changes ---------------------------------------------


class Isolated(TypedDict):
    items: Annotated[list, operator.add]
    doc: dict
    n: int


def isolated_graph(lg: Impl, saver: Any) -> Any:
    def step(state: dict) -> dict:
        n = state["n"] + 1
        return {"items": [n, {"k": n}], "doc": {"n": n, "tags": ["a"] * n}, "n": n}

    def route(state: dict) -> str:
        return lg.END if state["n"] >= 3 else "step"

    builder = lg.StateGraph(Isolated)
    builder.add_node("step", step)
    builder.add_edge(lg.START, "step")
    builder.add_conditional_edges("step", route)
    return builder.compile(checkpointer=saver)


def test_mutation_after_put_and_after_read_is_isolated() -> None:
    def program(lg: Impl) -> dict:
        saver = lg.InMemorySaver()
        app = isolated_graph(lg, saver)
        out = app.invoke({"items": [0], "doc": {}, "n": 0}, cfg())
        before = saver_view(saver)
        # mutate the output and everything a read returned
        out["items"].append("out")
        out["doc"]["tags"].append("out")
        for t in saver.list(cfg()):
            t.checkpoint["channel_values"].setdefault("items", []).append("read")
            t.checkpoint["channel_versions"]["x"] = "y"
            for seen in t.checkpoint["versions_seen"].values():
                seen["x"] = "y"
            t.metadata["parents"]["x"] = "y"
            t.metadata["step"] = 99
            for w in t.pending_writes:
                if isinstance(w[2], list):
                    w[2].append("read")
        state = app.get_state(cfg())
        state.values["items"].append("state")
        after = saver_view(saver)
        return {"same": before == after, "after": after, "state": app.get_state(cfg()).values}

    result = assert_same(program)
    assert result["same"] is True


def test_node_mutating_its_input_after_returning() -> None:
    """A node keeps a reference to the list it returned and mutates it in the next
    step: the earlier checkpoint keeps the earlier content (as LangGraph's with
    durability "sync"; with "async" its background put races the next step)."""

    def program(lg: Impl) -> dict:
        kept: list = []

        class State(TypedDict):
            box: list
            n: int

        def step(state: dict) -> dict:
            if kept:
                kept[0].append("later")
            box = [state["n"]]
            kept[:] = [box]
            return {"box": box, "n": state["n"] + 1}

        builder = lg.StateGraph(State)
        builder.add_node("step", step)
        builder.add_edge(lg.START, "step")
        builder.add_conditional_edges("step", lambda s: lg.END if s["n"] >= 3 else "step")
        saver = lg.InMemorySaver()
        app = builder.compile(checkpointer=saver)
        app.invoke({"box": [], "n": 0}, cfg(), durability="sync")
        return {"boxes": [t.checkpoint["channel_values"].get("box") for t in saver.list(cfg())]}

    assert_same(program)


# -- a serializer of the user's own sees every value -------------------------------------


def test_custom_serializer_sees_every_value() -> None:
    seen: list = []

    class Spy(JsonPlusSerializer):
        def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
            seen.append(obj)
            return super().dumps_typed(obj)

    saver = JIT.InMemorySaver(serde=Spy())
    app = pregel_chain(JIT, 3, saver)
    assert app.invoke(1, cfg()) == 4
    assert {1, 2, 3, 4} <= {x for x in seen if type(x) is int}
    assert any(isinstance(x, dict) and x.get("source") == "loop" for x in seen)  # metadata
    assert app.get_state(cfg()).values == {f"c{i}": i + 1 for i in range(4)}
    assert not any(blob[0] == jit_memory._VALUE for blob in saver.blobs.values())


def test_lg_and_jit_savers_are_the_ones_compared() -> None:
    assert LG.InMemorySaver is not JIT.InMemorySaver


def test_add_messages_from_one_list_in_several_ways_matches() -> None:
    """Lists merged from the same list (a conditional edge's view, then the commit;
    forks) share its id positions: every merge still equals LangGraph's."""
    import random

    from langgraph.graph.message import add_messages as lg_add

    from langgraph_jit.graph.message import add_messages as jit_add

    rng = random.Random(7)
    for trial in range(120):
        lists_lg = [lg_add([], [HumanMessage(content="h", id="h")])]
        lists_jit = [jit_add([], [HumanMessage(content="h", id="h")])]
        for step in range(10):
            i = rng.randrange(len(lists_lg))
            ids = [m.id for m in lists_lg[i]]
            right: list = []
            for _ in range(rng.randint(1, 3)):
                r = rng.random()
                if r < 0.5:
                    right.append(AIMessage(content=f"n{trial}.{step}", id=f"x{rng.randrange(20)}"))
                elif r < 0.8:
                    right.append(AIMessage(content=f"re{step}", id=rng.choice(ids)))
                elif len(ids) > 1:
                    right.append(RemoveMessage(id=rng.choice(ids[1:])))
            lg_left, jit_left, batch = lists_lg[i], lists_jit[i], right
            lg_out = capture(lambda: lg_add(lg_left, [m.model_copy() for m in batch]))  # noqa: B023
            jit_out = capture(lambda: jit_add(jit_left, [m.model_copy() for m in batch]))  # noqa: B023
            if "raised" in lg_out:
                assert "raised" in jit_out
                continue
            assert [(m.id, m.content) for m in jit_out["ok"]] == [
                (m.id, m.content) for m in lg_out["ok"]
            ]
            lists_lg.append(lg_out["ok"])
            lists_jit.append(jit_out["ok"])
