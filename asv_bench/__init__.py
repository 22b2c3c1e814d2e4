"""Benchmarks: the asv suite (benchmarks/), `python -m asv_bench.compare` and the
focused measurements `python -m asv_bench.investigate.<name>`; results go to results/."""
