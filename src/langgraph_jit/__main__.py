"""Command line: `python -m langgraph_jit run script.py [args]` (or `run -m module [args]`)
runs an unchanged LangGraph program on langgraph_jit; `checkpoints convert` moves saved
threads between LangGraph's savers and ours."""

from __future__ import annotations

import runpy
import sys
from typing import Any

USAGE = """usage: python -m langgraph_jit run SCRIPT.py [ARGS...]
       python -m langgraph_jit run -m MODULE [ARGS...]
       python -m langgraph_jit checkpoints convert --to {langgraph,langgraph_jit} SRC DST

Runs the program with every `import langgraph...` resolved to langgraph_jit.
LANGGRAPH_JIT=0 runs it on LangGraph itself instead (for side-by-side checks).
`checkpoints convert -h` tells how to move saved threads between the two engines."""

CONVERT_HELP = """Copy every thread (checkpoints, subgraph namespaces, pending writes) from SRC to
DST so that the engine named by --to continues them. SRC and DST are SQLite files
or postgresql:// DSNs. --to langgraph: SRC was written by langgraph_jit, DST is for
LangGraph's savers (needs langgraph-checkpoint-sqlite / -postgres); --to
langgraph_jit: the other way round. SRC is only read. Exit status: 0 done,
1 conversion error, 2 bad arguments."""


def convert_main(argv: list[str]) -> int:
    """`checkpoints convert ...`: see CONVERT_HELP."""
    import argparse

    from langgraph_jit._checkpoint_convert import TARGETS, ConvertError, convert

    parser = argparse.ArgumentParser(
        prog="python -m langgraph_jit checkpoints convert", description=CONVERT_HELP
    )
    parser.add_argument("--to", required=True, choices=TARGETS, help="the engine DST is for")
    parser.add_argument(
        "--thread",
        action="append",
        metavar="ID",
        help="convert only this thread (repeatable; default: every thread)",
    )
    parser.add_argument(
        "--append",
        action="store_true",
        help="add to a DST that already holds checkpoints (same ids are overwritten)",
    )
    parser.add_argument("src", metavar="SRC", help="SQLite file or postgresql:// DSN to read")
    parser.add_argument("dst", metavar="DST", help="SQLite file or postgresql:// DSN to write")
    args = parser.parse_args(argv)

    def show(done: Any) -> None:
        print(
            f"thread {done.thread_id}: {done.checkpoints} checkpoints, "
            f"{done.namespaces} namespaces, {done.writes} writes",
            flush=True,
        )

    try:
        report = convert(
            args.src, args.dst, to=args.to, threads=args.thread, append=args.append, progress=show
        )
    except ConvertError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"converted {len(report.threads)} threads ({report.checkpoints} checkpoints, "
        f"{report.writes} writes) for {args.to}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == "checkpoints":
        if argv[1:2] != ["convert"]:
            print(USAGE, file=sys.stderr)
            return 2
        return convert_main(argv[2:])
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
