"""Where results go, and the machine description stored with them.

Every command writes to `asv_bench/results/` (untracked) unless given `--out`;
only an explicit `--publish` writes the tracked files the README quotes.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """Date, Python, CPU, cores, commit and the versions of the packages measured."""
    import importlib.metadata as md

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    vers = {}
    for dist in ("langgraph", "langgraph-jit", "numba", "numpy"):
        try:
            vers[dist] = md.version(dist)
        except md.PackageNotFoundError:
            vers[dist] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "commit": commit,
        **vers,
    }


def save_json(data: dict, out: str | Path | None, default_name: str) -> Path:
    """Write `data` to `out`, or to asv_bench/results/<default_name>; returns the path."""
    path = Path(out) if out else RESULTS_DIR / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path
