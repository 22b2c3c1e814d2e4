"""Config merging, schema helpers, the SQLite node cache and schema allowlists, compared
with LangGraph: the same inputs through `langgraph` and `langgraph_jit`, the same result."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import enum
import importlib
import json
import operator
import pickle
import subprocess
import sys
import typing
import warnings
from collections.abc import Callable
from typing import Annotated, Any, Literal, NewType, Optional, TypeVar, Union

import pytest
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field
from typing_extensions import NotRequired, Required, TypedDict

import langgraph_jit._internal._config as jit_config_mod

lg_config_mod = importlib.import_module("langgraph._internal._config")


# ---------------------------------------------------------------- config merging


def _plain(config: Any) -> Any:
    """A config as comparable data: mappings as dicts, the default limit as an int."""
    if isinstance(config, dict) or hasattr(config, "maps"):  # ChainMap
        return {k: _plain(v) for k, v in dict(config).items()}
    if isinstance(config, list):
        return [_plain(v) for v in config]
    if isinstance(config, int) and not isinstance(config, bool):
        return int(config)
    return config


MERGE_CASES: dict[str, tuple[dict | None, ...]] = {
    "lc_versions accumulate": (
        {"metadata": {"lc_versions": {"langgraph": "1"}, "agent": "a"}},
        {"metadata": {"lc_versions": {"langchain-core": "2"}}},
        {"metadata": {"lc_versions": {"langchain": "3"}}},
    ),
    "lc_versions one level deep only": (
        {"metadata": {"lc_versions": {"nested": {"a": 1}}}},
        {"metadata": {"lc_versions": {"nested": {"b": 2}}}},
    ),
    "lc_versions replaced by a scalar": (
        {"metadata": {"lc_versions": {"x": "1"}}},
        {"metadata": {"lc_versions": "runtime"}},
    ),
    "other nested metadata replaced": (
        {"metadata": {"versions": {"a": 1}, "mode": "bound"}},
        {"metadata": {"versions": {"b": 2}, "mode": {"source": "rt"}}},
    ),
    "empty lc_versions keeps earlier": (
        {"metadata": {"lc_versions": {"langgraph": "1"}}},
        {"metadata": {"lc_versions": {}}},
    ),
    "tags concatenate with duplicates": (
        {"tags": ["shared", "alpha"]},
        {"tags": ["shared", "beta"]},
    ),
    "configurable per key": (
        {"configurable": {"shared": "a", "only_a": 1}},
        {"configurable": {"shared": "b", "only_b": 2}},
    ),
    "none and empty skipped": (None, {"tags": []}, {"tags": ["t"], "run_name": None}, None),
    "ids copied to metadata": (
        {
            "configurable": {
                "thread_id": "t",
                "checkpoint_ns": "ns",
                "task_id": "k",
                "user_id": "u",
                "assistant_id": "a",
            },
            "metadata": {"thread_id": "from-metadata"},
        },
    ),
    "top-level extras become configurable": ({"thread_id": "t", "tags": ["x"]},),
    "explicit limit": ({"recursion_limit": 50}, {"recursion_limit": 7}),
    "nothing": (),
}


@pytest.mark.parametrize("fn", ["ensure_config", "merge_configs"])
@pytest.mark.parametrize("case", list(MERGE_CASES))
def test_config_merges_match_langgraph(fn: str, case: str) -> None:
    configs = MERGE_CASES[case]
    expected = getattr(lg_config_mod, fn)(*copy.deepcopy(configs))
    got = getattr(jit_config_mod, fn)(*copy.deepcopy(configs))
    assert _plain(got) == _plain(expected)


@pytest.mark.parametrize("fn", ["ensure_config", "merge_configs"])
def test_merged_metadata_shares_no_dict_with_its_inputs(fn: str) -> None:
    versions = {"langgraph": "1"}
    merged = getattr(jit_config_mod, fn)({"metadata": {"lc_versions": versions}})
    merged["metadata"]["lc_versions"]["langgraph"] = "changed"
    assert versions == {"langgraph": "1"}


@pytest.mark.parametrize(
    "rebuild",
    [lambda c: c, copy.deepcopy, lambda c: pickle.loads(pickle.dumps(c))],
    ids=["as_is", "deepcopy", "pickle"],
)
def test_default_recursion_limit_never_overrides_a_chosen_one(
    rebuild: Callable[[dict], dict],
) -> None:
    for mod in (lg_config_mod, jit_config_mod):
        merged = mod.merge_configs({"recursion_limit": 50}, rebuild(mod.ensure_config()))
        assert merged["recursion_limit"] == 50
        explicit = int(mod.DEFAULT_RECURSION_LIMIT)
        merged = mod.merge_configs({"recursion_limit": 50}, {"recursion_limit": explicit})
        assert merged["recursion_limit"] == explicit
    assert int(jit_config_mod.DEFAULT_RECURSION_LIMIT) == int(lg_config_mod.DEFAULT_RECURSION_LIMIT)


AMBIENT_CASES: dict[str, tuple[dict, tuple[dict, ...]]] = {
    "new thread drops ambient configurable": (
        {"configurable": {"checkpoint_ns": "p:task", "checkpoint_id": "c"}},
        ({"configurable": {"thread_id": "child"}},),
    ),
    "same thread still drops ambient": (
        {"configurable": {"thread_id": "shared", "checkpoint_ns": "p:task"}},
        ({"configurable": {"thread_id": "shared"}},),
    ),
    "non-coordinate keys keep ambient": (
        {"configurable": {"thread_id": "parent", "checkpoint_ns": "p:task"}},
        ({"configurable": {"ls_agent_type": "sub"}},),
    ),
    "explicit configs merge after the drop": (
        {"configurable": {"checkpoint_ns": "p:task"}},
        ({"configurable": {"ls_agent_type": "root"}}, {"configurable": {"thread_id": "c"}}),
    ),
    "inherited tags not repeated": ({"tags": ["inherited"]}, ({"tags": ["inherited", "own"]},)),
}


@pytest.mark.parametrize("case", list(AMBIENT_CASES))
def test_ensure_config_inherits_the_ambient_config_as_langgraph(case: str) -> None:
    from langchain_core.runnables.config import var_child_runnable_config

    ambient, configs = AMBIENT_CASES[case]
    results = []
    for mod in (lg_config_mod, jit_config_mod):
        token = var_child_runnable_config.set(copy.deepcopy(ambient))
        try:
            results.append(_plain(mod.ensure_config(*copy.deepcopy(configs))))
        finally:
            var_child_runnable_config.reset(token)
    assert results[1] == results[0]


def test_patch_config_matches_langgraph() -> None:
    base = {"run_name": "r", "run_id": "id", "configurable": {"a": 1}, "tags": ["t"]}
    for kwargs in (
        {"callbacks": ["cb"]},
        {"recursion_limit": 3, "max_concurrency": 2, "run_name": "n"},
        {"configurable": {"b": 2}},
        {},
    ):
        assert jit_config_mod.patch_config(base, **kwargs) == lg_config_mod.patch_config(
            base, **kwargs
        )


def test_callback_managers_match_langgraph() -> None:
    from langchain_core.callbacks import AsyncCallbackManager, CallbackManager

    config = {
        "callbacks": None,
        "tags": ["a"],
        "metadata": {"m": 1},
        "configurable": {"thread_id": "t", "api_key": "secret", "__private": 1, "n": 2},
    }
    for name, cls in (
        ("get_callback_manager_for_config", CallbackManager),
        ("get_async_callback_manager_for_config", AsyncCallbackManager),
    ):
        ours = getattr(jit_config_mod, name)(config, tags=["b"])
        theirs = getattr(lg_config_mod, name)(config, tags=["b"])
        assert isinstance(ours, cls)
        assert ours.inheritable_tags == theirs.inheritable_tags == ["a", "b"]
        assert ours.inheritable_metadata == theirs.inheritable_metadata


def _merge_callbacks_cases() -> list[tuple[Any, Any]]:
    from langchain_core.callbacks import BaseCallbackHandler, CallbackManager

    a, b = BaseCallbackHandler(), BaseCallbackHandler()
    return [
        (None, None),
        (None, [a]),
        ([a], [b]),
        ([a], CallbackManager(handlers=[b])),
        (CallbackManager(handlers=[a]), [b]),
        (CallbackManager(handlers=[a]), CallbackManager(handlers=[b])),
    ]


def test_merge_callbacks_matches_langgraph() -> None:
    def shape(value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return (type(value).__name__, sorted(map(id, value.handlers)))

    for base, new in _merge_callbacks_cases():
        assert shape(jit_config_mod._merge_callbacks(base, new)) == shape(
            lg_config_mod._merge_callbacks(base, new)
        )


def _node_sees(pkg: str, bound: dict, invoke_config: dict) -> dict:
    graph_mod = importlib.import_module(f"{pkg}.graph")
    seen: dict = {}

    def node(state: dict, config: RunnableConfig) -> dict:
        # the user's keys; the engines' own bookkeeping keys are compared elsewhere
        seen["configurable"] = {
            k: v for k, v in config["configurable"].items() if k in ("ls_agent_type", "thread_id")
        }
        seen["metadata"] = {
            k: v for k, v in config["metadata"].items() if not k.startswith("langgraph_")
        }
        seen["tags"] = [t for t in config["tags"] if not t.startswith("graph:step")]
        return state

    builder = graph_mod.StateGraph(dict)
    builder.add_node("node", node)
    builder.add_edge("__start__", "node")
    graph = builder.compile().with_config(bound)
    asyncio.run(graph.ainvoke({}, invoke_config))
    return seen


def test_with_config_values_merge_with_invoke_config_as_langgraph() -> None:
    bound = {"configurable": {"ls_agent_type": "root"}, "metadata": {"u": 1}, "tags": ["bound"]}
    invoke = {"configurable": {"thread_id": "T"}, "metadata": {"c": 2}, "tags": ["invoke"]}
    assert _node_sees("langgraph_jit", bound, invoke) == _node_sees("langgraph", bound, invoke)


# ---------------------------------------------------------------- schema fields


class _TD(TypedDict):
    a: Required[str | None]
    b: NotRequired[int]
    c: Annotated[NotRequired[int], "m"]
    d: str | None
    e: str


class _TDPartial(_TD, total=False):
    f: int
    g: Required[str]


@dataclasses.dataclass
class _DC:
    a: int
    b: int = 3
    c: list = dataclasses.field(default_factory=list)
    d: Optional[str] = None  # noqa: UP045


class _Model(BaseModel):
    a: str
    b: int = 4
    c: str = Field(default="x", description="the c")
    d: Annotated[int, Field(description="the d")] = 1


_T = TypeVar("_T")
_Bound = TypeVar("_Bound", bound=Optional[int])  # noqa: UP045

HINTS: list[Any] = [
    None,
    type(None),
    int,
    Any,
    Optional[Any],  # noqa: UP045
    Optional[list[int]],  # noqa: UP045
    list[int | None],
    Union[str, None, int],  # noqa: UP007
    int | str,
    Literal[1, 2],
    Optional[Literal[1]],  # noqa: UP045
    Annotated[int | None, "m"],
    Optional[_T],  # noqa: UP045
    _T,
    _Bound,
    Callable[[int], str | None],
]


def test_optional_type_detection_matches_langgraph() -> None:
    lg = importlib.import_module("langgraph._internal._fields")
    jit = importlib.import_module("langgraph_jit._internal._fields")
    assert [jit._is_optional_type(h) for h in HINTS] == [lg._is_optional_type(h) for h in HINTS]


@pytest.mark.parametrize("schema", [_TD, _TDPartial, _DC], ids=lambda s: s.__name__)
def test_field_defaults_match_langgraph(schema: Any) -> None:
    lg = importlib.import_module("langgraph._internal._fields")
    jit = importlib.import_module("langgraph_jit._internal._fields")
    hints = typing.get_type_hints(schema, include_extras=True)
    for name, hint in hints.items():
        assert jit.get_field_default(name, hint, schema) == lg.get_field_default(
            name, hint, schema
        ), name


@pytest.mark.parametrize("schema", [_TD, _DC, _Model], ids=lambda s: s.__name__)
def test_enhanced_type_hints_match_langgraph(schema: Any) -> None:
    lg = importlib.import_module("langgraph._internal._fields")
    jit = importlib.import_module("langgraph_jit._internal._fields")
    assert list(jit.get_enhanced_type_hints(schema)) == list(lg.get_enhanced_type_hints(schema))


def test_supported_by_pydantic_matches_langgraph() -> None:
    lg = importlib.import_module("langgraph._internal._pydantic")
    jit = importlib.import_module("langgraph_jit._internal._pydantic")

    class Plain:
        x: int

    class TypingTD(typing.TypedDict):
        x: int

    for schema in (_TD, _DC, _Model, Plain, TypingTD, int, dict):
        assert jit.is_supported_by_pydantic(schema) is lg.is_supported_by_pydantic(schema)


# ---------------------------------------------------------------- warnings


def _warnings_of(action: Callable[[], Any]) -> list[tuple[str, str]]:
    """(category name, message text without the since/removal suffix) of each warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [(w.category.__name__, getattr(w.message, "message", str(w.message))) for w in caught]


@pytest.mark.parametrize("name", ["Send", "Interrupt", "PREVIOUS", "TASKS", "CONFIG_KEY_SEND"])
def test_constants_module_warns_as_langgraph(name: str) -> None:
    found = {}
    for pkg in ("langgraph", "langgraph_jit"):
        module = importlib.import_module(f"{pkg}.constants")
        found[pkg] = _warnings_of(lambda module=module: getattr(module, name))
    # the same category, and our message is LangGraph's up to where it goes on
    (lg_category, lg_message), *_ = found["langgraph"] or [("", "")]
    if not found["langgraph"]:
        assert found["langgraph_jit"] == []
        return
    [(category, message)] = found["langgraph_jit"]
    assert category == lg_category
    assert lg_message.startswith(message)


@pytest.mark.parametrize(
    "schema",
    [{"foo": "bar"}, ["hi"], _Model(a="x"), Annotated[dict, operator.or_], dict, _TD, _Model],
    ids=["dict-instance", "list-instance", "model-instance", "annotated", "dict", "td", "model"],
)
def test_invalid_state_schema_warns_as_langgraph(schema: Any) -> None:
    lg = importlib.import_module("langgraph.graph.state")
    jit = importlib.import_module("langgraph_jit.graph.state")
    lg_warned = [c for c, _ in _warnings_of(lambda: lg._warn_invalid_state_schema(schema))]
    jit_warned = [c for c, _ in _warnings_of(lambda: jit._warn_invalid_state_schema(schema))]
    assert jit_warned == lg_warned


# ---------------------------------------------------------------- SQLite node cache


def _cached_runs(pkg: str, path: str) -> tuple[list[Any], int]:
    graph_mod = importlib.import_module(f"{pkg}.graph")
    types_mod = importlib.import_module(f"{pkg}.types")
    SqliteCache = importlib.import_module(f"{pkg}.cache.sqlite").SqliteCache
    calls = []

    class State(TypedDict):
        x: int

    def double(state: State) -> State:
        calls.append(state["x"])
        return {"x": state["x"] * 2}

    builder = graph_mod.StateGraph(State)
    builder.add_node("double", double, cache_policy=types_mod.CachePolicy(ttl=60))
    builder.add_edge("__start__", "double")
    cache = SqliteCache(path=path)
    graph = builder.compile(cache=cache)
    chunks = [
        list(graph.stream({"x": 1})),
        list(graph.stream({"x": 1})),
        list(graph.stream({"x": 2})),
        asyncio.run(graph.ainvoke({"x": 2})),
    ]
    cache.clear()
    chunks.append(list(graph.stream({"x": 1})))
    return chunks, len(calls)


def test_sqlite_cache_serves_node_results_as_langgraph(tmp_path: Any) -> None:
    ours = _cached_runs("langgraph_jit", str(tmp_path / "jit.db"))
    theirs = _cached_runs("langgraph", str(tmp_path / "lg.db"))
    assert ours == theirs


def test_sqlite_cache_entries_expire_and_clear_by_namespace(tmp_path: Any) -> None:
    from langgraph_jit.cache.sqlite import SqliteCache

    cache = SqliteCache(path=str(tmp_path / "c.db"))
    cache.set({(("a", "b"), "k"): ({"v": 1}, None), (("c",), "k"): (2, -1)})
    assert cache.get([(("a", "b"), "k"), (("c",), "k"), (("z",), "k")]) == {
        (("a", "b"), "k"): {"v": 1}
    }
    asyncio.run(cache.aset({(("c",), "k2"): (3, None)}))
    assert asyncio.run(cache.aget([(("c",), "k2")])) == {(("c",), "k2"): 3}
    cache.clear([("a", "b")])
    assert cache.get([(("a", "b"), "k"), (("c",), "k2")]) == {(("c",), "k2"): 3}
    asyncio.run(cache.aclear())
    assert cache.get([(("c",), "k2")]) == {}
    many = {(("n",), str(i)): (i, None) for i in range(1000)}
    cache.set(many)
    assert cache.get(list(many)) == {key: value for key, (value, _) in many.items()}


def test_sqlite_cache_file_is_shared_with_langgraph(tmp_path: Any) -> None:
    from langgraph.cache.sqlite import SqliteCache as LgSqliteCache

    from langgraph_jit.cache.sqlite import SqliteCache

    path = str(tmp_path / "shared.db")
    LgSqliteCache(path=path).set({(("ns", "x"), "k"): ({"a": [1, 2]}, None)})
    assert SqliteCache(path=path).get([(("ns", "x"), "k")]) == {(("ns", "x"), "k"): {"a": [1, 2]}}
    SqliteCache(path=path).set({(("ns",), "j"): ("ours", None)})
    assert LgSqliteCache(path=path).get([(("ns",), "j")]) == {(("ns",), "j"): "ours"}


# ---------------------------------------------------------------- schema allowlists


class _Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class _Inner:
    value: int


class _InnerModel(BaseModel):
    name: str


@dataclasses.dataclass
class _Tree:
    value: int
    child: _Tree | None = None


class _Payload(TypedDict):
    item: _Inner
    maybe: NotRequired[_InnerModel]


class _Channelish:
    ValueType = list[_Inner]
    UpdateType = _Color


_UserId = NewType("_UserId", int)

ALLOWLIST_SCHEMAS: dict[str, list[Any]] = {
    "classes": [_Inner, _InnerModel, _Color],
    "typeddict fields only": [_Payload],
    "recursive": [_Tree],
    "unions and containers": [
        Optional[_Inner],  # noqa: UP045
        _Inner | _InnerModel,
        Annotated[list[_Inner], "m"],
        dict[str, frozenset[_InnerModel]],
    ],
    "nothing to allow": [Any, Literal["a"], _UserId, int, None],
}


@pytest.mark.parametrize("case", list(ALLOWLIST_SCHEMAS))
def test_allowlist_from_schemas_matches_langgraph(case: str) -> None:
    lg = importlib.import_module("langgraph._internal._serde")
    jit = importlib.import_module("langgraph_jit._internal._serde")
    schemas = ALLOWLIST_SCHEMAS[case]
    assert jit.collect_allowlist_from_schemas(schemas=schemas) == lg.collect_allowlist_from_schemas(
        schemas=schemas
    )
    channels = {"a": _Channelish()}
    assert jit.collect_allowlist_from_schemas(
        channels=channels
    ) == lg.collect_allowlist_from_schemas(channels=channels)
    assert jit.curated_core_allowlist() == lg.curated_core_allowlist()


_STATE_MODULE = """
import dataclasses, enum
from typing import TypedDict
from pydantic import BaseModel

class Color(enum.Enum):
    RED = "red"

@dataclasses.dataclass
class Point:
    x: int

class Info(BaseModel):
    name: str

class State(TypedDict):
    p: Point
    c: Color
    i: Info
"""

_PROGRAM = """
import importlib, json, sqlite3, sys
pkg, path, mode = sys.argv[1:4]
from state_types import Color, Info, Point, State
graph_mod = importlib.import_module(pkg + ".graph")
SqliteSaver = importlib.import_module(pkg + ".checkpoint.sqlite").SqliteSaver
builder = graph_mod.StateGraph(State)
builder.add_node("n", lambda s: {"p": Point(2), "i": Info(name="b")})
builder.add_edge("__start__", "n")
graph = builder.compile(checkpointer=SqliteSaver(sqlite3.connect(path, check_same_thread=False)))
config = {"configurable": {"thread_id": "1"}}
if mode == "write":
    graph.invoke({"p": Point(1), "c": Color.RED, "i": Info(name="a")}, config)
else:
    values = graph.get_state(config).values
    print(json.dumps({k: [type(v).__name__, repr(v)] for k, v in sorted(values.items())}))
"""


def test_a_fresh_process_reads_schema_classes_back_as_langgraph(tmp_path: Any) -> None:
    """Loading rebuilds the classes a compiled graph's state schema names, also in a
    process that reads the thread before writing anything."""
    (tmp_path / "state_types.py").write_text(_STATE_MODULE)
    (tmp_path / "program.py").write_text(_PROGRAM)
    seen = {}
    for pkg in ("langgraph", "langgraph_jit"):
        db = str(tmp_path / f"{pkg}.db")
        for mode in ("write", "read"):
            done = subprocess.run(
                [sys.executable, "program.py", pkg, db, mode],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=True,
            )
        seen[pkg] = json.loads(done.stdout)
    assert seen["langgraph_jit"] == seen["langgraph"]
    assert seen["langgraph_jit"]["i"][0] == "Info"


# ---------------------------------------------------------------- deprecated run arguments


class _Plain(TypedDict):
    seen: NotRequired[str]


def _run_with_checkpoint_during(pkg: str) -> list[Any]:
    graph_mod = importlib.import_module(f"{pkg}.graph")

    def node(state: _Plain, config: RunnableConfig) -> _Plain:
        return {"seen": config["configurable"]["__pregel_durability"]}

    builder = graph_mod.StateGraph(_Plain)
    builder.add_node("node", node)
    builder.add_edge("__start__", "node")
    graph = builder.compile()
    out: list[Any] = [
        graph.invoke({}, checkpoint_during=True),
        graph.invoke({}, durability="exit"),
        list(graph.stream({}, checkpoint_during=False)),
        asyncio.run(graph.ainvoke({}, checkpoint_during=False)),
    ]
    try:
        graph.invoke({}, checkpoint_during=True, durability="sync")
    except ValueError:
        out.append("ValueError")
    return out


def _pregel_config_type(pkg: str) -> Any:
    pregel = importlib.import_module(f"{pkg}.pregel")
    channels = importlib.import_module(f"{pkg}.channels")
    node = pregel.NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b")
    graph = pregel.Pregel(
        nodes={"one": node},
        channels={"a": channels.LastValue(int), "b": channels.LastValue(int)},
        input_channels="a",
        output_channels="b",
        config_type=_Plain,
    )
    return graph.context_schema is _Plain, graph.invoke(1)


def _entrypoint_config_schema(pkg: str) -> Any:
    func = importlib.import_module(f"{pkg}.func")

    def flow(state: dict) -> dict:
        return state

    return func.entrypoint(config_schema=_Plain)(flow).context_schema is _Plain


def _node_config_annotations(pkg: str) -> list[Any]:
    graph_mod = importlib.import_module(f"{pkg}.graph")

    def typed_dict(state: _Plain, config: dict | None = None) -> _Plain:
        return {"seen": "none" if config is None else "given"}

    def typed_any(state: _Plain, config: Any = None) -> _Plain:
        return {"seen": "none" if config is None else "given"}

    def typed_optional(state: _Plain, config: Optional[RunnableConfig] = None) -> _Plain:  # noqa: UP045
        return {"seen": "none" if config is None else "given"}

    def untyped(state, config=None):  # type: ignore[no-untyped-def]
        return {"seen": "none" if config is None else "given"}

    results = []
    for fn in (typed_dict, typed_any, typed_optional, untyped):
        builder = graph_mod.StateGraph(_Plain)
        builder.add_node("node", fn)
        builder.add_edge("__start__", "node")
        results.append(builder.compile().invoke({}))
    return results


@pytest.mark.parametrize(
    "case",
    [
        _run_with_checkpoint_during,
        _pregel_config_type,
        _entrypoint_config_schema,
        _node_config_annotations,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_deprecated_arguments_warn_and_work_as_langgraph(case: Callable[[str], Any]) -> None:
    observed = {}
    for pkg in ("langgraph", "langgraph_jit"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = case(pkg)
        seen = sorted(
            {
                (w.category.__name__, getattr(w.message, "message", str(w.message)))
                for w in caught
                if issubclass(w.category, (DeprecationWarning, UserWarning))
                # (compared elsewhere: GraphOutput access, durability without a saver)
                and "GraphOutput" not in str(w.message)
                and "no checkpointer" not in str(w.message)
            }
        )
        observed[pkg] = (result, seen)
    assert observed["langgraph"][1], "the case must warn on LangGraph"
    assert observed["langgraph_jit"] == observed["langgraph"]


def _handlers_seen_by_node(pkg: str) -> list[list[str]]:
    from langchain_core.callbacks import BaseCallbackHandler

    graph_mod = importlib.import_module(f"{pkg}.graph")
    seen: list[list[str]] = []

    class Tagged(BaseCallbackHandler):
        def __init__(self, tag: str) -> None:
            self.tag = tag

    def node(state: dict, config: RunnableConfig) -> dict:
        callbacks = config.get("callbacks")
        handlers = callbacks if isinstance(callbacks, list) else callbacks.handlers
        seen.append(sorted(h.tag for h in handlers if isinstance(h, Tagged)))
        return state

    builder = graph_mod.StateGraph(dict)
    builder.add_node("node", node)
    builder.add_edge("__start__", "node")
    graph = builder.compile().with_config({"callbacks": [Tagged("bound")]})
    graph.invoke({}, {"callbacks": [Tagged("invoke")]})
    asyncio.run(graph.ainvoke({}, {"callbacks": [Tagged("ainvoke")]}))
    return seen


def test_bound_callbacks_survive_invoke_time_callbacks() -> None:
    # (astream_events adds its handler the same way: LangGraph's test_config_async)
    assert _handlers_seen_by_node("langgraph_jit") == _handlers_seen_by_node("langgraph")


def test_field_channel_detection_matches_langgraph() -> None:
    lg = importlib.import_module("langgraph.graph.state")
    jit = importlib.import_module("langgraph_jit.graph.state")

    def shape(pkg: Any, hint_of: Callable[[Any], Any]) -> Any:
        channels = importlib.import_module(f"{pkg.__name__.split('.')[0]}.channels")
        found = pkg._is_field_channel(hint_of(channels))
        return None if found is None else (type(found).__name__, getattr(found, "typ", None))

    cases: list[Callable[[Any], Any]] = [
        lambda ch: Annotated[int, ch.EphemeralValue],
        lambda ch: Annotated[str, "meta", ch.EphemeralValue, "more"],
        lambda ch: Annotated[Union[int, str], ch.EphemeralValue],  # noqa: UP007
        lambda ch: Annotated[int, "meta", ch.LastValue(int)],
        lambda ch: int,
        lambda ch: Annotated[int, "just metadata"],
    ]
    for hint_of in cases:
        assert shape(jit, hint_of) == shape(lg, hint_of)
