"""Debug-stream payload helpers at LangGraph's `langgraph.pregel.debug` path.

Turn tasks and their writes into the "task" / "task_result" payloads of stream_mode="debug".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

from langgraph_jit._constants import (
    ERROR,
    EXCLUDED_METADATA_KEYS,
    PRIVATE_CONFIG_PREFIX,
    RETURN,
)
from langgraph_jit.constants import TAG_HIDDEN
from langgraph_jit.pregel._core.output import interrupt_dicts, patch_checkpoint_map, read_channels

__all__ = (
    "COLOR_MAPPING",
    "TASK_NAMESPACE",
    "filter_to_user_tags",
    "get_bolded_text",
    "get_colored_text",
    "is_multiple_channel_write",
    "map_debug_task_results",
    "map_debug_tasks",
    "map_task_result_writes",
    "patch_checkpoint_map",
    "read_channels",
    "rm_pregel_keys",
)

TASK_NAMESPACE = UUID("6ba7b831-9dad-11d1-80b4-00c04fd430c8")


def filter_to_user_tags(tags: Sequence[str] | None) -> list[str] | None:
    """The tags without the engine's `seq:step:*` markers; None when none are left."""
    if not tags:
        return None
    kept = [t for t in tags if not t.startswith("seq:step")]
    return kept or None


def map_debug_tasks(tasks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """One "task" payload per task that is not hidden.

    A task's config metadata rides along without the engine's own keys, plus its
    user tags under "tags"; the "metadata" key is left out when nothing remains.
    """
    for task in tasks:
        config = task.config
        if config is not None and TAG_HIDDEN in (config.get("tags") or ()):
            continue
        payload: dict[str, Any] = {
            "id": task.id,
            "name": task.name,
            "input": task.input,
            "triggers": task.triggers,
        }
        if config is not None:
            metadata = {
                key: value
                for key, value in (config.get("metadata") or {}).items()
                if key not in EXCLUDED_METADATA_KEYS
            }
            tags = filter_to_user_tags(config.get("tags"))
            if tags is not None:
                metadata["tags"] = tags
            if metadata:
                payload["metadata"] = metadata
        yield payload


def is_multiple_channel_write(value: Any) -> bool:
    """Whether `value` is the {"$writes": [...]} wrapper of repeated writes to a channel."""
    return isinstance(value, dict) and isinstance(value.get("$writes", None), list)


def map_task_result_writes(writes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """{channel: value}; a channel written more than once maps to {"$writes": [...]}.

    As in LangGraph, a None value counts as "not written yet" for folding.
    """
    result: dict[str, Any] = {}
    for channel, value in writes:
        previous = result.get(channel)
        if previous is None:
            result[channel] = value
            continue
        folded = previous["$writes"] if is_multiple_channel_write(previous) else [previous]
        folded.append(value)
        result[channel] = {"$writes": folded}
    return result


def map_debug_task_results(
    task_tup: tuple[Any, Sequence[tuple[str, Any]]],
    stream_keys: str | Sequence[str],
) -> Iterator[dict[str, Any]]:
    """The "task_result" payload of a finished task and its writes."""
    keys = [stream_keys] if isinstance(stream_keys, str) else stream_keys
    task, writes = task_tup
    interrupts = interrupt_dicts(writes)
    yield {
        "id": task.id,
        "name": task.name,
        "error": next((value for channel, value in writes if channel == ERROR), None),
        "result": map_task_result_writes([(c, v) for c, v in writes if c in keys or c == RETURN]),
        "interrupts": interrupts,
    }


def rm_pregel_keys(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only the config's "configurable" entries, without the engine's private keys."""
    if config is None:
        return None
    configurable = config.get("configurable", {})
    return {
        "configurable": {
            k: v for k, v in configurable.items() if not k.startswith(PRIVATE_CONFIG_PREFIX)
        }
    }


COLOR_MAPPING = {
    "black": "0;30",
    "red": "0;31",
    "green": "0;32",
    "yellow": "0;33",
    "blue": "0;34",
    "magenta": "0;35",
    "cyan": "0;36",
    "white": "0;37",
    "gray": "1;30",
}


def get_colored_text(text: str, color: str) -> str:
    """`text` in one of COLOR_MAPPING's terminal colours (bold)."""
    return f"\033[1;3{COLOR_MAPPING[color]}m{text}\033[0m"


def get_bolded_text(text: str) -> str:
    """`text` in bold for a terminal."""
    return f"\033[1m{text}\033[0m"
