"""`InMemoryStore`: a dict-backed `BaseStore` with filters, namespace listing and, given an
index config, vector search by cosine similarity. For tests and single-process apps."""

from __future__ import annotations

import asyncio
import concurrent.futures
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from langgraph_jit.store.base import (
    BaseStore,
    Embeddings,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
)

__all__ = ["InMemoryStore"]

Namespace = tuple[str, ...]
# A search waiting for its query vector: the op and its filtered candidates, each with the
# vectors stored for it (empty when the op has no query or the item was never embedded).
Candidates = list[tuple[Item, list[list[float]]]]
# Text to embed -> every (namespace, key, path) it was found at.
TextSites = dict[str, list[tuple[Namespace, str, str]]]


class InMemoryStore(BaseStore):
    """A store that keeps everything in process memory (lost on exit).

    `index={"dims": n, "embed": fn_or_embeddings, "fields": [...]}` turns on semantic
    search: values are embedded at the given paths (default `"$"`, the whole value) on put,
    and `search(query=...)` ranks items by their best-matching vector. TTL is not supported.
    """

    __slots__ = ("_data", "_vectors", "index_config", "embeddings")

    def __init__(self, *, index: IndexConfig | None = None) -> None:
        # namespace -> key -> Item. A defaultdict like LangGraph's: reading or deleting in a
        # namespace registers it, so it shows up in list_namespaces.
        self._data: dict[Namespace, dict[str, Item]] = defaultdict(dict)
        # namespace -> key -> path -> vector
        self._vectors: dict[Namespace, dict[str, dict[str, list[float]]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        self.embeddings: Embeddings | None
        if index:
            self.index_config: dict | None = dict(index)
            self.embeddings = ensure_embeddings(self.index_config.get("embed"))
            self.index_config["__tokenized_fields"] = [
                (path, path if path == "$" else tokenize_path(path))
                for path in (self.index_config.get("fields") or ["$"])
            ]
        else:
            self.index_config = None
            self.embeddings = None

    # -------------------------------------------------------------- drivers
    # Sync and async differ only in how vectors are computed; everything else is shared.

    # _queries and _texts_to_embed return nothing when the store has no embeddings.

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        results, puts, searches = self._read(ops)
        embeddings = self.embeddings
        if searches:
            queries = self._queries(searches)
            vectors = _embed_queries(embeddings, queries) if queries and embeddings else {}
            self._rank(searches, vectors, results)
        texts = self._texts_to_embed(puts)
        if texts and embeddings:
            self._keep_vectors(texts, embeddings.embed_documents(list(texts)))
        self._write(puts)
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        results, puts, searches = self._read(ops)
        embeddings = self.embeddings
        if searches:
            queries = self._queries(searches)
            vectors = {}
            if queries and embeddings:
                found = await asyncio.gather(*(embeddings.aembed_query(q) for q in queries))
                vectors = dict(zip(queries, found))
            self._rank(searches, vectors, results)
        texts = self._texts_to_embed(puts)
        if texts and embeddings:
            self._keep_vectors(texts, await embeddings.aembed_documents(list(texts)))
        self._write(puts)
        return results

    # -------------------------------------------------------------- reads

    def _read(
        self, ops: Iterable[Op]
    ) -> tuple[
        list[Result], dict[tuple[Namespace, str], PutOp], dict[int, tuple[SearchOp, Candidates]]
    ]:
        """Answer gets and listings, collect search candidates, and gather the puts.
        Every read in a batch sees the store as it was before the batch's puts; of several
        puts to one key the last wins (applied at the position of the first)."""
        results: list[Result] = []
        puts: dict[tuple[Namespace, str], PutOp] = {}
        searches: dict[int, tuple[SearchOp, Candidates]] = {}
        data = self._data
        for i, op in enumerate(ops):
            if isinstance(op, GetOp):
                results.append(data[op.namespace].get(op.key))
            elif isinstance(op, SearchOp):
                searches[i] = (op, self._candidates(op))
                results.append(None)
            elif isinstance(op, ListNamespacesOp):
                results.append(self._list_namespaces(op))
            elif isinstance(op, PutOp):
                puts[(op.namespace, op.key)] = op
                results.append(None)
            else:
                raise ValueError(f"Unknown operation type: {type(op)}")
        return results, puts, searches

    def _candidates(self, op: SearchOp) -> Candidates:
        """Items under the prefix that pass the filter, in storage order."""
        prefix = op.namespace_prefix
        depth = len(prefix)
        conditions = op.filter
        ranked = bool(op.query and self.embeddings)
        # Without filter or ranking the first offset+limit items are all we need.
        stop = (
            op.offset + op.limit
            if not conditions and not ranked and min(op.offset, op.limit) >= 0
            else None
        )
        found: Candidates = []
        for namespace, items in self._data.items():
            if namespace[:depth] != prefix:
                continue
            for key, item in items.items():
                if conditions and not _passes(item.value, conditions):
                    continue
                vectors = self._vectors[namespace].get(key) if op.query else None
                found.append((item, list(vectors.values()) if vectors else []))
                if len(found) == stop:
                    return found
        return found

    def _queries(self, searches: dict[int, tuple[SearchOp, Candidates]]) -> list[str]:
        if not (self.index_config and self.embeddings):
            return []
        return list({op.query for op, _ in searches.values() if op.query})

    @staticmethod
    def _rank(
        searches: dict[int, tuple[SearchOp, Candidates]],
        query_vectors: dict[str, list[float]],
        results: list[Result],
    ) -> None:
        for i, (op, candidates) in searches.items():
            if not candidates:
                results[i] = []
            elif op.query and query_vectors:
                results[i] = _by_similarity(op, candidates, query_vectors[op.query])
            else:
                window = candidates[op.offset : op.offset + op.limit]
                results[i] = [_search_item(item, None) for item, _ in window]

    def _list_namespaces(self, op: ListNamespacesOp) -> list[Namespace]:
        namespaces: Iterable[Namespace] = list(self._data)
        if op.match_conditions:
            namespaces = [
                ns for ns in namespaces if all(_ns_matches(c, ns) for c in op.match_conditions)
            ]
        if op.max_depth is not None:
            namespaces = {ns[: op.max_depth] for ns in namespaces}
        return sorted(namespaces)[op.offset : op.offset + op.limit]

    # -------------------------------------------------------------- writes

    def _texts_to_embed(self, puts: dict[tuple[Namespace, str], PutOp]) -> TextSites:
        if not (puts and self.index_config and self.embeddings):
            return {}
        sites: TextSites = defaultdict(list)
        for op in puts.values():
            if op.value is None or op.index is False:
                continue
            if op.index is None:
                paths = self.index_config["__tokenized_fields"]
            else:
                paths = [(path, tokenize_path(path)) for path in op.index]
            for path, tokens in paths:
                texts = get_text_at_path(op.value, tokens)
                if len(texts) == 1:
                    sites[texts[0]].append((op.namespace, op.key, path))
                else:
                    for n, text in enumerate(texts):
                        sites[text].append((op.namespace, op.key, f"{path}.{n}"))
        return sites

    def _keep_vectors(self, sites: TextSites, vectors: list[list[float]]) -> None:
        # LangGraph embeds each distinct text once but expects one vector per site, so a
        # text found at two sites in one batch is an error there too; kept for parity.
        flat = [site for per_text in sites.values() for site in per_text]
        if len(flat) != len(vectors):
            raise ValueError(
                f"Number of embeddings ({len(vectors)}) does not"
                f" match number of indices ({len(flat)})"
            )
        for vector, (namespace, key, path) in zip(vectors, flat):
            self._vectors[namespace][key][path] = vector

    def _write(self, puts: dict[tuple[Namespace, str], PutOp]) -> None:
        for (namespace, key), op in puts.items():
            if op.value is None:
                self._data[namespace].pop(key, None)
                self._vectors[namespace].pop(key, None)
            else:
                # A replaced item gets fresh timestamps (created_at included), as in LangGraph.
                self._data[namespace][key] = Item(
                    value=dict(op.value),
                    key=key,
                    namespace=namespace,
                    created_at=datetime.now(timezone.utc),
                    updated_at=datetime.now(timezone.utc),
                )


# ------------------------------------------------------------------ helpers


def _search_item(item: Item, score: float | None) -> SearchItem:
    return SearchItem(
        namespace=item.namespace,
        key=item.key,
        value=item.value,
        created_at=item.created_at,
        updated_at=item.updated_at,
        score=None if score is None else float(score),
    )


def _by_similarity(op: SearchOp, candidates: Candidates, query: list[float]) -> list[SearchItem]:
    """Rank items by their best vector; page by distinct item; then top up the page with
    items that have no vector (unscored, from the start of that list, offset not applied)."""
    owners: list[Item] = []
    vectors: list[list[float]] = []
    unscored: list[Item] = []
    for item, item_vectors in candidates:
        if item_vectors:
            owners.extend([item] * len(item_vectors))
            vectors.extend(item_vectors)
        else:
            unscored.append(item)
    scores = _cosine_similarity(query, vectors)
    # sorted() is stable, so equal scores keep storage order, as LangGraph's ranking does.
    ranked = sorted(zip(scores, owners), key=lambda pair: pair[0], reverse=True)
    seen: set[tuple[Namespace, str]] = set()
    kept: list[tuple[float | None, Item]] = []
    end = op.offset + op.limit
    for score, item in ranked:
        ident = (item.namespace, item.key)
        if ident in seen:
            continue
        position = len(seen)
        seen.add(ident)
        if position >= end:
            break
        if position >= op.offset:
            kept.append((score, item))
    if unscored and len(kept) < op.limit:
        kept.extend((None, item) for item in unscored[: op.limit - len(kept)])
    return [_search_item(item, score) for score, item in kept]


def _embed_queries(embeddings: Embeddings, queries: list[str]) -> dict[str, list[float]]:
    if len(queries) == 1:
        return {queries[0]: embeddings.embed_query(queries[0])}
    # Several queries (often network calls) are embedded concurrently.
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = {q: pool.submit(embeddings.embed_query, q) for q in queries}
        return {q: f.result() for q, f in futures.items()}


def _cosine_similarity(query: list[float], vectors: list[list[float]]) -> list[float]:
    """Cosine of `query` with each vector; 0.0 for a zero vector."""
    if not vectors:
        return []
    try:
        import numpy as np
    except ImportError:
        return _cosine_similarity_py(query, vectors)
    q = np.asarray(query)
    m = np.asarray(vectors)
    q_norm = np.linalg.norm(q)
    m_norms = np.linalg.norm(m, axis=1)
    nonzero = m_norms != 0
    out = np.zeros_like(m_norms)
    out[nonzero] = np.dot(m[nonzero], q) / (m_norms[nonzero] * q_norm)
    return out.tolist()


def _cosine_similarity_py(query: list[float], vectors: list[list[float]]) -> list[float]:
    q_norm = sum(a * a for a in query) ** 0.5
    out = []
    for vector in vectors:
        v_norm = sum(b * b for b in vector) ** 0.5
        if q_norm > 0 and v_norm > 0:
            out.append(sum(a * b for a, b in zip(query, vector)) / (q_norm * v_norm))
        else:
            out.append(0.0)
    return out


def _ns_matches(condition: MatchCondition, namespace: Namespace) -> bool:
    pattern = condition.path
    if len(namespace) < len(pattern):
        return False
    if condition.match_type == "prefix":
        pairs = zip(namespace, pattern)
    elif condition.match_type == "suffix":
        pairs = zip(reversed(namespace), reversed(pattern))
    else:
        raise ValueError(f"Unsupported match type: {condition.match_type}")
    return all(want == "*" or have == want for have, want in pairs)


def _as_float(op: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    return lambda value, arg: op(float(value), float(arg))


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": operator.eq,
    "$ne": operator.ne,
    "$gt": _as_float(operator.gt),
    "$gte": _as_float(operator.ge),
    "$lt": _as_float(operator.lt),
    "$lte": _as_float(operator.le),
}


def _apply_operator(value: Any, name: str, arg: Any) -> bool:
    fn = _OPERATORS.get(name)
    if fn is None:
        raise ValueError(f"Unsupported operator: {name}")
    return fn(value, arg)


def _matches(value: Any, condition: Any) -> bool:
    """Does a stored value satisfy a filter condition? A dict with `$` keys applies operators
    to the value; another dict matches nested fields; a list/tuple matches element-wise."""
    if isinstance(condition, dict):
        if any(k.startswith("$") for k in condition):
            return all(_apply_operator(value, k, arg) for k, arg in condition.items())
        if not isinstance(value, dict):
            return False
        return all(_matches(value.get(k), sub) for k, sub in condition.items())
    if isinstance(condition, (list, tuple)):
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(condition)
            and all(_matches(v, c) for v, c in zip(value, condition))
        )
    return value == condition


def _passes(value: dict, conditions: dict[str, Any]) -> bool:
    return all(_matches(value.get(field), cond) for field, cond in conditions.items())
