"""Caches in `.syndicate/cache/`: hints that spare a republish work; deleting them costs
time, never correctness."""
