"""syndicate: publish a news site's articles as feeds and email digests."""

__version__ = "0.1.0"
