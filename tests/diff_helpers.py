"""Shared helpers for differential tests: run one program on real LangGraph and on langgraph_jit.

A test writes its program once as `def build(lg: Impl)` against the `Impl` bundle, runs it on
both implementations, and compares the observations after `normalise` has replaced what is
legitimately random (checkpoint/task ids, timestamps, version suffixes) by stable placeholders.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import itertools
import operator
import os
import pprint
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

import langgraph.channels as lg_channels
import langgraph.config as lg_config
import langgraph.errors as lg_errors
import langgraph.graph as lg_graph
import langgraph.managed as lg_managed
import langgraph.runtime as lg_runtime
import langgraph.types as lg_types
import pytest
from langgraph.checkpoint.memory import InMemorySaver as LgInMemorySaver
from langgraph.pregel import NodeBuilder as LgNodeBuilder
from langgraph.pregel import Pregel as LgPregel
from langgraph.pregel._read import PregelNode as LgPregelNode
from langgraph.pregel._write import ChannelWriteEntry as LgChannelWriteEntry
from langgraph.pregel._write import ChannelWriteTupleEntry as LgChannelWriteTupleEntry
from typing_extensions import TypedDict

import langgraph_jit.channels as jit_channels
import langgraph_jit.config as jit_config
import langgraph_jit.errors as jit_errors
import langgraph_jit.graph as jit_graph
import langgraph_jit.managed as jit_managed
import langgraph_jit.runtime as jit_runtime
import langgraph_jit.types as jit_types
from langgraph_jit.checkpoint.memory import InMemorySaver as JitInMemorySaver
from langgraph_jit.pregel import NodeBuilder as JitNodeBuilder
from langgraph_jit.pregel import Pregel as JitPregel
from langgraph_jit.pregel._node import ChannelWriteEntry as JitChannelWriteEntry
from langgraph_jit.pregel._node import ChannelWriteTupleEntry as JitChannelWriteTupleEntry
from langgraph_jit.pregel._node import PregelNode as JitPregelNode

TASKS = "__pregel_tasks"


@dataclass(frozen=True)
class Impl:
    """Everything a program needs from one implementation."""

    name: str
    Pregel: type
    NodeBuilder: type
    PregelNode: type
    ch: ModuleType  # channels
    errors: ModuleType
    types: ModuleType
    InMemorySaver: type
    ChannelWriteEntry: type
    ChannelWriteTupleEntry: type
    get_config: Callable[[], Any]
    get_stream_writer: Callable[[], Any]
    # Graph API (keyword-only additions; older positional construction still works)
    graph: ModuleType | None = None  # StateGraph, START, END
    managed: ModuleType | None = None  # RemainingSteps, IsLastStep
    runtime: ModuleType | None = None  # Runtime

    @property
    def Send(self) -> type:
        return self.types.Send

    @property
    def RetryPolicy(self) -> type:
        return self.types.RetryPolicy

    @property
    def Command(self) -> type:
        return self.types.Command

    @property
    def Overwrite(self) -> type:
        return self.types.Overwrite

    @property
    def StreamWriter(self) -> Any:
        return self.types.StreamWriter

    @property
    def StateGraph(self) -> type:
        return self.graph.StateGraph

    @property
    def START(self) -> str:
        return self.graph.START

    @property
    def END(self) -> str:
        return self.graph.END

    @property
    def RemainingSteps(self) -> Any:
        return self.managed.RemainingSteps

    @property
    def IsLastStep(self) -> Any:
        return self.managed.IsLastStep

    @property
    def Runtime(self) -> type:
        return self.runtime.Runtime

    def __repr__(self) -> str:
        return self.name


LG = Impl(
    "lg",
    LgPregel,
    LgNodeBuilder,
    LgPregelNode,
    lg_channels,
    lg_errors,
    lg_types,
    LgInMemorySaver,
    LgChannelWriteEntry,
    LgChannelWriteTupleEntry,
    lg_config.get_config,
    lg_config.get_stream_writer,
    graph=lg_graph,
    managed=lg_managed,
    runtime=lg_runtime,
)
JIT = Impl(
    "jit",
    JitPregel,
    JitNodeBuilder,
    JitPregelNode,
    jit_channels,
    jit_errors,
    jit_types,
    JitInMemorySaver,
    JitChannelWriteEntry,
    JitChannelWriteTupleEntry,
    jit_config.get_config,
    jit_config.get_stream_writer,
    graph=jit_graph,
    managed=jit_managed,
    runtime=jit_runtime,
)
IMPLS = (LG, JIT)


# ---------------------------------------------------------------------------
# Normalisation

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?$")
# InMemorySaver versions: f"{int:032}.{random.random():016}" -- keep the integer part.
VERSION_RE = re.compile(r"^(\d{32})\.\d[\d.]*$")
# Interrupt ids: xxh3-128 hex of the task namespace, which holds the (random) task id.
HEX32_RE = re.compile(r"^[0-9a-f]{32}$")


class IdMap:
    """Maps each distinct random id to id0, id1, ... in order of first appearance."""

    def __init__(self, blind: bool = False) -> None:
        self.blind = blind
        self.ids: dict[str, str] = {}

    def sub(self, s: str) -> str:
        if TS_RE.match(s):
            return "<ts>"
        m = VERSION_RE.match(s)
        if m:
            return f"<v{int(m.group(1))}>"
        if HEX32_RE.match(s):
            return self._one(s)
        return UUID_RE.sub(self._one, s)

    def _one(self, m: re.Match | str) -> str:
        if self.blind:
            return "<id>"
        key = m if isinstance(m, str) else m.group(0)
        return self.ids.setdefault(key, f"id{len(self.ids)}")


def exc_module(cls: type) -> str:
    return cls.__module__.replace("langgraph_jit", "langgraph")


def exc_info(e: BaseException) -> dict:
    """An exception as comparable data: class name, module (jit mapped to lg), message, notes."""
    return {
        "exc": type(e).__qualname__,
        "module": exc_module(type(e)),
        "msg": str(e),
        "notes": list(getattr(e, "__notes__", []) or []),
    }


# Triage aid only (never set in CI): DIFF_IGNORE_FIELDS=result,next drops those dict keys /
# NamedTuple fields everywhere, to see which differences hide behind an already-known one.
IGNORED_FIELDS = frozenset(f for f in os.environ.get("DIFF_IGNORE_FIELDS", "").split(",") if f)


def normalise(obj: Any, ids: IdMap | None = None, ignore: frozenset = frozenset()) -> Any:
    """Turn an observation into plain data with random parts replaced (see IdMap); dict keys /
    NamedTuple fields named in `ignore` (or DIFF_IGNORE_FIELDS) are dropped before ids are
    numbered, so ids inside them do not shift the numbering of the rest."""
    ids = ids if ids is not None else IdMap()
    ignored = IGNORED_FIELDS | ignore if ignore else IGNORED_FIELDS
    n = lambda x: normalise(x, ids, ignore)
    if isinstance(obj, str):
        return ids.sub(obj)
    if obj is None or isinstance(obj, (bool, int, float, bytes)):
        return obj
    if isinstance(obj, BaseException):
        return n(exc_info(obj))
    cls = type(obj).__name__
    if cls == "Send":
        return {"<Send>": n(obj.node), "arg": n(obj.arg)}
    if cls == "Interrupt":
        return {"<Interrupt>": n(obj.value), "id": n(getattr(obj, "id", None))}
    if cls == "Overwrite":
        return {"<Overwrite>": n(obj.value)}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # NamedTuple
        return {
            "<" + cls + ">": None,
            **{f: n(getattr(obj, f)) for f in obj._fields if f not in ignored},
        }
    if isinstance(obj, dict):
        return {n(k): n(v) for k, v in obj.items() if k not in ignored}
    if isinstance(obj, list):
        return [n(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(n(x) for x in obj)
    if isinstance(obj, (set, frozenset)):
        return {"<set>": sorted(repr(n(x)) for x in obj)}
    if cls in ("GraphOutput",):
        return {"<GraphOutput>": n(obj.value), "interrupts": n(obj.interrupts)}
    if not type(obj).__module__.startswith("langgraph"):
        # user state objects (pydantic models, dataclasses) are defined once per implementation,
        # so compare them by class name and fields
        fields = getattr(type(obj), "model_fields", None)
        if fields is not None:
            return {"<" + cls + ">": None, **{f: n(getattr(obj, f, None)) for f in fields}}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {
                "<" + cls + ">": None,
                **{f.name: n(getattr(obj, f.name)) for f in dataclasses.fields(obj)},
            }
    return obj


def blind_key(obj: Any) -> str:
    """Sort key that ignores random ids, used to order chunks real LangGraph emits in
    completion order (parallel tasks)."""
    return repr(normalise(obj, IdMap(blind=True)))


def sort_runs(chunks: list, is_boundary: Callable[[Any], bool]) -> list:
    """Sort chunks (by `blind_key`) within each run between boundary chunks; boundaries stay."""
    out: list = []
    run: list = []
    for c in chunks:
        if is_boundary(c):
            out.extend(sorted(run, key=blind_key))
            run = []
            out.append(c)
        else:
            run.append(c)
    out.extend(sorted(run, key=blind_key))
    return out


def _is_step_boundary(chunk: Any) -> bool:
    if isinstance(chunk, tuple) and len(chunk) == 2 and isinstance(chunk[0], str):
        mode, data = chunk
        if mode in ("values", "checkpoints"):
            return True
        if mode == "debug":
            return data.get("type") == "checkpoint"
        return False
    if isinstance(chunk, dict) and "type" in chunk and "step" in chunk:  # debug-only stream
        return chunk["type"] == "checkpoint"
    return False


def canonical_order(chunks: list, mode: Any) -> list:
    """Order parallel-task chunks deterministically.

    Real LangGraph emits `updates`/`tasks`/`custom`/debug task results as tasks *finish*, so with
    several tasks per step their order is nondeterministic. Multi-mode and debug streams are sorted
    only within a step (between values/checkpoint chunks) so step structure is still checked;
    single modes without step markers are sorted as a whole.
    """
    if isinstance(mode, (list, tuple)) or mode == "debug":
        return sort_runs(chunks, _is_step_boundary)
    if mode in ("values", "checkpoints"):
        return chunks
    return sorted(chunks, key=blind_key)


# ---------------------------------------------------------------------------
# Running


def capture(fn: Callable[[], Any]) -> dict:
    """Run `fn`; its result or the exception it raised, as data."""
    try:
        return {"ok": fn()}
    except BaseException as e:
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return {"raised": exc_info(e)}


def collect_stream(it_factory: Callable[[], Any]) -> dict:
    """Consume a (sync) stream; the chunks so far and the exception that ended it, if any."""
    chunks: list = []
    try:
        for c in it_factory():
            chunks.append(c)
    except Exception as e:
        return {"chunks": chunks, "raised": exc_info(e)}
    return {"chunks": chunks}


def collect_astream(it_factory: Callable[[], Any]) -> dict:
    """Same as collect_stream for an async iterator, driven with asyncio.run."""

    async def go() -> dict:
        chunks: list = []
        try:
            async for c in it_factory():
                chunks.append(c)
        except Exception as e:
            return {"chunks": chunks, "raised": exc_info(e)}
        return {"chunks": chunks}

    return asyncio.run(go())


def arun(coro_factory: Callable[[], Any]) -> dict:
    """capture() for a coroutine."""
    return capture(lambda: asyncio.run(coro_factory()))


ALL_MODES = ("values", "updates", "custom", "debug", "tasks", "checkpoints")
MODES = (*ALL_MODES, list(ALL_MODES))


def mode_key(mode: Any) -> str:
    return mode if isinstance(mode, str) else "+".join(mode)


def cfg(thread: str = "1", **extra) -> dict:
    """A config on `thread`, plus any top-level keys (recursion_limit, max_concurrency, ...)."""
    return {"configurable": {"thread_id": thread}, **extra}


# Known engine bugs are strict xfails: the test states LangGraph's behaviour; XPASS means fixed.


def xfail(*reasons: str):
    return pytest.mark.xfail(reason="; ".join(reasons), strict=True)


def state_of(app: Any, config: dict) -> dict:
    """get_state and the full history of a thread, as an observation."""
    return {
        "state": capture(lambda: app.get_state(config)),
        "history": capture(lambda: list(app.get_state_history(config))),
    }


def observe_all_modes(
    app: Any,
    inp: Any,
    *,
    parallel: bool = False,
    config: dict | None = None,
    with_state: bool | None = None,
    is_async: bool = False,
    **kwargs: Any,
) -> dict:
    """Stream `inp` through `app` once per stream mode (and once with all modes, and once with
    invoke), each on a fresh thread; with a checkpointer also record get_state/history."""
    if with_state is None:
        with_state = app.checkpointer is not None
    obs: dict = {}
    for mode in MODES:
        key = mode_key(mode)
        cfg = {**(config or {}), "configurable": {"thread_id": "t-" + key}}
        if is_async:
            got = collect_astream(
                lambda cfg=cfg, mode=mode: app.astream(inp, cfg, stream_mode=mode, **kwargs)
            )
        else:
            got = collect_stream(
                lambda cfg=cfg, mode=mode: app.stream(inp, cfg, stream_mode=mode, **kwargs)
            )
        if parallel:
            got["chunks"] = canonical_order(got["chunks"], mode)
        obs[key] = got
        if with_state:
            obs[key + ":state"] = state_of(app, cfg)
    cfg = {**(config or {}), "configurable": {"thread_id": "t-invoke"}}
    if is_async:
        obs["invoke"] = arun(lambda: app.ainvoke(inp, cfg, **kwargs))
    else:
        obs["invoke"] = capture(lambda: app.invoke(inp, cfg, **kwargs))
    if with_state:
        obs["invoke:state"] = state_of(app, cfg)
    return obs


def diff_text(a: Any, b: Any) -> str:
    sa = pprint.pformat(a, width=110, sort_dicts=True).splitlines()
    sb = pprint.pformat(b, width=110, sort_dicts=True).splitlines()
    return "\n".join(difflib.unified_diff(sa, sb, "langgraph", "langgraph_jit", lineterm="", n=4))


def first_differences(a: Any, b: Any, path: str = "", limit: int = 6) -> list[str]:
    """Paths where two (normalised) observations differ, for a readable failure summary."""
    out: list[str] = []

    def walk(x: Any, y: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if type(x) is not type(y):
            out.append(f"{p}: {x!r:.200} != {y!r:.200}")
        elif isinstance(x, dict):
            for k in dict.fromkeys([*x, *y]):
                if k not in x or k not in y:
                    out.append(
                        f"{p}/{k}: {x.get(k, '<absent>')!r:.200} != {y.get(k, '<absent>')!r:.200}"
                    )
                else:
                    walk(x[k], y[k], f"{p}/{k}")
        elif isinstance(x, (list, tuple)) and len(x) != len(y):
            out.append(
                f"{p}: length {len(x)} != {len(y)}; tails {x[-2:]!r:.300} != {y[-2:]!r:.300}"
            )
        elif isinstance(x, (list, tuple)):
            for i, (xi, yi) in enumerate(zip(x, y)):
                walk(xi, yi, f"{p}[{i}]")
        elif x != y:
            out.append(f"{p}: {x!r:.200} != {y!r:.200}")

    walk(a, b, path)
    return out


def run_both(program: Callable[[Impl], Any], ignore: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """Run `program` on both implementations and normalise each observation."""
    ig = frozenset(ignore)
    return normalise(program(LG), ignore=ig), normalise(program(JIT), ignore=ig)


def assert_same(
    program: Callable[[Impl], Any], *, exact_ids: bool = True, ignore: tuple[str, ...] = ()
) -> Any:
    """Run on both implementations; fail with a diff unless the observations agree.

    exact_ids=False compares with every id replaced by "<id>": needed when parallel tasks
    produce chunks that are identical except for their ids, so sorting cannot order them
    the same way on both sides. Returns the (normalised) LangGraph observation."""
    # ignore=(...): fields a separate (xfail) test already pins down, so one known difference
    # does not hide everything else a test checks
    expected, actual = run_both(program, ignore)
    if not exact_ids:
        expected = normalise(expected, IdMap(blind=True))
        actual = normalise(actual, IdMap(blind=True))
    if expected != actual:
        # ids renumbered blindly so one extra id early on does not flag everything after it
        blind = IdMap(blind=True)
        summary = first_differences(normalise(expected, blind), normalise(actual, blind))
        raise AssertionError(
            "langgraph and langgraph_jit differ (lg != jit):\n  "
            + "\n  ".join(summary or ["(only in id numbering)"])
            + "\n"
            + diff_text(expected, actual)
        )
    return expected


# ---------------------------------------------------------------------------
# Programs shared by several test modules: StateGraph (test_graph_diff_*.py) and low-level
# Pregel (test_pregel_diff_*.py). Their annotations name only module-level objects, so the
# `from __future__ import annotations` above does not hide anything from get_type_hints; the
# test_graph_diff_* modules themselves go without it, so the classes their programs define
# locally resolve in annotations.


class S(TypedDict):
    """A plain state: one LastValue key and one appending key."""

    x: str
    log: Annotated[list, operator.add]


def log_node(name: str, **extra):
    def f(state):
        return {"log": [name], **extra}

    f.__name__ = name
    return f


def chain(lg: Impl, *names: str, schema=S, checkpointer: bool = True, **compile_kw):
    b = lg.StateGraph(schema)
    for n in names:
        b.add_node(n, log_node(n))
    b.add_edge(lg.START, names[0])
    for a, c in itertools.pairwise(names):
        b.add_edge(a, c)
    b.add_edge(names[-1], lg.END)
    return b.compile(checkpointer=lg.InMemorySaver() if checkpointer else None, **compile_kw)


def parent_with_subgraph(lg: Impl, *, child_interrupt_before=None, child_checkpointer=None):
    class Child(TypedDict):
        foo: str
        bar: str  # child-only key
        log: Annotated[list, operator.add]

    class Parent(TypedDict):
        foo: str
        log: Annotated[list, operator.add]

    def c1(state):
        return {"bar": state["foo"] + "|bar", "log": ["c1"]}

    def c2(state):
        return {"foo": state["bar"] + "|c2", "log": ["c2"]}

    cb = lg.StateGraph(Child)
    cb.add_node("c1", c1)
    cb.add_node("c2", c2)
    cb.add_edge(lg.START, "c1")
    cb.add_edge("c1", "c2")
    child = cb.compile(checkpointer=child_checkpointer, interrupt_before=child_interrupt_before)

    pb = lg.StateGraph(Parent)
    pb.add_node("p1", lambda s: {"foo": s["foo"] + "|p1", "log": ["p1"]})
    pb.add_node("sub", child)
    pb.add_node("p2", lambda s: {"foo": s["foo"] + "|p2", "log": ["p2"]})
    pb.add_edge(lg.START, "p1")
    pb.add_edge("p1", "sub")
    pb.add_edge("sub", "p2")
    return pb.compile(checkpointer=lg.InMemorySaver())


# Snapshot fields the subgraph tests leave out of the comparison (assert_same(ignore=...)).
SUBGRAPH_KNOWN = ("state", "checkpoint_map")


def chain_app(lg: Impl, checkpointer: bool = True, **kw):
    """a --one--> b --two--> c, single-channel input."""
    one = lg.NodeBuilder().subscribe_only("a").do(lambda x: x + "1").write_to("b")
    two = lg.NodeBuilder().subscribe_only("b").do(lambda x: x + "2").write_to("c")
    return lg.Pregel(
        nodes={"one": one, "two": two},
        channels={"a": lg.ch.LastValue(str), "b": lg.ch.LastValue(str), "c": lg.ch.LastValue(str)},
        input_channels="a",
        output_channels=["b", "c"],
        checkpointer=lg.InMemorySaver() if checkpointer else None,
        **kw,
    )


def loop_app(lg: Impl, stop_at: int | None = 3, **kw):
    """`inc` re-triggers itself until the counter reaches stop_at (None: forever)."""

    def next_value(v):
        return None if stop_at is not None and v >= stop_at else v

    inc = (
        lg.NodeBuilder()
        .subscribe_only("n")
        .do(lambda v: v + 1)
        .write_to(lg.ChannelWriteEntry("n", mapper=next_value, skip_none=True), last="last")
    )
    return lg.Pregel(
        nodes={"inc": inc},
        channels={"n": lg.ch.LastValue(int), "last": lg.ch.LastValue(str)},
        input_channels="n",
        output_channels=["n", "last"],
        checkpointer=lg.InMemorySaver(),
        **kw,
    )
