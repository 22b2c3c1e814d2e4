"""`LANGGRAPH_JIT=1 python prog.py`: the startup hook a pip-installed langgraph_jit ships.

`langgraph_jit_switch.pth` sits at the top of the wheel, so it lands in site-packages,
where Python runs its import line at startup. The tests run that file through
`site.addsitedir` (what startup does with site-packages) in fresh interpreters, and check
that the wheel carries it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PTH = ROOT / "src" / "langgraph_jit_switch.pth"

PROGRAM = (
    "import site, sys; site.addsitedir(sys.argv[1]);"
    "import langgraph.graph as g; print(g.StateGraph.__module__)"
)


def _run(tmp_path: Path, value: str | None) -> str:
    shutil.copy(PTH, tmp_path / PTH.name)
    env = {k: v for k, v in os.environ.items() if k != "LANGGRAPH_JIT"}
    if value is not None:
        env["LANGGRAPH_JIT"] = value
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("value", ["1", "true", " ON "])
def test_hook_switches_when_asked(tmp_path, value):
    assert _run(tmp_path, value).startswith("langgraph_jit.")


@pytest.mark.parametrize("value", [None, "", "0", "off"])
def test_hook_leaves_langgraph_alone_otherwise(tmp_path, value):
    assert _run(tmp_path, value).startswith("langgraph.")


def test_the_wheel_ships_the_hook_at_its_top(tmp_path):
    # Built from a copy: an in-tree build would leave build/ and egg-info in the checkout.
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(
        ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(tree)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read(PTH.name).decode() == PTH.read_text()
