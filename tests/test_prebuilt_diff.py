"""create_react_agent / ToolNode / tools_condition: the same program on LangGraph and on
langgraph_jit (through the switch) gives the same outputs, stream chunks and interrupts."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from _program_diff import assert_same, run_both

SCENARIOS = [
    "react_invoke",
    "react_stream_updates",
    "react_stream_values",
    "react_stream_messages",
    "react_stream_multi",
    "react_checkpointer",
    "react_interrupt_before_tools",
    "react_interrupt_after_agent",
    "react_tool_errors",
    "react_tool_bad_args_default",
    "react_tool_raises_default",
    "react_structured_response",
    "react_hooks",
    "react_v1_return_direct",
    "react_injection",
    "react_parallel_order",
    "toolnode_handbuilt",
    "react_async",
]


@pytest.fixture(scope="module")
def results():
    return run_both("prebuilt_agents.py")


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_as_langgraph(results, name):
    assert_same(*results, name)


def test_prebuilt_public_names():
    import langgraph_jit.prebuilt as ours

    for name in (
        "create_react_agent",
        "ToolNode",
        "tools_condition",
        "ValidationNode",
        "InjectedState",
        "InjectedStore",
        "ToolRuntime",
        "ToolCallTransformer",
    ):
        assert hasattr(ours, name), name
    from langgraph_jit.prebuilt.chat_agent_executor import AgentState  # noqa: F401
    from langgraph_jit.prebuilt.tool_node import ToolCallRequest, ToolCallWithContext  # noqa: F401
