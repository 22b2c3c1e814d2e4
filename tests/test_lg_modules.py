"""Differential tests of LangGraph's smaller public modules against LangGraph 1.2.22:
version, checkpoint.base.id, pregel.debug, pregel.types, managed.base/is_last_step, graph.ui.
"""

import importlib
import operator
import sys
import uuid
import warnings
from typing import Annotated, Any

import langgraph.checkpoint.base.id as lg_id
import langgraph.graph as lg_graph
import langgraph.graph.ui as lg_ui
import langgraph.managed.base as lg_managed_base
import langgraph.managed.is_last_step as lg_is_last_step
import langgraph.pregel.debug as lg_debug
import langgraph.version as lg_version
import pytest
from typing_extensions import TypedDict

import langgraph_jit.checkpoint.base as jit_base
import langgraph_jit.checkpoint.base.id as jit_id
import langgraph_jit.graph as jit_graph
import langgraph_jit.graph.ui as jit_ui
import langgraph_jit.managed as jit_managed
import langgraph_jit.managed.base as jit_managed_base
import langgraph_jit.managed.is_last_step as jit_is_last_step
import langgraph_jit.pregel.debug as jit_debug
import langgraph_jit.types as jit_types
import langgraph_jit.version as jit_version

# ---------------------------------------------------------------------------
# version


def test_version_module_names() -> None:
    assert jit_version.__all__ == lg_version.__all__
    assert isinstance(jit_version.__version__, str)
    assert jit_version.__version__ == importlib.metadata.version("langgraph-jit")


# ---------------------------------------------------------------------------
# checkpoint.base.id


def test_uuid6_is_shared_with_base() -> None:
    assert jit_base.uuid6 is jit_id.uuid6
    assert jit_base.uuid6_str is jit_id.uuid6_str


@pytest.mark.parametrize("mod", [lg_id, jit_id], ids=["langgraph", "jit"])
def test_uuid6_shape(mod: Any) -> None:
    ids = [mod.uuid6(clock_seq=step) for step in (-1, 0, 1, 5)]
    assert [type(u).__name__ for u in ids] == ["UUID"] * 4
    assert all(isinstance(u, uuid.UUID) and isinstance(u, mod.UUID) for u in ids)
    assert [u.version for u in ids] == [6] * 4
    assert [u.variant for u in ids] == [uuid.RFC_4122] * 4
    assert [str(u)[19:23] for u in ids] == ["bfff", "8000", "8001", "8005"]
    fixed = mod.uuid6(node=0x123456789ABC, clock_seq=7)
    assert str(fixed).endswith("-8007-123456789abc")


def test_uuid6_same_layout_as_langgraph() -> None:
    mine = jit_id.uuid6(node=1, clock_seq=2)
    theirs = lg_id.uuid6(node=1, clock_seq=2)
    # Same fields apart from the timestamp, and close timestamps.
    assert mine.int & ((1 << 64) - 1) == theirs.int & ((1 << 64) - 1)
    assert abs(mine.time - theirs.time) < 10**8  # 10 s in 100-ns ticks
    assert str(mine)[14] == str(theirs)[14] == "6"


def test_uuid6_strictly_increases() -> None:
    ids = [jit_id.uuid6() for _ in range(2000)]
    assert ids == sorted(ids, key=lambda u: u.time)
    assert len({u.time for u in ids}) == len(ids)
    strs = [jit_id.uuid6_str(clock_seq=3) for _ in range(2000)]
    assert strs == sorted(strs) and len(set(strs)) == len(strs)
    # Checkpoint ids compare as strings in creation order.
    mixed = [str(jit_id.uuid6(clock_seq=s)) for s in range(-1, 20)]
    assert mixed == sorted(mixed)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"int": 0x1234, "version": 6},
        {"int": 0x1234, "version": 7},
        {"int": (1 << 128) - 1, "version": 8},
        {"int": 0xABCDEF << 64},
        {"hex": "1f0e2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b"},
        {"hex": "1f0e2a3b-4c5d-1e7f-8a9b-0c1d2e3f4a5b"},
        {"int": 0x1234, "version": 4},
    ],
)
def test_uuid_class_matches_langgraph(kwargs: dict[str, Any]) -> None:
    def observe(mod: Any) -> Any:
        try:
            u = mod.UUID(**kwargs)
        except ValueError as exc:
            return ("error", str(exc))
        return (str(u), u.version, u.time, u.subsec)

    assert observe(jit_id) == observe(lg_id)


@pytest.mark.parametrize("bad", [{"int": -1}, {"int": 1 << 128}, {"int": 1 << 128, "version": 6}])
def test_uuid_class_range_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        lg_id.UUID(**bad)
    with pytest.raises(ValueError):
        jit_id.UUID(**bad)


# ---------------------------------------------------------------------------
# pregel.debug


class _Task:
    def __init__(self, config: Any, **kw: Any) -> None:
        self.id = kw.get("id", "t1")
        self.name = kw.get("name", "node")
        self.input = kw.get("input", {"x": 1})
        self.triggers = kw.get("triggers", ["a"])
        self.config = config


DEBUG_CONFIGS = [
    None,
    {},
    {"metadata": {}},
    {"metadata": {"lc_agent_name": "a", "thread_id": "t", "langgraph_step": 1}},
    {"metadata": {"thread_id": "t"}, "tags": ["seq:step:1"]},
    {"metadata": {"k": 1}, "tags": ["seq:step:2", "mine"]},
    {"tags": ["langsmith:hidden"]},
    {"metadata": None},
]


def test_map_debug_tasks_matches_langgraph() -> None:
    tasks = [_Task(c, id=f"t{i}") for i, c in enumerate(DEBUG_CONFIGS)]
    assert list(jit_debug.map_debug_tasks(tasks)) == list(lg_debug.map_debug_tasks(tasks))


WRITES = [
    [],
    [("a", 1)],
    [("a", 1), ("a", 2), ("b", 3), ("a", 4)],
    [("a", None), ("a", 2)],
    [("a", {"$writes": [1]}), ("a", 2)],
]


@pytest.mark.parametrize("writes", WRITES)
def test_map_task_result_writes_matches_langgraph(writes: list[tuple[str, Any]]) -> None:
    import copy

    expected = lg_debug.map_task_result_writes(copy.deepcopy(writes))
    assert jit_debug.map_task_result_writes(copy.deepcopy(writes)) == expected


@pytest.mark.parametrize("keys", ["a", ["a", "b"], []])
def test_map_debug_task_results_matches_langgraph(keys: Any) -> None:
    from langgraph.types import Interrupt as LgInterrupt

    writes = [
        ("a", 1),
        ("b", 2),
        ("__return__", 9),
        ("__error__", "boom"),
        ("__interrupt__", [LgInterrupt(value="q", id="i1")]),
    ]
    task = _Task({})
    mine = list(jit_debug.map_debug_task_results((task, writes), keys))
    assert mine == list(lg_debug.map_debug_task_results((task, writes), keys))


def test_debug_small_helpers_match_langgraph() -> None:
    cfg = {"configurable": {"thread_id": "1", "__pregel_send": print}, "tags": ["x"]}
    assert jit_debug.rm_pregel_keys(cfg) == lg_debug.rm_pregel_keys(cfg)
    assert jit_debug.rm_pregel_keys(None) is lg_debug.rm_pregel_keys(None) is None
    assert jit_debug.TASK_NAMESPACE == lg_debug.TASK_NAMESPACE
    assert jit_debug.COLOR_MAPPING == lg_debug.COLOR_MAPPING
    for color in jit_debug.COLOR_MAPPING:
        assert jit_debug.get_colored_text("hi", color) == lg_debug.get_colored_text("hi", color)
    assert jit_debug.get_bolded_text("hi") == lg_debug.get_bolded_text("hi")
    for tags in (None, [], ["seq:step:1"], ["a", "seq:step:3", "b"]):
        assert jit_debug.filter_to_user_tags(tags) == lg_debug.filter_to_user_tags(tags)
    for value in ({"$writes": []}, {"$writes": 1}, [], None):
        got = jit_debug.is_multiple_channel_write(value)
        assert got == lg_debug.is_multiple_channel_write(value)


# ---------------------------------------------------------------------------
# pregel.types


def test_pregel_types_warns_and_reexports() -> None:
    sys.modules.pop("langgraph_jit.pregel.types", None)
    with pytest.warns(Warning) as record:
        mod = importlib.import_module("langgraph_jit.pregel.types")
    from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

    assert any(issubclass(r.category, LangGraphDeprecatedSinceV10) for r in record)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import langgraph.pregel.types as lg_pregel_types
    assert sorted(mod.__all__) == sorted(lg_pregel_types.__all__)
    for name in mod.__all__:
        assert getattr(mod, name) is getattr(jit_types, name)


# ---------------------------------------------------------------------------
# managed.base, managed.is_last_step


def test_managed_submodules() -> None:
    for name in ("ManagedValue", "ManagedValueSpec", "ManagedValueMapping", "is_managed_value"):
        assert hasattr(lg_managed_base, name) and hasattr(jit_managed_base, name)
    assert jit_managed_base.ManagedValue is jit_managed.ManagedValue
    for name in ("IsLastStep", "IsLastStepManager", "RemainingSteps", "RemainingStepsManager"):
        assert hasattr(lg_is_last_step, name)
        assert getattr(jit_is_last_step, name) is getattr(jit_managed, name)
    assert jit_managed_base.is_managed_value(jit_is_last_step.RemainingStepsManager)
    assert not jit_managed_base.is_managed_value(int)


# ---------------------------------------------------------------------------
# graph.ui


def _ui(id: str, props: dict[str, Any], merge: bool = False) -> dict[str, Any]:
    return {"type": "ui", "id": id, "name": "C", "props": props, "metadata": {"merge": merge}}


REDUCER_CASES = [
    ([], []),
    ([], _ui("1", {"a": 1})),
    (_ui("1", {"a": 1}), _ui("2", {"b": 2})),
    ([_ui("1", {"a": 1})], [_ui("1", {"b": 2})]),
    ([_ui("1", {"a": 1, "c": 3})], [_ui("1", {"b": 2, "c": 4}, merge=True)]),
    ([_ui("1", {"a": 1}), _ui("2", {})], {"type": "remove-ui", "id": "1"}),
    ([_ui("1", {})], [{"type": "remove-ui", "id": "1"}, _ui("1", {"z": 0})]),
    ([], [_ui("3", {}), {"type": "remove-ui", "id": "3"}]),
    ([_ui("1", {})], {"type": "remove-ui", "id": "9"}),
    ([{"type": "ui", "id": "1", "name": "C", "props": {}}], [_ui("1", {"q": 1})]),
]


@pytest.mark.parametrize("left,right", REDUCER_CASES)
def test_ui_message_reducer_matches_langgraph(left: Any, right: Any) -> None:
    import copy

    def run(fn: Any) -> Any:
        l_in, r_in = copy.deepcopy(left), copy.deepcopy(right)
        try:
            out = fn(l_in, r_in)
        except ValueError as exc:
            return ("error", str(exc))
        return (out, l_in, r_in)

    assert run(jit_ui.ui_message_reducer) == run(lg_ui.ui_message_reducer)


def test_ui_names() -> None:
    assert sorted(jit_ui.__all__) == sorted(lg_ui.__all__)


def _normalise_ui(msg: dict[str, Any]) -> dict[str, Any]:
    if "metadata" not in msg:
        return msg
    meta = dict(msg["metadata"])
    meta["run_id"] = "RUN" if meta.get("run_id") else None
    # Known gap outside graph.ui: our get_config() inside a node has
    # run_name = the node's name, LangGraph's has none.
    meta.pop("name", None)
    return {**msg, "metadata": meta}


def _ui_program(graph_mod: Any, ui_mod: Any) -> list[Any]:
    class St(TypedDict):
        ui: Annotated[list, ui_mod.ui_message_reducer]
        log: Annotated[list, operator.add]

    def push(state: St) -> dict[str, Any]:
        ui_mod.push_ui_message("card", {"a": 1}, id="m1", metadata={"x": 1})
        ui_mod.push_ui_message("card", {"b": 2}, id="m1", merge=True, message={"id": "msg-1"})
        ui_mod.push_ui_message("other", {}, id="m2", state_key=None)
        ui_mod.push_ui_message("gone", {}, id="m3")
        return {"log": ["push"]}

    def delete(state: St) -> dict[str, Any]:
        ui_mod.delete_ui_message("m3")
        return {"log": ["delete"]}

    builder = graph_mod.StateGraph(St)
    builder.add_node("push", push)
    builder.add_node("delete", delete)
    builder.add_edge(graph_mod.START, "push")
    builder.add_edge("push", "delete")
    builder.add_edge("delete", graph_mod.END)
    graph = builder.compile()
    out = []
    for mode, chunk in graph.stream(
        {"ui": [], "log": []}, {"tags": ["t1"]}, stream_mode=["custom", "values"]
    ):
        if mode == "custom":
            chunk = _normalise_ui(chunk)
        else:
            chunk = {**chunk, "ui": [_normalise_ui(m) for m in chunk.get("ui") or ()]}
        out.append((mode, chunk))
    return out


def test_push_and_delete_ui_message_in_a_run() -> None:
    mine = _ui_program(jit_graph, jit_ui)
    assert mine == _ui_program(lg_graph, lg_ui)
    ui_state = [c for m, c in mine if m == "values"][-1]["ui"]
    assert [m["id"] for m in ui_state] == ["m1"]
    assert ui_state[0]["props"] == {"a": 1, "b": 2}
