#!/usr/bin/env bash
# Set up and run the demo: a low-level Pregel graph on langgraph_jit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test >/dev/null
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
exec .venv/bin/python examples/demo.py
