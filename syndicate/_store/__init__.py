"""The state store: what a site remembers between runs. Every SQL statement of syndicate
lives in this package."""
