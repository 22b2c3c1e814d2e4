"""Pictures of a profile (matplotlib, imported only here): the wall-clock breakdown as
one stacked bar, and a timeline with a lane per run (its sections) and per node (its
attempts)."""

from __future__ import annotations

from typing import Any

from langgraph_jit.pregel import _profile as rec_mod
from langgraph_jit.profiling._report import CATEGORIES, Summary

COLORS = {
    "nodes": "#4c72b0",
    "plan": "#dd8452",
    "commit": "#c44e52",
    "kernel": "#e8a0a0",
    "input": "#937860",
    "engine": "#8172b3",
    "checkpoint_serialize": "#55a868",
    "checkpoint_db": "#2f7d4a",
    "checkpoint_wait": "#a6d8b0",
    "stream": "#da8bc3",
    "waiting": "#cccccc",
}
# A run's sections, drawn in its lane with the color of their category.
SECTION_KEYS = {
    rec_mod.PLAN: "plan",
    rec_mod.COMMIT: "commit",
    rec_mod.KERNEL: "kernel",
    rec_mod.INPUT: "input",
    rec_mod.LOAD: "checkpoint_db",
    rec_mod.SAVE: "checkpoint_db",
    rec_mod.WAIT: "checkpoint_wait",
    rec_mod.STREAM: "stream",
}
MAX_BARS = 4000  # per lane: a long run draws its first ones


def _pyplot() -> Any:
    try:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg", "svg", "pdf") and not _interactive():
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("drawing a profile needs matplotlib: pip install matplotlib") from exc
    return plt


def _interactive() -> bool:
    import sys

    return "ipykernel" in sys.modules


def draw(summary: Summary, kind: str = "both") -> Any:
    """A matplotlib Figure: kind "bar", "timeline" or "both"."""
    if kind not in ("bar", "timeline", "both"):
        raise ValueError(f"kind must be 'bar', 'timeline' or 'both', not {kind!r}")
    plt = _pyplot()
    if kind == "both":
        lanes = _lanes(summary)
        height = 1.6 + 0.28 * max(3, len(lanes))
        fig, (bar_ax, line_ax) = plt.subplots(
            2, 1, figsize=(10, 1.4 + height), gridspec_kw={"height_ratios": [1.4, height]}
        )
        _bar(summary, bar_ax)
        _timeline(summary, line_ax, lanes)
    elif kind == "bar":
        fig, bar_ax = plt.subplots(figsize=(10, 2.2))
        _bar(summary, bar_ax)
    else:
        lanes = _lanes(summary)
        fig, line_ax = plt.subplots(figsize=(10, 1.6 + 0.28 * max(3, len(lanes))))
        _timeline(summary, line_ax, lanes)
    fig.tight_layout()
    plt.close(fig)  # returned, not shown: no duplicate in notebooks
    return fig


def _bar(summary: Summary, ax: Any) -> None:
    left = 0.0
    wall = summary.run_seconds or 1.0
    for key, label in CATEGORIES:
        seconds = summary.breakdown[key]
        if seconds <= 0:
            continue
        ax.barh(0, seconds, left=left, color=COLORS[key], label=f"{label} ({seconds / wall:.0%})")
        left += seconds
    ax.set_yticks([])
    ax.set_xlabel("seconds (wall clock of the graph runs)")
    ax.set_title("Where the runs spent their time")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)


def _lanes(summary: Summary) -> list[tuple[str, list[tuple[float, float]], list[str]]]:
    """(label, [(start, width)], [category]) per lane: runs first, then nodes."""
    # From the first run's start (a profiled program may import for seconds before it).
    t0 = min((run.t0 for run in summary.all_runs), default=summary.recorder.t0)
    by_run: dict[str, tuple[list[tuple[float, float]], list[str]]] = {}
    by_node: dict[str, tuple[list[tuple[float, float]], list[str]]] = {}
    for run in summary.all_runs:
        label = f"run {run.name}" if run.parent is None else f"subgraph in {run.parent.path}"
        spans, cats = by_run.setdefault(label, ([], []))
        for start, stop, _, _ in run.steps[:MAX_BARS]:
            spans.append((start - t0, stop - start))
            cats.append("waiting")
        for kind, start, end, _ in run.record.section_records()[:MAX_BARS]:
            spans.append((start - t0, end - start))
            cats.append(SECTION_KEYS.get(kind, "engine"))
        for attempt in run.attempts:
            if attempt.name.startswith("__"):
                continue
            spans2, cats2 = by_node.setdefault(attempt.path, ([], []))
            if len(spans2) < MAX_BARS:
                spans2.append((attempt.t0 - t0, attempt.seconds))
                cats2.append("nodes")
    return [(label, spans, cats) for label, (spans, cats) in (*by_run.items(), *by_node.items())]


def _timeline(
    summary: Summary, ax: Any, lanes: list[tuple[str, list[tuple[float, float]], list[str]]]
) -> None:
    for row, (_label, spans, cats) in enumerate(lanes):
        if spans:
            ax.broken_barh(spans, (row - 0.4, 0.8), facecolors=[COLORS[c] for c in cats])
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([label for label, _, _ in lanes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the first run started")
    ax.set_title("Timeline (runs: their sections; nodes: their attempts)")
    ax.grid(axis="x", alpha=0.3)


def to_svg(figure: Any) -> str:
    import io

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()
