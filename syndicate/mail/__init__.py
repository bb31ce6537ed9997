"""Dispatch: built files out to where they are served, messages out to subscribers."""
