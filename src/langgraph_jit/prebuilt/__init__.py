"""Prebuilt agent parts on langgraph_jit's engine: `create_react_agent`, `ToolNode`,
`tools_condition`, `ValidationNode` and the tool injection markers (needs langchain_core)."""

from langgraph_jit.prebuilt._tool_call_transformer import ToolCallTransformer
from langgraph_jit.prebuilt.chat_agent_executor import create_react_agent
from langgraph_jit.prebuilt.tool_node import (
    InjectedState,
    InjectedStore,
    ToolNode,
    ToolRuntime,
    tools_condition,
)
from langgraph_jit.prebuilt.tool_validator import ValidationNode

__all__ = [
    "InjectedState",
    "InjectedStore",
    "ToolCallTransformer",
    "ToolNode",
    "ToolRuntime",
    "ValidationNode",
    "create_react_agent",
    "tools_condition",
]
