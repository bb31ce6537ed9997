"""Tests of the extension vocabularies of `syndicate validate`."""
