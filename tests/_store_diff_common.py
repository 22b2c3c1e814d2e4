"""Observers and fixtures shared by the store/runtime differential tests
(tests/test_store_diff_*.py).

Each program runs once on `langgraph.store.*` / `langgraph.runtime` and once on ours, and the
observations (results, raised errors) must agree once items are turned into plain data with
their timestamps replaced by "<ts>". Vector search uses a deterministic fake embedding.
"""

import asyncio
import dataclasses
import hashlib
import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import langgraph.config as lg_config
import langgraph.graph as lg_graph
import langgraph.runtime as lg_runtime
import langgraph.store.base as lg_base
import langgraph.store.base.embed as lg_embed
import langgraph.store.memory as lg_memory
from langgraph.checkpoint.memory import InMemorySaver as LgSaver

import langgraph_jit.config as jit_config
import langgraph_jit.graph as jit_graph
import langgraph_jit.runtime as jit_runtime
import langgraph_jit.store.base as jit_base
import langgraph_jit.store.base.embed as jit_embed
import langgraph_jit.store.memory as jit_memory
from diff_helpers import diff_text, exc_info, first_differences, normalise
from langgraph_jit.checkpoint.memory import InMemorySaver as JitSaver


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
