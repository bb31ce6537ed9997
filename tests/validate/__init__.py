"""Tests of `syndicate validate`: feed checks, digest checks, the report."""
