"""Differential tests for persistence and human-in-the-loop (issue 4) and the
Graph API quick starts: each program in tests/programs/hitl runs once on
langgraph and once on langgraph_jit (separate processes) and must print the
same thing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted(p.stem for p in (Path(__file__).parent / "programs" / "hitl").glob("*.py"))

# Wall-clock values differ between any two runs.
_VOLATILE = [
    (re.compile(r"created_at='[^']*'"), "created_at=<ts>"),
    (re.compile(r"'timestamp': '[^']*'"), "'timestamp': <ts>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00"), "<ts>"),
]


def _run(program: str, package: str) -> str:
    path = Path(__file__).parent / "programs" / "hitl" / f"{program}.py"
    proc = subprocess.run(
        [sys.executable, str(path), package],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    out = proc.stdout + proc.stderr
    for pattern, repl in _VOLATILE:
        out = pattern.sub(repl, out)
    return out.replace("langgraph_jit", "langgraph")


@pytest.mark.parametrize("program", PROGRAMS)
def test_same_output_as_langgraph(program):
    expected = _run(program, "langgraph")
    actual = _run(program, "langgraph_jit")
    assert "Traceback" not in expected, expected
    assert actual == expected
