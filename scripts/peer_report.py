"""Render a peer-suite run as the README's parity table and list of still-failing tests.

Usage: python scripts/peer_report.py RUN.json [--baseline BASELINE.json] [--before BEFORE.json]

RUN.json comes from `bash ../shared/peer_suite/peer.sh --files all --json RUN.json`. `--scope`
picks the files: `14` (default) every file except streaming v3, DeltaChannel and RemoteGraph;
`15` exactly those; `all` every file. Each failing test is given the first matching reason from
REASONS (error-line or test-id patterns), else its error line.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

DEFAULT_BASELINE = Path(__file__).resolve().parents[2] / (
    "shared/peer_suite/baseline/langgraph-1.2.22-all.json"
)
# Issue 15's files (streaming v3, DeltaChannel, RemoteGraph); issue 14 covers the rest.
ISSUE_15_PREFIXES = (
    "test_stream",
    "test_pregel_stream_events_v3",
    "test_interleave_arrival_order",
    "test_delta_channel",
    "test_remote_graph",
)

# (pattern searched in the error line or the test id, reason shown in the README)
REASONS: list[tuple[str, str]] = [
    (
        r"backend does not provide langgraph\.(_internal|pregel\._(algo|loop|runner|retry|checkpoint"
        r"|utils|task_status)|graph\.state\._|channels\.binop\._|graph\.message\._"
        r"|callbacks\._)",
        "imports a LangGraph-private internal that langgraph_jit does not mirror",
    ),
]


def _passed(file_entry: dict) -> set[str]:
    return {t for t, outcome in file_entry["tests"].items() if outcome == "passed"}


def _in_scope(name: str, scope: str) -> bool:
    if scope == "all":
        return True
    in_15 = name.startswith(ISSUE_15_PREFIXES)
    return in_15 if scope == "15" else not in_15


def _reason(test_id: str, message: str) -> str:
    for pattern, reason in REASONS:
        if re.search(pattern, message) or re.search(pattern, test_id):
            missing = re.search(r"does not provide (langgraph\.[\w.]+)", message)
            return f"{reason}: `{missing.group(1)}`" if missing else reason
    return message.splitlines()[0][:160] if message else "not run"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--before", type=Path, default=None)
    parser.add_argument("--scope", choices=("14", "15", "all"), default="14")
    args = parser.parse_args()

    baseline = {f["file"]: f for f in json.loads(args.baseline.read_text())["files"]}
    run = {f["file"]: f for f in json.loads(args.run.read_text())["files"]}
    before = (
        {f["file"]: f for f in json.loads(args.before.read_text())["files"]} if args.before else {}
    )

    rows = []
    failing: dict[str, list[tuple[str, str]]] = defaultdict(list)
    total = passing = passing_before = 0
    for name in sorted(baseline):
        if not _in_scope(name, args.scope):
            continue
        expected = _passed(baseline[name])
        entry = run.get(name, {"tests": {}, "messages": {}})
        got = _passed(entry) & expected
        was = _passed(before[name]) & expected if name in before else set()
        total += len(expected)
        passing += len(got)
        passing_before += len(was)
        rows.append((name, len(was), len(got), len(expected)))
        for test_id in sorted(expected - got):
            message = (entry.get("messages") or {}).get(test_id) or ""
            failing[_reason(test_id, message)].append(test_id)

    print("| file | before | now | LangGraph |\n|---|---|---|---|")
    for name, was, got, expected in rows:
        print(f"| {name} | {was if before else ''} | {got} | {expected} |")
    print(f"| **total** | {passing_before if before else ''} | **{passing}** | {total} |")
    print(f"\n{passing}/{total} = {100 * passing / total:.1f}%\n")
    for reason, tests in sorted(failing.items(), key=lambda kv: -len(kv[1])):
        print(f"- **{reason}** ({len(tests)}):")
        for test_id in tests:
            print(f"  - `{test_id.removeprefix('tests/')}`")


if __name__ == "__main__":
    main()
