"""What a profile's records add up to: where the runs' wall-clock time went, and each
node's own time; as plain data (`to_dict`, `rows`) and as a text table.

The wall-clock breakdown covers the top-level runs from start to end and adds up to
their wall time. A step's tasks section is split into the nodes' own code, the runs
nested in them (subgraphs, broken down the same way) and waiting (task hand-offs,
thread switches, idle). When a step's tasks ran side by side, their times are scaled by
how much they overlapped, so the breakdown still adds up to the wall clock; the node
table shows each attempt's own time unscaled.

Fast steps have their planning, commit and kernels timed on a sample only (see
pregel/_profile.py): the others' are estimated from the timed ones of the same run
and taken out of the run's remaining engine time, which is what "engine: other" shows.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from typing import Any

from langgraph_jit.pregel import _profile as rec_mod

# (key, label), in the order reported.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("nodes", "nodes: their own code"),
    ("plan", "engine: planning steps"),
    ("commit", "engine: commit (writes, channels)"),
    ("kernel", "engine: step kernels (plan + commit)"),
    ("input", "engine: input and start"),
    ("engine", "engine: other (driver, task setup, chunks)"),
    ("checkpoint_serialize", "checkpoint: serialization"),
    ("checkpoint_db", "checkpoint: database (load, save)"),
    ("checkpoint_wait", "checkpoint: waiting for the background writer"),
    ("stream", "streaming: the caller's code between chunks"),
    ("waiting", "waiting: task hand-offs, threads, idle"),
)
LABELS = dict(CATEGORIES)
ENGINE_KEYS = ("plan", "commit", "kernel", "input", "engine")


def union_length(intervals: Iterable[tuple[float, float]]) -> float:
    """Total length covered by the intervals (overlaps counted once)."""
    total = 0.0
    end = -math.inf
    start = 0.0
    for a, b in sorted(intervals):
        if a > end:
            if end > -math.inf:
                total += end - start
            start, end = a, b
        elif b > end:
            end = b
    if end > -math.inf:
        total += end - start
    return total


def _is_engine_task(name: str) -> bool:
    # The input step's task (`__start__`) is the engine writing the input.
    return name.startswith("__")


class Attempt:
    """One recorded task attempt, with the runs nested in it."""

    __slots__ = ("run", "name", "task", "step", "t0", "t1", "failed", "remote", "nested")

    def __init__(self, run: Run, record: tuple[str, Any, int, float, float, int]) -> None:
        self.run = run
        self.name, self.task, self.step, self.t0, self.t1, flags = record
        self.failed = bool(flags & rec_mod.FAILED)
        self.remote = bool(flags & rec_mod.REMOTE)
        self.nested: list[Run] = []

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0

    @property
    def own(self) -> float:
        """Time in the node's own code: its attempt minus the runs nested in it."""
        return max(0.0, self.seconds - sum(r.wall for r in self.nested))

    @property
    def path(self) -> str:
        """The node's name, under the names of the nodes whose subgraphs it ran in."""
        names = [self.name]
        parent = self.run.parent
        while parent is not None:
            names.append(parent.name)
            parent = parent.run.parent
        return "/".join(reversed(names))


class Run:
    """A run's records worked out: exclusive seconds per section, steps, attempts."""

    def __init__(self, record: rec_mod.RunRecord, end: float) -> None:
        self.record = record
        self.name = record.name
        self.parent: Attempt | None = None  # set once every run is read
        self.t0 = record.t0
        self.t1 = record.t1 or end
        self.attempts = [Attempt(self, a) for a in record.attempt_records()]
        self.attempts.sort(key=lambda a: a.t0)
        self.times: dict[str, float] = {}
        # (start, end, exclusive seconds of the step's tasks section, its attempts)
        self.steps: list[tuple[float, float, float, list[Attempt]]] = []
        self.timed_steps = 0  # steps whose planning was timed (the others estimated)
        self._account(record.section_records())

    @property
    def wall(self) -> float:
        return self.t1 - self.t0

    def _account(self, sections: list[tuple[str, float, float, Any]]) -> None:
        bounds = sorted(s[1] for s in sections if s[0] in (rec_mod.PLAN, rec_mod.COMMIT))
        intervals: list[tuple[float, float, str, Any]] = [(self.t0, self.t1, "engine", None)]
        # Each step's tasks section: from its timed planning's end to the next timed
        # section of the step loop; for a step not timed, its attempts' span.
        phases: dict[int, tuple[float, float]] = {}
        counts = {rec_mod.PLAN: 0, rec_mod.COMMIT: 0}
        for kind, start, end, extra in sections:
            intervals.append((start, end, kind, extra))
            if kind in counts:
                counts[kind] += 1
                if kind is rec_mod.PLAN and extra is not None:
                    after = bisect.bisect_left(bounds, end)
                    phases[extra] = (end, bounds[after] if after < len(bounds) else self.t1)
        self.timed_steps = len(phases)
        by_step: dict[int, list[Attempt]] = {}
        for attempt in self.attempts:
            by_step.setdefault(attempt.step, []).append(attempt)
        for step, attempts in by_step.items():
            if step not in phases:
                phases[step] = (attempts[0].t0, max(a.t1 for a in attempts))
        for step in sorted(phases):
            start, stop = phases[step]
            intervals.append((start, stop, "tasks", len(self.steps)))
            self.steps.append((start, stop, 0.0, by_step.get(step, [])))
        intervals.sort(key=lambda i: (i[0], -i[1]))
        times = self.times
        stack: list[list[Any]] = []  # [end, kind, extra, length, inner]

        def close(item: list[Any]) -> None:
            _end, kind, extra, length, inner = item
            own = max(0.0, length - inner)
            if kind in (rec_mod.SAVE, rec_mod.WAIT) and extra:
                serialized = min(extra, own)
                times["checkpoint_serialize"] = times.get("checkpoint_serialize", 0.0) + serialized
                own -= serialized
            if kind == "tasks":
                start, stop, _, attempts = self.steps[extra]
                self.steps[extra] = (start, stop, own, attempts)
            times[kind] = times.get(kind, 0.0) + own

        for start, end, kind, extra in intervals:
            while stack and stack[-1][0] <= start:
                close(stack.pop())
            if stack:
                end = min(end, stack[-1][0])  # clipped to its parent
                stack[-1][4] += max(0.0, end - start)
            stack.append([end, kind, extra, max(0.0, end - start), 0.0])
        while stack:
            close(stack.pop())
        self._estimate(counts[rec_mod.PLAN], counts[rec_mod.COMMIT])

    def _estimate(self, plans: int, commits: int) -> None:
        """Planning, commit and kernel time of the steps not timed: the timed ones'
        mean times how many were not, out of the run's remaining engine time."""
        steps = len(self.steps)
        # Each step is planned and committed; the last planning finds nothing to run.
        missed_plans = max(0, steps + 1 - plans)
        missed_commits = max(0, steps - commits)
        if not (missed_plans or missed_commits) or not (plans or commits):
            return
        times = self.times
        extra = {
            rec_mod.PLAN: times.get(rec_mod.PLAN, 0.0) / plans * missed_plans if plans else 0.0,
            rec_mod.COMMIT: (
                times.get(rec_mod.COMMIT, 0.0) / commits * missed_commits if commits else 0.0
            ),
            rec_mod.KERNEL: times.get(rec_mod.KERNEL, 0.0)
            / (plans + commits)
            * (missed_plans + missed_commits),
        }
        rest = times.get("engine", 0.0)
        wanted = sum(extra.values())
        scale = min(1.0, rest / wanted) if wanted > 0 else 0.0
        for kind, seconds in extra.items():
            times[kind] = times.get(kind, 0.0) + seconds * scale
        # Scaled down, the estimates take all of it (rest - wanted * scale could round
        # to a tiny negative number).
        times["engine"] = max(0.0, rest - wanted) if scale == 1.0 else 0.0


def read_runs(recorder: rec_mod.Recorder) -> list[Run]:
    """Every run recorded, each nested one attached to the attempt that started it."""
    end = recorder.t1 or rec_mod.clock()
    runs = [Run(r, end) for r in list(recorder.runs)]
    by_record = {id(r.record): r for r in runs}
    for run in runs:
        parent = run.record.parent
        if parent is None:
            continue
        owner = by_record.get(id(parent))
        if owner is None:
            continue
        task = run.record.parent_task
        for attempt in owner.attempts:
            if attempt.task == task and attempt.t0 <= run.t0 <= attempt.t1:
                run.parent = attempt
                attempt.nested.append(run)
                break
    return runs


def breakdown(run: Run, scale: float, out: dict[str, float]) -> None:
    """Add `run`'s wall-clock breakdown, times `scale`, to `out`."""
    times = run.times
    out["plan"] += times.get(rec_mod.PLAN, 0.0) * scale
    out["commit"] += times.get(rec_mod.COMMIT, 0.0) * scale
    out["kernel"] += times.get(rec_mod.KERNEL, 0.0) * scale
    out["input"] += times.get(rec_mod.INPUT, 0.0) * scale
    out["engine"] += times.get("engine", 0.0) * scale
    out["checkpoint_serialize"] += times.get("checkpoint_serialize", 0.0) * scale
    out["checkpoint_db"] += (times.get(rec_mod.LOAD, 0.0) + times.get(rec_mod.SAVE, 0.0)) * scale
    out["checkpoint_wait"] += times.get(rec_mod.WAIT, 0.0) * scale
    out["stream"] += times.get(rec_mod.STREAM, 0.0) * scale
    for _start, _stop, phase, attempts in run.steps:
        ran = sum(a.seconds for a in attempts)
        if not attempts or ran <= 0:
            out["waiting"] += phase * scale
            continue
        covered = min(union_length((a.t0, a.t1) for a in attempts), phase)
        share = covered / ran
        for attempt in attempts:
            key = "input" if _is_engine_task(attempt.name) else "nodes"
            out[key] += attempt.own * share * scale
            for nested in attempt.nested:
                breakdown(nested, share * scale, out)
        out["waiting"] += (phase - covered) * scale


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


class Summary:
    """A profile's numbers, computed once from its records."""

    def __init__(self, recorder: rec_mod.Recorder) -> None:
        self.recorder = recorder
        end = recorder.t1 or rec_mod.clock()
        self.profiled = end - recorder.t0
        self.all_runs = read_runs(recorder)
        runs = [r for r in self.all_runs if r.parent is None]
        self.top = runs
        self.runs = len(self.all_runs)
        self.top_runs = len(runs)
        self.wall = union_length((r.t0, r.t1) for r in runs)
        self.run_seconds = sum(r.wall for r in runs)
        self.steps = sum(len(r.steps) for r in self.all_runs)
        self.timed_steps = sum(r.timed_steps for r in self.all_runs)
        totals = dict.fromkeys(LABELS, 0.0)
        for run in runs:
            breakdown(run, 1.0, totals)
        self.breakdown = totals
        self.background_serialize = recorder.background_serialize
        by_node: dict[str, list[Attempt]] = {}
        for run in self.all_runs:
            for attempt in run.attempts:
                if not _is_engine_task(attempt.name):
                    by_node.setdefault(attempt.path, []).append(attempt)
        self.nodes = [self._node_row(name, attempts) for name, attempts in by_node.items()]
        self.nodes.sort(key=lambda row: -row["total_s"])

    @staticmethod
    def _node_row(name: str, attempts: list[Attempt]) -> dict[str, Any]:
        own = sorted(a.own for a in attempts)
        total = sum(own)
        return {
            "node": name,
            "calls": len(own),
            "total_s": total,
            "mean_s": total / len(own),
            "p95_s": percentile(own, 95),
            "max_s": own[-1],
            "with_subgraphs_s": sum(a.seconds for a in attempts),
            "errors": sum(1 for a in attempts if a.failed),
            # Ran on a task runner's workers: the time is the caller's wait for it.
            "remote": any(a.remote for a in attempts),
        }

    @property
    def engine(self) -> float:
        return sum(self.breakdown[k] for k in ENGINE_KEYS)

    def to_dict(self) -> dict[str, Any]:
        steps = self.steps or 1
        return {
            "profiled_s": self.profiled,
            "runs_wall_s": self.run_seconds,
            "runs": self.runs,
            "top_level_runs": self.top_runs,
            "steps": self.steps,
            "timed_steps": self.timed_steps,
            "breakdown_s": dict(self.breakdown),
            "engine_s": self.engine,
            "engine_per_step_s": self.engine / steps,
            "background_serialization_s": self.background_serialize,
            "nodes": [dict(row) for row in self.nodes],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per category and per node (same keys in every row)."""
        steps = self.steps or 1
        wall = self.run_seconds or 1.0
        out: list[dict[str, Any]] = []
        for key, label in CATEGORIES:
            seconds = self.breakdown[key]
            out.append(
                {
                    "kind": "category",
                    "name": key,
                    "label": label,
                    "calls": None,
                    "total_s": seconds,
                    "mean_s": None,
                    "p95_s": None,
                    "per_step_s": seconds / steps,
                    "share": seconds / wall,
                }
            )
        for row in self.nodes:
            out.append(
                {
                    "kind": "node",
                    "name": row["node"],
                    "label": row["node"],
                    "calls": row["calls"],
                    "total_s": row["total_s"],
                    "mean_s": row["mean_s"],
                    "p95_s": row["p95_s"],
                    "per_step_s": None,
                    "share": row["total_s"] / wall,
                }
            )
        return out

    def text(self, top: int = 30) -> str:
        wall = self.run_seconds
        steps = self.steps or 1
        lines = [
            f"langgraph_jit profile: {self.top_runs} run(s) (+{self.runs - self.top_runs} "
            "subgraph runs), "
            f"{self.steps} steps, {wall:.4f} s in graph runs, {self.profiled:.4f} s profiled",
            "",
            f"{'where the runs spent their time':<50}{'seconds':>10}{'share':>8}{'per step':>12}",
        ]
        for key, label in CATEGORIES:
            seconds = self.breakdown[key]
            share = seconds / wall if wall else 0.0
            lines.append(f"  {label:<48}{seconds:>10.4f}{share:>8.1%}{_ms(seconds / steps):>12}")
        total = sum(self.breakdown.values())
        lines.append(f"  {'total':<48}{total:>10.4f}{(total / wall if wall else 0):>8.1%}")
        lines.append(
            f"  {'(engine: the five engine rows)':<48}{self.engine:>10.4f}"
            f"{(self.engine / wall if wall else 0):>8.1%}{_ms(self.engine / steps):>12}"
        )
        lines.append("")
        lines.append(
            f"{'nodes (own code, subgraph runs excluded)':<42}{'calls':>7}{'total s':>10}"
            f"{'mean':>11}{'p95':>11}{'max':>11}"
        )
        for row in self.nodes[:top]:
            name = row["node"] + (" (remote)" if row["remote"] else "")
            if len(name) > 40:
                name = "…" + name[-39:]
            lines.append(
                f"  {name:<40}{row['calls']:>7}{row['total_s']:>10.4f}{_ms(row['mean_s']):>11}"
                f"{_ms(row['p95_s']):>11}{_ms(row['max_s']):>11}"
            )
        if len(self.nodes) > top:
            lines.append(f"  ... {len(self.nodes) - top} more nodes (see rows())")
        if not self.nodes:
            lines.append("  (no node ran)")
        notes = []
        if not self.top_runs:
            notes.append(
                "no langgraph_jit graph ran while profiling (graphs built with LangGraph "
                "itself, e.g. under LANGGRAPH_JIT=0, are not seen)"
            )
        if self.timed_steps < self.steps:
            notes.append(
                f"planning, commit and kernels timed on {self.timed_steps} of {self.steps} "
                f"steps (steps under {rec_mod.TIMED_STEP * 1e6:.0f} µs are sampled; the "
                "others' are estimated from them)"
            )
        if any(row["remote"] for row in self.nodes):
            notes.append(
                "(remote): the node ran on a task runner's worker; its time is the caller's "
                "wait, from shipping the call to replaying its result"
            )
        if self.background_serialize:
            notes.append(
                f"serialization outside the runs' drivers (background writer, other threads): "
                f"{self.background_serialize:.4f} s"
            )
        outside = self.profiled - self.wall
        if outside > 0 and self.top_runs:
            notes.append(f"time profiled outside graph runs (your code): {outside:.4f} s")
        if notes:
            lines.append("")
            lines.extend(notes)
        return "\n".join(lines)


def _ms(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"
