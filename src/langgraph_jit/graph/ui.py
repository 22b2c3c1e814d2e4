"""Generative-UI messages at LangGraph's `langgraph.graph.ui` path.

Nodes push or delete UI components (custom stream + a state key); the reducer merges them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast
from uuid import uuid4

from langgraph_jit._constants import CONF, CONFIG_KEY_SEND
from langgraph_jit.config import get_config, get_stream_writer

if TYPE_CHECKING:
    from langchain_core.messages import AnyMessage

__all__ = (
    "AnyUIMessage",
    "RemoveUIMessage",
    "UIMessage",
    "delete_ui_message",
    "push_ui_message",
    "ui_message_reducer",
)


class UIMessage(TypedDict):
    """A UI component to render: its name, props and metadata, under an id."""

    type: Literal["ui"]
    id: str
    name: str
    props: dict[str, Any]
    metadata: dict[str, Any]


class RemoveUIMessage(TypedDict):
    """Asks for the UI component with this id to be removed."""

    type: Literal["remove-ui"]
    id: str


AnyUIMessage = UIMessage | RemoveUIMessage


def _message_id(message: Any) -> Any:
    if not message:
        return None
    if isinstance(message, dict) and "id" in message:
        return message.get("id")
    return getattr(message, "id", None)


def push_ui_message(
    name: str,
    props: dict[str, Any],
    *,
    id: str | None = None,
    metadata: dict[str, Any] | None = None,
    message: AnyMessage | None = None,
    state_key: str | None = "ui",
    merge: bool = False,
) -> UIMessage:
    """Emit a UI message on the custom stream and, unless `state_key` is None, write it there.

    The metadata carries `merge`, the run's id / tags / name, any extra `metadata`
    and the id of `message` (when given and it has one). Returns the message.
    """
    writer = get_stream_writer()
    config = get_config()
    message_id = _message_id(message)
    event: UIMessage = {
        "type": "ui",
        "id": id or str(uuid4()),
        "name": name,
        "props": props,
        "metadata": {
            "merge": merge,
            "run_id": config.get("run_id", None),
            "tags": config.get("tags", None),
            "name": config.get("run_name", None),
            **(metadata or {}),
            **({"message_id": message_id} if message_id else {}),
        },
    }
    writer(event)
    if state_key:
        config[CONF][CONFIG_KEY_SEND]([(state_key, event)])
    return event


def delete_ui_message(id: str, *, state_key: str = "ui") -> RemoveUIMessage:
    """Emit a remove-ui message for `id` on the custom stream and write it to `state_key`."""
    writer = get_stream_writer()
    config = get_config()
    event: RemoveUIMessage = {"type": "remove-ui", "id": id}
    writer(event)
    config[CONF][CONFIG_KEY_SEND]([(state_key, event)])
    return event


def ui_message_reducer(
    left: list[AnyUIMessage] | AnyUIMessage,
    right: list[AnyUIMessage] | AnyUIMessage,
) -> list[AnyUIMessage]:
    """Reducer for a state key of UI messages.

    A message replaces the one with its id (its props merged over the old ones when
    its metadata says "merge"), a new id is appended, and a remove-ui message drops
    its id (ValueError when no message has that id).
    """
    current = list(left) if isinstance(left, list) else [left]
    updates = right if isinstance(right, list) else [right]
    position = {m.get("id"): i for i, m in enumerate(current)}
    removed: set[Any] = set()
    for msg in updates:
        msg_id = msg.get("id")
        index = position.get(msg_id)
        is_removal = msg.get("type") == "remove-ui"
        if index is None:
            if is_removal:
                raise ValueError(
                    f"Attempting to delete an UI message with an ID that doesn't exist ('{msg_id}')"
                )
            position[msg_id] = len(current)
            current.append(msg)
            continue
        if is_removal:
            removed.add(msg_id)
            continue
        removed.discard(msg_id)
        ui = cast(UIMessage, msg)
        if ui.get("metadata", {}).get("merge", False):
            previous = cast(UIMessage, current[index])
            ui = cast(UIMessage, {**ui, "props": {**previous["props"], **ui["props"]}})
        current[index] = ui
    return [m for m in current if m.get("id") not in removed]
