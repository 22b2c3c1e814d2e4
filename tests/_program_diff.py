"""Run a program from tests/programs on real LangGraph and, through the switch, on
langgraph_jit (both in parallel subprocesses); compare their per-scenario results."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"


def run_both(program: str) -> tuple[dict, dict]:
    path = str(PROGRAMS / program)
    procs = {}
    for engine, flag in (("langgraph", "0"), ("langgraph_jit", "1")):
        env = dict(os.environ, LANGGRAPH_JIT=flag)
        procs[engine] = subprocess.Popen(
            [sys.executable, "-m", "langgraph_jit", "run", path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    out = {}
    for engine, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=240)
        if "@@RESULTS@@" not in stdout:
            raise AssertionError(f"{program} failed on {engine}:\n{stderr[-4000:]}")
        data = json.loads(stdout.split("@@RESULTS@@", 1)[1])
        assert data["engine"] == engine, data["engine"]
        out[engine] = data["results"]
    return out["langgraph"], out["langgraph_jit"]


def assert_same(expected: dict, actual: dict, name: str) -> None:
    for key in (name, name + ":error"):
        a, b = expected.get(key), actual.get(key)
        if a != b:
            diff = "\n".join(
                difflib.unified_diff(
                    (a or "").splitlines(),
                    (b or "").splitlines(),
                    "langgraph",
                    "langgraph_jit",
                    lineterm="",
                )
            )
            raise AssertionError(f"{key} differs:\n{diff[:6000]}")
    assert name in expected or name + ":error" in expected, f"scenario {name} did not run"
