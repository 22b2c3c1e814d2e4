"""Offline drawing of graphs: a small `Graph` value, mermaid text, ASCII and SVG.

Nothing here imports langchain_core or touches the network.
"""

from langgraph_jit._drawing.graph import Edge, Graph, Node

__all__ = ("Edge", "Graph", "Node")
