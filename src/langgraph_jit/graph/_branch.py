"""Conditional edges: a path function run after its node, routing by its result."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, Literal, NamedTuple, get_args, get_origin, get_type_hints

from langgraph_jit._constants import END, START, TASKS
from langgraph_jit.errors import InvalidUpdateError
from langgraph_jit.pregel._node import NodeCall
from langgraph_jit.pregel._trace import atraced_call, traced_call
from langgraph_jit.types import Send

_SENDS = {Send}
_node_of = attrgetter("node")

BRANCH_TO = "branch:to:{}"


class BranchSpec(NamedTuple):
    path: Any
    ends: dict[Hashable, str] | None
    input_schema: type[Any] | None = None

    @classmethod
    def from_path(
        cls, path: Any, path_map: dict | list | None, infer_schema: bool = False
    ) -> BranchSpec:
        ends: dict[Hashable, str] | None = None
        if isinstance(path_map, dict):
            ends = dict(path_map)
        elif isinstance(path_map, list):
            ends = {name: name for name in path_map}
        else:
            ends = _ends_from_annotation(path)
        schema = _input_schema_of(path) if infer_schema else None
        return cls(path=path, ends=ends, input_schema=schema)


def _target_func(path: Any) -> Any:
    if inspect.isfunction(path) or inspect.ismethod(path):
        return path
    call = getattr(path, "__call__", None)  # noqa: B004 - wants the bound method, not a callable() test
    if inspect.ismethod(call):
        return call
    return None


def _ends_from_annotation(path: Any) -> dict[Hashable, str] | None:
    func = _target_func(path)
    if func is None:
        return None
    try:
        rtn = get_type_hints(func).get("return")
    except Exception:
        return None
    if rtn is not None and get_origin(rtn) is Literal:
        return {name: name for name in get_args(rtn)}
    return None


def _input_schema_of(path: Any) -> type[Any] | None:
    func = _target_func(path)
    if func is None:
        return None
    try:
        hints = get_type_hints(func)
        first = next(iter(inspect.signature(func).parameters))
    except Exception:
        return None
    hint = hints.get(first)
    if isinstance(hint, type) and _has_hints(hint):
        return hint
    return None


def _has_hints(cls: type) -> bool:
    try:
        return bool(get_type_hints(cls))
    except Exception:
        return False


def destinations_to_writes(destinations: Sequence[Any]) -> list[tuple[str, Any]]:
    """Writes for where a branch (or Command) goes: a trigger per node name,
    a Send per packet; END is no write."""
    writes: list[tuple[str, Any]] = []
    for dest in destinations:
        if isinstance(dest, Send):
            writes.append((TASKS, dest))
        elif dest != END:
            writes.append((BRANCH_TO.format(dest), None))
    return writes


class BranchWriter:
    """Runs a conditional edge inside its node's task, after the node's own
    writes, on the state as that node's writes would leave it."""

    def __init__(
        self,
        spec: BranchSpec,
        select: str | list[str] | None,
        mapper: Callable[[Any], Any] | None,
    ) -> None:
        self.spec = spec
        self.select = select
        self.mapper = mapper
        self.call = NodeCall(spec.path)

    def _value(self, output: Any, task: Any) -> Any:
        # The path function sees the state as the node's writes leave it, plus
        # any keys of the node's output that are not state keys (LangGraph's rule).
        if self.select is None:
            return output
        value = task.read(self.select, fresh=True)
        if self.mapper is not None:
            value = self.mapper(value)
        if isinstance(value, dict) and isinstance(output, dict) and self.spec.input_schema is None:
            value = {**output, **value}
        return value

    def write_task(self, output: Any, task: Any) -> None:
        value = self._value(output, task)
        if task.run.trace is None:
            result = self.call.invoke(value, task)
        else:  # the path function is a run of its own (LangChain callbacks)
            result = traced_call(self.call, value, task)
        task.writes.extend(self._writes(result))

    async def awrite_task(self, output: Any, task: Any) -> None:
        value = self._value(output, task)
        if task.run.trace is None:
            result = await self.call.ainvoke(value, task)
        else:
            result = await atraced_call(self.call, value, task)
        task.writes.extend(self._writes(result))

    def _writes(self, result: Any) -> list[tuple[str, Any]]:
        if not isinstance(result, (list, tuple)):
            result = [result]
        elif len(result) > 8 and set(map(type, result)) == _SENDS:
            # A router's fan-out (J, issue 17): its packets checked and made writes in C.
            if END in map(_node_of, result):
                raise InvalidUpdateError("Cannot send a packet to the END node")
            return list(zip(repeat(TASKS), result))
        ends = self.spec.ends
        destinations = [r if isinstance(r, Send) else ends[r] for r in result] if ends else result
        if any(dest is None or dest == START for dest in destinations):
            raise ValueError("Branch did not return a valid destination")
        if any(p.node == END for p in destinations if isinstance(p, Send)):
            raise InvalidUpdateError("Cannot send a packet to the END node")
        return destinations_to_writes(destinations)
