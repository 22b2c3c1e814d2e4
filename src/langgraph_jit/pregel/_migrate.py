"""Checkpoints saved by older LangGraph versions, brought to today's layout
before a run (or a state read) loads them.

Format 4 moved pending Sends into the TASKS channel. StateGraphs saved in
formats 1-2 triggered nodes through channels named `start:<node>`,
`branch:<source>:<condition>:<node>` and `<source node>`, which are all
`branch:to:<node>` now. Each migration edits the checkpoint dict in place.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from langgraph_jit._constants import END, INTERRUPT, MISSING, START, TASKS

# The checkpoint format the engine writes; older ones may need migrating.
CURRENT_FORMAT = 4


def migrate_pending_sends(checkpoint: dict[str, Any]) -> None:
    """Format < 4 kept Sends in `pending_sends`: they become the TASKS
    channel, as new as the newest channel."""
    if checkpoint.get("v", CURRENT_FORMAT) >= 4 or not checkpoint.get("pending_sends"):
        return
    versions = checkpoint["channel_versions"]
    checkpoint["channel_values"][TASKS] = checkpoint.pop("pending_sends")
    versions[TASKS] = max(versions.values())


def migrate_state_graph_layout(
    checkpoint: dict[str, Any], nodes: Collection[str], edges: Iterable[tuple[str, str]]
) -> None:
    """Rename the trigger channels of formats 1-2 to `branch:to:<node>`
    (`edges`: the graph's plain edges, which fed `<source node>` channels)."""
    versions = checkpoint["channel_versions"]
    if not versions or checkpoint.get("v", CURRENT_FORMAT) >= 3:
        return
    values = checkpoint["channel_values"]
    # "start:" channels first, then branches (the first value moved wins).
    for is_old, target_of in (
        (lambda k: k.startswith("start:"), lambda k: k.split(":")[1]),
        (lambda k: k.startswith("branch:") and k.count(":") == 3, lambda k: k.split(":")[-1]),
    ):
        for old in list(versions):
            if not is_old(old) or target_of(old) not in nodes:
                continue
            target = target_of(old)
            # A value stays under its old name when the new channel has one.
            moves = f"branch:to:{target}" not in values and old in values
            _rename(
                checkpoint, old, target, versions.pop(old), values.pop(old) if moves else MISSING
            )
    if set(nodes).isdisjoint(versions):
        return
    targets: dict[str, list[str]] = {}
    for source, target in edges:
        if source != START and target != END:
            targets.setdefault(source, []).append(target)
    seen = checkpoint["versions_seen"]
    for old in list(versions):
        if old == START or old not in nodes:
            continue
        version = versions.pop(old)
        value = values.pop(old, MISSING)
        for target in targets.get(old, ()):
            _rename(checkpoint, old, target, version, value)
        seen.get(INTERRUPT, {}).pop(old, None)


def _rename(checkpoint: dict[str, Any], old: str, target: str, version: Any, value: Any) -> None:
    """Channel `old` (its version and value already taken out) now feeds
    `branch:to:<target>`: the newer version wins, an existing value stays,
    and what `target` and interrupts had seen of `old` they saw of it."""
    new = f"branch:to:{target}"
    versions = checkpoint["channel_versions"]
    values = checkpoint["channel_values"]
    seen = checkpoint["versions_seen"]
    for node_seen in (seen.get(target, {}), seen.get(INTERRUPT, {})):
        if old in node_seen:
            was = node_seen.pop(old)
            node_seen[new] = max(was, node_seen[new]) if new in node_seen else was
    if new not in values and value is not MISSING:
        values[new] = value
    versions[new] = max(versions[new], version) if new in versions else version
