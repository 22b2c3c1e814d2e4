"""What the SQL savers (SQLite, PostgreSQL; sync and async) share: one sans-IO core.

Each saver operation is a generator that yields statements and receives their
results; thin drivers run it on a sqlite3/aiosqlite/psycopg cursor. So every
operation is written once, whatever the database client or its async-ness.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from langgraph_jit.checkpoint._delta_rows import RowState, ValueReader, checkpoint_of
from langgraph_jit.checkpoint.base import CheckpointTuple, OwnPutCapability, writes_sort_key

try:  # a faster parser for metadata columns, when installed
    from orjson import loads as _fast_json_loads
except ImportError:  # pragma: no cover
    _fast_json_loads = json.loads  # type: ignore[assignment]

# Statement kinds an operation yields: (kind, sql, params).
ONE = 0  # execute, result = first row or None
ALL = 1  # execute, result = list of rows
EXEC = 2  # execute, result = None
MANY = 3  # executemany, result = None
EMIT = 4  # not a statement: (EMIT, value) hands `value` to the caller
# Reads sent together (one round trip where the client pipelines):
# (READS, None, [(sql, params), ...]), result = a list of row lists.
READS = 5

Op = Generator[tuple, Any, None]

# Keys every stored checkpoint skeleton has; others (legacy `pending_sends`) are kept too.
_SKELETON_KEYS = ("v", "id", "ts", "channel_versions", "versions_seen", "updated_channels")


def drive(op: Op, execute: Callable[[int, str, Any], Any]) -> Iterator[Any]:
    """Run `op` synchronously; yields what it emits."""
    try:
        msg = next(op)
        while True:
            if msg[0] == EMIT:
                yield msg[1]
                msg = next(op)
            else:
                msg = op.send(execute(msg[0], msg[1], msg[2]))
    except StopIteration:
        return


async def adrive(op: Op, execute: Callable[[int, str, Any], Awaitable[Any]]) -> AsyncIterator[Any]:
    """Run `op` on an async client; yields what it emits."""
    try:
        msg = next(op)
        while True:
            if msg[0] == EMIT:
                yield msg[1]
                msg = next(op)
            else:
                msg = op.send(await execute(msg[0], msg[1], msg[2]))
    except StopIteration:
        return


def coalesced(op: Op) -> Op:
    """`op` with its write statements merged: every EXEC/MANY of one SQL text
    becomes one executemany, in order of first appearance, sent before the
    op's next read and at its end. For ops whose writes of different SQL
    commute (the write pipeline's `write_steps`: inserts into different
    tables, or idempotent ones), so a group of steps is a few statements,
    not three per step."""
    pending: dict[str, list[Any]] = {}
    try:
        msg = next(op)
        while True:
            kind = msg[0]
            if kind in (EXEC, MANY):
                rows = pending.get(msg[1])
                if rows is None:
                    rows = pending[msg[1]] = []
                if kind == EXEC:
                    rows.append(msg[2])
                else:
                    rows.extend(msg[2])
                msg = next(op)
                continue
            if pending and kind != EMIT:
                for sql, rows in pending.items():
                    yield (MANY, sql, rows)
                pending.clear()
            msg = op.send((yield msg))
    except StopIteration:
        pass
    for sql, rows in pending.items():
        yield (MANY, sql, rows)


def as_tuples(op: Op) -> Op:
    """A `history` op as a `list` op: it emits pages (iterables of HistoryEntry),
    this each entry's CheckpointTuple."""
    try:
        msg = next(op)
        while True:
            if msg[0] == EMIT:
                for entry in msg[1]:
                    yield (EMIT, entry.as_tuple())
                msg = next(op)
            else:
                msg = op.send((yield msg))
    except StopIteration:
        return


def run(op: Op, execute: Callable[[int, str, Any], Any]) -> Any:
    """Run `op` to the end; return the first thing it emitted (or None)."""
    first = None
    for i, value in enumerate(drive(op, execute)):
        if i == 0:
            first = value
    return first


async def arun(op: Op, execute: Callable[[int, str, Any], Awaitable[Any]]) -> Any:
    first = None
    seen = False
    async for value in adrive(op, execute):
        if not seen:
            first, seen = value, True
    return first


# ---------------------------------------------------------------- shapes


def skeleton(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The checkpoint as plain dicts without its values (these go to the blobs table).

    Converts the engine's read-only `FrozenVersionsSeen`/MappingProxyType maps
    (see checkpoint/_frozen.py) so any encoder can write them.
    """
    out: dict[str, Any] = {}
    for key, value in checkpoint.items():
        if key == "channel_values":
            out[key] = {}
        elif key == "versions_seen":
            out[key] = {node: dict(seen) for node, seen in value.items()}
        elif key == "channel_versions":
            out[key] = dict(value)
        elif type(value) is list:
            out[key] = list(value)
        else:
            out[key] = value
    out.setdefault("channel_values", {})
    return out


def config_of(thread_id: str, checkpoint_ns: str, checkpoint_id: str | None) -> dict | None:
    if not checkpoint_id:
        return None
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def blob_rows(
    serde: Any,
    thread_id: str,
    checkpoint_ns: str,
    values: Mapping[str, Any],
    new_versions: Mapping[str, Any],
) -> list[tuple]:
    """(thread, ns, channel, version, type, blob) for every channel whose version is new."""
    dumps = serde.dumps_typed
    rows = []
    for channel, version in new_versions.items():
        if channel in values:
            type_, blob = dumps(values[channel])
        else:
            type_, blob = "empty", None
        rows.append((thread_id, checkpoint_ns, channel, str(version), type_, blob))
    return rows


def write_rows(
    serde: Any,
    thread_id: str,
    checkpoint_ns: str,
    checkpoint_id: str,
    task_id: str,
    task_path: str,
    writes: Any,
    idx_map: Mapping[str, int],
) -> list[tuple]:
    dumps = serde.dumps_typed
    return [
        (
            thread_id,
            checkpoint_ns,
            checkpoint_id,
            task_id,
            task_path,
            idx_map.get(channel, idx),
            channel,
            *dumps(value),
        )
        for idx, (channel, value) in enumerate(writes)
    ]


class UnreadableCheckpointError(ValueError):
    """A stored checkpoint (or one of its values or writes) cannot be decoded;
    says which, so the other threads stay readable and the row can be found."""

    def __init__(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> None:
        super().__init__(
            f"Checkpoint {checkpoint_id!r} of thread {thread_id!r} "
            f"(checkpoint_ns {checkpoint_ns!r}) cannot be read"
        )
        self.thread_id = thread_id
        self.checkpoint_ns = checkpoint_ns
        self.checkpoint_id = checkpoint_id


def load_writes(serde: Any, rows: Any) -> list[tuple[str, str, Any]]:
    """Rows (task_id, channel, type, value, task_path, idx) -> pending writes in replay order."""
    loads = serde.loads_typed
    return [
        (task_id, channel, loads((type_, value)))
        for task_id, channel, type_, value, _, _ in sorted(
            rows, key=lambda r: writes_sort_key(r[4], r[0], int(r[5]))
        )
    ]


def group_writes(thread_id: str, ns: str, found: list, into: dict) -> None:
    """Write rows (checkpoint id, task id, channel, type, value, task path), in
    primary-key order, grouped by checkpoint in replay order (`writes_sort_key`:
    task path, task id, index; the key order already has task id, index)."""
    group: list[tuple] = []
    current = None
    path = None
    mixed = False  # the group's writes have several task paths
    for row in found:
        if row[0] != current:
            if mixed:
                group.sort(key=_path_and_task)
            current = row[0]
            group = into[(thread_id, ns, current)] = []
            path = row[5]
            mixed = False
        elif not mixed and row[5] != path:
            mixed = True
        group.append(row[1:])
    if mixed:
        group.sort(key=_path_and_task)


class HistoryEntry(tuple):
    """One listed checkpoint as `get_state_history` reads it (a saver's private
    `history` op): (thread id, namespace, checkpoint id, parent id, doc,
    state, values, metadata, writes). Its stored document (`doc`: ts, v, ...)
    and rebuilt state (`state`: versions, versions seen) are shared with other
    readers and are read-only; `values`, `metadata` and `writes` (decoded
    pending writes, in replay order) are the reader's own. `as_tuple()` is the
    CheckpointTuple `list()` gives for it. A tuple: made and unpacked without
    a Python frame (a listing makes one per checkpoint)."""

    __slots__ = ()

    thread_id = property(itemgetter(0))
    checkpoint_ns = property(itemgetter(1))
    checkpoint_id = property(itemgetter(2))
    parent_id = property(itemgetter(3))
    doc = property(itemgetter(4))
    state = property(itemgetter(5))
    values = property(itemgetter(6))
    metadata = property(itemgetter(7))
    writes = property(itemgetter(8))

    @property
    def config(self) -> dict:
        return config_of(self[0], self[1], self[2])  # type: ignore[return-value]

    @property
    def parent_config(self) -> dict | None:
        return config_of(self[0], self[1], self[3])

    def as_tuple(self) -> CheckpointTuple:
        checkpoint = checkpoint_of(self[4], self[2], self[5])
        checkpoint["channel_values"] = self[6]
        return CheckpointTuple(
            self.config,
            checkpoint,  # type: ignore[arg-type]
            self[7],
            self.parent_config,
            self[8],
        )


class ReadsHistory(OwnPutCapability):
    """A saver class's `history` op (HistoryEntry items, what `list` yields
    before it makes tuples): True on the class and on subclasses that keep its
    `list`/`alist`, False on one that overrides either (its listing is its own)."""

    methods = ("list", "alist")


def history_entries(
    serde: Any,
    page: Any,
    states: Mapping[tuple[str, str, str], tuple[dict, RowState]],
    blobs: Mapping[tuple[str, str], Mapping[tuple[str, str], tuple]],
    writes: Mapping[tuple[str, str, str], list],
) -> Iterator[HistoryEntry]:
    """The entries of a page of listed rows `(thread, ns, id, parent id, type,
    document, metadata)`, in the page's order (newest first), each decoded
    when it is reached: values with one ValueReader per namespace (so each
    blob and piece decodes once), writes from `writes` (key -> rows
    `(task id, channel, type, value, task path)` in replay order)."""
    readers: dict[tuple[str, str], ValueReader] = {}
    new = tuple.__new__
    for thread_id, ns, checkpoint_id, parent_id, _, _, metadata in page:
        key = (thread_id, ns, checkpoint_id)
        doc, state = states[key]
        reader = readers.get((thread_id, ns))
        if reader is None:
            reader = readers[(thread_id, ns)] = ValueReader(serde, blobs[(thread_id, ns)])
        try:
            values = reader.values(state)
            found = writes.get(key)
            pending = reader.writes(found) if found else []
            meta = parse_json(metadata) if metadata is not None else {}
        except Exception as exc:  # a value, write or metadata that cannot be decoded
            raise UnreadableCheckpointError(thread_id, ns, checkpoint_id) from exc
        yield new(
            HistoryEntry,
            (thread_id, ns, checkpoint_id, parent_id, doc, state, values, meta, pending),
        )


def load_metadata(data: Any) -> Any:
    """A metadata column's JSON (text or bytes)."""
    return parse_json(data)


# The fast parser reads integers beyond 64 bits as floats: text with a long
# run of digits (maybe only inside a string) goes to the standard one. Found
# by mapping digits to "1" and the rest to "0" (bytes.translate, then a
# substring search: a regex takes ~10x as long on a checkpoint document).
_DIGIT_MASK = bytes(49 if 48 <= b <= 57 else 48 for b in range(256))
_LONG_RUN = b"1" * 19


def parse_json(data: Any) -> Any:
    """JSON text or bytes -> Python values, exactly as `json.loads` reads them."""
    if type(data) is str:
        if len(data) >= 19 and _LONG_RUN in data.encode("utf-8", "surrogatepass").translate(
            _DIGIT_MASK
        ):
            return json.loads(data)
    elif type(data) is bytes and len(data) >= 19 and _LONG_RUN in data.translate(_DIGIT_MASK):
        return json.loads(data)
    try:
        return _fast_json_loads(data)
    except ValueError:  # what only the standard parser reads (NaN, ...)
        return json.loads(data)


def _path_and_task(write: tuple) -> tuple[str, str]:
    return (write[4], write[0])  # stable: a task's writes stay in index order


def merge_values(serde: Any, inline: Mapping[str, Any] | None, blobs: Any) -> dict[str, Any]:
    """Channel values: inline ones (rows written by LangGraph), then blobs (which win)."""
    values = dict(inline) if inline else {}
    loads = serde.loads_typed
    for channel, type_, blob in blobs:
        if type_ == "empty":
            values.pop(channel, None)
        else:
            values[channel] = loads((type_, blob))
    return values


def make_tuple(
    serde: Any,
    thread_id: str,
    checkpoint_ns: str,
    checkpoint_id: str,
    parent_id: str | None,
    checkpoint: dict[str, Any],
    metadata: Any,
    blobs: Any,
    writes: Any,
    config: dict | None = None,
) -> CheckpointTuple:
    checkpoint["channel_values"] = merge_values(serde, checkpoint.get("channel_values"), blobs)
    return CheckpointTuple(
        config=config or config_of(thread_id, checkpoint_ns, checkpoint_id),  # type: ignore[arg-type]
        checkpoint=checkpoint,  # type: ignore[arg-type]
        metadata=metadata,
        parent_config=config_of(thread_id, checkpoint_ns, parent_id),
        pending_writes=load_writes(serde, writes),
    )


def next_version(current: Any) -> str:
    """The version after `current`. A new thread gets our compact form,
    `<letter: digit count><n>.<6 hex random>` ("b12.3fa9c1": ~10 characters, where
    LangGraph's `"<n, 32 digits>.<random fraction>"` takes ~50 in every row and
    index that holds one); the letter keeps string order = numeric order, the
    random part keeps two forks' values of one channel apart. A thread already
    on LangGraph's form (its files, converted threads) stays on it."""
    if current is None:
        return _compact(1)
    if isinstance(current, int):
        return f"{current + 1:032}.{random.random():016}"
    text = str(current)
    if text[:1].isalpha():
        return _compact(int(text[1:].split(".", 1)[0]) + 1)
    return f"{int(text.split('.', 1)[0]) + 1:032}.{random.random():016}"


def _compact(n: int) -> str:
    digits = str(n)
    return f"{chr(96 + len(digits))}{digits}.{random.getrandbits(24):06x}"


def langgraph_version(version: Any) -> Any:
    """`version` in LangGraph's SQL savers' form (they parse the part before the
    dot as an int): compact versions map to `"<n, 32 digits>.0.<random part>"`."""
    if isinstance(version, str) and version[:1].isalpha():
        number, _, rand = version[1:].partition(".")
        return f"{int(number):032}.0.{int(rand or '0', 16):08d}"
    return version


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (MappingProxyType, Mapping)):
        return dict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_json_default)


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SyncOverAsync:
    """Sync methods of an async saver: allowed only from threads other than the
    saver's event loop (`self.loop`), where they block on the async twin."""

    loop: asyncio.AbstractEventLoop

    def _block(self, coro: Any) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            coro.close()
            raise asyncio.InvalidStateError(
                f"Synchronous calls to {type(self).__name__} are only allowed from a "
                "different thread. From the main thread, use the async interface, "
                "e.g. `await checkpointer.aget_tuple(...)` or `await graph.ainvoke(...)`."
            )
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def get_tuple(self, config: dict) -> Any:
        return self._block(self.aget_tuple(config))  # type: ignore[attr-defined]

    def list(
        self, config: Any, *, filter: Any = None, before: Any = None, limit: Any = None
    ) -> Iterator[Any]:
        items = self.alist(config, filter=filter, before=before, limit=limit)  # type: ignore[attr-defined]
        while True:
            try:
                yield self._block(items.__anext__())
            except StopAsyncIteration:
                break

    def put(self, config: dict, checkpoint: Any, metadata: Any, new_versions: Any) -> dict:
        return self._block(self.aput(config, checkpoint, metadata, new_versions))  # type: ignore[attr-defined]

    def put_writes(self, config: dict, writes: Any, task_id: str, task_path: str = "") -> None:
        return self._block(self.aput_writes(config, writes, task_id, task_path))  # type: ignore[attr-defined]

    def delete_thread(self, thread_id: str) -> None:
        return self._block(self.adelete_thread(thread_id))  # type: ignore[attr-defined]

    def delete_for_runs(self, run_ids: Any) -> None:
        return self._block(self.adelete_for_runs(run_ids))  # type: ignore[attr-defined]

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        return self._block(self.acopy_thread(source_thread_id, target_thread_id))  # type: ignore[attr-defined]

    def prune(self, thread_ids: Any, *, strategy: str = "keep_latest") -> None:
        return self._block(self.aprune(thread_ids, strategy=strategy))  # type: ignore[attr-defined]


def check_prune_args(thread_ids: Any, strategy: str) -> list[str]:
    if isinstance(thread_ids, str):
        raise TypeError("thread_ids must be a sequence of thread IDs, not a str")
    if strategy not in ("keep_latest", "delete"):
        raise ValueError(f"Unknown prune strategy: {strategy!r}")
    return [str(t) for t in thread_ids]
