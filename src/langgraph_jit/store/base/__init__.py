"""The store API every long-term memory backend implements: items, the four operations
(get, search, put, list namespaces) as batchable op tuples, and `BaseStore`.

`Item`, `GetOp` and the other value types report LangGraph's module path
(`langgraph.store.base`) so that checkpoints written by either engine name the same classes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple, TypedDict, cast

from langgraph_jit.store.base.embed import (
    AEmbeddingsFunc,
    Embeddings,
    EmbeddingsFunc,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
)

__all__ = [
    "BaseStore",
    "Embeddings",
    "GetOp",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NamespaceMatchType",
    "NamespacePath",
    "Op",
    "PutOp",
    "SearchOp",
    "ensure_embeddings",
    "get_text_at_path",
    "tokenize_path",
    "validate_op_namespace",
]

_WIRE_MODULE = "langgraph.store.base"


class NotProvided:
    """Marks an argument the caller left out (distinct from an explicit None)."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_PROVIDED"


NOT_PROVIDED = NotProvided()


def _as_datetime(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class Item:
    """A stored value (a dict) with its namespace, key and timestamps.
    ISO strings are accepted for the timestamps."""

    __slots__ = ("value", "key", "namespace", "created_at", "updated_at")

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime | str,
        updated_at: datetime | str,
    ) -> None:
        self.value = value
        self.key = key
        self.namespace = tuple(namespace)
        self.created_at = _as_datetime(created_at)
        self.updated_at = _as_datetime(updated_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return False
        return (
            self.value == other.value
            and self.key == other.key
            and self.namespace == other.namespace
            and self.created_at == other.created_at
            and self.updated_at == other.updated_at
        )

    def __hash__(self) -> int:
        return hash((self.namespace, self.key))

    def dict(self) -> dict:
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.dict().items())
        return f"Item({fields})"

    def __reduce__(self) -> Any:
        # By value: the class reports LangGraph's module path, which pickle cannot resolve to us.
        return _rebuild_item, (
            self.value,
            self.key,
            self.namespace,
            self.created_at,
            self.updated_at,
        )


def _rebuild_item(value, key, namespace, created_at, updated_at) -> Item:
    return Item(
        value=value,
        key=key,
        namespace=namespace,
        created_at=created_at,
        updated_at=updated_at,
    )


class SearchItem(Item):
    """An `Item` returned by a search, with its similarity `score` (None when no query
    vector was compared)."""

    __slots__ = ("score",)

    def __init__(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        created_at: datetime | str,
        updated_at: datetime | str,
        score: float | None = None,
    ) -> None:
        super().__init__(
            value=value,
            key=key,
            namespace=namespace,
            created_at=created_at,
            updated_at=updated_at,
        )
        self.score = score

    def dict(self) -> dict:
        out = super().dict()
        out["score"] = self.score
        return out

    def __reduce__(self) -> Any:
        return SearchItem, (
            self.namespace,
            self.key,
            self.value,
            self.created_at,
            self.updated_at,
            self.score,
        )


def _rebuild_op(name: str, fields: tuple) -> Any:
    return globals()[name](*fields)


class GetOp(NamedTuple):
    """Read one item by namespace and key."""

    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True

    def __reduce__(self) -> Any:
        return _rebuild_op, ("GetOp", tuple(self))


class SearchOp(NamedTuple):
    """Find items under a namespace prefix: by exact/operator `filter` on value fields,
    and by similarity to `query` when the store has an index."""

    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True

    def __reduce__(self) -> Any:
        return _rebuild_op, ("SearchOp", tuple(self))


NamespacePath = tuple[str | Literal["*"], ...]
NamespaceMatchType = Literal["prefix", "suffix"]


class MatchCondition(NamedTuple):
    """A namespace pattern anchored at the start (`prefix`) or end (`suffix`); `"*"`
    matches any one label."""

    match_type: NamespaceMatchType
    path: NamespacePath

    def __reduce__(self) -> Any:
        return _rebuild_op, ("MatchCondition", tuple(self))


class ListNamespacesOp(NamedTuple):
    """List the namespaces holding items, optionally matched and truncated to `max_depth`."""

    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0

    def __reduce__(self) -> Any:
        return _rebuild_op, ("ListNamespacesOp", tuple(self))


class PutOp(NamedTuple):
    """Store `value` at namespace/key (None deletes). `index`: None = the store's fields,
    False = do not embed, a list = these paths. `ttl` in minutes (stores that support it)."""

    namespace: tuple[str, ...]
    key: str
    value: Mapping[str, Any] | None
    # the field name shadows tuple.index, as in langgraph's PutOp
    index: Literal[False] | list[str] | None = None  # type: ignore[assignment]
    ttl: float | None = None

    def __reduce__(self) -> Any:
        return _rebuild_op, ("PutOp", tuple(self))


Op = GetOp | SearchOp | PutOp | ListNamespacesOp
Result = Item | list[Item] | list[SearchItem] | list[tuple[str, ...]] | None


class InvalidNamespaceError(ValueError):
    """A namespace that a store cannot hold (empty, reserved root, bad label)."""


class TTLConfig(TypedDict, total=False):
    """Expiry settings of a store that supports TTL."""

    refresh_on_read: bool
    omit_expired: bool
    default_ttl: float | None
    sweep_interval_minutes: int | None


class IndexConfig(TypedDict, total=False):
    """Semantic-search settings: vector size, how to embed, and which value paths to embed."""

    dims: int
    embed: Embeddings | EmbeddingsFunc | AEmbeddingsFunc | str
    fields: list[str] | None


for _cls in (Item, GetOp):
    _cls.__module__ = _WIRE_MODULE
del _cls


# ------------------------------------------------------------------ validation


def _validate_namespace_labels(namespace: tuple[str, ...]) -> None:
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Invalid namespace label '{label}' found in {namespace}. Namespace labels"
                f" must be strings, but got {type(label).__name__}."
            )
        if "." in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label '{label}' found in {namespace}. "
                "Namespace labels cannot contain periods ('.')."
            )
        if "\x00" in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label '{label}' found in {namespace}. "
                "Namespace labels cannot contain NUL bytes ('\\x00')."
            )
        if not label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot be empty strings. Got {label} in {namespace}"
            )


def _validate_namespace(namespace: tuple[str, ...]) -> None:
    if not namespace:
        raise InvalidNamespaceError("Namespace cannot be empty.")
    _validate_namespace_labels(namespace)
    if namespace[0] == "langgraph":
        raise InvalidNamespaceError(
            f'Root label for namespace cannot be "langgraph". Got: {namespace}'
        )


def validate_op_namespace(op: Op) -> None:
    """Raise `InvalidNamespaceError` if any namespace label in `op` is invalid."""
    if isinstance(op, (GetOp, PutOp)):
        _validate_namespace_labels(op.namespace)
    elif isinstance(op, SearchOp):
        _validate_namespace_labels(op.namespace_prefix)
    elif isinstance(op, ListNamespacesOp):
        for condition in op.match_conditions or ():
            _validate_namespace_labels(condition.path)


def _ensure_refresh(ttl_config: TTLConfig | None, refresh_ttl: bool | None = None) -> bool:
    if refresh_ttl is not None:
        return refresh_ttl
    if ttl_config is not None:
        return ttl_config.get("refresh_on_read", True)
    return True


def _ensure_ttl(ttl_config: TTLConfig | None, ttl: Any = NOT_PROVIDED) -> float | None:
    if ttl is NOT_PROVIDED:
        return ttl_config.get("default_ttl") if ttl_config else None
    return ttl


# ------------------------------------------------------------------ the store


class BaseStore(ABC):
    """A key-value store of dict items grouped in hierarchical namespaces.

    Subclasses implement `batch` and `abatch`; every convenience method builds one op,
    validates its namespace, and runs it through them, so sync and async share one path.
    """

    supports_ttl: bool = False
    ttl_config: TTLConfig | None = None

    __slots__ = ("__weakref__",)

    @abstractmethod
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run the ops in one go; one result per op, in order."""

    @abstractmethod
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async `batch`."""

    # Each op builder is shared by the sync method and its async twin.

    def _get_op(self, namespace: tuple[str, ...], key: str, refresh_ttl: bool | None) -> GetOp:
        _validate_namespace_labels(namespace)
        return GetOp(namespace, str(key), _ensure_refresh(self.ttl_config, refresh_ttl))

    def _search_op(
        self,
        namespace_prefix: tuple[str, ...],
        query: str | None,
        filter: dict[str, Any] | None,
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> SearchOp:
        _validate_namespace_labels(namespace_prefix)
        return SearchOp(
            namespace_prefix,
            filter,
            limit,
            offset,
            query,
            _ensure_refresh(self.ttl_config, refresh_ttl),
        )

    def _put_op(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None,
        ttl: Any,
    ) -> PutOp:
        _validate_namespace(namespace)
        if ttl not in (NOT_PROVIDED, None) and not self.supports_ttl:
            raise NotImplementedError(
                f"TTL is not supported by {self.__class__.__name__}. "
                f"Use a store implementation that supports TTL or set ttl=None."
            )
        return PutOp(namespace, str(key), value, index=index, ttl=_ensure_ttl(self.ttl_config, ttl))

    def _delete_op(self, namespace: tuple[str, ...], key: str) -> PutOp:
        _validate_namespace_labels(namespace)
        return PutOp(namespace, str(key), None, ttl=None)

    def _list_op(
        self,
        prefix: NamespacePath | None,
        suffix: NamespacePath | None,
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> ListNamespacesOp:
        _validate_namespace_labels(prefix or ())
        _validate_namespace_labels(suffix or ())
        conditions = []
        if prefix:
            conditions.append(MatchCondition(match_type="prefix", path=prefix))
        if suffix:
            conditions.append(MatchCondition(match_type="suffix", path=suffix))
        return ListNamespacesOp(
            match_conditions=tuple(conditions),
            max_depth=max_depth,
            limit=limit,
            offset=offset,
        )

    # -------------------------------------------------------------- sync

    def get(
        self,
        namespace: tuple[str, ...],
        key: str,
        *,
        refresh_ttl: bool | None = None,
    ) -> Item | None:
        """The item at namespace/key, or None."""
        return cast("Item | None", self.batch([self._get_op(namespace, key, refresh_ttl)])[0])

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items under `namespace_prefix`, filtered and (with `query` and an index) ranked."""
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return cast("list[SearchItem]", self.batch([op])[0])

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Store (or replace) the item at namespace/key."""
        self.batch([self._put_op(namespace, key, value, index, ttl)])

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Remove the item at namespace/key (no error if absent)."""
        self.batch([self._delete_op(namespace, key)])

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Sorted namespaces matching `prefix`/`suffix` (`"*"` = any label), cut to `max_depth`."""
        ops = [self._list_op(prefix, suffix, max_depth, limit, offset)]
        return cast("list[tuple[str, ...]]", self.batch(ops)[0])

    # -------------------------------------------------------------- async

    async def aget(
        self,
        namespace: tuple[str, ...],
        key: str,
        *,
        refresh_ttl: bool | None = None,
    ) -> Item | None:
        found = await self.abatch([self._get_op(namespace, key, refresh_ttl)])
        return cast("Item | None", found[0])

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return cast("list[SearchItem]", (await self.abatch([op]))[0])

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        await self.abatch([self._put_op(namespace, key, value, index, ttl)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        await self.abatch([self._delete_op(namespace, key)])

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        ops = [self._list_op(prefix, suffix, max_depth, limit, offset)]
        return cast("list[tuple[str, ...]]", (await self.abatch(ops))[0])
