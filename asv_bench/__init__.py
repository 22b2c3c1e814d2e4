"""Benchmarks: the asv suite (benchmarks/) and `python -m asv_bench.compare`."""
