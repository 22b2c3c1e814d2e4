"""Checkpoint rows that store what changed (issue 16), shared by the SQL savers.

A checkpoint's skeleton (channel versions, versions seen) and its small values
are a *state*. A row stores its state either whole (a snapshot) or as the
changes from its parent's state (a delta); a snapshot comes at least every
`MAX_DEPTH` rows down a lineage, so reading one checkpoint replays a bounded
chain. Rows written before this format (LangGraph's, our earlier ones) are
whole skeletons and start a chain like a snapshot.

How a channel's value is kept (its *rep*; `None`: the blob of (channel, version)):
  ("i", type, bytes)            inline, for values of at most `INLINE_MAX` bytes
  ("p", base version, pieces)   a list: the blob of (channel, base version), then
                                each piece (an encoded list) appended: what each
                                step appended to an append-only list (messages,
                                operator.add, Topic), not the whole list again
  ("v", value)                  a value a legacy row kept inline (LangGraph's)

A row's `type` column tells its kind: `=<digest>:<serde type>` (snapshot),
`+<digest><parent digest>:<serde type>` (delta), `~<digest>:<serde type>`
(an inheriting row, below), else a legacy row. A digest hashes the row's
bytes chained to its parent's, so a writer that remembers a parent's state
(the cache below) can check with one look at the parent's type that the
database holds that very state before writing a delta against it.

An inheriting row holds the whole skeleton (versions, versions seen) and the
values of its new versions; every other channel takes its parent's value if
the parent has it at the same version. It is valid on whatever state its
parent row holds, so a writer that cannot look at the parent first (one
round trip saved) sends it as the fallback of a delta: the database keeps
the delta if the parent's digest is the remembered one, else this row.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph_jit.checkpoint.serde.jsonplus import _unpack as msgpack_unpack
from langgraph_jit.checkpoint.serde.lz4 import CompressedSerializer

SNAPSHOT = "="
DELTA = "+"
INHERIT = "~"
_KINDS = (SNAPSHOT, DELTA, INHERIT)
DIGEST_LEN = 12  # hex characters
INLINE_MAX = 64  # encoded bytes of a value stored inside the checkpoint row
MAX_DEPTH = 48  # deltas in a row before the next snapshot
PIECES_MAX = 32  # appended pieces before a list is stored whole again
PIECES_BYTES = 16384

_MAPS = ("channel_values", "channel_versions", "versions_seen")


class RowState:
    """A checkpoint's full skeleton as rebuilt from its row (and its ancestors')."""

    __slots__ = ("cv", "depth", "digest", "items", "reps", "vs")

    def __init__(
        self,
        cv: dict[str, Any],
        vs: dict[str, Any],  # node -> dict (read-only MappingProxyType on the writer side)
        reps: dict[str, tuple],
        depth: int,
        digest: str,
        items: dict[str, tuple] | None = None,
    ) -> None:
        self.cv = cv
        self.vs = vs
        self.reps = reps
        self.depth = depth  # deltas since the snapshot (0: a snapshot or legacy row)
        self.digest = digest  # "" for a legacy row
        # Writer side: the items of list values at this state, to spot appends.
        self.items = items if items is not None else {}

    def copy(self) -> RowState:
        return RowState(
            dict(self.cv),
            {n: dict(s) for n, s in self.vs.items()},
            dict(self.reps),
            self.depth,
            self.digest,
            dict(self.items),
        )


# ---------------------------------------------------------------- row types


def parse_type(type_: str | None) -> tuple[str, str, str, str | None]:
    """`type` column -> (kind: "=", "+", "~" or "" for legacy, digest, parent digest, serde type)."""
    if type_ and type_[0] in _KINDS:
        kind = type_[0]
        head, _, serde_type = type_.partition(":")
        own = head[1 : 1 + DIGEST_LEN]
        parent = head[1 + DIGEST_LEN :] if kind == DELTA else ""
        return kind, own, parent, serde_type or None
    return "", "", "", type_


def digest(parent: str, data: bytes) -> str:
    return hashlib.blake2b(parent.encode() + data, digest_size=DIGEST_LEN // 2).hexdigest()


def row_type(kind: str, own: str, parent: str, serde_type: str) -> str:
    return f"{kind}{own}{parent if kind == DELTA else ''}:{serde_type}"


# ---------------------------------------------------------------- reading rows


def legacy_state(doc: Mapping[str, Any]) -> RowState:
    """State of a whole-skeleton row; LangGraph's inline values become "v" reps."""
    cv = dict(doc.get("channel_versions") or {})
    vs = {n: dict(s) for n, s in (doc.get("versions_seen") or {}).items()}
    reps: dict[str, tuple] = {
        c: ("v", value) for c, value in (doc.get("channel_values") or {}).items() if c in cv
    }
    return RowState(cv, vs, reps, 0, "")


def snapshot_state(doc: Mapping[str, Any], own: str) -> RowState:
    return RowState(
        dict(doc["cv"]),
        {n: dict(s) for n, s in doc["vs"].items()},
        {c: tuple(r) for c, r in doc.get("r", {}).items() if r is not None},
        0,
        own,
    )


def apply_delta(state: RowState, doc: Mapping[str, Any], own: str) -> RowState:
    """The state of the delta row `doc` written on `state` (the parent's, left
    as it is: a node whose versions seen did not change shares its map)."""
    cv = dict(state.cv)
    reps = dict(state.reps)
    removed_channels = doc.get("cv-")
    if removed_channels:
        for c in removed_channels:
            cv.pop(c, None)
            reps.pop(c, None)
    changed_cv = doc.get("cv")
    if changed_cv:
        cv.update(changed_cv)
    changed_reps = doc.get("r")
    if changed_reps:
        for c, rep in changed_reps.items():
            if rep is None:
                reps.pop(c, None)
            elif rep[0] == "+":  # a piece appended to the parent's list
                old = reps.get(c)
                if old is not None and old[0] == "p":
                    reps[c] = ("p", old[1], (*old[2], (rep[1], rep[2])))
                else:  # the parent kept the list as the blob of its version
                    reps[c] = ("p", str(rep[3]), ((rep[1], rep[2]),))
            else:
                reps[c] = tuple(rep)
    vs = state.vs
    gone_nodes, removed, changed = doc.get("vn-"), doc.get("vs-"), doc.get("vs")
    if gone_nodes or removed or changed:
        vs = dict(vs)
        for n in gone_nodes or ():
            vs.pop(n, None)
        for n, keys in (removed or {}).items():
            seen = vs.get(n)
            if seen is not None:
                seen = vs[n] = dict(seen)
                for k in keys:
                    seen.pop(k, None)
        for n, more in (changed or {}).items():
            seen = vs.get(n)
            vs[n] = {**seen, **more} if seen is not None else dict(more)
    return RowState(cv, vs, reps, state.depth + 1, own)


def inherit_state(parent: RowState | None, doc: Mapping[str, Any], own: str) -> RowState:
    """The state of the inheriting row `doc` on `parent` (None: its parent row
    is gone; only its own values and blobs are left)."""
    cv = dict(doc["cv"])
    reps: dict[str, tuple] = {}
    depth = 0
    if parent is not None:
        old_cv = parent.cv
        reps = {c: r for c, r in parent.reps.items() if c in cv and old_cv.get(c) == cv[c]}
        depth = parent.depth + 1
    for c, rep in doc.get("r", {}).items():
        if rep is None:
            reps.pop(c, None)
        else:
            reps[c] = tuple(rep)
    return RowState(cv, {n: dict(s) for n, s in doc["vs"].items()}, reps, depth, own)


def checkpoint_of(doc: Mapping[str, Any], checkpoint_id: str, state: RowState) -> dict[str, Any]:
    """The stored checkpoint (values still empty) of a row and its rebuilt state
    (both may be shared: what the caller gets is its own)."""
    out = {k: v if type(v) is not list else list(v) for k, v in doc.items() if k not in DOC_KEYS}
    out.setdefault("id", checkpoint_id)
    out["channel_versions"] = dict(state.cv)
    out["versions_seen"] = {n: dict(s) for n, s in state.vs.items()}
    out["channel_values"] = {}
    return out


def blob_keys(state: RowState) -> list[tuple[str, str]]:
    """(channel, version) of the blobs the state's values need."""
    keys = []
    for c, v in state.cv.items():
        rep = state.reps.get(c)
        if rep is None or rep[0] == "v":
            keys.append((c, str(v)))
        elif rep[0] == "p":
            keys.append((c, rep[1]))
    return keys


_SCALARS = frozenset((int, float, str, bool, bytes, type(None)))


def _immutable(value: Any) -> bool:
    """A scalar, or a list or tuple of scalars (exact types: a subclass may hold state)."""
    t = type(value)
    if t in _SCALARS:
        return True
    return (t is list or t is tuple) and _SCALARS.issuperset(map(type, value))


_UNSHARED = object()


def _prefix(short: tuple, long: tuple) -> bool:
    """Whether `long` starts with `short` (pieces a state added are shared by
    its descendants' states: the last one's identity usually tells)."""
    n = len(short)
    if n == 0 or short[n - 1] is long[n - 1]:
        return True
    return all(a is b or a == b for a, b in zip(short, long))


def typed_loader(serde: Any) -> Any:
    """`serde.loads_typed`; for the default serializers (msgpack, maybe under
    lz4) a loader that unpacks "msgpack" payloads itself, without a frame per
    wrapper (a listing decodes ~1000 small values)."""
    inner = serde.serde if type(serde) is CompressedSerializer else serde
    if type(inner) is not JsonPlusSerializer:
        return serde.loads_typed
    loads_typed = serde.loads_typed
    hook = inner._unpack_ext_hook
    unpack = msgpack_unpack

    def loads(key: tuple[str, Any]) -> Any:
        if key[0] == "msgpack":
            return unpack(key[1], ext_hook=hook)
        return loads_typed(key)

    return loads


class ValueReader:
    """Channel values of states that share blobs (one listing's, or one
    checkpoint's), decoded once where they cannot be mutated: an inline value
    or blob of scalars decodes once, and a list grown by pieces is decoded
    once per base for its longest state; the states before it (newest first)
    get a slice of it, those after it (oldest first) a copy extended with their
    new pieces. What each state gets is its own (lists are copied; only values
    and list items that cannot be mutated are shared)."""

    __slots__ = ("blob_values", "blobs", "inline", "lists", "loads", "scalars", "shared")

    def __init__(
        self, serde: Any, blobs: Mapping[tuple[str, str], tuple], *, shared: bool = True
    ) -> None:
        self.loads = typed_loader(serde) if shared else serde.loads_typed
        self.blobs = blobs  # (channel, version) -> (type, bytes)
        self.shared = shared  # whether several states are read
        self.inline: dict[tuple[str, Any], Any] = {}  # (type, bytes) -> value
        self.scalars: dict[tuple[str, Any], Any] = {}  # (type, bytes) -> a write's scalar
        self.blob_values: dict[tuple[str, str], Any] = {}  # (channel, version) -> value
        # (channel, base version) -> (pieces, the list they make, its length after each piece)
        self.lists: dict[tuple[str, str], tuple[tuple, list, list[int]]] = {}

    def decode(self, key: tuple[str, Any]) -> Any:
        """`serde.loads_typed(key)`, shared when immutable (the caller copies lists)."""
        inline = self.inline
        if key in inline:
            return inline[key]
        value = self.loads(key)
        if self.shared and _immutable(value):
            inline[key] = value
        return value

    def writes(self, rows: Any) -> list[tuple[str, str, Any]]:
        """Pending writes `(task id, channel, value)` of write rows `(task id,
        channel, type, value, ...)`; only scalars are shared (a write's value
        rarely repeats but None's)."""
        known = self.scalars
        loads = self.loads
        out = []
        for w in rows:
            key = (w[2], w[3])
            value = known.get(key, _UNSHARED)
            if value is _UNSHARED:
                value = loads(key)
                if type(value) in _SCALARS:
                    known[key] = value
            out.append((w[0], w[1], value))
        return out

    def _blob(self, channel: str, version: str) -> Any:
        """The decoded blob of (channel, version); _UNSHARED when there is none
        (_EMPTY when it stores no value)."""
        key = (channel, version)
        known = self.blob_values
        if key in known:
            return known[key]
        found = self.blobs.get(key)
        if found is None:
            return _UNSHARED
        if found[0] == "empty":
            value: Any = _EMPTY
        else:
            value = self.loads(found)
        if self.shared and (value is _EMPTY or _immutable(value)):
            known[key] = value
        return value

    def values(self, state: RowState) -> dict:
        values: dict[str, Any] = {}
        reps = state.reps
        inline = self.inline
        loads = self.loads
        shared = self.shared
        known = self.blob_values
        for c, v in state.cv.items():
            rep = reps.get(c)
            if rep is None or rep[0] == "v":
                # (a blob decoded before, looked up here: most versions repeat down a listing)
                value = known.get((c, v), _UNSHARED) if type(v) is str else _UNSHARED
                if value is _UNSHARED:
                    value = self._blob(c, str(v))
                if value is _UNSHARED:  # no blob: a legacy row's inline value
                    if rep is not None:
                        values[c] = rep[1]
                    continue
                if value is _EMPTY:
                    continue
            elif rep[0] == "i":
                tag = rep[1]
                if tag == "empty":
                    continue
                key = (tag, rep[2])
                value = inline.get(key, _UNSHARED)
                if value is _UNSHARED:
                    value = loads(key)
                    if shared and _immutable(value):
                        inline[key] = value
            else:  # "p"
                values[c] = self._grown(c, rep[1], rep[2])
                continue
            values[c] = value if type(value) is not list else list(value)
        return values

    def _grown(self, channel: str, base: str, pieces: tuple) -> list:
        """The list of the blob of (channel, base) extended by `pieces`."""
        lists = self.lists
        done = lists.get((channel, base))
        if done is not None:
            have, full, bounds = done
            n, m = len(pieces), len(have)
            if n <= m and _prefix(pieces, have):
                return full[: bounds[n]]
            if n > m and _prefix(have, pieces):
                full = list(full)
                bounds = list(bounds)
                shareable = True
                for piece in pieces[m:]:
                    more = self.loads(tuple(piece))
                    shareable = shareable and _immutable(more)
                    full.extend(more)
                    bounds.append(len(full))
                if shareable:
                    lists[(channel, base)] = (pieces, full, bounds)
                    return list(full)
                return full
        start = self._blob(channel, base)
        if start is _UNSHARED or start is _EMPTY:
            raise LookupError(f"missing blob {channel!r} @ {base!r}")
        full = list(start)
        shareable = self.shared and _immutable(full)
        bounds = [len(full)]
        for piece in pieces:
            more = self.loads(tuple(piece))
            shareable = shareable and _immutable(more)
            full.extend(more)
            bounds.append(len(full))
        if not shareable:
            return full
        lists[(channel, base)] = (pieces, full, bounds)
        return list(full)


_EMPTY = object()  # a blob that stores no value


def values_of(serde: Any, state: RowState, blobs: Mapping[tuple[str, str], tuple]) -> dict:
    """Channel values of one state; `blobs` maps (channel, version) to (type, bytes)."""
    return ValueReader(serde, blobs, shared=False).values(state)


# ---------------------------------------------------------------- writing rows

DOC_KEYS = frozenset(("cv", "vs", "r", "cv-", "vs-", "vn-", *_MAPS))


def _same_prefix(prev: tuple, new: list) -> bool:
    if len(prev) > len(new):
        return False
    return all(a is b or a == b for a, b in zip(prev, new))


def encode(
    serde: Any,
    thread_id: str,
    checkpoint_ns: str,
    checkpoint: Mapping[str, Any],
    new_versions: Mapping[str, Any],
    base: RowState | None,
    *,
    legacy_inline: bool = False,
) -> tuple[dict[str, Any], list[tuple], RowState]:
    """The row document of `checkpoint` (a delta against `base`, the parent's state,
    or a snapshot), the blob rows to insert, and the checkpoint's state."""
    dumps = serde.dumps_typed
    cv = dict(checkpoint["channel_versions"])
    # The engine's read-only per-node maps are kept as they are (an unchanged
    # node's is the same object from one checkpoint to the next); others copied.
    vs = {
        n: s if type(s) is MappingProxyType else dict(s)
        for n, s in checkpoint["versions_seen"].items()
    }
    values = checkpoint["channel_values"]
    snapshot = base is None or base.depth + 1 >= MAX_DEPTH
    reps = dict(base.reps) if base is not None else {}
    items = dict(base.items) if base is not None else {}
    removed = [c for c in base.cv if c not in cv] if base is not None else []
    for c in removed:
        reps.pop(c, None)
        items.pop(c, None)
    blobs: list[tuple] = []
    changed_reps: dict[str, Any] = {}
    changed = dict(new_versions)
    if base is not None:
        # A channel whose version moved without a new value given keeps the
        # blob of its new version, if any (as when every value was a blob).
        for c, v in cv.items():
            if c not in changed and base.cv.get(c) != v:
                changed[c] = v
    else:
        # No known parent state (a fork, a copy, a new lineage): whatever values
        # come are stored here, since the rows that stored them before may keep
        # them inline, out of reach of this lineage.
        for c, v in cv.items():
            if c not in changed and c in values:
                changed[c] = v
    rep: tuple | None
    entry: Any
    for c, version in changed.items():
        version = str(version)
        prev_rep = reps.get(c)
        if c not in new_versions and c not in values:
            rep = entry = None
            items.pop(c, None)
        elif c not in values:
            rep = entry = ("i", "empty", None)
            items.pop(c, None)
        else:
            x = values[c]
            prev = items.get(c) if base is not None else None
            rep = entry = None
            if (
                type(x) is list
                and prev is not None
                and (prev_rep is None or prev_rep[0] == "p")
                and c in base.cv  # type: ignore[union-attr]
                and _same_prefix(prev, x)
            ):
                piece = dumps(x[len(prev) :])
                if prev_rep is None:
                    rep = ("p", str(base.cv[c]), (piece,))  # type: ignore[union-attr]
                    entry = ("+", *piece, str(base.cv[c]))  # type: ignore[union-attr]
                elif len(prev_rep[2]) < PIECES_MAX and (
                    sum(len(p[1] or b"") for p in prev_rep[2]) < PIECES_BYTES
                ):
                    rep = ("p", prev_rep[1], (*prev_rep[2], piece))
                    entry = ("+", *piece)
            if rep is None:
                type_, blob = dumps(x)
                if blob is None or len(blob) <= INLINE_MAX:
                    rep = entry = ("i", type_, blob)
                else:
                    blobs.append((thread_id, checkpoint_ns, c, version, type_, blob))
            if type(x) is list:
                items[c] = tuple(x)
            else:
                items.pop(c, None)
        if rep is None:
            reps.pop(c, None)
        else:
            reps[c] = rep
        changed_reps[c] = entry

    doc: dict[str, Any] = {
        k: list(v) if isinstance(v, (list, tuple, set, frozenset)) else v
        for k, v in checkpoint.items()
        if k not in _MAPS and k != "id"
    }
    if snapshot:
        state = RowState(cv, vs, reps, 0, "", items)
        whole = snapshot_doc(
            serde, thread_id, checkpoint_ns, doc, state, blobs, legacy_inline=legacy_inline
        )
        return whole, blobs, state
    assert base is not None
    old_cv = base.cv
    cv_changed = {c: v for c, v in cv.items() if old_cv.get(c) != v}
    if cv_changed:
        doc["cv"] = cv_changed
    if removed:
        doc["cv-"] = removed
    vs_changed: dict[str, dict] = {}
    vs_removed: dict[str, list] = {}
    old_vs = base.vs
    for n, seen in vs.items():
        old = old_vs.get(n)
        if old is seen:
            continue
        if old is None:
            vs_changed[n] = dict(seen)
            continue
        if old == seen:
            continue
        diff = {k: v for k, v in seen.items() if old.get(k) != v}
        if diff:
            vs_changed[n] = diff
        gone = [k for k in old if k not in seen]
        if gone:
            vs_removed[n] = gone
    if vs_changed:
        doc["vs"] = vs_changed
    if vs_removed:
        doc["vs-"] = vs_removed
    gone_nodes = [n for n in old_vs if n not in vs]
    if gone_nodes:
        doc["vn-"] = gone_nodes
    if changed_reps:
        doc["r"] = changed_reps
    return doc, blobs, RowState(cv, vs, reps, base.depth + 1, "", items)


def inherit_doc(
    serde: Any,
    checkpoint: Mapping[str, Any],
    new_versions: Mapping[str, Any],
) -> dict[str, Any]:
    """The inheriting row of `checkpoint` (see the module docstring): its whole
    skeleton and the values it is given, all inline (it needs no blob rows)."""
    dumps = serde.dumps_typed
    values = checkpoint["channel_values"]
    cv = dict(checkpoint["channel_versions"])
    reps: dict[str, Any] = {}
    for c in cv:
        if c in values:
            reps[c] = ("i", *dumps(values[c]))
        elif c in new_versions:
            reps[c] = ("i", "empty", None)
    doc: dict[str, Any] = {
        k: list(v) if isinstance(v, (list, tuple, set, frozenset)) else v
        for k, v in checkpoint.items()
        if k not in _MAPS and k != "id"
    }
    doc["cv"] = cv
    doc["vs"] = {n: dict(s) for n, s in checkpoint["versions_seen"].items()}
    doc["r"] = reps
    return doc


def snapshot_doc(
    serde: Any,
    thread_id: str,
    checkpoint_ns: str,
    extras: dict[str, Any],
    state: RowState,
    blobs: list[tuple],
    *,
    legacy_inline: bool = False,
) -> dict[str, Any]:
    """`extras` (the checkpoint's other keys) with `state` whole. A legacy inline
    value is kept as is with `legacy_inline` (JSON rows: it is a JSON value),
    else it gets a rep of ours (inline, or a blob row added to `blobs`)."""
    reps = state.reps
    for c, rep in list(reps.items()):
        if rep[0] == "v" and not legacy_inline:
            type_, blob = serde.dumps_typed(rep[1])
            if blob is None or len(blob) <= INLINE_MAX:
                reps[c] = ("i", type_, blob)
            else:
                blobs.append((thread_id, checkpoint_ns, c, str(state.cv[c]), type_, blob))
                del reps[c]
    extras["cv"] = state.cv
    extras["vs"] = {n: dict(s) for n, s in state.vs.items()}
    extras["r"] = dict(reps)
    return extras


# ---------------------------------------------------------------- writer cache

# The latest state each (thread, namespace) was written or read at, by checkpoint
# id, so the next put can write a delta without reading its parent back. Keyed
# without the database: the parent row's digest, checked before use, tells
# whether this database holds that state.
_CACHE_SIZE = 1024
# States keep the items of their list values (to spot appends) only for the
# threads written most recently: the others' lists are not held in memory.
_ITEMS_KEPT = 64
_cache: OrderedDict[tuple[str, str], tuple[str, RowState]] = OrderedDict()
_cache_lock = threading.Lock()


def remember(thread_id: str, checkpoint_ns: str, checkpoint_id: str, state: RowState) -> None:
    if not state.digest:
        return
    key = (thread_id, checkpoint_ns)
    with _cache_lock:
        _cache[key] = (checkpoint_id, state)
        _cache.move_to_end(key)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        if len(_cache) > _ITEMS_KEPT:
            # The entry that just became the (_ITEMS_KEPT + 1)-th most recent.
            for i, (_, older) in enumerate(reversed(_cache.values())):
                if i == _ITEMS_KEPT:
                    if older.items:
                        older.items = {}
                    break


def recall(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RowState | None:
    with _cache_lock:
        found = _cache.get((thread_id, checkpoint_ns))
    if found is None or found[0] != checkpoint_id:
        return None
    return found[1]


def forget(thread_id: str | None = None) -> None:
    """Drop remembered states and rows (of one thread, or all)."""
    global _rows_size
    with _cache_lock:
        if thread_id is None:
            _cache.clear()
            _rows.clear()
            _rows_size = 0
        else:
            for key in [k for k in _cache if k[0] == thread_id]:
                del _cache[key]
            for row_key in [k for k in _rows if k[0] == thread_id]:
                _rows_size -= _rows.pop(row_key)[4]


# Rows written or read lately, rebuilt: (thread, ns, checkpoint id) -> (type
# column, stored document, document, state, size). A row's type names its
# digest, which hashes its bytes chained to its ancestors', so a row read back
# with the same type and bytes holds that very document on that very lineage:
# reading it (a listing, the history a run just wrote) skips decoding it and
# replaying its delta. States are never changed once made, so they are
# shared. Bounded by the channel versions the states hold.
_ROWS_SIZE = 20_000
# Writers keep the rows of small states only: holding many large ones costs
# every step (the collector walks them); reads keep any.
WRITER_KEEPS_MAX = 64
_rows: OrderedDict[tuple[str, str, str], tuple[str, Any, dict, RowState, int]] = OrderedDict()
_rows_size = 0


def keep_row(key: tuple[str, str, str], type_: str, data: Any, doc: dict, state: RowState) -> None:
    """Remember a row (`data`: its stored document, as a read gives it back)."""
    global _rows_size
    if not state.digest:
        return
    size = len(state.cv) + 1
    with _cache_lock:
        old = _rows.pop(key, None)
        if old is not None:
            _rows_size -= old[4]
        _rows[key] = (type_, data, doc, state, size)
        _rows_size += size
        while _rows_size > _ROWS_SIZE and _rows:
            _rows_size -= _rows.popitem(last=False)[1][4]


def kept_row(key: tuple[str, str, str], type_: str, data: Any) -> tuple[dict, RowState] | None:
    found = _rows.get(key)
    if found is None or found[0] != type_ or found[1] != data:
        return None
    return found[2], found[3]


# ---------------------------------------------------------------- rebuilding states


class BrokenLineageError(LookupError):
    """A delta row whose parent row is missing or holds another state than it was written on."""


def rebuild(
    rows: Mapping[tuple[str, str, str], Any],
    targets: Any,
    load_doc: Any,
    *,
    keep_all: bool = False,
    row_data: Any = None,
) -> dict[tuple[str, str, str], tuple[dict, RowState]]:
    """(doc, state) of each target key (thread, ns, checkpoint id).

    `rows` maps keys to rows `(thread, ns, id, parent id, type, payload, ...)`
    holding at least each target's chain down to its snapshot;
    `load_doc(row, serde_type)` decodes a row's document. With `keep_all`,
    every row replayed on the way is kept too, so a page of history replays
    each lineage once. States are never changed once made (a delta makes a
    new one), so they are shared, and rows remembered (`keep_row`) are used
    as they are. `row_data(row)`: what a remembered row's document is
    compared to (default: the stored bytes, `row[5]`).
    """
    out: dict[tuple[str, str, str], tuple[dict, RowState]] = {}
    for key in targets:
        if key in out:
            continue
        path: list[tuple] = []
        cur = key
        base: RowState | None = None
        while True:
            if cur in out:
                base = out[cur][1]
                break
            row = rows.get(cur)
            if row is None:
                raise BrokenLineageError(cur)
            kept = (
                kept_row(cur, row[4], row[5] if row_data is None else row_data(row))
                if row[4]
                else None
            )
            if kept is not None:
                if keep_all or not path:
                    out[cur] = kept
                base = kept[1]
                break
            kind, own, parent, serde_type = parse_type(row[4])
            path.append((cur, kind, own, parent, load_doc(row, serde_type), row))
            if kind != DELTA and kind != INHERIT:
                break
            if row[3] is None or len(path) > 100_000:
                if kind == INHERIT:
                    break  # its parent is gone: it stands alone
                raise BrokenLineageError(cur)
            nxt = (cur[0], cur[1], row[3])
            if kind == INHERIT and nxt not in out and nxt not in rows:
                break
            cur = nxt
        state = base
        for i in range(len(path) - 1, -1, -1):
            cur, kind, own, parent, doc, row = path[i]
            if kind == DELTA:
                if state is None or state.digest != parent:
                    raise BrokenLineageError(cur)
                state = apply_delta(state, doc, own)
            elif kind == INHERIT:
                state = inherit_state(state, doc, own)
            elif kind == SNAPSHOT:
                state = snapshot_state(doc, own)
            else:
                state = legacy_state(doc)
            keep_row(cur, row[4], row[5] if row_data is None else row_data(row), doc, state)
            if keep_all or i == 0:
                out[cur] = (doc, state)
    return out
