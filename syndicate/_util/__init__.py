"""Helpers of every stage: text, URLs, TOML files, templates, file stamps and the site lock."""
