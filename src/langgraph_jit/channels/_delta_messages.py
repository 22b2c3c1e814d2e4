"""Messages in a `DeltaChannel`: the batch reducer and the ids its writes need.

The reducer lives with the channels (not in `graph.message`, which re-exports it)
because the engine must recognise it when it stamps ids on a step's writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, MutableSequence
from typing import Any

from langgraph_jit._overwrite import Overwrite
from langgraph_jit.channels.binop import _get_overwrite
from langgraph_jit.channels.delta import DeltaChannel

__all__ = ("_messages_delta_reducer", "ensure_message_ids")

# Dict keys/values that make a dict a message (OpenAI roles, LangChain types):
# other dicts in a DeltaChannel are left alone.
_ROLES = frozenset({"user", "human", "assistant", "ai", "tool", "system", "function"})
_TYPES = frozenset({"human", "ai", "tool", "system", "function", "remove"})


def _lc() -> Any:
    import langchain_core.messages as messages

    return messages


def _base_message_class() -> Any:
    """langchain_core's BaseMessage, or None without langchain_core (then no
    message object can be in a write)."""
    try:
        return _lc().BaseMessage
    except ImportError:  # pragma: no cover - langchain_core is optional
        return None


def _messages_delta_reducer(state: list, writes: list) -> list:
    """**Experimental.** Batch reducer of message lists for `DeltaChannel`.

    Each write is a list of message-likes or one message-like (a message, a dict,
    a string or a `(role, content)` tuple); they are coerced to messages. A message
    whose id is already present replaces it, a `RemoveMessage` deletes it (an
    unknown id is ignored), anything else is appended. Folding in one batch or in
    several gives the same list, as `DeltaChannel` requires. Unlike `add_messages`,
    missing ids are not filled (the engine stamps them on writes) and
    `REMOVE_ALL_MESSAGES` has no special meaning.
    """
    lc = _lc()
    incoming: list[Any] = []
    for write in writes:
        if isinstance(write, list):
            incoming.extend(write)
        else:
            incoming.append(write)
    # The reducer's own output is already messages: only raw state is coerced.
    if not state or not isinstance(state[0], lc.BaseMessage):
        state = lc.convert_to_messages(state)
    result: list[Any] = list(state)
    at = {m.id: i for i, m in enumerate(result) if m.id is not None}
    removed = False
    remove_cls = lc.RemoveMessage
    for message in lc.convert_to_messages(incoming):
        mid = message.id
        if mid is None:
            result.append(message)
        elif isinstance(message, remove_cls):
            i = at.pop(mid, None)
            if i is not None:
                result[i] = None
                removed = True
        elif mid in at:
            result[at[mid]] = message
        else:
            at[mid] = len(result)
            result.append(message)
    return [m for m in result if m is not None] if removed else result


# -- ids on writes -----------------------------------------------------------


def _is_message_dict(item: Any) -> bool:
    return isinstance(item, dict) and (item.get("role") in _ROLES or item.get("type") in _TYPES)


def ensure_message_ids(specs: Mapping[str, Any], writes: MutableSequence[tuple[str, Any]]) -> None:
    """Give every message written to a DeltaChannel an id, before the write is saved.

    A DeltaChannel's value is rebuilt from its saved writes, so a message without
    an id would come back different on every read (and could never be removed).
    With `_messages_delta_reducer`, every message-like (alone, in a list or in an
    overwrite) becomes a message with an id; in other DeltaChannels only message
    objects and message dicts get one. Changed writes are replaced in `writes`;
    the caller's lists and dicts are never mutated (message objects get the id).
    """
    for i, (channel, value) in enumerate(writes):
        spec = specs.get(channel)
        if not isinstance(spec, DeltaChannel):
            continue
        if spec.reducer is _messages_delta_reducer:
            new = _messages_with_ids(value)
        else:
            new = _message_objects_with_ids(value)
        if new is not value:
            writes[i] = (channel, new)


def _new_id() -> str:
    return str(uuid.uuid4())


def _map(items: Any, fn: Callable[[Any], Any]) -> Any:
    mapped = [fn(item) for item in items]
    if all(a is b for a, b in zip(mapped, items)):
        return items
    return mapped if isinstance(items, list) else tuple(mapped)


def _stamp(item: Any) -> None:
    base = _base_message_class()
    if base is not None and isinstance(item, base) and not item.id:
        item.id = _new_id()


def _as_message(item: Any, *, strict: bool = False) -> Any:
    """`item` as a message with an id; left as is when it is no message-like
    (unless `strict`: a message dict that does not convert raises)."""
    lc = _lc()
    if isinstance(item, lc.BaseMessage):
        _stamp(item)
        return item
    try:
        message = lc.convert_to_messages([item])[0]
    except Exception:
        if strict:
            raise
        return item
    if not message.id:
        message.id = _new_id()
    return message


def _list_item(item: Any) -> Any:
    return _as_message(item, strict=_is_message_dict(item))


def _messages_with_ids(value: Any) -> Any:
    is_overwrite, replacement = _get_overwrite(value)
    if is_overwrite:
        if isinstance(replacement, (list, tuple)):
            items = _map(replacement, _as_message)
            if items is not replacement:
                return Overwrite(items)
        return value
    if isinstance(value, list):
        return _map(value, _list_item)
    return _as_message(value)


def _message_objects_with_ids(value: Any) -> Any:
    is_overwrite, replacement = _get_overwrite(value)
    if is_overwrite:
        if isinstance(replacement, (list, tuple)):
            for item in replacement:
                _stamp(item)
        return value
    if isinstance(value, list):

        def item_with_id(item: Any) -> Any:
            if _is_message_dict(item):
                return _as_message(item, strict=True)
            _stamp(item)
            return item

        return _map(value, item_with_id)
    if _is_message_dict(value) and not value.get("id"):
        return {**value, "id": _new_id()}
    _stamp(value)
    return value
