"""Tests mirror the package: one folder per package of syndicate/."""
