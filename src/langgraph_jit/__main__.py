"""Command line: `python -m langgraph_jit run script.py [args]` (or `run -m module [args]`)
runs an unchanged LangGraph program on langgraph_jit."""

from __future__ import annotations

import runpy
import sys

USAGE = """usage: python -m langgraph_jit run SCRIPT.py [ARGS...]
       python -m langgraph_jit run -m MODULE [ARGS...]

Runs the program with every `import langgraph...` resolved to langgraph_jit.
LANGGRAPH_JIT=0 runs it on LangGraph itself instead (for side-by-side checks)."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] != "run" or len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    from langgraph_jit._switch import install

    install()
    if argv[1] == "-m":
        if len(argv) < 3:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    else:
        script = argv[1]
        sys.argv = [script, *argv[2:]]
        import os

        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
