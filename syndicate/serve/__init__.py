"""`syndicate serve`: the site's feeds, the digest archive, sign-up, unsubscribe, and
the providers' bounce and complaint webhooks."""

from syndicate.serve.app import create_app

__all__ = ["create_app"]
