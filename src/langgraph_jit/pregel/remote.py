"""`RemoteGraph` (a graph served by LangGraph Platform) is not provided by langgraph_jit;
the class exists so libraries can test `isinstance(x, RemoteGraph)`."""

from __future__ import annotations

from typing import Any


class RemoteException(Exception):
    """An error raised by a remote graph."""


class RemoteGraph:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "langgraph_jit does not provide RemoteGraph (LangGraph Platform client); "
            "run this program on LangGraph itself (LANGGRAPH_JIT=0)"
        )
