"""Differential tests of the store API and the runtime against real LangGraph 1.2.22.

Each program runs once on `langgraph.store.*` / `langgraph.runtime` and once on ours, and the
observations (results, raised errors) must agree once items are turned into plain data with
their timestamps replaced by "<ts>". Vector search uses a deterministic fake embedding.
"""

import asyncio
import dataclasses
import hashlib
import itertools
import pickle
import random
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, NamedTuple

import langgraph.config as lg_config
import langgraph.graph as lg_graph
import langgraph.runtime as lg_runtime
import langgraph.store.base as lg_base
import langgraph.store.base.embed as lg_embed
import langgraph.store.memory as lg_memory
import pytest
from langgraph.checkpoint.memory import InMemorySaver as LgSaver
from typing_extensions import TypedDict

import langgraph_jit.config as jit_config
import langgraph_jit.graph as jit_graph
import langgraph_jit.runtime as jit_runtime
import langgraph_jit.store.base as jit_base
import langgraph_jit.store.base.embed as jit_embed
import langgraph_jit.store.memory as jit_memory
from diff_helpers import diff_text, exc_info, first_differences, normalise
from langgraph_jit.checkpoint.memory import InMemorySaver as JitSaver

pytestmark = pytest.mark.timeout(60)


class Impl(NamedTuple):
    name: str
    base: Any
    embed: Any
    memory: Any
    graph: Any
    runtime: Any
    config: Any
    Saver: type


LG = Impl("lg", lg_base, lg_embed, lg_memory, lg_graph, lg_runtime, lg_config, LgSaver)
JIT = Impl("jit", jit_base, jit_embed, jit_memory, jit_graph, jit_runtime, jit_config, JitSaver)


# --------------------------------------------------------------------------- observing


def plain(obj: Any) -> Any:
    """Items as data (timestamps must be aware datetimes, then hidden); ops by field."""
    if isinstance(obj, (lg_base.Item, jit_base.Item)):
        assert isinstance(obj.created_at, datetime) and obj.created_at.tzinfo is not None
        assert isinstance(obj.updated_at, datetime) and obj.updated_at.tzinfo is not None
        out = {
            "<" + type(obj).__name__ + ">": None,
            "namespace": obj.namespace,
            "key": obj.key,
            "value": plain(obj.value),
            "ts_order": obj.created_at <= obj.updated_at,
        }
        if hasattr(obj, "score"):
            out["score"] = obj.score
        return out
    if isinstance(obj, BaseException):
        return exc_info(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            "<" + type(obj).__name__ + ">": {
                f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            }
        }
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {"<" + type(obj).__name__ + ">": [plain(x) for x in obj]}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(x) for x in obj)
    return obj


def attempt(fn: Callable[[], Any]) -> Any:
    try:
        return {"ok": fn()}
    except Exception as e:
        return {"raised": e}


def same(program: Callable[[Impl], Any]) -> Any:
    """Run on both; fail with a readable diff unless the observations agree."""
    expected = normalise(plain(program(LG)))
    actual = normalise(plain(program(JIT)))
    # the InvalidNamespaceError / Item modules differ by package name only
    expected = _unjit(expected)
    actual = _unjit(actual)
    if expected != actual:
        summary = first_differences(expected, actual)
        raise AssertionError(
            "langgraph and langgraph_jit differ (lg != jit):\n  "
            + "\n  ".join(summary)
            + "\n"
            + diff_text(expected, actual)
        )
    return expected


def _unjit(obj: Any) -> Any:
    if isinstance(obj, str):
        return obj.replace("langgraph_jit", "langgraph")
    if isinstance(obj, dict):
        return {k: _unjit(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unjit(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(_unjit(x) for x in obj)
    return obj


# --------------------------------------------------------------------------- fake embeddings

DIMS = 8


def fake_vector(text: str) -> list[float]:
    """Deterministic, content-dependent: character-bigram hashing into DIMS buckets."""
    vec = [0.0] * DIMS
    padded = f"^{text.lower()}$"
    for a, b in itertools.pairwise(padded):
        h = hashlib.blake2s((a + b).encode(), digest_size=2).digest()
        vec[h[0] % DIMS] += 1.0 + (h[1] % 3) / 4
    return vec


def embed_fn(texts):
    return [fake_vector(t) for t in texts]


async def aembed_fn(texts):
    await asyncio.sleep(0)
    return [fake_vector(t) for t in texts]


DOCS = [
    (("docs", "a"), "1", {"text": "the quick brown fox", "n": 1, "tags": ["animal", "fast"]}),
    (("docs", "a"), "2", {"text": "lazy dogs sleep all day", "n": 2, "tags": ["animal"]}),
    (("docs", "b"), "3", {"text": "python programming", "n": 3, "meta": {"lang": "py"}}),
    (("docs", "b"), "4", {"text": "rust programming language", "n": 4, "meta": {"lang": "rs"}}),
    (
        ("docs", "b", "c"),
        "5",
        {"text": "brown bread recipe", "n": 5, "sub": [{"t": "x"}, {"t": "y"}]},
    ),
    (("notes",), "6", {"text": "meeting notes quick sync", "n": 6.5, "flag": True}),
    (("notes",), "7", {"other": "no text field", "n": None}),
]


def fill(store):
    for ns, key, value in DOCS:
        store.put(ns, key, value)
    return store


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


# --------------------------------------------------------------------------- vector search


def _index_configs(lg: Impl):
    class Emb(lg.base.Embeddings):
        def embed_documents(self, texts):
            return [fake_vector(t) for t in texts]

        def embed_query(self, text):
            return fake_vector(text)

    return {
        "fn": {"dims": DIMS, "embed": embed_fn},
        "fields": {"dims": DIMS, "embed": embed_fn, "fields": ["text", "meta.lang", "sub[*].t"]},
        "object": {"dims": DIMS, "embed": Emb(), "fields": ["text"]},
    }


QUERIES = ["quick brown", "programming", "bread", "zzz", "notes", ""]


@pytest.mark.parametrize("config", ["fn", "fields", "object"])
def test_vector_search(config):
    def program(lg: Impl):
        s = fill(lg.memory.InMemoryStore(index=_index_configs(lg)[config]))
        out = {"tokenized": s.index_config["__tokenized_fields"]}
        for q in QUERIES:
            for prefix in [(), ("docs",), ("notes",)]:
                out[f"{q}|{prefix}"] = s.search(prefix, query=q, limit=4)
                out[f"{q}|{prefix}|off"] = s.search(prefix, query=q, limit=2, offset=1)
        out["filter"] = s.search(("docs",), query="brown", filter={"n": {"$gt": 1}})
        # per-put index overrides: False (not embedded), explicit paths, "$" as a path
        s.put(("docs", "x"), "no_index", {"text": "quick brown fox"}, index=False)
        s.put(("docs", "x"), "paths", {"text": "nope", "title": "quick brown"}, index=["title"])
        s.put(("docs", "x"), "dollar", {"text": "quick brown fox"}, index=["$"])
        out["overrides"] = s.search(("docs", "x"), query="quick brown fox", limit=10)
        # a replaced value keeps the vectors of paths it no longer has
        s.put(("docs", "b", "c"), "5", {"text": "completely different"})
        out["stale"] = s.search(("docs", "b", "c"), query="x", limit=3)
        s.delete(("docs", "a"), "1")
        out["after_delete"] = s.search(("docs",), query="quick brown", limit=3)
        return out

    same(program)


def test_vector_search_batch_and_duplicate_texts():
    def program(lg: Impl):
        b = lg.base
        calls = []

        def counting(texts):
            calls.append(list(texts))
            return embed_fn(texts)

        s = lg.memory.InMemoryStore(
            index={"dims": DIMS, "embed": counting, "fields": ["a", "b[*]"]}
        )
        out = {}
        out["dup_in_item"] = attempt(lambda: s.put(("n",), "k1", {"a": "same", "b": ["same", "x"]}))
        out["dup_across"] = attempt(
            lambda: s.batch([b.PutOp(("n",), "k1", {"a": "t"}), b.PutOp(("n",), "k2", {"a": "t"})])
        )
        out["nothing_written"] = s.search(("n",))
        s.batch(
            [
                b.PutOp(("n",), "k1", {"a": "alpha", "b": ["beta", "gamma"]}),
                b.PutOp(("n",), "k2", {"a": "delta"}),
            ]
        )
        out["multi"] = s.batch(
            [
                b.SearchOp(("n",), query="alpha"),
                b.SearchOp(("n",), query="gamma", limit=1),
                b.SearchOp(("n",), query="alpha", offset=1),
                b.SearchOp(("zz",), query="alpha"),
                b.PutOp(("n",), "k3", {"a": "alpha"}),
                b.SearchOp(("n",)),
            ]
        )
        out["calls"] = sorted(map(tuple, calls))
        return out

    same(program)


def test_vector_search_async():
    def program(lg: Impl):
        async def go():
            out = {}
            for name, embed in [("sync", embed_fn), ("async", aembed_fn)]:
                s = lg.memory.InMemoryStore(
                    index={"dims": DIMS, "embed": embed, "fields": ["text"]}
                )
                for ns, key, value in DOCS:
                    await s.aput(ns, key, value)
                out[name] = {
                    "search": await s.asearch(("docs",), query="brown fox", limit=3),
                    "get": await s.aget(("docs", "a"), "1"),
                    "list": await s.alist_namespaces(prefix=("docs",), max_depth=2),
                    "gather": await asyncio.gather(
                        s.asearch((), query="programming", limit=2),
                        s.asearch((), query="notes", limit=2),
                    ),
                }
                await s.adelete(("docs", "a"), "1")
                out[name]["after"] = await s.asearch(("docs", "a"), query="brown fox")
            # an async-only embedding cannot serve the sync API
            s = lg.memory.InMemoryStore(index={"dims": DIMS, "embed": aembed_fn})
            out["sync_on_async"] = attempt(lambda: s.put(("a",), "k", {"t": "x"}))
            return out

        return asyncio.run(go())

    same(program)


def test_langchain_embeddings_object_is_accepted():
    """A LangChain Embeddings instance works although we never import langchain_core."""
    from langchain_core.embeddings import Embeddings as LcEmbeddings

    class LcEmb(LcEmbeddings):
        def embed_documents(self, texts):
            return embed_fn(texts)

        def embed_query(self, text):
            return fake_vector(text)

    emb = LcEmb()
    assert jit_embed.ensure_embeddings(emb) is emb
    assert isinstance(emb, jit_base.Embeddings)

    def program(lg: Impl):
        s = fill(lg.memory.InMemoryStore(index={"dims": DIMS, "embed": emb, "fields": ["text"]}))
        return s.search((), query="quick", limit=3)

    same(program)


def test_ensure_embeddings():
    def program(lg: Impl):
        e = lg.embed.ensure_embeddings(embed_fn)
        ae = lg.embed.ensure_embeddings(aembed_fn)

        class Caller:
            async def __call__(self, texts):
                return embed_fn(texts)

        return {
            "none": attempt(lambda: lg.embed.ensure_embeddings(None)),
            "str": attempt(lambda: lg.embed.ensure_embeddings("openai:text-embedding-3-small")),
            "docs": e.embed_documents(["a b", "c"]),
            "query": e.embed_query("a b"),
            "adocs": asyncio.run(e.aembed_documents(["a b"])),
            "aquery": asyncio.run(e.aembed_query("q")),
            "async_docs": asyncio.run(ae.aembed_documents(["x"])),
            "async_sync": attempt(lambda: ae.embed_query("x")),
            "callable_obj": asyncio.run(lg.embed.ensure_embeddings(Caller()).aembed_query("zz")),
            "no_index": attempt(lambda: lg.memory.InMemoryStore(index={"dims": 3})),
        }

    same(program)


PATHS = [
    "",
    "$",
    "a",
    "a.b",
    "a.b.c",
    "list[0]",
    "list[-1]",
    "list[5]",
    "list[x]",
    "list[*]",
    "list[*].t",
    "objs[*].{t,u}",
    "{a,n,missing}",
    "{a.b, list}",
    "*",
    "*.b",
    "n",
    "flag",
    "none",
    "a[0]",
    "list.t",
    "nested[*][*]",
    "obj",
    "weird..path",
    "unclosed[1",
    "x{a,{b}}y",
]


def test_tokenize_path_and_get_text_at_path():
    def program(lg: Impl):
        obj = {
            "a": {"b": {"c": "deep"}, "x": 1},
            "list": ["zero", 1, 2.5, {"t": "in list"}],
            "objs": [{"t": "t1", "u": 2}, {"t": "t2"}, "notadict"],
            "n": 7,
            "flag": False,
            "none": None,
            "nested": [[1, 2], ["é", "ü"]],
            "obj": {"z": 1, "a": [True]},
        }
        from types import MappingProxyType

        return {
            "tokens": {p: lg.base.tokenize_path(p) for p in PATHS},
            "texts": {p: attempt(lambda p=p: lg.base.get_text_at_path(obj, p)) for p in PATHS},
            "token_list": lg.base.get_text_at_path(obj, ["a", "b", "c"]),
            "mapping": lg.base.get_text_at_path(MappingProxyType({"k": "v"}), "$"),
            "scalar_root": lg.base.get_text_at_path("text", "$"),
        }

    same(program)


# --------------------------------------------------------------------------- runtime


def test_runtime_objects():
    def program(lg: Impl):
        rt = lg.runtime
        r = rt.Runtime(context={"u": 1})
        ei = rt.ExecutionInfo(checkpoint_id="c", checkpoint_ns="", task_id="t")
        control = rt.RunControl()
        out = {
            "default": (
                r.store,
                r.previous,
                r.execution_info,
                r.server_info,
                r.control,
                r.drain_requested,
            ),
            "positional": attempt(lambda: rt.Runtime({"u": 1})),
            "frozen": attempt(lambda: setattr(r, "context", 2)),
            "override": r.override(previous=5).previous,
            "override_bad": attempt(lambda: r.override(nope=1)),
            "patch_none": attempt(lambda: r.patch_execution_info(task_id="x")),
            "patched": r.override(execution_info=ei)
            .patch_execution_info(node_attempt=2)
            .execution_info,
            "ei_patch": ei.patch(thread_id="th"),
            "ei_missing": attempt(lambda: rt.ExecutionInfo(checkpoint_id="c")),
            "server": rt.ServerInfo(assistant_id="a", graph_id="g"),
        }
        control.request_drain()
        r2 = rt.Runtime(control=control)
        out["drain"] = (r2.drain_requested, r2.drain_reason, control.drain_reason)
        control.request_drain("deploy")
        out["drain2"] = r2.drain_reason
        merged = rt.Runtime(context="a", previous=1).merge(
            rt.Runtime(context="", store=None, previous=0)
        )
        out["merge"] = (merged.context, merged.previous, merged.stream_writer is r.stream_writer)
        out["eq"] = rt.Runtime(context=1) == rt.Runtime(context=1)
        out["outside"] = attempt(rt.get_runtime)

        class User:
            is_authenticated = True
            display_name = "d"
            identity = "i"
            permissions = []

            def __getitem__(self, k):
                return k

            def __contains__(self, k):
                return True

            def __iter__(self):
                return iter(())

        out["base_user"] = (isinstance(User(), rt.BaseUser), isinstance(object(), rt.BaseUser))
        return out

    same(program)


def _memory_graph(lg: Impl, *, use_async: bool = False):
    @dataclasses.dataclass
    class Ctx:
        user_id: str
        greeting: str = "hi"

    class State(TypedDict):
        question: str
        log: Annotated[list, lambda a, b: a + b]

    Runtime = lg.runtime.Runtime

    def remember(state: State, runtime: Runtime[Ctx]):
        ns = ("memories", runtime.context.user_id)
        runtime.store.put(ns, state["question"][:4], {"q": state["question"]})
        found = runtime.store.search(ns, filter={"q": state["question"]})
        return {"log": [f"{runtime.context.greeting}:{len(found)}"]}

    def recall(state: State, *, store, config):
        rt = lg.runtime.get_runtime()
        ns = ("memories", rt.context.user_id)
        same_store = store is rt.store is lg.config.get_store()
        items = store.search(ns)
        info = rt.execution_info
        return {
            "log": [
                [i.value["q"] for i in items],
                same_store,
                info.thread_id,
                info.checkpoint_ns.split(":")[0],
                info.task_id is not None,
                info.node_attempt,
                rt.previous,
                rt.server_info,
            ]
        }

    async def aremember(state: State, runtime: Runtime[Ctx]):
        ns = ("memories", runtime.context.user_id)
        await runtime.store.aput(ns, state["question"][:4], {"q": state["question"]})
        found = await runtime.store.asearch(ns)
        return {"log": [f"{runtime.context.greeting}:{len(found)}"]}

    def no_runtime(state: State):
        return {"log": ["plain"]}

    g = lg.graph.StateGraph(State, context_schema=Ctx)
    g.add_node("remember", aremember if use_async else remember)
    g.add_node("recall", recall)
    g.add_node("plain", no_runtime)
    g.add_edge(lg.graph.START, "remember")
    g.add_edge("remember", "recall")
    g.add_edge("recall", "plain")
    return g, Ctx


def test_graph_nodes_use_store_and_runtime():
    def program(lg: Impl):
        g, Ctx = _memory_graph(lg)
        store = lg.memory.InMemoryStore()
        app = g.compile(store=store, checkpointer=lg.Saver())
        out = []
        for i, (user, q) in enumerate(
            [("u1", "what is up"), ("u1", "who am I"), ("u2", "what is up")]
        ):
            cfg = {"configurable": {"thread_id": f"t{i}"}}
            out.append(
                app.invoke(
                    {"question": q, "log": []}, cfg, context=Ctx(user_id=user, greeting="yo")
                )
            )
        out.append(
            list(
                app.stream(
                    {"question": "stream me", "log": []},
                    {"configurable": {"thread_id": "s"}},
                    context=Ctx("u3"),
                    stream_mode="updates",
                )
            )
        )
        out.append(store.list_namespaces())
        out.append(store.search(("memories",), limit=20))
        # no store given: the store param / runtime.store are None
        bare = g.compile()
        out.append(attempt(lambda: bare.invoke({"question": "q", "log": []}, context=Ctx("u"))))
        return out

    same(program)


def test_graph_async_nodes_use_store_and_runtime():
    def program(lg: Impl):
        g, Ctx = _memory_graph(lg, use_async=True)
        store = lg.memory.InMemoryStore(index={"dims": DIMS, "embed": aembed_fn, "fields": ["q"]})
        app = g.compile(store=store)

        async def go():
            a = await app.ainvoke({"question": "brown fox", "log": []}, context=Ctx("u1"))
            b = await app.ainvoke({"question": "lazy dog", "log": []}, context=Ctx("u1"))
            hits = await store.asearch(("memories", "u1"), query="fox")
            return [a, b, hits]

        return asyncio.run(go())

    same(program)


def test_runtime_visible_from_get_runtime_matches_param():
    def program(lg: Impl):
        class S(TypedDict):
            x: int

        seen = {}

        def node(state: S, runtime: lg.runtime.Runtime):
            r = lg.runtime.get_runtime()
            seen["eq_fields"] = (
                r.context == runtime.context,
                r.store is runtime.store,
                r.execution_info == runtime.execution_info,
            )
            seen["ctx"] = r.context
            return {"x": state["x"] + 1}

        store = lg.memory.InMemoryStore()
        app = (
            lg.graph.StateGraph(S, context_schema=dict)
            .add_node(node)
            .set_entry_point("node")
            .compile(store=store)
        )
        out = app.invoke({"x": 1}, context={"k": "v"})
        return [out, seen]

    same(program)


# --------------------------------------------------------------------------- hygiene


def test_import_does_not_pull_numba_or_langchain_core():
    code = (
        "import sys, langgraph_jit.store.memory, langgraph_jit.store.base, langgraph_jit.runtime;"
        "print(sorted(m for m in ('numba', 'langchain_core', 'langgraph') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _task_runtime_fields(lg: Impl):
    class S(TypedDict):
        x: int

    seen = {}

    def node(state: S, runtime: lg.runtime.Runtime):
        r = lg.runtime.get_runtime()
        info = runtime.execution_info
        seen["identity"] = r is runtime
        seen["control"] = type(runtime.control).__name__
        seen["first_attempt_time"] = type(info.node_first_attempt_time).__name__
        seen["writer"] = (callable(runtime.stream_writer), callable(r.stream_writer))
        return {"x": 1}

    lg.graph.StateGraph(S).add_node(node).set_entry_point("node").compile().invoke({"x": 0})
    return seen


def test_task_runtime_writer_is_callable():
    """The stream writer handed to a node is callable both as a parameter and via get_runtime."""

    def program(lg: Impl):
        return _task_runtime_fields(lg)["writer"]

    same(program)


def test_task_runtime_identity_control_and_attempt_time():
    same(_task_runtime_fields)


def test_entrypoint_runtime_previous():
    import importlib

    def program(lg: Impl):
        pkg = lg.runtime.__name__.rsplit(".", 1)[0]
        func = importlib.import_module(pkg + ".func")

        @func.entrypoint(checkpointer=lg.Saver())
        def wf(x: int, *, runtime: lg.runtime.Runtime):
            return [x, runtime.previous, lg.runtime.get_runtime().previous]

        c = {"configurable": {"thread_id": "1"}}
        return [wf.invoke(1, c), wf.invoke(2, c)]

    same(program)
