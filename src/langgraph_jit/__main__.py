"""Command line: `python -m langgraph_jit run script.py [args]` (or `run -m module [args]`)
runs an unchanged LangGraph program on langgraph_jit; `profile script.py [args]` does so
and reports where its graphs spent their time; `checkpoints convert` moves saved
threads between LangGraph's savers and ours."""

from __future__ import annotations

import runpy
import sys
from typing import Any

USAGE = """usage: python -m langgraph_jit run SCRIPT.py [ARGS...]
       python -m langgraph_jit run -m MODULE [ARGS...]
       python -m langgraph_jit profile [-o OUT] [--top N] SCRIPT.py [ARGS...]  (or -m MODULE)
       python -m langgraph_jit checkpoints convert --to {langgraph,langgraph_jit} SRC DST

Runs the program with every `import langgraph...` resolved to langgraph_jit.
LANGGRAPH_JIT=0 runs it on LangGraph itself instead (for side-by-side checks).
`profile` prints where the graphs' time went to stderr when the program ends (OUT:
also write it as .txt, .json, .html, .svg or .png); the exit status is the program's.
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


PROFILE_OPTIONS = ("-o", "--output", "--top")


def profile_main(argv: list[str]) -> int:
    """`profile [-o OUT] [--top N] SCRIPT.py [ARGS...]` (or `-m MODULE`): run the
    program under the profiler; print the report, exit with the program's status."""
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    outputs: list[str] = []
    top = 30
    while argv and argv[0] in PROFILE_OPTIONS:
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        option, value = argv[0], argv[1]
        if option == "--top":
            try:
                top = int(value)
            except ValueError:
                print(f"error: --top takes a number, not {value!r}", file=sys.stderr)
                return 2
        else:
            outputs.append(value)
        argv = argv[2:]
    if not argv or (argv[0] == "-m" and len(argv) < 2):
        print(USAGE, file=sys.stderr)
        return 2
    import traceback

    from langgraph_jit.profiling import profile

    status = 0
    prof = profile()
    with prof:
        try:
            _run_program(argv)
        except SystemExit as exc:
            status = _exit_status(exc.code)
        except BaseException:
            traceback.print_exc()
            status = 1
    sys.stdout.flush()
    print(prof.report(top), file=sys.stderr)
    for path in outputs:
        try:
            print(f"profile written to {prof.save(path)}", file=sys.stderr)
        except (ValueError, ImportError, OSError) as exc:
            print(f"error: cannot write {path}: {exc}", file=sys.stderr)
            status = status or 1
    return status


def _exit_status(code: object) -> int:
    # As the interpreter does: None is 0, a number is itself, anything else is printed.
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run_program(argv: list[str]) -> None:
    """Run `SCRIPT.py ARGS` or `-m MODULE ARGS` as __main__, on langgraph_jit."""
    from langgraph_jit._switch import install

    install()
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        script = argv[0]
        sys.argv = [script, *argv[1:]]
        import os

        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
        runpy.run_path(script, run_name="__main__")


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
    if argv[0] == "profile":
        return profile_main(argv[1:])
    if argv[0] != "run" or len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    if argv[1] == "-m" and len(argv) < 3:
        print(USAGE, file=sys.stderr)
        return 2
    _run_program(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
