"""Message state: the `add_messages` reducer, `MessagesState`, `MessageGraph`, `push_message`.

With langchain_core installed, messages are langchain_core message objects, as in
LangGraph: tuples, strings and (OpenAI-style or LangChain-style) dicts are coerced,
chunks become full messages, and missing ids are filled with UUID4 strings.

Without langchain_core, messages are plain dicts, so dict-based graphs keep
working: a dict is kept as given (copied only when an id has to be added), a string
becomes ``{"role": "user", "content": s}``, a ``(role, content)`` pair becomes
``{"role": role, "content": content}``, and ``{"type": "remove", "id": X}`` plays
the part of ``RemoveMessage(id=X)`` (``X == REMOVE_ALL_MESSAGES`` clears the list).
Replacement by id, deletion and the errors are the same as with message objects;
anything that is not a dict, string or pair raises TypeError.
"""

from __future__ import annotations

import uuid
import warnings
from functools import partial
from operator import attrgetter, itemgetter
from typing import Annotated, Any, Literal

from typing_extensions import TypedDict

from langgraph_jit._constants import CONF, CONFIG_KEY_SEND, STREAMS_WHILE_RUNNING
from langgraph_jit.channels._delta_messages import (
    _messages_delta_reducer as _messages_delta_reducer,
)
from langgraph_jit.graph.state import StateGraph
from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

try:  # langchain_core is optional; message objects need it, dict messages don't.
    from langchain_core.messages import AnyMessage, MessageLikeRepresentation
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    AnyMessage = dict[str, Any]  # type: ignore[misc,assignment]
    MessageLikeRepresentation = Any  # type: ignore[misc,assignment]

__all__ = ("REMOVE_ALL_MESSAGES", "MessageGraph", "MessagesState", "add_messages", "push_message")

REMOVE_ALL_MESSAGES = "__remove_all__"

Messages = list[MessageLikeRepresentation] | MessageLikeRepresentation


def _messages_module() -> Any:
    """langchain_core.messages, or None when langchain_core is not installed."""
    global _lc_messages
    if _lc_messages is _UNSET:
        try:
            import langchain_core.messages as module

            _lc_messages = module
        except ImportError:
            _lc_messages = None
    return _lc_messages


_UNSET = object()
_lc_messages: Any = _UNSET


def add_messages(
    left: Messages | None = None,
    right: Messages | None = None,
    *,
    format: Literal["langchain-openai"] | None = None,
) -> Any:
    """Merge `right` into `left`: append new messages, replace those whose id is
    already present, delete on RemoveMessage. Called with neither list (only
    keyword options) it returns the reducer with those options bound, e.g.
    ``Annotated[list, add_messages(format="langchain-openai")]``."""
    if left is None and right is None:
        return partial(_merge, format=format)
    if left is None or right is None:
        # LangGraph names the missing side by the truthiness of `left`.
        got = "left" if left else "right"
        raise ValueError(
            f"Must specify non-null arguments for both 'left' and 'right'. Only received: '{got}'."
        )
    return _merge(left, right, format=format)


def _merge(left: Any, right: Any, *, format: str | None = None) -> list:
    # left/right: Messages, normalised below to lists of message objects or dicts
    if not isinstance(left, list):
        left = [left]
    if not isinstance(right, list):
        right = [right]
    lc = _messages_module()
    if lc is None:
        left = [_as_dict_message(m) for m in left]
        right = [_as_dict_message(m) for m in right]
        id_of: Any = _dict_id
        is_remove = _dict_is_remove
        left_ids = list(map(id_of, left))
        position = dict(zip(left_ids, range(len(left_ids))))
        shared = False
    else:
        known = _merged.get(id(left))
        if known is not None and known[0] is left and left == known[1]:
            # A list this reducer returned, unchanged (the same or equal
            # messages, so the same ids): its messages are complete and have
            # ids, and `positions` holds all of them. It is shared with the
            # lists made from this one (a conditional edge merges into the
            # same list before the commit), so an index found is checked.
            position = known[2]
            shared = True
        else:
            shared = False
            left = _as_message_objects(lc, left)
            # The ids in C (map/attrgetter), hashed once into the positions.
            left_ids = list(map(_attr_id, left))
            position = dict(zip(left_ids, range(len(left_ids))))
            if None in position:
                for m in left:
                    if m.id is None:
                        m.id = str(uuid.uuid4())
                left_ids = list(map(_attr_id, left))
                position = dict(zip(left_ids, range(len(left_ids))))
        right = _as_message_objects(lc, right)
        remove_cls = lc.RemoveMessage
        id_of = _attr_id

        def is_remove(m: Any) -> bool:
            return isinstance(m, remove_cls)

        for m in right:
            if m.id is None:
                m.id = str(uuid.uuid4())

    # Only the last REMOVE_ALL counts: what follows it is the whole result.
    for i in range(len(right) - 1, -1, -1):
        m = right[i]
        if is_remove(m) and id_of(m) == REMOVE_ALL_MESSAGES:
            return _formatted(right[i + 1 :], format, lc)

    merged = list(left)
    deleted: set[str] = set()
    # merged's ids, made (in C) when an id must be looked for, then kept in step.
    merged_ids: list | None = None
    for m in right:
        mid = id_of(m)
        at = position.get(mid)
        if shared and at is not None and (at >= len(merged) or id_of(merged[at]) != mid):
            # Placed there by another list made from the same one (a branch's
            # view of this step: usually not in this list at all): find it here.
            if merged_ids is None:
                merged_ids = list(map(id_of, merged))
            try:
                at = merged_ids.index(mid)
            except ValueError:
                at = None
        if at is None:
            if is_remove(m):
                raise ValueError(
                    f"Attempting to delete a message with an ID that doesn't exist ('{mid}')"
                )
            position[mid] = len(merged)
            merged.append(m)
            if merged_ids is not None:
                merged_ids.append(mid)
        elif is_remove(m):
            deleted.add(mid)
        else:
            # A later message with a deleted id brings it back, in the old place.
            deleted.discard(mid)
            merged[at] = m
    if deleted:
        merged = [m for m in merged if id_of(m) not in deleted]
    elif lc is not None and not format:
        # Kept with its positions for the next merge into it.
        if len(_merged) >= _MERGED_MAX:
            _merged.clear()
        _merged[id(merged)] = (merged, merged[:], position)
    return _formatted(merged, format, lc)


# id(list) -> (list, a copy of it when returned, {message id: index}): the lists
# `_merge` returned lately, so merging into one again (a message thread's next
# step) costs what is appended, not the whole thread. Checked by identity of the
# list and by comparing it with its copy; a list changed in place since is merged
# anew. The id map is shared by a list and the lists merged from it: every id of
# each is in it, at the index in one of them.
_merged: dict[int, tuple[list, list, dict]] = {}
_MERGED_MAX = 64


def _formatted(messages: list, format: str | None, lc: Any) -> list:
    if format == "langchain-openai":
        if lc is None or not hasattr(lc, "convert_to_openai_messages"):
            warnings.warn(
                "Must have langchain-core>=0.3.11 installed to use automatic message "
                "formatting (format='langchain-openai'). Please update your "
                "langchain-core version or remove the 'format' flag. Returning "
                "un-formatted messages.",
                stacklevel=1,
            )
            return list(messages)
        return lc.convert_to_messages(lc.convert_to_openai_messages(messages))
    if format:
        raise ValueError(
            f"Unrecognized format={format!r}. Expected one of 'langchain-openai', None."
        )
    return messages


_attr_id = attrgetter("id")


def _as_message_objects(lc: Any, items: list) -> list:
    """Message objects for `items`; the list itself when it already holds only
    complete messages (their ids are then filled in place, as LangGraph does)."""
    base, chunk = lc.BaseMessage, lc.BaseMessageChunk
    for t in set(map(type, items)):
        if not issubclass(t, base) or issubclass(t, chunk):
            break
    else:
        return items
    to_message = lc.message_chunk_to_message
    return [to_message(m) for m in lc.convert_to_messages(items)]


# -- dict messages (no langchain_core) -------------------------------------


def _as_dict_message(m: Any) -> dict:
    if isinstance(m, dict):
        return m if m.get("id") is not None else {**m, "id": str(uuid.uuid4())}
    if isinstance(m, str):
        return {"role": "user", "content": m, "id": str(uuid.uuid4())}
    if isinstance(m, tuple) and len(m) == 2:
        role, content = m
        return {"role": role, "content": content, "id": str(uuid.uuid4())}
    raise TypeError(
        f"Cannot use {type(m).__name__} as a message without langchain_core installed: "
        "use a dict, a string or a (role, content) pair, or install langchain-core."
    )


_dict_id = itemgetter("id")


def _dict_is_remove(m: dict) -> bool:
    return m.get("type") == "remove"


# -- schemas -----------------------------------------------------------------


class MessagesState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


class MessageGraph(StateGraph):
    """Deprecated: a graph whose whole state is one list of messages merged
    with `add_messages`. Use a StateGraph with a `messages` key instead."""

    __deprecated__ = (
        "MessageGraph is deprecated in langgraph 1.0.0, to be removed in 2.0.0. "
        "Please use StateGraph with a `messages` key instead."
    )

    def __init__(self) -> None:
        warnings.warn(
            "MessageGraph is deprecated in LangGraph v1.0.0, to be removed in v2.0.0. "
            "Please use StateGraph with a `messages` key instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        super().__init__(Annotated[list[AnyMessage], add_messages])


# -- pushing a message from inside a node -------------------------------------


def push_message(message: Any, *, state_key: str | None = "messages") -> Any:
    """Send a finished message to the `messages` stream right away and, unless
    `state_key` is None, write it to that state key. The message needs an id."""
    from langchain_core.callbacks.base import BaseCallbackManager
    from langchain_core.messages import convert_to_messages

    from langgraph_jit.config import get_config
    from langgraph_jit.pregel._messages import StreamMessagesHandler

    config = get_config()
    message = convert_to_messages([message])[0]
    if message.id is None:
        raise ValueError("Message ID is required")
    callbacks = config.get("callbacks")
    if isinstance(callbacks, BaseCallbackManager):
        callbacks = callbacks.handlers
    for handler in callbacks or ():
        if isinstance(handler, StreamMessagesHandler):
            handler.push(config["metadata"], message)
    if state_key:
        config[CONF][CONFIG_KEY_SEND]([(state_key, message)])
    return message


# It sends to the `messages` stream while the node calling it still runs.
setattr(push_message, STREAMS_WHILE_RUNNING, True)
