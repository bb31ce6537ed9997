from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syndicate.site.sanitise import first_paragraph_text, plain_text, sanitise_html, shorten

BASE = "https://news.example.com/world/story/"


def test_dangerous_markup_is_removed() -> None:
    dirty = (
        '<p>ok<script>alert(1)</script><img src="x.jpg" onerror="alert(1)">'
        '<a href="javascript:alert(1)">j</a><iframe src="https://evil.example/"></iframe>'
        '<style>p{}</style><a href="//cdn.example/x">cdn</a></p>'
    )
    clean = sanitise_html(dirty, BASE)
    for bad in ("script", "onerror", "javascript:", "iframe", "style"):
        assert bad not in clean
    assert 'src="https://news.example.com/world/story/x.jpg"' in clean
    assert 'href="https://cdn.example/x"' in clean


@given(st.text())
def test_sanitised_output_never_carries_a_script(text: str) -> None:
    clean = sanitise_html(f"<p>{text}</p><script>{text}</script>", BASE)
    assert "<script" not in clean.lower()


def test_plain_text_and_first_paragraph() -> None:
    assert plain_text("<b>A</b> &amp; <i>B</i>\n") == "A & B"
    assert first_paragraph_text("<h2>Head</h2><p> </p><p>First <em>one</em></p><p>x</p>") == (
        "First one"
    )
    assert first_paragraph_text("no paragraphs <br> here") == "no paragraphs here"


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("short") == "short"
    cut = shorten("alpha beta gamma delta", limit=12)
    assert cut == "alpha beta…"
