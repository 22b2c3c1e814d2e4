"""Embedding helpers for stores: the `Embeddings` interface, wrapping plain functions,
and pulling the text to embed out of a JSON-like value by path."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "AEmbeddingsFunc",
    "Embeddings",
    "EmbeddingsFunc",
    "EmbeddingsLambda",
    "ensure_embeddings",
    "get_text_at_path",
    "tokenize_path",
]

EmbeddingsFunc = Callable[[Sequence[str]], list[list[float]]]
AEmbeddingsFunc = Callable[[Sequence[str]], Awaitable[list[list[float]]]]

_EMBEDDING_METHODS = ("embed_documents", "embed_query")


class Embeddings(ABC):
    """Turns texts into vectors. Same methods as LangChain's `Embeddings`, and any object
    that has `embed_documents` and `embed_query` (a LangChain model included) counts as one,
    so langchain_core is never needed to use or check it."""

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """The vector of one search query."""

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await _in_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await _in_thread(self.embed_query, text)

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        if cls is Embeddings:
            found: set[str] = set()
            for klass in other.__mro__:
                found.update(m for m in _EMBEDDING_METHODS if m in klass.__dict__)
            if len(found) == len(_EMBEDDING_METHODS):
                return True
        return NotImplemented


async def _in_thread(func: Callable[..., Any], *args: Any) -> Any:
    # The context travels with the call so that contextvars (config, tracing) stay visible.
    ctx = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(ctx.run, func, *args))


def _is_async_callable(func: Any) -> bool:
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - callable objects with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


class EmbeddingsLambda(Embeddings):
    """An `Embeddings` made from one function mapping a list of texts to a list of vectors
    (sync or async). Async-only functions cannot serve the sync methods."""

    def __init__(self, func: EmbeddingsFunc | AEmbeddingsFunc) -> None:
        if func is None:
            raise ValueError("func must be provided")
        if _is_async_callable(func):
            self.afunc = func
        else:
            self.func = func

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        func = getattr(self, "func", None)
        if func is None:
            raise ValueError(
                "EmbeddingsLambda was initialized with an async function but no sync function. "
                "Use aembed_documents for async operation or provide a sync function."
            )
        return func(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        afunc = getattr(self, "afunc", None)
        if afunc is None:
            return await super().aembed_documents(texts)
        return await afunc(texts)

    async def aembed_query(self, text: str) -> list[float]:
        afunc = getattr(self, "afunc", None)
        if afunc is None:
            return await super().aembed_query(text)
        return (await afunc([text]))[0]


@functools.lru_cache(maxsize=1)
def _langchain_init_embeddings() -> Callable[[str], Any] | None:
    try:
        from langchain.embeddings import init_embeddings
    except ImportError:
        return None
    return init_embeddings


def ensure_embeddings(embed: Any) -> Embeddings:
    """An `Embeddings` from what an index config's `embed` holds: an embeddings object,
    a (sync or async) function, or a `"provider:model"` string (needs `langchain`)."""
    if embed is None:
        raise ValueError("embed must be provided")
    if isinstance(embed, str):
        init = _langchain_init_embeddings()
        if init is None:
            from importlib.metadata import PackageNotFoundError, version

            try:
                found = f"Found langchain version {version('langchain')}, but"
            except PackageNotFoundError:
                found = "langchain is not installed;"
            raise ValueError(
                f"Could not load embeddings from string '{embed}'. {found} "
                "loading embeddings by provider:identifier string requires langchain>=0.3.9 "
                "as well as the provider-specific package. "
                "Install LangChain with: pip install 'langchain>=0.3.9' "
                "and the provider-specific package (e.g., 'langchain-openai>=0.3.0'). "
                "Alternatively, specify 'embed' as a compatible Embeddings object or python function."
            )
        return init(embed)
    if isinstance(embed, Embeddings):
        return embed
    return EmbeddingsLambda(embed)


# ------------------------------------------------------------------ paths


def tokenize_path(path: str) -> list[str]:
    """Split a field path into tokens: `"a.b[0].{c,d}"` -> `["a", "b", "[0]", "{c,d}"]`.
    Bracketed parts (`[...]`, `{...}`, nesting allowed) stay whole; dots separate names."""
    tokens: list[str] = []
    name: list[str] = []
    i, n = 0, len(path)
    while i < n:
        ch = path[i]
        if ch in "[{":
            if name:
                tokens.append("".join(name))
                name = []
            close = "]" if ch == "[" else "}"
            depth, j = 1, i + 1
            while j < n and depth:
                if path[j] == ch:
                    depth += 1
                elif path[j] == close:
                    depth -= 1
                j += 1
            tokens.append(path[i:j])
            i = j
            continue
        if ch == ".":
            if name:
                tokens.append("".join(name))
                name = []
        else:
            name.append(ch)
        i += 1
    if name:
        tokens.append("".join(name))
    return tokens


def _dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _leaf_texts(obj: Any) -> list[str]:
    if isinstance(obj, (str, int, float, bool)):  # bool is an int: str(True) == "True"
        return [str(obj)]
    if isinstance(obj, (list, dict)):
        return [_dump(obj)]
    return []


def _walk(obj: Any, tokens: Sequence[str], pos: int, out: list[str]) -> None:
    if pos == len(tokens):
        out.extend(_leaf_texts(obj))
        return
    token = tokens[pos]
    if token[:1] == "[" and token[-1:] == "]":
        if not isinstance(obj, list):
            return
        inner = token[1:-1]
        if inner == "*":
            for element in obj:
                _walk(element, tokens, pos + 1, out)
            return
        try:
            idx = int(inner)
        except ValueError:
            return
        if idx < 0:
            idx += len(obj)
        if 0 <= idx < len(obj):
            _walk(obj[idx], tokens, pos + 1, out)
    elif token[:1] == "{" and token[-1:] == "}":
        # A field set ends the walk: each listed (possibly dotted) field is read as a leaf.
        if not isinstance(obj, dict):
            return
        for name in token[1:-1].split(","):
            steps = tokenize_path(name.strip())
            if not steps:
                continue
            value: Any = obj
            for step in steps:
                if isinstance(value, dict) and step in value:
                    value = value[step]
                else:
                    value = None
                    break
            if value is not None:
                out.extend(_leaf_texts(value))
    elif token == "*":
        if isinstance(obj, dict):
            for value in obj.values():
                _walk(value, tokens, pos + 1, out)
        elif isinstance(obj, list):
            for value in obj:
                _walk(value, tokens, pos + 1, out)
    elif isinstance(obj, dict) and token in obj:
        _walk(obj[token], tokens, pos + 1, out)


def get_text_at_path(obj: Any, path: str | list[str]) -> list[str]:
    """The texts found at `path` in `obj` (strings and numbers as `str`, lists and dicts as
    sorted-key JSON, None skipped). `"$"` or an empty path is the whole object as JSON.
    Supports `a.b`, `list[0]`, `list[-1]`, `list[*]`, `*` and `{f1,f2}`."""
    if isinstance(obj, Mapping) and not isinstance(obj, dict):
        obj = dict(obj)
    if not path or path == "$":
        return [_dump(obj)]
    tokens = tokenize_path(path) if isinstance(path, str) else path
    out: list[str] = []
    _walk(obj, tokens, 0, out)
    return out
