"""Which graph a node runs as its subgraph, found once per node on first use.

A node declares a subgraph by being a graph, or by calling one from its
function: a captured variable, a module global, or an attribute path starting
at one of those. Introspection (`get_state(subgraphs=True)`, `get_subgraphs`,
the namespaces a state method may address) sees only the subgraphs found here.
The same reading tells whether a node may stream while it runs
(`may_stream_while_running`).
"""

from __future__ import annotations

import dis
import functools
import sys
from types import CodeType, FunctionType
from typing import Any

from langgraph_jit._constants import STREAMS_WHILE_RUNNING
from langgraph_jit.pregel.protocol import PregelProtocol

# Values whose attributes can never lead to a graph: when a function reaches
# only these, its bytecode is not read.
_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
# Instructions that start or continue a reference chain; the operand names
# the global, the captured variable or the attribute.
_GLOBAL = frozenset({"LOAD_GLOBAL"})
_CAPTURED = frozenset({"LOAD_DEREF", "LOAD_CLASSDEREF"})
_ATTRIBUTE = frozenset({"LOAD_ATTR", "LOAD_METHOD"})
# Instructions that do nothing to the value stack.
_NEUTRAL = frozenset({"EXTENDED_ARG", "NOP", "CACHE"})


def get_function_nonlocals(func: Any) -> list[Any]:
    """The values `func` reaches from outside its own scope: its captured
    variables, the globals it names, and every value along an attribute path
    it loads from one of them (`holder.payload.graph`). Errs on the side of
    more: a listed value may be one the function never reaches at run time.
    Anything that is not a Python function (a builtin, a partial) reaches
    nothing."""
    func = getattr(func, "__func__", func)  # a bound method's function
    wrapped = getattr(func, "__wrapped__", None)
    if callable(wrapped):  # functools.wraps: the wrapped function does the work
        func = getattr(wrapped, "__func__", wrapped)
    if not isinstance(func, FunctionType):
        return []
    code = func.__code__
    captured: dict[str, Any] = {}
    for name, cell in zip(code.co_freevars, func.__closure__ or ()):
        try:
            captured[name] = cell.cell_contents
        except ValueError:  # a cell never assigned
            continue
    namespace = func.__globals__
    # Only globals the function itself names: a global named in a nested
    # function alone is not followed.
    named_globals = {name: namespace[name] for name in code.co_names if name in namespace}
    # Every captured value counts, even one only dead code uses: listing one
    # too many costs an introspection entry, missing a graph loses its state.
    found = list(captured.values())
    if all(type(v) in _SCALARS for v in (*captured.values(), *named_globals.values())):
        return found
    codes = [code]
    for current in codes:
        codes.extend(c for c in current.co_consts if isinstance(c, CodeType))
        found.extend(_chain_values(current, named_globals, captured))
    return found


def _chain_values(
    code: CodeType, named_globals: dict[str, Any], captured: dict[str, Any]
) -> list[Any]:
    """The values along each reference chain in `code`: a global or captured
    variable followed by attribute loads. Any other instruction ends a chain
    (`a, b.c` never reaches `a.c`)."""
    values = []
    value: Any = None
    for ins in dis.get_instructions(code):
        op = ins.opname
        if op in _ATTRIBUTE:
            if value is None:
                continue
            try:
                value = getattr(value, ins.argval, None)
            except Exception:  # a property that raises: the chain ends
                value = None
        elif op in _GLOBAL:
            value = named_globals.get(ins.argval)
        elif op in _CAPTURED:
            value = captured.get(ins.argval)
        elif op in _NEUTRAL:
            continue
        else:
            value = None
            continue
        if value is not None:
            values.append(value)
    return values


def find_subgraph(bound: Any) -> Any:
    """The graph a node with this callable runs as its subgraph, or None.

    A graph compiled with checkpointer=False keeps no state of its own, so it
    is not one. The node's own function is read for what it reaches; of the
    values it reaches, graphs count and LangChain runnables (and our
    function wrappers) are read in turn, plain functions are not."""
    candidates = [bound]
    seen: set[int] = set()
    for candidate in candidates:
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        if isinstance(candidate, PregelProtocol):
            if getattr(candidate, "checkpointer", None) is not False:
                return candidate
            continue
        if candidate is bound and (isinstance(bound, FunctionType) or hasattr(bound, "__func__")):
            reached = get_function_nonlocals(bound)
        else:
            reached = _runnable_parts(candidate)
        candidates.extend(_owner(v) for v in reached)
    return None


def may_stream_while_running(bound: Any) -> bool:
    """Whether a node running `bound` may stream a chunk before it returns (beyond
    its custom writer and tool events, which the caller's stream modes tell): it is or
    reaches a graph (its chunks, with subgraphs=True), a LangChain runnable (a chat
    model's tokens through callbacks), a `@task` function or `push_message`. Read as
    `find_subgraph` reads: a callable reached only at run time (built inside the
    function, passed in through state or config) is not seen."""
    candidates = [bound]
    seen: set[int] = set()
    langchain = "langchain_core" in sys.modules
    for candidate in candidates:
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        if isinstance(candidate, PregelProtocol) or getattr(
            candidate, STREAMS_WHILE_RUNNING, False
        ):
            return True
        if langchain and _is_langchain_runnable(candidate):
            return True
        if candidate is bound and (isinstance(bound, FunctionType) or hasattr(bound, "__func__")):
            reached = get_function_nonlocals(bound)
        elif candidate is bound and isinstance(getattr(bound, "func", None), FunctionType):
            # Our wrappers of a user's function (an entrypoint's call, say), callable
            # or not: the function is what runs.
            reached = get_function_nonlocals(bound.func)
        else:
            reached = _runnable_parts(candidate)
        candidates.extend(_owner(v) for v in reached)
    return False


def _runnable_parts(candidate: Any) -> list[Any]:
    """What a runnable leads on to: the steps of a LangChain sequence, a
    LangChain lambda's dependencies, what a function wrapper's function
    reaches. Anything else leads nowhere."""
    if "langchain_core" in sys.modules and _is_langchain_runnable(candidate):
        from langchain_core.runnables import RunnableLambda, RunnableSequence

        if isinstance(candidate, RunnableSequence):
            return list(candidate.steps)
        if isinstance(candidate, RunnableLambda):
            return list(candidate.deps)
    if isinstance(candidate, (FunctionType, functools.partial)) or not callable(candidate):
        return []
    func = getattr(candidate, "func", None) or getattr(candidate, "afunc", None)
    return get_function_nonlocals(func) if isinstance(func, FunctionType) else []


def _owner(value: Any) -> Any:
    """A bound method stands for the object it is bound to."""
    if hasattr(value, "__self__") and hasattr(value, "__func__"):
        return value.__self__
    return value


def _is_langchain_runnable(value: Any) -> bool:
    from langchain_core.runnables import Runnable

    return isinstance(value, Runnable)
