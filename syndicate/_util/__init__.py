"""Helpers of every stage: text, URLs, TOML files, templates, keys, file stamps, files
written whole, worker processes. Nothing here imports the rest of syndicate."""
