"""Execute every notebook in notebooks/ top to bottom, so a broken one fails CI.

The kernel is this interpreter (a kernelspec written to a temp dir, nothing fetched);
outputs stay in memory and are never written back to the files.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

# No importorskip: the `test` extra installs these, and a skipped notebook suite in CI
# would hide a broken notebook.
import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120
KERNEL_NAME = "langgraph-jit-tests"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookFailed(AssertionError):
    """A cell raised (or timed out); the message names the notebook, the cell and the error."""


@pytest.fixture(scope="session")
def kernel_spec_manager(tmp_path_factory) -> KernelSpecManager:
    # A kernelspec for exactly this interpreter, so the notebooks run in the venv under
    # test, whatever kernels the machine has registered.
    spec_dir = tmp_path_factory.mktemp("kernels") / KERNEL_NAME
    spec_dir.mkdir()
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "langgraph_jit tests",
                "language": "python",
            }
        )
    )
    return KernelSpecManager(kernel_dirs=[str(spec_dir.parent)])


def execute(path: Path, ksm: KernelSpecManager) -> float:
    """Run the notebook at `path`; return seconds taken, raise NotebookFailed on error."""
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    client = nbclient.NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute()
    except (nbclient.exceptions.CellExecutionError, nbclient.exceptions.CellTimeoutError) as exc:
        raise NotebookFailed(_describe(path, nb, exc)) from None
    finally:
        # nbclient leaves a kernel manager it was handed running; stop this kernel now.
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return time.perf_counter() - t0


def _describe(path: Path, nb, exc: Exception) -> str:
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = ANSI.sub("", "\n".join(out.get("traceback", [])))
                return (
                    f"{path.name}: code cell {number} of {len(code_cells)} raised "
                    f"{out['ename']}: {out['evalue']}\n--- cell ---\n{cell.source}\n--- traceback ---\n{tb}"
                )
    return f"{path.name}: {ANSI.sub('', str(exc))}"


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    for expected in (
        "01_quickstart.ipynb",
        "02_human_in_the_loop.ipynb",
        "03_performance.ipynb",
        "04_pregel_and_channels.ipynb",
        "05_numeric_fanout.ipynb",
        "06_where_time_goes.ipynb",
    ):
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path):
    # Outputs come from running the notebook, never from the repository (no stale figures).
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
        assert not cell.outputs and cell.execution_count is None, (
            f"{path.name}: code cell {number} has outputs"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_spec_manager):
    before = path.read_bytes()
    seconds = execute(path, kernel_spec_manager)
    print(f"{path.name}: {seconds:.1f} s")
    assert path.read_bytes() == before, "executing a notebook must not rewrite it"


def test_broken_notebook_fails(tmp_path: Path, kernel_spec_manager):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_markdown_cell("the next cell is broken"),
            nbformat.v4.new_code_cell("y = x / 0"),
            nbformat.v4.new_code_cell("print('never reached')"),
        ]
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(NotebookFailed) as info:
        execute(path, kernel_spec_manager)
    message = str(info.value)
    assert "broken.ipynb: code cell 2 of 3 raised ZeroDivisionError" in message
    assert "y = x / 0" in message
