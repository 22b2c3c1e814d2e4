"""One behavioural suite for every saver: memory, SQLite and PostgreSQL, sync and async.

Covers put/get_tuple/list (filter, before, limit)/put_writes/delete_thread,
storage that grows with what changed (not steps x state), our Pregel engine
running on each saver, and loading a malicious stored row.
"""

from __future__ import annotations

import asyncio
import operator
import os
import uuid
from datetime import datetime, timezone

import msgpack
import pytest

from langgraph_jit.checkpoint.base import uuid6
from saver_fixtures import ASYNC_KINDS, SYNC_KINDS, async_saver, fresh_database, pg_dsn, sync_saver  # noqa: F401


@pytest.fixture
def db_factory(request):
    """Lazily gives fresh PostgreSQL databases (the cluster starts only if needed)."""

    def factory():
        return fresh_database(request.getfixturevalue("pg_dsn"))

    return factory


def _cfg(thread, ns="", checkpoint_id=None):
    conf = {"thread_id": thread, "checkpoint_ns": ns}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def _ckpt(step, values, versions, seen=None):
    return {
        "v": 4,
        "id": str(uuid6(clock_seq=step)),
        "ts": datetime.now(timezone.utc).isoformat(),
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": seen or {},
        "updated_channels": sorted(values) or None,
    }


class SyncAPI:
    """Calls a saver's sync methods."""

    def __init__(self, saver):
        self.saver = saver

    async def __call__(self, name, *args, **kwargs):
        out = getattr(self.saver, name)(*args, **kwargs)
        return list(out) if name == "list" else out


class AsyncAPI:
    """Calls a saver's async twins."""

    def __init__(self, saver):
        self.saver = saver

    async def __call__(self, name, *args, **kwargs):
        if name == "list":
            return [t async for t in self.saver.alist(*args, **kwargs)]
        if name == "get_next_version":
            return self.saver.get_next_version(*args, **kwargs)
        return await getattr(self.saver, "a" + name)(*args, **kwargs)


def run_on_all(kind, mode, tmp_path, db_factory, scenario):
    if mode == "sync":
        with sync_saver(kind, tmp_path, db_factory) as saver:
            asyncio.run(scenario(SyncAPI(saver), saver))
    else:

        async def main():
            async with async_saver(kind, tmp_path, db_factory) as saver:
                await scenario(AsyncAPI(saver), saver)

        asyncio.run(main())


KINDS = [(k, "sync") for k in SYNC_KINDS] + [(k, "async") for k in ASYNC_KINDS]
kinds = pytest.mark.parametrize("kind,mode", KINDS, ids=[f"{k}-{m}" for k, m in KINDS])


async def _history(call, thread="t1", ns="", steps=3):
    """A chain of `steps` checkpoints in one thread; returns their configs."""
    configs = []
    parent = _cfg(thread, ns)
    version = None
    for step in range(steps):
        version = await call("get_next_version", version, None)
        checkpoint = _ckpt(step, {"x": step, "msg": f"m{step}"}, {"x": version, "msg": version})
        stored = await call(
            "put",
            parent,
            checkpoint,
            {"source": "loop", "step": step, "parents": {}},
            {"x": version, "msg": version},
        )
        configs.append(stored)
        parent = stored
    return configs


@kinds
def test_put_get_list(kind, mode, tmp_path, db_factory):
    async def scenario(call, saver):
        assert await call("get_tuple", _cfg("t1")) is None
        configs = await _history(call)
        await _history(call, thread="t1", ns="child", steps=1)
        await _history(call, thread="t2", steps=2)

        latest = await call("get_tuple", _cfg("t1"))
        assert latest.config == configs[-1]
        assert latest.checkpoint["channel_values"] == {"x": 2, "msg": "m2"}
        assert (
            latest.parent_config["configurable"]["checkpoint_id"]
            == configs[1]["configurable"]["checkpoint_id"]
        )
        assert latest.metadata == {"source": "loop", "step": 2, "parents": {}}
        first = await call("get_tuple", configs[0])
        assert first.checkpoint["channel_values"] == {"x": 0, "msg": "m0"}
        assert first.parent_config is None
        assert await call("get_tuple", _cfg("t1", checkpoint_id=str(uuid.uuid4()))) is None

        listed = await call("list", _cfg("t1"))
        ids = [
            t.config["configurable"]["checkpoint_id"]
            for t in listed
            if t.config["configurable"]["checkpoint_ns"] == ""
        ]
        assert ids == [c["configurable"]["checkpoint_id"] for c in reversed(configs)]
        assert len(await call("list", {"configurable": {"thread_id": "t1"}})) == 4
        assert len(await call("list", _cfg("t1", ns="child"))) == 1
        assert len(await call("list", None)) == 6
        assert [t.metadata["step"] for t in await call("list", _cfg("t1"), filter={"step": 1})] == [
            1
        ]
        assert len(await call("list", None, filter={"source": "loop", "step": 0})) == 3
        assert await call("list", _cfg("t1"), filter={"source": "input"}) == []
        before = await call("list", _cfg("t1"), before=configs[2])
        assert [t.metadata["step"] for t in before] == [1, 0]
        assert [t.metadata["step"] for t in await call("list", _cfg("t1"), limit=2)] == [2, 1]
        assert [
            t.metadata["step"] for t in await call("list", _cfg("t1"), before=configs[2], limit=1)
        ] == [1]

    run_on_all(kind, mode, tmp_path, db_factory, scenario)


@kinds
def test_writes_and_delete_thread(kind, mode, tmp_path, db_factory):
    async def scenario(call, saver):
        configs = await _history(call, steps=2)
        await _history(call, thread="other", steps=1)
        cfg = configs[-1]
        await call("put_writes", cfg, [("a", 1), ("b", {"k": [1, 2]})], "task-2", "~path/2")
        await call("put_writes", cfg, [("a", 10)], "task-1", "~path/1")
        # Regular writes are kept on replay; special channels are overwritten.
        await call("put_writes", cfg, [("a", 99), ("b", 99)], "task-2", "~path/2")
        await call("put_writes", cfg, [("__error__", "boom")], "task-3")
        await call("put_writes", cfg, [("__error__", "boom again")], "task-3")
        found = await call("get_tuple", cfg)
        assert found.pending_writes == [
            ("task-3", "__error__", "boom again"),
            ("task-1", "a", 10),
            ("task-2", "a", 1),
            ("task-2", "b", {"k": [1, 2]}),
        ]
        listed = await call("list", _cfg("t1"), limit=1)
        assert listed[0].pending_writes == found.pending_writes
        assert (await call("get_tuple", configs[0])).pending_writes == []

        await call("delete_thread", "t1")
        assert await call("get_tuple", _cfg("t1")) is None
        assert await call("list", _cfg("t1")) == []
        assert await call("get_tuple", _cfg("other")) is not None

    run_on_all(kind, mode, tmp_path, db_factory, scenario)


def _stored_blob_count(saver, channel):
    kind = type(saver).__name__
    if kind == "InMemorySaver":
        return sum(1 for k in saver.blobs if k[2] == channel)
    if "Sqlite" in kind:
        conn = saver.conn
        if kind.startswith("Async"):
            raise NotImplementedError
        return conn.execute(
            "SELECT count(*) FROM checkpoint_blobs WHERE channel = ?", (channel,)
        ).fetchone()[0]
    with saver._connection() as conn:
        return conn.execute(
            "SELECT count(*) AS n FROM checkpoint_blobs WHERE channel = %s", (channel,)
        ).fetchone()["n"]


@pytest.mark.parametrize("kind", SYNC_KINDS)
def test_values_stored_once_per_version(kind, tmp_path, db_factory):
    """A large value that never changes is stored once, not once per step."""
    big = {"doc": "x" * 10_000, "n": list(range(100))}
    with sync_saver(kind, tmp_path, db_factory) as saver:
        parent = _cfg("t")
        big_version = saver.get_next_version(None, None)
        version = big_version
        configs = []
        for step in range(40):
            version = saver.get_next_version(version, None)
            values = {"counter": step, "big": big}
            new = {"counter": version, "big": big_version} if step == 0 else {"counter": version}
            checkpoint = _ckpt(
                step, {k: values[k] for k in new}, {"counter": version, "big": big_version}
            )
            parent = saver.put(parent, checkpoint, {"step": step}, new)
            configs.append(parent)
        assert _stored_blob_count(saver, "big") == 1
        # one blob per version at most (small values may live in the checkpoint rows)
        assert _stored_blob_count(saver, "counter") <= 40
        for step in (0, 17, 39):
            values = saver.get_tuple(configs[step]).checkpoint["channel_values"]
            assert values == {"counter": step, "big": big}


# ---------------------------------------------------------------- the engine on each saver


def _app(checkpointer, interrupt_before=()):
    from langgraph_jit.channels import BinaryOperatorAggregate, LastValue, Topic
    from langgraph_jit.pregel import NodeBuilder, Pregel

    return Pregel(
        nodes={
            "inc": NodeBuilder()
            .subscribe_only("a")
            .do(lambda x: x + 1)
            .write_to("b", log=lambda x: f"inc{x}"),
            "dbl": NodeBuilder()
            .subscribe_only("b")
            .do(lambda x: x * 2)
            .write_to("c", log=lambda x: f"dbl{x}"),
            "fin": NodeBuilder()
            .subscribe_only("c")
            .do(lambda x: x + 1000)
            .write_to("out", total=lambda x: x),
        },
        channels={
            "a": LastValue(int),
            "b": LastValue(int),
            "c": LastValue(int),
            "out": LastValue(int),
            "log": Topic(str, accumulate=True),
            "total": BinaryOperatorAggregate(int, operator.add),
        },
        input_channels="a",
        output_channels=["out", "total", "log"],
        interrupt_before_nodes=list(interrupt_before),
        checkpointer=checkpointer,
    )


@kinds
def test_engine_runs_and_resumes(kind, mode, tmp_path, db_factory):
    async def scenario(call, saver):
        app = _app(saver, interrupt_before=["dbl"])
        cfg = {"configurable": {"thread_id": "run-1"}}
        if mode == "sync":
            invoke, get_state = app.invoke, app.get_state
            history = lambda c: list(app.get_state_history(c))
        else:
            invoke, get_state = app.ainvoke, app.aget_state

            async def history(c):
                return [s async for s in app.aget_state_history(c)]

        async def maybe(x):
            return await x if asyncio.iscoroutine(x) else x

        await maybe(invoke(1, cfg))
        state = await maybe(get_state(cfg))
        assert state.next == ("dbl",)
        assert state.values["b"] == 2
        out = await maybe(invoke(None, cfg))
        assert out == {"out": 1004, "total": 1004, "log": ["inc2", "dbl4"]}
        out = await maybe(invoke(5, cfg))  # stops before dbl again
        out = await maybe(invoke(None, cfg))
        assert out == {"out": 1012, "total": 2016, "log": ["inc2", "dbl4", "inc6", "dbl12"]}
        states = await maybe(history(cfg))
        assert [s.metadata["step"] for s in states] == list(range(len(states) - 2, -2, -1))
        assert states[0].values["a"] == 5 and states[0].values["total"] == 2016

    run_on_all(kind, mode, tmp_path, db_factory, scenario)


# ---------------------------------------------------------------- malicious rows


def _malicious_blob(marker):
    # EXT 0 = "call module.name(arg)": here os.system("touch <marker>").
    payload = msgpack.packb(("os", "system", f"touch {marker}"), use_bin_type=True)
    return msgpack.packb({"x": msgpack.ExtType(0, payload)}, use_bin_type=True)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_malicious_row_does_not_execute(kind, tmp_path, db_factory):
    marker = tmp_path / "pwned"
    with sync_saver(kind, tmp_path, db_factory) as saver:
        # a value large enough for the blobs table (small ones live in the checkpoint row)
        big = os.urandom(500).hex()
        stored = saver.put(_cfg("t"), _ckpt(0, {"v": big}, {"v": "1"}), {}, {"v": "1"})
        saver.put_writes(stored, [("w", 1)], "task")
        blob = _malicious_blob(marker)
        if kind == "sqlite":
            saver.conn.execute("UPDATE checkpoint_blobs SET type = 'msgpack', blob = ?", (blob,))
            saver.conn.execute("UPDATE writes SET type = 'msgpack', value = ?", (blob,))
            saver.conn.commit()
        else:
            with saver._connection() as conn:
                conn.execute("UPDATE checkpoint_blobs SET type = 'msgpack', blob = %s", (blob,))
                conn.execute("UPDATE checkpoint_writes SET type = 'msgpack', blob = %s", (blob,))
        found = saver.get_tuple(stored)
        listed = list(saver.list(None))
    assert not os.path.exists(marker)
    # The blocked call decodes to its raw payload instead.
    assert found.checkpoint["channel_values"]["v"] == {"x": f"touch {marker}"}
    assert found.pending_writes[0][2] == found.checkpoint["channel_values"]["v"]
    assert listed[0].checkpoint["channel_values"] == found.checkpoint["channel_values"]
