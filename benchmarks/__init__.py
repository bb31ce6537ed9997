"""Benchmarks: `make bench` prints figures; no test asserts a time."""
