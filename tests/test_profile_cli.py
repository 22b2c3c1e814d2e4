"""`python -m langgraph_jit profile script.py [args]` (issue 20): runs an unchanged
LangGraph program on langgraph_jit under the profiler, prints the report to stderr, and
exits with the program's status (errors shown)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = textwrap.dedent(
    """
    import sys, time
    from typing import TypedDict
    from langgraph.graph import StateGraph, START, END

    class S(TypedDict):
        x: int

    def slow(state):
        time.sleep(0.02)
        return {"x": state["x"] + 1}

    g = StateGraph(S)
    g.add_node("slow", slow)
    g.add_edge(START, "slow")
    g.add_edge("slow", END)
    app = g.compile()
    print("engine", type(app).__module__.split(".")[0])
    print("result", app.invoke({"x": int(sys.argv[1])})["x"])
    if sys.argv[2] == "raise":
        raise RuntimeError("the program failed")
    sys.exit(int(sys.argv[2]))
    """
)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("LANGGRAPH_JIT", None)
    env.setdefault("NUMBA_CACHE_DIR", "/tmp/nbc")
    return subprocess.run(
        [sys.executable, "-m", "langgraph_jit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def test_profile_prints_the_report(program: Path, tmp_path: Path):
    proc = run_cli("profile", str(program), "41", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "engine langgraph_jit" in proc.stdout  # the program ran on langgraph_jit
    assert "result 42" in proc.stdout
    assert "where the runs spent their time" in proc.stderr
    assert "nodes: their own code" in proc.stderr
    node_lines = [line.split() for line in proc.stderr.splitlines() if line.startswith("  slow ")]
    assert node_lines and node_lines[0][1] == "1"  # one call


def test_the_programs_exit_status_is_kept(program: Path, tmp_path: Path):
    proc = run_cli("profile", str(program), "1", "3", cwd=tmp_path)
    assert proc.returncode == 3
    assert "where the runs spent their time" in proc.stderr


def test_an_error_is_shown_with_the_report(program: Path, tmp_path: Path):
    proc = run_cli("profile", str(program), "1", "raise", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "RuntimeError: the program failed" in proc.stderr
    assert "where the runs spent their time" in proc.stderr


def test_outputs_and_module_form(program: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    proc = run_cli("profile", "-o", str(out), "--top", "5", "-m", "prog", "2", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert [row["node"] for row in data["nodes"]] == ["slow"]
    assert data["nodes"][0]["total_s"] >= 0.015


def test_usage_errors(tmp_path: Path):
    assert run_cli("profile", cwd=tmp_path).returncode == 2
    assert run_cli("profile", "--top", "x", "prog.py", cwd=tmp_path).returncode == 2
    proc = run_cli("profile", str(tmp_path / "missing.py"), cwd=tmp_path)
    assert proc.returncode == 1
    assert "missing.py" in proc.stderr


def test_help_lists_profile(tmp_path: Path):
    proc = run_cli("--help", cwd=tmp_path)
    assert "profile" in proc.stdout


def test_profile_help_prints_the_usage(tmp_path: Path):
    proc = run_cli("profile", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "profile" in proc.stdout and "No such file" not in proc.stderr
