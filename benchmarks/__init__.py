"""Engine benchmarks (see ``benchmarks/README.md``); run ``benchmarks/bench_engine.py``."""
