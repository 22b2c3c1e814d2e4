"""Focused measurements beside the asv suite, on the shared workloads
(`asv_bench/benchmarks/workloads.py`, `kernel_workloads.py`).

Run from the repository root as `python -m asv_bench.investigate.<name>`; each
prints its table and writes JSON to asv_bench/results/<name>.json (`--out FILE`
elsewhere).
"""
