"""`syndicate serve`: the site's feeds, the digest archive, sign-up and unsubscribe."""

from syndicate.serve.app import create_app

__all__ = ["create_app"]
