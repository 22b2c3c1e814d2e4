"""Shapes of what a run shows the user: stream chunks and debug payloads.

Each function builds one of LangGraph's chunk shapes from engine state, so
the run loop stays free of formatting details.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, overload

from langgraph_jit._constants import (
    CONF,
    CONTROL_WRITES,
    ERROR,
    EXCLUDED_METADATA_KEYS,
    INTERRUPT,
    MISSING,
    NULL_TASK_ID,
    PRIVATE_CONFIG_PREFIX,
    RETURN,
)
from langgraph_jit.constants import TAG_HIDDEN
from langgraph_jit.errors import EmptyChannelError


def read_channel(channels: dict[str, Any], name: str) -> Any:
    try:
        return channels[name].get()
    except EmptyChannelError:
        return None


def read_channels(channels: dict[str, Any], keys: str | Sequence[str]) -> Any:
    """A single channel's value, or a dict of the available ones."""
    if isinstance(keys, str):
        return read_channel(channels, keys)
    values = {}
    for k in keys:
        ch = channels.get(k)
        if ch is not None and ch.is_available():
            values[k] = ch.get()
    return values


def is_hidden(task: Any) -> bool:
    tags = task.proc.tags if task.proc is not None else None
    return tags is not None and TAG_HIDDEN in tags


def updates_chunk(
    output_keys: str | Collection[str],
    tasks: Sequence[Any],
    cached: bool = False,
) -> dict[str, Any] | None:
    """The `updates` chunk for tasks that finished together (LangGraph groups
    by task name; a name with one update maps to it, with none to None)."""
    single_key = output_keys if isinstance(output_keys, str) else None
    keys: frozenset[str] = frozenset() if single_key is not None else frozenset(output_keys)
    grouped: dict[str, list[Any]] = {}
    for task in tasks:
        writes = task.writes
        if is_hidden(task) or (writes and writes[0][0] in (ERROR, INTERRUPT)):
            continue
        values = grouped.get(task.name)
        if values is None:
            values = grouped[task.name] = []
        returned = MISSING
        for chan, value in writes:
            if chan == RETURN:
                returned = value
                break
        if returned is not MISSING:
            values.append(returned)
        elif single_key is not None:
            values.extend(v for c, v in writes if c == single_key)
        else:
            shown_writes = [(c, v) for c, v in writes if c in keys]
            if not shown_writes:
                continue
            if len(shown_writes) > 1 and len({c for c, _ in shown_writes}) < len(shown_writes):
                # a channel written twice: one update per write
                values.extend({c: v} for c, v in shown_writes)
            else:
                values.append(dict(shown_writes))
    if not grouped:
        return None
    result: dict[str, Any] = {}
    for name, values in grouped.items():
        result[name] = None if not values else values[0] if len(values) == 1 else values
    if cached:
        result["__metadata__"] = {"cached": True}
    return result


def task_start_payload(task: Any, run_config: dict[str, Any]) -> dict[str, Any]:
    payload = {
        "id": task.id,
        "name": task.name,
        "input": task.input,
        "triggers": task.triggers,
    }
    run_metadata = run_config.get("metadata")
    metadata = (
        {k: v for k, v in run_metadata.items() if k not in EXCLUDED_METADATA_KEYS}
        if run_metadata
        else {}
    )
    proc = task.proc
    if proc is not None:
        if proc.metadata:
            metadata.update(proc.metadata)
        run_tags = run_config.get("tags")
        if run_tags or proc.tags:
            tags = [
                t
                for t in [*(run_tags or ()), *(proc.tags or ())]
                if not t.startswith("graph:step") and t != TAG_HIDDEN
            ]
            if tags:
                metadata["tags"] = tags
    if metadata:
        payload["metadata"] = metadata
    return payload


def fold_writes(writes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """{channel: value}, with repeated writes to a channel as {"$writes": [...]}."""
    result: dict[str, Any] = {}
    for chan, value in writes:
        if chan in result:
            prev = result[chan]
            if isinstance(prev, dict) and isinstance(prev.get("$writes"), list):
                prev["$writes"].append(value)
            else:
                result[chan] = {"$writes": [prev, value]}
        else:
            result[chan] = value
    return result


def task_result_payload(task: Any, stream_keys: str | Sequence[str]) -> dict[str, Any]:
    keys = (stream_keys,) if isinstance(stream_keys, str) else stream_keys
    writes = task.writes
    shown = []
    error = None
    errored = interrupted = False
    for chan, value in writes:  # one pass: most tasks write a few channels
        if chan in keys or chan == RETURN:
            shown.append((chan, value))
        if chan == ERROR:
            if not errored:  # the first error write
                errored = True
                error = value
        elif chan == INTERRUPT:
            interrupted = True
    return {
        "id": task.id,
        "name": task.name,
        "error": error,
        "result": fold_writes(shown),
        "interrupts": interrupt_dicts(writes) if interrupted else [],
    }


def interrupt_dicts(writes: Sequence[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The interrupts among a task's writes, as the dicts task payloads show."""
    interrupts = []
    for chan, value in writes:
        if chan == INTERRUPT:
            for i in value if isinstance(value, Sequence) else [value]:
                interrupts.append(asdict(i))
    return interrupts


Config = dict[str, Any]


@overload
def patch_checkpoint_map(config: Config, metadata: Config | None) -> Config: ...
@overload
def patch_checkpoint_map(config: None, metadata: Config | None) -> None: ...
def patch_checkpoint_map(config: Config | None, metadata: Config | None) -> Config | None:
    """A subgraph checkpoint's config also maps every ancestor namespace (and
    its own) to a checkpoint id, as LangGraph shows it."""
    if config is None:
        return None
    parents = metadata.get("parents") if metadata else None
    if not parents:
        return config
    conf = config[CONF]
    return {
        **config,
        CONF: {
            **conf,
            "checkpoint_map": {**parents, conf["checkpoint_ns"]: conf["checkpoint_id"]},
        },
    }


def public_config(config: Config | None) -> Config | None:
    """A checkpoint config without the engine's private keys."""
    if config is None:
        return None
    return {
        "configurable": {
            k: v for k, v in config.get(CONF, {}).items() if not k.startswith(PRIVATE_CONFIG_PREFIX)
        }
    }


def checkpoint_payload(
    config: Config,
    parent_config: Config | None,
    values: Any,
    metadata: Config | None,
    tasks: Sequence[Any],
    task_entries: Sequence[Config],
) -> dict[str, Any]:
    return {
        "config": public_config(patch_checkpoint_map(config, metadata)),
        "parent_config": public_config(patch_checkpoint_map(parent_config, metadata)),
        "values": values,
        "metadata": metadata,
        "next": [t.name for t in tasks],
        "tasks": list(task_entries),
    }


def debug_chunk(step: int, kind: str, payload: Any) -> dict[str, Any]:
    return {
        "step": step,
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "type": kind,
        "payload": payload,
    }


# The status of a task with no saved writes: no output, no interrupts, no error.
NO_STATUS: tuple[Any, ...] = ((), (), None)


def task_statuses(pending_writes: Sequence[tuple[str, str, Any]]) -> dict[str, tuple[Any, ...]]:
    """task id -> (output writes, interrupts raised, error) from saved writes."""
    output: dict[str, list[Any]] = {}
    interrupts: dict[str, list[Any]] = {}
    errors: dict[str, Any] = {}
    for task_id, channel, value in pending_writes:
        if task_id == NULL_TASK_ID:
            continue
        output.setdefault(task_id, [])
        if channel == INTERRUPT:
            interrupts.setdefault(task_id, []).extend(
                value if isinstance(value, (list, tuple)) else [value]
            )
        elif channel == ERROR:
            errors.setdefault(task_id, value)
        elif channel not in CONTROL_WRITES:
            output[task_id].append((channel, value))
    return {
        tid: (tuple(out), tuple(interrupts.get(tid, ())), errors.get(tid))
        for tid, out in output.items()
    }


def task_result(output: Sequence[tuple[str, Any]], keys: str | Sequence[str]) -> Any:
    """PregelTask.result: the task's writes to the stream channels."""
    for chan, value in output:
        if chan == RETURN:
            return value
    if isinstance(keys, str):
        mapped = fold_writes([(c, v) for c, v in output if c == keys])
        return mapped.get(keys) if mapped else None
    return fold_writes([(c, v) for c, v in output if c in keys])
