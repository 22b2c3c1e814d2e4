"""Running a graph must not import langchain_core (or pydantic): probing a graph
for an attribute it lacks once imported LangChain on every first invoke (+300 ms)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from langgraph_jit.pregel._runnable_surface import RUNNABLE_PUBLIC_NAMES

_PROGRAM = """
import sys
from typing import TypedDict
from langgraph_jit.checkpoint.memory import InMemorySaver
from langgraph_jit.graph import StateGraph, START, END
from langgraph_jit.pregel import Pregel, NodeBuilder
from langgraph_jit.channels import LastValue

app = Pregel(
    nodes={"n": NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b")},
    channels={"a": LastValue(int), "b": LastValue(int)},
    input_channels="a",
    output_channels="b",
)
assert app.invoke(1) == 2
assert getattr(app, "not_an_attribute", None) is None

class S(TypedDict):
    x: int

builder = StateGraph(S)
builder.add_node("inc", lambda s: {"x": s["x"] + 1})
builder.add_edge(START, "inc")
builder.add_edge("inc", END)
graph = builder.compile(checkpointer=InMemorySaver())
assert graph.invoke({"x": 1}, {"configurable": {"thread_id": "t"}}) == {"x": 2}
loaded = sorted(m for m in ("langchain_core", "langsmith", "pydantic") if m in sys.modules)
assert not loaded, loaded
"""


def test_running_graphs_does_not_import_langchain() -> None:
    subprocess.run([sys.executable, "-c", _PROGRAM], check=True, timeout=120)


def test_public_runnable_names_match_langchain() -> None:
    runnables = pytest.importorskip("langchain_core.runnables")
    public = {name for name in dir(runnables.Runnable) if not name.startswith("_")}
    assert public == set(RUNNABLE_PUBLIC_NAMES)


def test_runnable_methods_still_reachable() -> None:
    pytest.importorskip("langchain_core")
    code = (
        "from langgraph_jit.pregel import Pregel, NodeBuilder\n"
        "from langgraph_jit.channels import LastValue\n"
        "app = Pregel(nodes={'n': NodeBuilder().subscribe_only('a').do(lambda x: x + 1)"
        ".write_to('b')}, channels={'a': LastValue(int), 'b': LastValue(int)},"
        " input_channels='a', output_channels='b')\n"
        "assert app.with_config(tags=['t']).invoke(1) == 2\n"
        "assert app.batch([1, 2]) == [2, 3]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
