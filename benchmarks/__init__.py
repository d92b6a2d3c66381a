"""Side-by-side benchmarks for Twinscape, reported as ratios against a baseline of the same run.

Run one with ``python -m benchmarks.<name>`` from the repository root (``make bench``).
"""
