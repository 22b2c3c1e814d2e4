"""Differential tests: our InMemorySaver vs LangGraph's, driven by the same calls."""

from __future__ import annotations

import asyncio
import functools
import operator
import re
from datetime import datetime, timezone
from typing import Annotated, TypedDict

import pytest
from langgraph.checkpoint import base as lg_base
from langgraph.checkpoint.memory import InMemorySaver as LGSaver
from langgraph.checkpoint.memory import PersistentDict as LGPersistentDict  # noqa: F401

from langgraph_jit.checkpoint import base
from langgraph_jit.checkpoint.memory import InMemorySaver, MemorySaver, PersistentDict


def _cfg(thread="t1", ns="", checkpoint_id=None, **extra):
    conf = {"thread_id": thread, "checkpoint_ns": ns, **extra}
    if checkpoint_id is not None:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def _ckpt(step, values, versions, seen=None, updated=None):
    return {
        "v": 4,
        "id": str(base.uuid6(clock_seq=step)),
        "ts": datetime.now(timezone.utc).isoformat(),
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": seen or {},
        "updated_channels": updated,
    }


def _ver(n):
    return f"{n:032}.{0.5:016}"


class Both:
    """Applies every call to both savers and returns both results."""

    def __init__(self):
        self.ours = InMemorySaver()
        self.theirs = LGSaver()

    def call(self, name, *args, **kwargs):
        a = getattr(self.ours, name)(*args, **kwargs)
        b = getattr(self.theirs, name)(*args, **kwargs)
        if name == "list":
            a, b = list(a), list(b)
        assert a == b, name
        return a


def _build_history(both: Both):
    """Two threads, a subgraph namespace, writes of all kinds; returns checkpoint configs."""
    configs = []
    parent = _cfg("t1")
    steps = [
        ({"__start__": {"x": 1}}, {"__start__": _ver(1)}, {"__start__": _ver(1)}, {}),
        (
            {"x": 1, "msgs": [1, (2, 3)]},
            {"__start__": _ver(2), "x": _ver(2), "msgs": _ver(2)},
            {"x": _ver(2), "msgs": _ver(2), "__start__": _ver(2)},
            {"a": {"__start__": _ver(1)}},
        ),
        (
            {"x": 2, "msgs": [1, (2, 3)]},
            {"__start__": _ver(2), "x": _ver(3), "msgs": _ver(2)},
            {"x": _ver(3)},
            {"a": {"__start__": _ver(1)}, "b": {"x": _ver(2)}},
        ),
    ]
    for step, (values, versions, new_versions, seen) in enumerate(steps, start=-1):
        ck = _ckpt(step, values, versions, seen, updated=sorted(new_versions))
        md = {"source": "input" if step < 0 else "loop", "step": step, "parents": {}}
        parent = both.call("put", parent, ck, md, new_versions)
        configs.append(parent)
        both.call(
            "put_writes", parent, [("x", step), ("msgs", [step])], "task-b", "~__pregel_pull, b"
        )
        both.call("put_writes", parent, [("x", -step)], "task-a", "~__pregel_pull, a")
    # subgraph namespace and a second thread, with user metadata from config
    sub = both.call(
        "put",
        _cfg("t1", "child:1"),
        _ckpt(0, {"y": "s"}, {"y": 1}),
        {"source": "loop", "step": 0},
        {"y": 1},
    )
    configs.append(sub)
    other = both.call(
        "put",
        {
            "configurable": {
                "thread_id": "t2",
                "checkpoint_ns": "",
                "user_key": "u",
                "__hidden": 1,
            },
            "metadata": {"run_name": "r\x00x", "n": 3, "obj": object()},
        },
        _ckpt(0, {"x": 9}, {"x": _ver(1)}),
        {"source": "update", "step": 0, "parents": {"": "p"}},
        {"x": _ver(1)},
    )
    configs.append(other)
    return configs


def test_get_tuple_matches_langgraph():
    both = Both()
    configs = _build_history(both)
    for config in configs:
        both.call("get_tuple", config)
        both.call("get", config)
    both.call("get_tuple", _cfg("t1"))  # latest
    both.call("get_tuple", _cfg("t1", "child:1"))
    assert both.call("get_tuple", _cfg("t1", checkpoint_id="nope")) is None
    assert both.call("get_tuple", _cfg("missing")) is None
    latest = both.ours.get_tuple({"configurable": {"thread_id": "t1"}})
    assert latest.config == configs[2]
    assert latest.parent_config == configs[1]
    # __start__ got a new version without a value at step 0: stored as "empty"
    assert latest.checkpoint["channel_values"] == {"x": 2, "msgs": [1, [2, 3]]}
    md = both.ours.get_tuple(configs[-1]).metadata
    assert md == {
        "source": "update",
        "step": 0,
        "parents": {"": "p"},
        "user_key": "u",
        "run_name": "rx",
        "n": 3,
    }


@pytest.mark.parametrize(
    "query",
    [
        dict(config=None),
        dict(config=_cfg("t1")),
        dict(config={"configurable": {"thread_id": "t1"}}),
        dict(config=_cfg("t1", "child:1")),
        dict(config=_cfg("t2")),
        dict(config=_cfg("t1"), limit=2),
        dict(config=None, limit=3),
        dict(config=_cfg("t1"), filter={"source": "loop"}),
        dict(config=_cfg("t1"), filter={"step": 1, "source": "loop"}),
        dict(config=None, filter={"user_key": "u"}),
        dict(config=_cfg("nobody")),
    ],
)
def test_list_matches_langgraph(query):
    both = Both()
    _build_history(both)
    config = query.pop("config")
    both.call("list", config, **query)


def test_list_before_and_by_id():
    both = Both()
    configs = _build_history(both)
    found = both.call("list", _cfg("t1"), before=configs[2])
    assert [t.config for t in found] == [configs[1], configs[0]]
    assert [t.config for t in both.call("list", configs[1])] == [configs[1]]
    both.call("list", None, before=configs[1], limit=1)


def test_put_writes_semantics():
    both = Both()
    config = both.call("put", _cfg(), _ckpt(0, {}, {}), {"source": "loop", "step": 0}, {})
    both.call("put_writes", config, [("a", 1), ("b", 2)], "t1", "p1")
    both.call(
        "put_writes", config, [("a", 100), ("b", 200), ("c", 3)], "t1", "p1"
    )  # first two kept
    both.call("put_writes", config, [("__error__", "e1"), ("__interrupt__", [1])], "t2", "p0")
    both.call(
        "put_writes",
        config,
        [("__error__", "e2"), ("__resume__", "r"), ("__scheduled__", None)],
        "t2",
        "p0",
    )
    both.call("put_writes", config, [("z", 0)], "t0")  # no task_path sorts first
    writes = both.call("get_tuple", config).pending_writes
    assert writes == [
        ("t0", "z", 0),
        ("t2", "__resume__", "r"),
        ("t2", "__interrupt__", [1]),
        ("t2", "__scheduled__", None),
        ("t2", "__error__", "e2"),
        ("t1", "a", 1),
        ("t1", "b", 2),
        ("t1", "c", 3),
    ]


def test_put_stores_only_new_versions():
    saver = InMemorySaver()
    c1 = saver.put(_cfg(), _ckpt(0, {"a": 1, "b": 2}, {"a": 1, "b": 1}), {}, {"a": 1, "b": 1})
    # b unchanged: its value in this checkpoint is ignored, the old blob is used
    c2 = saver.put(c1, _ckpt(1, {"a": 5, "b": "ignored"}, {"a": 2, "b": 1}), {}, {"a": 2})
    assert saver.get_tuple(c2).checkpoint["channel_values"] == {"a": 5, "b": 2}
    assert set(saver.blobs) == {("t1", "", "a", 1), ("t1", "", "b", 1), ("t1", "", "a", 2)}
    # channel in new_versions but without a value -> "empty" marker, not loaded
    c3 = saver.put(c2, _ckpt(2, {"b": 2}, {"a": 3, "b": 1}), {}, {"a": 3})
    assert saver.get_tuple(c3).checkpoint["channel_values"] == {"b": 2}


def test_delete_thread():
    both = Both()
    _build_history(both)
    both.call("delete_thread", "t1")
    assert both.call("get_tuple", _cfg("t1")) is None
    assert both.call("list", _cfg("t1")) == []
    assert len(both.call("list", None)) == 1
    assert not [k for k in both.ours.writes if k[0] == "t1"]
    assert not [k for k in both.ours.blobs if k[0] == "t1"]
    both.call("delete_thread", "never-existed")


def test_stored_data_is_isolated_from_caller_mutation():
    saver = InMemorySaver()
    values = {"items": [1, 2], "d": {"k": "v"}}
    versions = {"items": _ver(1), "d": _ver(1)}
    seen = {"node": {"items": _ver(1)}}
    ck = _ckpt(0, values, versions, seen, updated=["items"])
    md = {"source": "loop", "step": 0, "parents": {}}
    config = saver.put(_cfg(), ck, md, dict(versions))
    write_value = {"w": [1]}
    saver.put_writes(config, [("items", write_value)], "task")
    snapshot = saver.get_tuple(config)
    # the engine keeps mutating its objects after the save...
    values["items"].append(3)
    values["d"]["k"] = "changed"
    versions["items"] = _ver(2)
    seen["node"]["items"] = _ver(2)
    ck["updated_channels"].append("x")
    md["parents"]["x"] = "y"
    write_value["w"].append(2)
    # ...and so does whoever read a tuple
    snapshot.checkpoint["channel_versions"]["d"] = "bad"
    snapshot.checkpoint["versions_seen"]["node"]["d"] = "bad"
    snapshot.checkpoint["channel_values"]["items"].append(99)
    snapshot.pending_writes[0][2]["w"].append(99)
    again = saver.get_tuple(config)
    assert again.checkpoint["channel_values"] == {"items": [1, 2], "d": {"k": "v"}}
    assert again.checkpoint["channel_versions"] == {"items": _ver(1), "d": _ver(1)}
    assert again.checkpoint["versions_seen"] == {"node": {"items": _ver(1)}}
    assert again.checkpoint["updated_channels"] == ["items"]
    assert again.metadata == {"source": "loop", "step": 0, "parents": {}}
    assert again.pending_writes == [("task", "items", {"w": [1]})]


def test_get_next_version():
    ours, theirs = InMemorySaver(), LGSaver()
    pattern = re.compile(r"^\d{32}\.\d\.\d+")
    for current in (None, 1, 41, _ver(7)):
        a = ours.get_next_version(current, None)
        b = theirs.get_next_version(current, None)
        assert pattern.match(a) and a.split(".")[0] == b.split(".")[0]
        assert len(a) >= 34
    v = None
    seen = []
    for _ in range(20):
        v = ours.get_next_version(v, None)
        seen.append(v)
    assert seen == sorted(seen) and int(seen[-1].split(".")[0]) == 20


def test_async_twins():
    async def run(saver):
        config = await saver.aput(
            _cfg(), _ckpt(0, {"a": 1}, {"a": 1}), {"source": "loop", "step": 0}, {"a": 1}
        )
        await saver.aput_writes(config, [("a", 2)], "task", "p")
        found = await saver.aget_tuple(config)
        cp = await saver.aget(config)
        listed = [t async for t in saver.alist(None)]
        await saver.adelete_thread("t1")
        gone = await saver.aget_tuple(_cfg())
        return found, cp, listed, gone

    ours = asyncio.run(run(InMemorySaver()))
    theirs = asyncio.run(run(LGSaver()))
    # ids differ between runs; compare the shape
    assert ours[0].pending_writes == theirs[0].pending_writes == [("task", "a", 2)]
    assert ours[1]["channel_values"] == theirs[1]["channel_values"] == {"a": 1}
    assert len(ours[2]) == len(theirs[2]) == 1
    assert ours[3] is theirs[3] is None


def test_context_managers_and_alias():
    assert MemorySaver is InMemorySaver
    with InMemorySaver() as saver:
        assert isinstance(saver, InMemorySaver)

    async def run():
        async with InMemorySaver() as saver:
            return saver

    assert isinstance(asyncio.run(run()), InMemorySaver)


def test_persistent_dict_factory(tmp_path):
    filename = str(tmp_path / "cp")
    factory = functools.partial(PersistentDict, filename=filename)
    with InMemorySaver(factory=factory) as saver:
        config = saver.put(_cfg(), _ckpt(0, {"a": 1}, {"a": 1}), {"step": 0}, {"a": 1})
        saver.put_writes(config, [("a", 2)], "task")
    import pickle

    with open(filename, "rb") as fh:
        assert pickle.load(fh)  # something was written
    restored = PersistentDict(filename=filename)
    restored.load()
    assert len(restored) == 1


def test_delta_channel_history_matches_langgraph():
    both = Both()
    configs = _build_history(both)
    a = both.ours.get_delta_channel_history(config=configs[2], channels=["x", "msgs", "nope"])
    b = both.theirs.get_delta_channel_history(config=configs[2], channels=["x", "msgs", "nope"])
    assert a == b


# ---------------------------------------------------------------- base module


def test_base_saver_raises_like_langgraph():
    saver = base.BaseCheckpointSaver()
    for name, args in [
        ("get_tuple", (_cfg(),)),
        ("get", (_cfg(),)),
        ("put", (_cfg(), {}, {}, {})),
        ("put_writes", (_cfg(), [], "t")),
        ("delete_thread", ("t",)),
        ("delete_for_runs", ([],)),
        ("copy_thread", ("a", "b")),
        ("prune", (["a"],)),
    ]:
        with pytest.raises(NotImplementedError):
            getattr(saver, name)(*args)
    with pytest.raises(NotImplementedError):
        list(saver.list(None))

    async def run():
        for coro in (
            saver.aget_tuple(_cfg()),
            saver.aget(_cfg()),
            saver.aput(_cfg(), {}, {}, {}),
            saver.aput_writes(_cfg(), [], "t"),
            saver.adelete_thread("t"),
        ):
            with pytest.raises(NotImplementedError):
                await coro
        with pytest.raises(NotImplementedError):
            [x async for x in saver.alist(None)]

    asyncio.run(run())
    assert saver.get_next_version(None, None) == 1
    assert saver.get_next_version(3, None) == 4
    with pytest.raises(NotImplementedError):
        saver.get_next_version("1", None)
    assert saver.config_specs == []


def test_with_allowlist():
    saver = InMemorySaver()
    same = saver.with_allowlist([])
    assert same is saver
    wider = saver.with_allowlist([("some.mod", "Cls")])
    assert wider is not saver and wider.storage is saver.storage
    assert ("some.mod", "Cls") in wider.serde._allowed_msgpack_modules


def test_constants_match_langgraph():
    assert base.WRITES_IDX_MAP == lg_base.WRITES_IDX_MAP
    assert base.EXCLUDED_METADATA_KEYS == lg_base.EXCLUDED_METADATA_KEYS
    assert base.LATEST_VERSION == lg_base.LATEST_VERSION
    assert (base.ERROR, base.INTERRUPT, base.RESUME, base.SCHEDULED) == (
        lg_base.ERROR,
        lg_base.INTERRUPT,
        lg_base.RESUME,
        lg_base.SCHEDULED,
    )
    assert base.writes_sort_key("p", "t", 1) == lg_base.writes_sort_key("p", "t", 1)
    assert base.CheckpointTuple._fields == lg_base.CheckpointTuple._fields
    assert base.Checkpoint.__annotations__.keys() == lg_base.Checkpoint.__annotations__.keys()
    assert (
        base.CheckpointMetadata.__annotations__.keys()
        == lg_base.CheckpointMetadata.__annotations__.keys()
    )
    from langgraph_jit.errors import EmptyChannelError

    assert base.EmptyChannelError is EmptyChannelError


@pytest.mark.parametrize(
    "config",
    [
        {
            "configurable": {
                "thread_id": "t",
                "a": "x\x00y",
                "__p": 1,
                "checkpoint_ns": "n",
                "f": 1.5,
                "o": [1],
            }
        },
        {
            "configurable": {"thread_id": "t", "step": 99},
            "metadata": {"m": True, "source": "zzz", "langgraph_node": "n"},
        },
        {"configurable": {}},
    ],
)
def test_checkpoint_metadata_helpers(config):
    md = {"source": "loop", "step": 1, "writes": {"a": 1}, "note": "a\x00b"}
    assert base.get_checkpoint_metadata(config, md) == lg_base.get_checkpoint_metadata(config, md)
    assert base.get_serializable_checkpoint_metadata(
        config, md
    ) == lg_base.get_serializable_checkpoint_metadata(config, md)
    assert base.get_checkpoint_id(_cfg(checkpoint_id="c")) == "c"
    assert base.get_checkpoint_id(_cfg()) is None


def test_uuid6_ids():
    ids = [str(base.uuid6(clock_seq=s)) for s in (-1, 0, 1, 2)]
    assert ids == sorted(ids)
    assert [i.split("-")[3] for i in ids] == ["bfff", "8000", "8001", "8002"]
    assert all(i.split("-")[2][0] == "6" for i in ids)
    many = [str(base.uuid6()) for _ in range(2000)]
    assert len(set(many)) == 2000
    assert [u[:18] for u in many] == sorted(u[:18] for u in many)
    lg_id = str(lg_base.uuid6(clock_seq=0))
    assert len(lg_id) == len(ids[1]) and lg_id.split("-")[3] == "8000"


def test_empty_copy_create_checkpoint():
    from langgraph_jit.errors import EmptyChannelError

    empty = base.empty_checkpoint()
    theirs = lg_base.empty_checkpoint()
    assert empty.keys() == theirs.keys()
    assert empty["v"] == theirs["v"] and empty["id"].split("-")[3] == theirs["id"].split("-")[3]
    ck = dict(
        empty,
        channel_values={"a": 1},
        channel_versions={"a": 1, "b": 1},
        versions_seen={"n": {"a": 1}},
    )
    copied = base.copy_checkpoint(ck)
    copied["versions_seen"]["n"]["a"] = 2
    copied["channel_versions"]["a"] = 5
    assert ck["versions_seen"]["n"]["a"] == 1 and ck["channel_versions"]["a"] == 1
    assert copied.keys() == lg_base.copy_checkpoint(ck).keys()

    class Chan:
        def __init__(self, value):
            self.value = value

        def checkpoint(self):
            if self.value is None:
                raise EmptyChannelError()
            return self.value

    created = base.create_checkpoint(ck, {"a": Chan(3), "b": Chan(None), "c": Chan(4)}, 5)
    assert created["channel_values"] == {"a": 3}
    assert created["id"].split("-")[3] == "8005"
    assert created.keys() == lg_base.create_checkpoint(ck, None, 5).keys()
    assert base.create_checkpoint(ck, None, 1, id="given")["id"] == "given"


def test_real_langgraph_engine_runs_identically_on_our_saver():
    """LangGraph's own engine, driven against our saver, behaves as with its saver."""
    from langchain_core.messages import AIMessage, HumanMessage
    from langgraph.checkpoint.base import BaseCheckpointSaver as LGBase
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.types import Command, Send, interrupt

    class Hybrid(InMemorySaver, LGBase):  # LangGraph only accepts its own base class
        pass

    class S(TypedDict):
        items: Annotated[list, operator.add]
        n: int

    def a(s):
        return {"items": [("a", s["n"])], "n": s["n"] + 1}

    def b(s):
        return {"items": [interrupt("q?")]}

    g = StateGraph(S)
    g.add_node(a)
    g.add_node(b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)

    g2 = StateGraph(MessagesState)
    g2.add_node(
        "w",
        lambda s: {
            "messages": [
                AIMessage(
                    content="r" + s["messages"][-1].content, id="r" + s["messages"][-1].content
                )
            ]
        },
    )
    g2.add_conditional_edges(
        START,
        lambda s: [
            Send("w", {"messages": [HumanMessage(content=str(i), id=str(i))]}) for i in range(3)
        ],
    )
    g2.add_edge("w", END)

    def run(saver):
        app = g.compile(checkpointer=saver)
        cfg = {"configurable": {"thread_id": "1"}}
        r1 = app.invoke({"items": [], "n": 0}, cfg)
        r2 = app.invoke(Command(resume="ans"), cfg)
        hist = [
            (s.metadata["step"], s.metadata["source"], s.values, s.next, [t.name for t in s.tasks])
            for s in app.get_state_history(cfg)
        ]
        app.update_state(cfg, {"n": 42})
        state = app.get_state(cfg)
        r3 = g2.compile(checkpointer=saver).invoke(
            {"messages": [HumanMessage(content="hi", id="h")]}, {"configurable": {"thread_id": "2"}}
        )
        return r1["items"], r2, hist, state.values, state.metadata["source"], r3

    assert run(Hybrid()) == run(LGSaver())


def test_layered_map_behaves_as_the_merged_dict():
    import pickle

    from langgraph_jit.checkpoint._frozen import LayeredMap

    base = {"a": 1, "b": 2, "c": 3}
    top = {"b": 20, "d": 4}
    m = LayeredMap(base, top)
    merged = {**base, **top}
    assert list(m) == list(merged) and list(m.items()) == list(merged.items())
    assert len(m) == 4 and m == merged and dict(m) == merged
    assert "d" in m and "z" not in m and m.get("z") is None
    assert pickle.loads(pickle.dumps(m)) == merged
    assert type(pickle.loads(pickle.dumps(m))) is dict


def test_layered_snapshots_record_the_same_history_as_plain_dicts():
    """The engine hands InMemorySaver layered channel_versions/versions_seen
    (what changed since a shared base); a subclass overriding put gets plain
    dicts. Both must store the same checkpoints, as plain dicts on read."""
    from langgraph_jit.channels import LastValue
    from langgraph_jit.pregel import NodeBuilder, Pregel

    class PlainSaver(InMemorySaver):
        def put(self, config, checkpoint, metadata, new_versions):
            assert type(checkpoint["channel_versions"]) is dict
            return super().put(config, checkpoint, metadata, new_versions)

    n = 150  # long enough for several flattens of the layered maps

    def build(saver):
        nodes = {
            f"n{i:03d}": NodeBuilder()
            .subscribe_only(f"c{i}")
            .do(lambda x: x + 1)
            .write_to(f"c{i + 1}")
            for i in range(n)
        }
        channels = {f"c{i}": LastValue(int) for i in range(n + 1)}
        return Pregel(
            nodes=nodes,
            channels=channels,
            input_channels="c0",
            output_channels=f"c{n}",
            checkpointer=saver,
        )

    histories = []
    for saver in (InMemorySaver(), PlainSaver()):
        assert saver.accepts_layered_maps is (type(saver) is InMemorySaver)
        graph = build(saver)
        cfg = {"configurable": {"thread_id": "t"}, "recursion_limit": n + 5}
        assert graph.invoke(0, cfg) == n
        history = []
        for t in saver.list(cfg):
            ck = t.checkpoint
            assert type(ck["channel_versions"]) is dict and type(ck["versions_seen"]) is dict
            history.append(
                (
                    # Versions carry a random suffix: compare their order only.
                    sorted(ck["channel_versions"], key=ck["channel_versions"].get),
                    {node: sorted(seen) for node, seen in ck["versions_seen"].items()},
                    ck["channel_values"],
                    t.metadata["step"],
                )
            )
        histories.append(history)
    assert len(histories[0]) == n + 1  # the input checkpoint and one per step
    assert histories[0] == histories[1]
