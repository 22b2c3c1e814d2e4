#!/usr/bin/env bash
# Set up and run the whole test suite twice: with the compiled (numba) step
# kernels forced on, and in fallback mode (numba disabled, plain Python).
# Lint (ruff) and type (mypy) checks run first and stop the script on a finding.
# Exits non-zero if any check or test fails. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# Static checks: seconds, so they fail fast, before PostgreSQL and the tests.
LINT_PATHS=(src tests asv_bench examples scripts)
echo "=== ruff check ==="
.venv/bin/ruff check "${LINT_PATHS[@]}" || { echo "FAILED: ruff check"; exit 1; }
echo "=== ruff format --check ==="
.venv/bin/ruff format --check "${LINT_PATHS[@]}" || { echo "FAILED: ruff format --check"; exit 1; }
echo "=== mypy ==="
.venv/bin/mypy || { echo "FAILED: mypy"; exit 1; }

export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
mkdir -p "$NUMBA_CACHE_DIR"

# One private PostgreSQL cluster and one MariaDB server for both runs (the tests
# use them through LANGGRAPH_JIT_TEST_PG_DSN / _MYSQL_DSN), always removed on exit.
cleanup() {
    if [ -n "${own_pg:-}" ]; then bash scripts/postgres.sh stop "$LANGGRAPH_JIT_TEST_PG_DIR"; fi
    if [ -n "${own_mysql:-}" ]; then bash scripts/mysql.sh stop "$LANGGRAPH_JIT_TEST_MYSQL_DIR"; fi
}
trap cleanup EXIT
if [ -z "${LANGGRAPH_JIT_TEST_PG_DSN:-}" ]; then
    pg_env="$(bash scripts/postgres.sh start)"
    eval "$pg_env"
    own_pg=1
fi
if [ -z "${LANGGRAPH_JIT_TEST_MYSQL_DSN:-}" ]; then
    mysql_env="$(bash scripts/mysql.sh start)"
    eval "$mysql_env"
    own_mysql=1
fi

# pytest's exit 5 (no test ran) is non-zero too, so it fails the run like a failure.
status=0
echo "=== langgraph_jit tests: JIT mode (compiled kernels forced) ==="
LANGGRAPH_JIT_KERNELS=compiled .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "=== langgraph_jit tests: fallback mode (numba disabled) ==="
LANGGRAPH_JIT_DISABLE_JIT=1 LANGGRAPH_JIT_KERNELS=python .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "FAILED: at least one test run failed (exit $status)"
fi
exit "$status"
