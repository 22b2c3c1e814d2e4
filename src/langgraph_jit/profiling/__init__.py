"""Where a graph's time goes, locally: `with langgraph_jit.profile() as prof: app.invoke(...)`
then `print(prof)`, `prof.rows()` (one dict per row, for a DataFrame), `prof.to_dict()`,
`prof.plot()` (matplotlib) or `prof.save("profile.svg")`; and `progress(...)` for long
runs and batches. `python -m langgraph_jit profile script.py` profiles a whole program.

A profile records every graph run in the process while it is on (runs in other threads
too), each subgraph's run inside the node that ran it. Off, it costs a flag test per run
and per task; on, well under a microsecond and ~100 bytes per task attempt, and the
planning and commit of steps under 100 µs are timed on a sample of them (see
pregel/_profile.py for what is timed and how): profile a representative slice of a very
long job rather than all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph_jit.pregel import _trace
from langgraph_jit.profiling._progress import PlainBar, make_bar, progress
from langgraph_jit.profiling._report import CATEGORIES, Summary

__all__ = ("CATEGORIES", "PlainBar", "Profile", "make_bar", "profile", "progress")


class Profile:
    """A recording of graph runs (a context manager, sync or async) and its report."""

    def __init__(self) -> None:
        self._recorder: Any = None
        self._summary: Summary | None = None

    # -- recording ---------------------------------------------------------------------

    def start(self) -> Profile:
        if self._recorder is not None and not self._recorder.t1:
            raise RuntimeError("this profile is already recording")
        self._recorder = _trace.begin_profile()
        self._summary = None
        return self

    def stop(self) -> Profile:
        if self._recorder is not None and not self._recorder.t1:
            _trace.end_profile(self._recorder)
        return self

    def __enter__(self) -> Profile:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    async def __aenter__(self) -> Profile:
        return self.start()

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def recording(self) -> bool:
        return self._recorder is not None and not self._recorder.t1

    # -- the numbers -----------------------------------------------------------------

    @property
    def summary(self) -> Summary:
        if self._recorder is None:
            raise RuntimeError("nothing recorded yet: use `with profile() as prof:`")
        if self._summary is None or self.recording:
            summary = Summary(self._recorder)
            if self.recording:
                return summary
            self._summary = summary
        return self._summary

    @property
    def breakdown(self) -> dict[str, float]:
        """Seconds per category (see CATEGORIES); they add up to the runs' wall time."""
        return dict(self.summary.breakdown)

    @property
    def wall(self) -> float:
        """Wall-clock seconds of the top-level runs (summed)."""
        return self.summary.run_seconds

    @property
    def engine(self) -> float:
        """Seconds of the engine's own work (planning, commit, input, the rest)."""
        return self.summary.engine

    def nodes(self) -> list[dict[str, Any]]:
        """Per node: calls, total/mean/p95/max seconds of its own code, with subgraphs."""
        return [dict(row) for row in self.summary.nodes]

    def node(self, name: str) -> dict[str, Any]:
        for row in self.summary.nodes:
            if row["node"] == name:
                return dict(row)
        raise KeyError(name)

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per category and per node: `pandas.DataFrame(prof.rows())`."""
        return self.summary.rows()

    def to_dict(self) -> dict[str, Any]:
        return self.summary.to_dict()

    def report(self, top: int = 30) -> str:
        return self.summary.text(top)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        if self._recorder is None:
            return "<Profile (not started)>"
        state = "recording" if self.recording else "done"
        return f"<Profile {state}: {len(self._recorder.runs)} runs>"

    # -- pictures --------------------------------------------------------------------

    def plot(self, kind: str = "both") -> Any:
        """A matplotlib Figure: "bar" (the breakdown), "timeline", or "both"."""
        from langgraph_jit.profiling._plot import draw

        return draw(self.summary, kind)

    def save(self, path: str | Path) -> Path:
        """Write the report by suffix: .txt, .json, .html, .svg or .png."""
        import json

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".txt":
            path.write_text(self.report() + "\n")
        elif suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2))
        elif suffix == ".html":
            path.write_text(self._repr_html_())
        elif suffix in (".svg", ".png"):
            self.plot().savefig(path, bbox_inches="tight")
        else:
            raise ValueError(f"unknown report format {suffix!r}: .txt .json .html .svg .png")
        return path

    def _repr_html_(self) -> str:
        import html

        table = f"<pre>{html.escape(self.report())}</pre>"
        try:
            from langgraph_jit.profiling._plot import to_svg

            picture = to_svg(self.plot())
        except ImportError:
            picture = ""
        return f"<div>{table}{picture}</div>"


def profile() -> Profile:
    """`with profile() as prof: app.invoke(...)`, then `print(prof)`."""
    return Profile()
