"""Differential tests of the store's vector search against LangGraph 1.2.22 (deterministic fake
embeddings from _store_diff_common): index configs, batches, async search, LangChain embeddings,
ensure_embeddings and the text-path helpers.
"""

import asyncio

import pytest

import langgraph_jit.store.base as jit_base
import langgraph_jit.store.base.embed as jit_embed
from _store_diff_common import (
    DIMS,
    DOCS,
    Impl,
    aembed_fn,
    attempt,
    embed_fn,
    fake_vector,
    fill,
    same,
)

pytestmark = pytest.mark.timeout(60)


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
