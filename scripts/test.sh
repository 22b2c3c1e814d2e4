#!/usr/bin/env bash
# Set up and run the whole test suite twice: with the compiled (numba) step
# kernels forced on, and in fallback mode (numba disabled, plain Python).
# Exits non-zero if any test fails. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
mkdir -p "$NUMBA_CACHE_DIR"

# One private PostgreSQL cluster for both runs (the PostgreSQL tests use it
# through LANGGRAPH_JIT_TEST_PG_DSN), always removed on exit.
if [ -z "${LANGGRAPH_JIT_TEST_PG_DSN:-}" ]; then
    pg_env="$(bash scripts/postgres.sh start)"
    eval "$pg_env"
    trap 'bash scripts/postgres.sh stop "$LANGGRAPH_JIT_TEST_PG_DIR"' EXIT
fi

status=0
echo "=== langgraph_jit tests: JIT mode (compiled kernels forced) ==="
LANGGRAPH_JIT_KERNELS=compiled .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "=== langgraph_jit tests: fallback mode (numba disabled) ==="
LANGGRAPH_JIT_DISABLE_JIT=1 LANGGRAPH_JIT_KERNELS=python .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "FAILED: at least one test run failed (exit $status)"
fi
exit "$status"
