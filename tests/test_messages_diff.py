"""Differential tests for messages: `add_messages`, `MessagesState`, `MessageGraph`,
`push_message` and the `messages` stream mode, against real LangGraph 1.2.22.

Chat models are langchain_core's fake ones (no network). Message ids, run ids and
task ids are random on both sides and are compared by order of first appearance.
"""

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import warnings
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core")

import langgraph.graph.message as lg_message
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)
from pydantic import BaseModel
from tests.diff_helpers import IMPLS, JIT, LG, IdMap, capture, diff_text, normalise
from typing_extensions import TypedDict

import langgraph_jit.graph.message as jit_message

MSG = {"lg": lg_message, "jit": jit_message}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def same(observe):
    """Run `observe(impl)` on both implementations; assert equal after normalising."""
    got = {impl.name: normalise(observe(impl), IdMap()) for impl in IMPLS}
    assert got["lg"] == got["jit"], diff_text(got["lg"], got["jit"])
    return got["jit"]


def messages_of(impl):
    return MSG[impl.name]


# ---------------------------------------------------------------------------
# add_messages


ADD_CASES = {
    "append": lambda: ([HumanMessage("a", id="1")], [AIMessage("b", id="2")]),
    "single_right": lambda: ([HumanMessage("a", id="1")], AIMessage("b", id="2")),
    "single_both": lambda: (HumanMessage("a", id="1"), AIMessage("b", id="2")),
    "replace_in_place": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")],
        [AIMessage("B", id="2"), HumanMessage("d", id="4")],
    ),
    "missing_ids": lambda: ([HumanMessage("a")], [AIMessage("b"), AIMessage("c")]),
    "tuples_strings_dicts": lambda: (
        [("user", "hi"), "plain string"],
        [
            ("ai", "hello"),
            {"role": "assistant", "content": "x", "id": "d1"},
            {"role": "user", "content": "y"},
            {"type": "system", "content": "sys"},
            ("human", "h"),
            ("system", "s"),
        ],
    ),
    "openai_tool_calls": lambda: (
        [],
        [
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"a": 1}'},
                    }
                ],
            },
            {"role": "tool", "content": "42", "tool_call_id": "c1"},
        ],
    ),
    "remove": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")],
        [RemoveMessage(id="2")],
    ),
    "remove_then_readd": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [RemoveMessage(id="2"), AIMessage("again", id="2")],
    ),
    "remove_unknown": lambda: ([HumanMessage("a", id="1")], [RemoveMessage(id="nope")]),
    "remove_new_in_same_update": lambda: ([], [AIMessage("x", id="n"), RemoveMessage(id="n")]),
    "remove_all": lambda: (
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        [
            HumanMessage("before", id="3"),
            RemoveMessage(id="__remove_all__"),
            AIMessage("after", id="4"),
        ],
    ),
    "remove_all_twice": lambda: (
        [HumanMessage("a", id="1")],
        [
            RemoveMessage(id="__remove_all__"),
            AIMessage("x"),
            RemoveMessage(id="__remove_all__"),
            AIMessage("y", id="y"),
        ],
    ),
    "chunks": lambda: (
        [AIMessageChunk("partial", id="c")],
        [AIMessageChunk("more", id="c2"), AIMessage("done", id="c")],
    ),
    "dup_ids_in_right": lambda: ([], [AIMessage("x", id="d"), AIMessage("y", id="d")]),
    "empty": lambda: ([], []),
    "tool_message": lambda: ([], [ToolMessage("out", tool_call_id="t1", id="tm")]),
    "bad_item": lambda: ([], [42]),
}


@pytest.mark.parametrize("case", sorted(ADD_CASES))
def test_add_messages(case):
    def observe(impl):
        left, right = ADD_CASES[case]()
        return capture(lambda: messages_of(impl).add_messages(left, right))

    same(observe)


@pytest.mark.parametrize("case", ["tuples_strings_dicts", "openai_tool_calls", "replace_in_place"])
def test_add_messages_openai_format(case):
    def observe(impl):
        left, right = ADD_CASES[case]()
        return capture(
            lambda: messages_of(impl).add_messages(left, right, format="langchain-openai")
        )

    same(observe)


def test_add_messages_call_forms():
    def observe(impl):
        add = messages_of(impl).add_messages
        bound = add(format="langchain-openai")
        return {
            "bound": capture(lambda: bound([("user", "a")], [("ai", "b")])),
            "only_left": capture(lambda: add([HumanMessage("a")], None)),
            "only_right": capture(lambda: add(None, [HumanMessage("a")])),
            "empty_left": capture(lambda: add([], None)),
            "bad_format": capture(lambda: add([], [], format="nope")),
            "remove_all_const": messages_of(impl).REMOVE_ALL_MESSAGES,
        }

    same(observe)


def test_add_messages_fills_ids_in_place():
    # LangGraph gives message objects their ids in place (no copies).
    for impl in IMPLS:
        left, right = [HumanMessage("a")], [AIMessage("b")]
        out = messages_of(impl).add_messages(left, right)
        assert out[0] is left[0] and out[1] is right[0]
        assert left[0].id and right[0].id


def test_message_graph_and_state():
    def observe(impl):
        mod = messages_of(impl)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mg = mod.MessageGraph()
        mg.add_node("bot", lambda msgs: AIMessage(f"seen {len(msgs)}", id="r"))
        mg.add_edge(impl.START, "bot")
        app = mg.compile()
        return {
            # langgraph_jit.warnings (LangGraphDeprecatedSinceV10) is not written yet:
            # compare the kind of warning and the message up to LangGraph's suffix.
            "warning": [
                (
                    issubclass(w.category, DeprecationWarning),
                    str(w.message).split(" Deprecated in")[0],
                )
                for w in caught
            ],
            "invoke": capture(lambda: app.invoke([("user", "hi")])),
            "stream": capture(
                lambda: list(
                    app.stream([HumanMessage("x", id="h")], stream_mode=["updates", "messages"])
                )
            ),
            "hints": sorted(mod.MessagesState.__annotations__),
        }

    same(observe)


# ---------------------------------------------------------------------------
# A chatbot loop and the `messages` stream mode

REPLIES = ["Hello there, human!", "Still here.", "Goodbye now."]


def chatbot_app(impl, model_factory=None, *, turns=3, checkpointer=None):
    g = impl.graph
    model = (
        model_factory
        or (lambda: GenericFakeChatModel(messages=iter(AIMessage(r) for r in REPLIES)))
    )()

    def chatbot(state):
        return {"messages": [model.invoke(state["messages"])]}

    def user(state):
        n = sum(isinstance(m, AIMessage) for m in state["messages"])
        return {"messages": [HumanMessage(f"tell me more ({n})", id=f"u{n}")]}

    def route(state):
        n = sum(isinstance(m, AIMessage) for m in state["messages"])
        return "user" if n < turns else g.END

    builder = g.StateGraph(g.MessagesState)
    builder.add_node("chatbot", chatbot)
    builder.add_node("user", user)
    builder.add_edge(g.START, "chatbot")
    builder.add_conditional_edges("chatbot", route, ["user", g.END])
    builder.add_edge("user", "chatbot")
    return builder.compile(checkpointer=checkpointer)


INPUT = {"messages": [("user", "hi")]}


@pytest.mark.parametrize(
    "mode",
    [
        "messages",
        "updates",
        "values",
        ["messages", "updates"],
        ["values", "messages", "updates", "custom"],
    ],
    ids=str,
)
def test_chatbot_stream(mode):
    same(lambda impl: capture(lambda: list(chatbot_app(impl).stream(INPUT, stream_mode=mode))))


def test_chatbot_invoke():
    same(lambda impl: capture(lambda: chatbot_app(impl).invoke(INPUT)))


def test_chatbot_invoke_messages_mode():
    same(lambda impl: capture(lambda: chatbot_app(impl).invoke(INPUT, stream_mode="messages")))


def test_chatbot_config_tags_metadata():
    cfg = {"tags": ["t1"], "metadata": {"user_key": 1}, "run_name": "mine"}
    same(
        lambda impl: capture(
            lambda: list(chatbot_app(impl).stream(INPUT, cfg, stream_mode="messages"))
        )
    )


def test_chatbot_with_checkpointer():
    def observe(impl):
        app = chatbot_app(impl, checkpointer=impl.InMemorySaver(), turns=1)
        cfg = {"configurable": {"thread_id": "th"}}
        first = list(app.stream(INPUT, cfg, stream_mode=["messages", "updates"]))
        again = list(app.stream({"messages": [("user", "more")]}, cfg, stream_mode="messages"))
        return {"first": first, "again": again}

    # Each turn builds a new model, so the second run replies from the start.
    same(observe)


def test_chatbot_async():
    async def go(impl):
        app = chatbot_app(impl)
        return [c async for c in app.astream(INPUT, stream_mode=["messages", "updates"])]

    same(lambda impl: capture(lambda: asyncio.run(go(impl))))


def test_fake_list_model_streams_characters():
    same(
        lambda impl: capture(
            lambda: list(
                chatbot_app(
                    impl, lambda: FakeListChatModel(responses=["ab c", "de"]), turns=2
                ).stream(INPUT, stream_mode="messages")
            )
        )
    )


def _single_node_app(impl, node, schema=None):
    g = impl.graph
    builder = g.StateGraph(schema or g.MessagesState)
    builder.add_node("node", node)
    builder.add_edge(g.START, "node")
    return builder.compile()


def _model():
    return GenericFakeChatModel(messages=iter([AIMessage("one two"), AIMessage("three four")]))


def node_variants():
    def nostream(impl):
        model = _model().with_config(tags=["nostream"])
        return lambda state: {"messages": [model.invoke(state["messages"])]}

    def model_tags(impl):
        model = _model().with_config(tags=["mine", "seq:step:3"], metadata={"mk": "v"})
        return lambda state: {"messages": [model.invoke(state["messages"])]}

    def model_stream(impl):
        model = _model()

        def node(state):
            full = None
            for chunk in model.stream(state["messages"]):
                full = chunk if full is None else full + chunk
            return {"messages": [full]}

        return node

    def two_calls(impl):
        model = _model()
        return lambda state: {"messages": [model.invoke(state["messages"]), model.invoke("again")]}

    def built_messages(impl):
        # No model: the node's new messages are sent whole; input ones are not.
        return lambda state: {
            "messages": [*state["messages"], AIMessage("made", id="made"), AIMessage("no id")]
        }

    def command(impl):
        def node(state):
            return impl.Command(
                update={"messages": [AIMessage("via command", id="cmd")]}, goto=impl.END
            )

        return node

    def command_list(impl):
        return lambda state: [
            impl.Command(update={"messages": [AIMessage("c1", id="c1")]}),
            impl.Command(update={"messages": [AIMessage("c2", id="c2")]}),
        ]

    def single_message(impl):
        return lambda state: {"messages": AIMessage("lone", id="lone")}

    def tuples_not_sent(impl):
        # Messages written as tuples/dicts are not message objects yet: not sent.
        return lambda state: {
            "messages": [("ai", "tuple"), {"role": "assistant", "content": "dict"}]
        }

    def nothing(impl):
        return lambda state: None

    def push(impl):
        def node(state):
            messages_of(impl).push_message(AIMessage("pushed", id="p1"))
            messages_of(impl).push_message(AIMessage("not stored", id="p2"), state_key=None)
            return {"messages": [AIMessage("returned", id="p1")]}

        return node

    def push_no_id(impl):
        def node(state):
            messages_of(impl).push_message(("ai", "x"))

        return node

    def model_error(impl):
        model = GenericFakeChatModel(messages=iter([]))

        def node(state):
            with contextlib.suppress(Exception):
                model.invoke(state["messages"])
            return {"messages": [AIMessage("after error", id="ae")]}

        return node

    return {
        f.__name__: f
        for f in (
            nostream,
            model_tags,
            model_stream,
            two_calls,
            built_messages,
            command,
            command_list,
            single_message,
            tuples_not_sent,
            nothing,
            push,
            push_no_id,
            model_error,
        )
    }


NODES = node_variants()


@pytest.mark.parametrize("variant", sorted(NODES))
@pytest.mark.parametrize("mode", ["messages", ["messages", "updates", "values"]], ids=str)
def test_node_variants(variant, mode):
    def observe(impl):
        app = _single_node_app(impl, NODES[variant](impl))
        return capture(
            lambda: list(app.stream({"messages": [HumanMessage("hi", id="in")]}, stream_mode=mode))
        )

    same(observe)


def test_pydantic_state():
    def observe(impl):
        class State(BaseModel):
            messages: Annotated[list, messages_of(impl).add_messages]
            note: str = ""

        model = _model()
        app = _single_node_app(
            impl, lambda s: {"messages": [model.invoke(s.messages)], "note": "x"}, State
        )
        return capture(
            lambda: list(
                app.stream({"messages": [("user", "hi")]}, stream_mode=["messages", "values"])
            )
        )

    same(observe)


def test_custom_key_and_other_state():
    def observe(impl):
        class State(TypedDict):
            history: Annotated[list, messages_of(impl).add_messages]
            last: Any

        def node(state):
            msg = AIMessage("in a plain key", id="plain")
            return {"history": [AIMessage("h", id="h")], "last": msg}

        app = _single_node_app(impl, node, State)
        return capture(lambda: list(app.stream({"history": []}, stream_mode="messages")))

    same(observe)


def test_parallel_nodes():
    # Tokens of parallel tasks interleave as the tasks run: compare per node.
    def observe(impl):
        g = impl.graph
        models = {
            name: GenericFakeChatModel(messages=iter([AIMessage(f"{name} says hi")] * 2))
            for name in "abc"
        }

        def make(name):
            return lambda state: {"messages": [models[name].invoke(state["messages"])]}

        builder = g.StateGraph(g.MessagesState)
        for name in "abc":
            builder.add_node(name, make(name))
            builder.add_edge(g.START, name)
        builder.add_node(
            "join", lambda s: {"messages": [AIMessage(f"{len(s['messages'])} messages", id="j")]}
        )
        builder.add_edge(list("abc"), "join")
        app = builder.compile()
        chunks = list(app.stream(INPUT, stream_mode="messages"))
        by_node: dict = {}
        for msg, meta in chunks:
            by_node.setdefault(meta["langgraph_node"], []).append(
                (msg.content, meta["langgraph_step"])
            )
        return {
            "by_node": by_node,
            "final": sorted(m.content for m in app.invoke(INPUT)["messages"]),
        }

    same(observe)


def test_send_fanout_messages():
    def observe(impl):
        g = impl.graph

        class State(TypedDict):
            messages: Annotated[list, messages_of(impl).add_messages]
            topics: list

        def fan(state):
            return [impl.Send("write", {"topic": t}) for t in state["topics"]]

        def write(arg):
            return {"messages": [AIMessage(f"about {arg['topic']}", id=arg["topic"])]}

        builder = g.StateGraph(State)
        builder.add_node("write", write)
        builder.add_conditional_edges(g.START, fan, ["write"])
        app = builder.compile()
        chunks = list(app.stream({"topics": ["x", "y"], "messages": []}, stream_mode="messages"))
        return sorted(
            (m.content, meta["langgraph_path"][0], meta["langgraph_node"]) for m, meta in chunks
        )

    same(observe)


@pytest.mark.parametrize("subgraphs", [False, True])
def test_subgraph_node(subgraphs):
    def observe(impl):
        g = impl.graph
        model = _model()
        inner = g.StateGraph(g.MessagesState)
        inner.add_node("think", lambda s: {"messages": [model.invoke(s["messages"])]})
        inner.add_node("note", lambda s: {"messages": [AIMessage("inner note", id="note")]})
        inner.add_edge(g.START, "think")
        inner.add_edge("think", "note")
        outer = g.StateGraph(g.MessagesState)
        outer.add_node("sub", inner.compile())
        outer.add_node("after", lambda s: {"messages": [AIMessage("outer", id="outer")]})
        outer.add_edge(g.START, "sub")
        outer.add_edge("sub", "after")
        app = outer.compile()
        return capture(lambda: list(app.stream(INPUT, stream_mode="messages", subgraphs=subgraphs)))

    same(observe)


def _child_graph(impl, model):
    g = impl.graph
    inner = g.StateGraph(g.MessagesState)
    inner.add_node("think", lambda s: {"messages": [model.invoke(s["messages"])]})
    inner.add_edge(g.START, "think")
    return inner.compile()


@pytest.mark.parametrize("subgraphs", [False, True])
def test_graph_invoked_inside_node(subgraphs):
    def observe(impl):
        g = impl.graph
        child = _child_graph(impl, _model())
        b = g.StateGraph(g.MessagesState)
        b.add_node("node", lambda s: {"messages": child.invoke(s)["messages"]})
        b.add_edge(g.START, "node")
        app = b.compile()
        return capture(
            lambda: list(
                app.stream(INPUT, stream_mode=["messages", "updates"], subgraphs=subgraphs)
            )
        )

    same(observe)


@pytest.mark.parametrize("outer_mode", ["updates", ["messages", "updates"]], ids=str)
def test_graph_streamed_inside_node(outer_mode):
    def observe(impl):
        g = impl.graph
        child = _child_graph(impl, _model())
        inner: list = []

        def node(state):
            inner.extend(child.stream(state, stream_mode="messages"))
            return {"messages": [AIMessage("done", id="done")]}

        b = g.StateGraph(g.MessagesState)
        b.add_node("node", node)
        b.add_edge(g.START, "node")
        outer = capture(lambda: list(b.compile().stream(INPUT, stream_mode=outer_mode)))
        return {"inner": inner, "outer": outer}

    same(observe)


def test_async_node_ainvoke():
    def observe(impl):
        g = impl.graph
        model = _model()

        async def node(state):
            return {"messages": [await model.ainvoke(state["messages"])]}

        b = g.StateGraph(g.MessagesState)
        b.add_node("node", node)
        b.add_edge(g.START, "node")
        app = b.compile()

        async def go():
            return [c async for c in app.astream(INPUT, stream_mode=["messages", "updates"])]

        return capture(lambda: asyncio.run(go()))

    same(observe)


def test_stream_v2_parts():
    def observe(impl):
        app = _single_node_app(impl, NODES["two_calls"](impl))
        return capture(
            lambda: list(app.stream(INPUT, stream_mode=["messages", "updates"], version="v2"))
        )

    same(observe)


def test_interrupt_then_resume():
    def observe(impl):
        model = _model()

        def node(state):
            answer = impl.types.interrupt("question")
            return {"messages": [model.invoke(state["messages"]), AIMessage(answer, id="answer")]}

        g = impl.graph
        b = g.StateGraph(g.MessagesState)
        b.add_node("node", node)
        b.add_edge(g.START, "node")
        app = b.compile(checkpointer=impl.InMemorySaver())
        cfg = {"configurable": {"thread_id": "1"}}
        first = list(app.stream(INPUT, cfg, stream_mode=["messages", "updates"]))
        # Interrupt ids hash the checkpoint id; only the message chunks matter here.
        first = [(mode, list(c) if mode == "updates" else c) for mode, c in first]
        resumed = list(
            app.stream(impl.Command(resume="yes"), cfg, stream_mode=["messages", "updates"])
        )
        return {"first": first, "resumed": resumed}

    same(observe)


def test_retried_node_and_push_message():
    def observe(impl):
        calls: list = []

        def node(state):
            calls.append(1)
            msg = AIMessage(f"try {len(calls)}", id=f"t{len(calls)}")
            if len(calls) < 2:
                messages_of(impl).push_message(msg)  # sent even though the attempt fails
                raise ValueError("boom")
            return {"messages": [msg]}

        g = impl.graph
        b = g.StateGraph(g.MessagesState)
        b.add_node("node", node, retry_policy=impl.RetryPolicy(initial_interval=0.01, jitter=False))
        b.add_edge(g.START, "node")
        return capture(lambda: list(b.compile().stream(INPUT, stream_mode=["messages", "updates"])))

    same(observe)


def test_runnable_node():
    from langchain_core.runnables import RunnableLambda

    def observe(impl):
        model = _model()
        agent = RunnableLambda(lambda s: {"messages": [model.invoke(s["messages"])]}, name="agent")
        g = impl.graph
        b = g.StateGraph(g.MessagesState)
        b.add_node("agent", agent)
        b.add_edge(g.START, "agent")
        return capture(lambda: list(b.compile().stream(INPUT, stream_mode="messages")))

    same(observe)


def test_tokens_arrive_while_node_runs():
    import time

    def node(state):
        message = _model().invoke(state["messages"])
        time.sleep(0.5)  # the node keeps working after the model answered
        return {"messages": [message]}

    app = _single_node_app(JIT, node)
    start = time.monotonic()
    stream = app.stream(INPUT, stream_mode="messages")
    first = next(stream)
    elapsed = time.monotonic() - start
    # Closing the stream waits for the running node (as LangGraph): timed before.
    stream.close()
    assert first[0].content == "one" and elapsed < 0.3


# ---------------------------------------------------------------------------
# Without langchain_core

NO_LANGCHAIN = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "langchain_core" or name.startswith("langchain_core."):
                raise ModuleNotFoundError(f"No module named {name!r}")

    sys.meta_path.insert(0, Block())

    from typing import Annotated
    from typing_extensions import TypedDict
    from langgraph_jit.graph import END, START, StateGraph
    from langgraph_jit.graph.message import REMOVE_ALL_MESSAGES, MessagesState, add_messages

    out = add_messages([{"role": "user", "content": "a", "id": "1"}], [("assistant", "b"), "c"])
    assert [m["content"] for m in out] == ["a", "b", "c"], out
    assert out[1]["role"] == "assistant" and out[2]["role"] == "user"
    assert all(isinstance(m["id"], str) for m in out)
    out = add_messages(out, [{"role": "assistant", "content": "B", "id": out[1]["id"]}])
    assert [m["content"] for m in out] == ["a", "B", "c"]
    out = add_messages(out, [{"type": "remove", "id": "1"}])
    assert [m["content"] for m in out] == ["B", "c"]
    try:
        add_messages(out, [{"type": "remove", "id": "zz"}])
    except ValueError as e:
        assert str(e) == "Attempting to delete a message with an ID that doesn't exist ('zz')"
    else:
        raise AssertionError("no error")
    assert add_messages(out, [{"type": "remove", "id": REMOVE_ALL_MESSAGES}, "x"])[0]["content"] == "x"
    given = {"role": "user", "content": "q"}
    add_messages([], [given])
    assert "id" not in given  # the caller's dict is not changed
    try:
        add_messages([], [object()])
    except TypeError:
        pass
    else:
        raise AssertionError("no error")

    def bot(state):
        return {"messages": [{"role": "assistant", "content": f"seen {len(state['messages'])}"}]}

    b = StateGraph(MessagesState)
    b.add_node("bot", bot)
    b.add_edge(START, "bot")
    b.add_edge("bot", END)
    app = b.compile()
    res = app.invoke({"messages": [{"role": "user", "content": "hi"}]})
    assert [m["content"] for m in res["messages"]] == ["hi", "seen 1"], res
    chunks = list(app.stream({"messages": ["hi"]}, stream_mode=["messages", "updates"]))
    assert [c[0] for c in chunks] == ["updates"], chunks
    assert "langchain_core" not in sys.modules
    print("ok")
    """
)


def test_dict_messages_without_langchain_core():
    proc = subprocess.run(
        [sys.executable, "-c", NO_LANGCHAIN], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_graph_import_does_not_load_langchain_core():
    code = (
        "import sys; from langgraph_jit.graph import StateGraph, MessagesState, add_messages; "
        "print('langchain_core' in sys.modules)"
    )
    # MessagesState / add_messages load langchain_core (for AnyMessage) only when installed
    # and only on access; StateGraph alone never does.
    code_plain = "import sys; from langgraph_jit.graph import StateGraph; print('langchain_core' in sys.modules)"
    plain = subprocess.run(
        [sys.executable, "-c", code_plain], capture_output=True, text=True, cwd=ROOT
    )
    assert plain.stdout.strip() == "False", plain.stderr
    full = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert full.returncode == 0, full.stderr


def test_impls_are_distinct():
    assert LG.graph is not JIT.graph
