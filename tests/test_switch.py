"""The switch: unchanged `langgraph` programs run on langgraph_jit (each case in a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import sys
    from typing import Annotated, TypedDict
    import operator
    from langgraph.graph import StateGraph, START, END
    from langgraph.checkpoint.memory import InMemorySaver
    import langgraph.graph.state

    class S(TypedDict):
        xs: Annotated[list, operator.add]

    g = StateGraph(S)
    g.add_node("a", lambda s: {"xs": ["a"]})
    g.add_node("b", lambda s: {"xs": ["b"]})
    g.add_edge(START, "a"); g.add_edge("a", "b"); g.add_edge("b", END)
    app = g.compile(checkpointer=InMemorySaver())
    out = app.invoke({"xs": []}, {"configurable": {"thread_id": "1"}})
    print("RESULT", out["xs"])
    print("ENGINE", type(app).__module__.split(".")[0], StateGraph.__module__.split(".")[0])
    print("ARGS", sys.argv[1:])
    print("FOREIGN", sorted(n for n, m in sys.modules.items()
          if n.startswith("langgraph.") and m is not None
          and not m.__name__.startswith("langgraph_jit")))
    """
)


def _run(args, env_extra=None, cwd=None):
    env = dict(os.environ)
    env.pop("LANGGRAPH_JIT", None)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def _lines(out):
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def test_run_command_switches_every_import(program):
    proc = _run(["-m", "langgraph_jit", "run", str(program), "x", "--y"])
    assert proc.returncode == 0, proc.stderr
    got = _lines(proc.stdout)
    assert got["RESULT"] == "['a', 'b']"
    assert got["ENGINE"] == "langgraph_jit langgraph_jit"
    assert got["ARGS"] == "['x', '--y']"
    assert got["FOREIGN"] == "[]"


def test_env_var_off_runs_real_langgraph(program):
    proc = _run(["-m", "langgraph_jit", "run", str(program)], {"LANGGRAPH_JIT": "0"})
    assert proc.returncode == 0, proc.stderr
    got = _lines(proc.stdout)
    assert got["RESULT"] == "['a', 'b']"
    assert got["ENGINE"] == "langgraph langgraph"


def test_run_module_form(tmp_path, program):
    (tmp_path / "progmod.py").write_text(PROGRAM)
    proc = _run(["-m", "langgraph_jit", "run", "-m", "progmod", "z"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = _lines(proc.stdout)
    assert got["ENGINE"] == "langgraph_jit langgraph_jit"
    assert got["ARGS"] == "['z']"


def test_install_at_top_of_program(tmp_path):
    path = tmp_path / "p.py"
    path.write_text("import langgraph_jit\nassert langgraph_jit.install()\n" + PROGRAM)
    proc = _run([str(path)])
    assert proc.returncode == 0, proc.stderr
    assert _lines(proc.stdout)["ENGINE"] == "langgraph_jit langgraph_jit"
    # the env var is honoured by install() too
    proc = _run([str(path).replace("p.py", "p.py")], {"LANGGRAPH_JIT": "0"})
    assert proc.returncode != 0  # install() returned False: the assert fails
    assert "AssertionError" in proc.stderr


def test_identity_and_submodules():
    code = textwrap.dedent(
        """
        import langgraph_jit; langgraph_jit.install()
        import langgraph, langgraph.graph, langgraph.types, langgraph.checkpoint.memory
        import langgraph_jit.graph, langgraph_jit.types, langgraph_jit.checkpoint.memory
        from langgraph.graph.message import add_messages
        assert langgraph is langgraph_jit
        assert langgraph.graph.StateGraph is langgraph_jit.graph.StateGraph
        assert langgraph.types.Command is langgraph_jit.types.Command
        assert add_messages is langgraph_jit.graph.add_messages
        assert langgraph.checkpoint.memory.InMemorySaver is langgraph_jit.checkpoint.memory.InMemorySaver
        assert langgraph.graph.__spec__.name == "langgraph_jit.graph"
        import importlib; importlib.reload(langgraph_jit.types)
        print("OK")
        """
    )
    proc = _run(["-c", code])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "OK"


def test_missing_module_fails_loudly_with_its_name():
    code = (
        "import langgraph_jit; langgraph_jit.install()\n"
        "import langgraph.graph\n"
        "import langgraph.no_such_module_here\n"
    )
    proc = _run(["-c", code])
    assert proc.returncode != 0
    assert "ModuleNotFoundError" in proc.stderr
    assert "'langgraph.no_such_module_here'" in proc.stderr
    assert "langgraph_jit does not provide" in proc.stderr


def test_missing_module_from_import_in_library(tmp_path):
    # a library (not the program) importing something we lack fails the same way
    (tmp_path / "somelib.py").write_text("from langgraph.no_such_thing.deeper import X\n")
    proc = _run(["-m", "langgraph_jit", "run", "-m", "somelib"], cwd=tmp_path)
    assert proc.returncode != 0
    assert "'langgraph.no_such_thing'" in proc.stderr


def test_install_after_real_langgraph_refuses():
    code = "import langgraph.graph\nimport langgraph_jit\nlanggraph_jit.install()\n"
    proc = _run(["-c", code])
    assert proc.returncode != 0
    assert "must run before LangGraph is imported" in proc.stderr
    assert "already imported from LangGraph: langgraph" in proc.stderr


def test_usage():
    proc = _run(["-m", "langgraph_jit"])
    assert proc.returncode == 2
    assert "python -m langgraph_jit run" in proc.stdout
