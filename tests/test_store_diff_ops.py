"""Differential tests of the store API against LangGraph 1.2.22: public names and op shapes,
Item/SearchItem, put/get/delete, namespace validation, batches, filtered search, list_namespaces
and randomised op sequences. The shared observers are in _store_diff_common.
"""

import asyncio
import dataclasses
import pickle
import random

import langgraph.store.base as lg_base
import pytest

import langgraph_jit.store.base as jit_base
from _store_diff_common import Impl, attempt, fill, same

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------- API surface


def test_public_names_and_op_shapes():
    def program(lg: Impl):
        names = {n: hasattr(lg.base, n) for n in lg_base.__all__}
        extra = {
            n: hasattr(lg.base, n)
            for n in (
                "SearchItem",
                "IndexConfig",
                "TTLConfig",
                "InvalidNamespaceError",
                "NOT_PROVIDED",
            )
        }
        ops = {
            cls: (getattr(lg.base, cls)._fields, getattr(lg.base, cls)._field_defaults)
            for cls in ("GetOp", "SearchOp", "PutOp", "ListNamespacesOp", "MatchCondition")
        }
        return {
            "names": names,
            "extra": extra,
            "ops": ops,
            "all": sorted(lg.base.__all__),
            "ttl": (lg.memory.InMemoryStore.supports_ttl, lg.memory.InMemoryStore.ttl_config),
            "ttlconfig": sorted(lg.base.TTLConfig.__annotations__),
            "indexconfig": sorted(lg.base.IndexConfig.__annotations__),
            "not_given": (repr(lg.base.NOT_PROVIDED), bool(lg.base.NOT_PROVIDED)),
            "wire": (lg.base.Item.__module__, lg.base.GetOp.__module__),
            "runtime_all": sorted(lg.runtime.__all__),
            "runtime_fields": [f.name for f in dataclasses.fields(lg.runtime.Runtime)],
            "exec_fields": [
                (f.name, repr(f.default)) for f in dataclasses.fields(lg.runtime.ExecutionInfo)
            ],
            "server_fields": [f.name for f in dataclasses.fields(lg.runtime.ServerInfo)],
        }

    same(program)


def test_item_and_search_item_behaviour():
    def program(lg: Impl):
        ts = "2024-05-01T10:00:00+00:00"
        a = lg.base.Item(
            value={"x": 1}, key="k", namespace=["n", "m"], created_at=ts, updated_at=ts
        )
        b = lg.base.SearchItem(("n", "m"), "k", {"x": 1}, ts, ts, score=0.5)
        c = lg.base.SearchItem(("n", "m"), "k", {"x": 2}, ts, ts)
        return {
            "repr": [repr(a), repr(b), repr(c)],
            "dict": [a.dict(), b.dict()],
            "eq": [a == b, b == a, a == c, a == "x", hash(a) == hash(b) == hash((("n", "m"), "k"))],
            "ns_type": type(a.namespace).__name__,
            "ts_type": type(a.created_at).__name__,
            "slots": [lg.base.Item.__slots__, lg.base.SearchItem.__slots__],
            "no_dict": not hasattr(a, "__dict__"),
        }

    same(program)


def test_item_pickles_and_serde_round_trip_across_engines():
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer as LgSerde

    from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer as JitSerde

    ts = "2024-05-01T10:00:00+00:00"
    ours = jit_base.Item(
        value={"x": [1, 2]}, key="k", namespace=("a",), created_at=ts, updated_at=ts
    )
    theirs = lg_base.Item(
        value={"x": [1, 2]}, key="k", namespace=("a",), created_at=ts, updated_at=ts
    )
    assert pickle.loads(pickle.dumps(ours)) == ours
    s = jit_base.SearchItem(("a",), "k", {}, ts, ts, score=0.25)
    s2 = pickle.loads(pickle.dumps(s))
    assert type(s2) is jit_base.SearchItem and s2.score == 0.25 and s2 == s
    op = jit_base.GetOp(("a",), "k")
    assert pickle.loads(pickle.dumps(op)) == op
    # what we write, LangGraph reads as its own Item, and the other way round
    back = LgSerde().loads_typed(JitSerde().dumps_typed(ours))
    assert type(back) is lg_base.Item and back == theirs
    back = JitSerde().loads_typed(LgSerde().dumps_typed(theirs))
    assert type(back) is jit_base.Item and back == ours


# --------------------------------------------------------------------------- basic operations


def test_put_get_delete_and_overwrite():
    def program(lg: Impl):
        s = lg.memory.InMemoryStore()
        obs = []
        obs.append(s.put(("users", "u1"), "prefs", {"theme": "dark"}))
        first = s.get(("users", "u1"), "prefs")
        obs.append(first)
        obs.append(s.get(("users", "u1"), "missing"))
        obs.append(s.get(("users", "nobody"), "prefs"))
        s.put(("users", "u1"), "prefs", {"theme": "light", "size": 3})
        second = s.get(("users", "u1"), "prefs")
        obs.append(second)
        obs.append(("created_reset", second.created_at > first.created_at))
        obs.append(("get_twice_same_obj", s.get(("users", "u1"), "prefs") is second))
        s.put(("users", "u1"), 42, {"int_key": True})  # keys are str()-ed
        obs.append(s.get(("users", "u1"), "42"))
        obs.append(s.get(("users", "u1"), 42))
        value = {"nested": {"a": 1}}
        s.put(("users", "u2"), "v", value)
        value["added"] = True  # shallow copy on put
        value["nested"]["b"] = 2  # ... but nested dicts are shared
        obs.append(s.get(("users", "u2"), "v"))
        obs.append(s.delete(("users", "u1"), "prefs"))
        obs.append(s.get(("users", "u1"), "prefs"))
        obs.append(s.delete(("users", "u1"), "never"))
        obs.append(s.delete(("ghost",), "never"))
        # namespaces touched by reads and deletes are listed, like LangGraph's defaultdict
        obs.append(s.list_namespaces())
        return obs

    same(program)


@pytest.mark.parametrize(
    "namespace",
    [(), ("langgraph",), ("langgraph", "x"), ("a.b",), ("",), ("a", 1), ("a\x00",), ("ok", "")],
)
def test_namespace_validation(namespace):
    def program(lg: Impl):
        s = lg.memory.InMemoryStore()
        return {
            "put": attempt(lambda: s.put(namespace, "k", {"v": 1})),
            "get": attempt(lambda: s.get(namespace, "k")),
            "search": attempt(lambda: s.search(namespace)),
            "delete": attempt(lambda: s.delete(namespace, "k")),
            "list_prefix": attempt(lambda: s.list_namespaces(prefix=namespace)),
            "list_suffix": attempt(lambda: s.list_namespaces(suffix=namespace)),
            "aput": attempt(lambda: asyncio.run(s.aput(namespace, "k", {"v": 1}))),
            "aget": attempt(lambda: asyncio.run(s.aget(namespace, "k"))),
        }

    same(program)


def test_validate_op_namespace():
    def program(lg: Impl):
        b = lg.base
        ops = [
            b.GetOp(("a.b",), "k"),
            b.PutOp(("x", ""), "k", None),
            b.SearchOp(("ok",)),
            b.SearchOp(("no.t",)),
            b.ListNamespacesOp((b.MatchCondition("prefix", ("a", "*")),)),
            b.ListNamespacesOp((b.MatchCondition("suffix", ("a", 3)),)),
            b.ListNamespacesOp(),
        ]
        return [attempt(lambda op=op: b.validate_op_namespace(op)) for op in ops]

    same(program)


def test_ttl_not_supported():
    def program(lg: Impl):
        s = lg.memory.InMemoryStore()
        return {
            "ttl": attempt(lambda: s.put(("a",), "k", {"v": 1}, ttl=5)),
            "ttl_none": attempt(lambda: s.put(("a",), "k", {"v": 1}, ttl=None)),
            "attl": attempt(lambda: asyncio.run(s.aput(("a",), "k", {"v": 1}, ttl=1.5))),
            "refresh": attempt(lambda: s.get(("a",), "k", refresh_ttl=False)),
            "search_refresh": attempt(lambda: s.search(("a",), refresh_ttl=True)),
        }

    same(program)


def test_batch_reads_before_writes_and_last_put_wins():
    def program(lg: Impl):
        b = lg.base
        s = lg.memory.InMemoryStore()
        s.put(("n",), "a", {"v": 0})
        res = s.batch(
            [
                b.PutOp(("n",), "b", {"v": 1}),
                b.GetOp(("n",), "b"),
                b.PutOp(("n",), "a", {"v": 2}),
                b.SearchOp(("n",)),
                b.PutOp(("n",), "b", {"v": 3}),
                b.ListNamespacesOp(),
                b.PutOp(("m",), "z", {"v": 4}),
                b.PutOp(("n",), "a", None),
            ]
        )
        after = s.search(("n",)) + s.search(("m",))
        bad = attempt(lambda: s.batch([b.GetOp(("n",), "a"), "not an op"]))
        return {"res": res, "after": after, "bad": bad, "ns": s.list_namespaces()}

    same(program)


# --------------------------------------------------------------------------- search


FILTERS = [
    None,
    {},
    {"n": 2},
    {"n": {"$eq": 3}},
    {"n": {"$ne": 3}},
    {"n": {"$gt": 2}},
    {"n": {"$gte": 2, "$lt": 5}},
    {"n": {"$lte": 1}},
    {"n": {"$gt": "2"}},  # string compared as float
    {"meta": {"lang": "py"}},
    {"meta": {"lang": {"$ne": "py"}}},
    {"meta": {"missing": None}},
    {"tags": ["animal"]},
    {"tags": ("animal", "fast")},
    {"tags": "animal"},
    {"flag": True},
    {"flag": 1},
    {"missing": None},
    {"text": "python programming", "n": 3},
    {"sub": [{"t": "x"}, {"t": {"$eq": "y"}}]},
    {"n": {"$in": [1, 2]}},  # unsupported operator
    {"n": {"$gt": 0}},  # item 7 has n=None: float(None) fails
    {"n": {"$gt": 0, "plain": 1}},  # mixing operators and fields
]


@pytest.mark.parametrize("flt", FILTERS, ids=[repr(f) for f in FILTERS])
def test_search_filters(flt):
    def program(lg: Impl):
        s = fill(lg.memory.InMemoryStore())
        return {
            prefix: attempt(lambda prefix=prefix: s.search(prefix, filter=flt))
            for prefix in [
                (),
                ("docs",),
                ("docs", "b"),
                ("notes",),
                ("nope",),
                ("docs", "b", "c", "d"),
            ]
        }

    same(program)


def test_search_limit_offset_and_order():
    def program(lg: Impl):
        s = fill(lg.memory.InMemoryStore())
        s.put(("docs", "a"), "1", {"text": "updated in place", "n": 10})  # keeps its position
        s.delete(("docs", "a"), "2")
        s.put(("docs", "a"), "2", {"text": "re-added at the end", "n": 11})
        out = {}
        for limit in (0, 1, 3, 100):
            for offset in (0, 2, 7, 50):
                out[f"{limit}/{offset}"] = [
                    (i.namespace, i.key) for i in s.search((), limit=limit, offset=offset)
                ]
        out["filtered"] = s.search(("docs",), filter={"n": {"$gt": 2}}, limit=2, offset=1)
        out["list_prefix"] = s.search(["docs"])  # a list never equals a tuple slice
        out["query_without_index"] = s.search(("docs",), query="brown", limit=2)
        return out

    same(program)


def test_list_namespaces():
    def program(lg: Impl):
        s = lg.memory.InMemoryStore()
        for ns in [
            ("a",),
            ("a", "b"),
            ("a", "b", "c"),
            ("a", "x", "c"),
            ("b", "b"),
            ("z", "y", "x", "w"),
            ("users", "1", "memories"),
            ("users", "2", "memories"),
            ("users", "2", "prefs"),
        ]:
            s.put(ns, "k", {"v": 1})
        b = lg.base
        calls = [
            {},
            {"prefix": ("a",)},
            {"prefix": ("a", "*")},
            {"prefix": ("a", "*", "c")},
            {"suffix": ("c",)},
            {"suffix": ("*", "c")},
            {"suffix": ("memories",), "prefix": ("users",)},
            {"prefix": ("users", "*", "memories")},
            {"max_depth": 1},
            {"max_depth": 2, "prefix": ("users",)},
            {"max_depth": 0},
            {"limit": 3},
            {"limit": 3, "offset": 2},
            {"offset": 100},
            {"prefix": ("a", "b", "c", "d")},
            {"prefix": ()},
            {"suffix": ("bad.label",)},
        ]
        out = [attempt(lambda kw=kw: s.list_namespaces(**kw)) for kw in calls]
        out.append(
            attempt(lambda: s.batch([b.ListNamespacesOp((b.MatchCondition("middle", ("a",)),))]))
        )
        out.append(
            s.batch([b.ListNamespacesOp((b.MatchCondition("prefix", ("a",)),), max_depth=None)])
        )
        return out

    same(program)


def test_randomised_op_sequences():
    """The same random op stream on both stores, observed after every op."""

    def program(lg: Impl):
        rng = random.Random(1234)
        s = lg.memory.InMemoryStore()
        namespaces = [("a",), ("a", "b"), ("a", "c"), ("b",), ("b", "a", "c")]
        obs = []
        for _ in range(400):
            kind = rng.choice(["put", "put", "put", "delete", "get", "search", "list", "batch"])
            ns = rng.choice(namespaces)
            key = f"k{rng.randrange(6)}"
            if kind == "put":
                s.put(ns, key, {"n": rng.randrange(10), "tag": rng.choice("xyz")})
            elif kind == "delete":
                s.delete(ns, key)
            elif kind == "get":
                obs.append(s.get(ns, key))
            elif kind == "search":
                prefix = ns[: rng.randrange(len(ns) + 1)]
                flt = rng.choice(
                    [None, {"tag": "x"}, {"n": {"$gte": 5}}, {"n": {"$ne": 3}, "tag": "z"}]
                )
                obs.append(
                    s.search(prefix, filter=flt, limit=rng.randrange(1, 8), offset=rng.randrange(3))
                )
            elif kind == "list":
                obs.append(
                    s.list_namespaces(
                        prefix=rng.choice([None, ("a",), ("*", "a")]),
                        suffix=rng.choice([None, ("c",)]),
                        max_depth=rng.choice([None, 1, 2]),
                    )
                )
            else:
                b = lg.base
                ops = []
                for _ in range(rng.randrange(1, 6)):
                    ns2 = rng.choice(namespaces)
                    key2 = f"k{rng.randrange(6)}"
                    ops.append(
                        rng.choice(
                            [
                                b.PutOp(ns2, key2, {"n": rng.randrange(10), "tag": "b"}),
                                b.PutOp(ns2, key2, None),
                                b.GetOp(ns2, key2),
                                b.SearchOp(ns2[:1], limit=4),
                            ]
                        )
                    )
                obs.append(s.batch(ops))
        obs.append(s.search((), limit=1000))
        return obs

    same(program)
