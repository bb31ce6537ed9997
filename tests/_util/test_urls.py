from __future__ import annotations

import pytest

from syndicate._util.urls import encode_url, is_web_url


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://news.example.com/a/", True),
        ("http://news.example.com", True),
        ("javascript:alert(1)", False),
        ("mailto:a@b.c", False),
        ("//news.example.com/a", False),
        ("/relative", False),
        ("https:///no-host", False),
        ("https://[::1/", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_with_a_host_are_web_urls(url: str | None, web: bool) -> None:
    assert is_web_url(url) is web


def test_encoding_keeps_reserved_characters_and_is_idempotent() -> None:
    url = "https://n.example/καστρόπολη/a b?q=1&r=%20#top"
    encoded = encode_url(url)
    assert (
        encoded
        == "https://n.example/%CE%BA%CE%B1%CF%83%CF%84%CF%81%CF%8C%CF%80%CE%BF%CE%BB%CE%B7/a%20b?q=1&r=%20#top"
    )
    assert encode_url(encoded) == encoded
