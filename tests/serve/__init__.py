"""Tests of `syndicate serve`."""
