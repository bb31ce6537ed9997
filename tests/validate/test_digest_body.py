"""The digest checks of the body: Gmail clipping, links, alt text, placeholders, encodings."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape

import pytest

from syndicate.digests.messages import html_for
from syndicate.digests.render import GREETING_TOKEN, UNSUBSCRIBE_TOKEN
from syndicate.validate.digest import (
    validate_digest_html,
    validate_digest_message,
    validate_digest_text,
)
from syndicate.validate.digest.common import GMAIL_CLIP_BYTES
from tests.validate.editions import (
    READER,
    Real,
    codes,
    findings,
    message,
    page,
    set_header,
    web_page,
)


def line_of(document: str, needle: str) -> int:
    return document[: document.index(needle)].count("\n") + 1


# --- each code fires --------------------------------------------------------------


def test_gmail_clipping_past_102_kb_of_html(real: Real) -> None:
    html = real.variant.html
    story = re.search(r"<p style=\"margin:0\">[^<]*</p>", html)
    assert story is not None
    grown = html.replace(story.group(), story.group() * 600, 1)
    assert len(html_for(replace(real.variant, html=grown), READER).encode()) > 110 * 1024
    report = validate_digest_message(message(real, html=grown), "m.eml")
    assert codes(report) == ["gmail-clipping"]
    assert "in the HTML part" in report.findings[0].message
    # Measured in bytes: 102 KB of text in a two-byte script is 51 K characters.
    greek = ("<p>" + "\u03b1" * 1000 + "</p>").encode()
    clipped = web_page(real).replace(b"</body>", greek * 40 + b"</body>")
    assert len(clipped.decode()) < GMAIL_CLIP_BYTES < len(clipped)
    assert codes(validate_digest_html(clipped, "i.html", web_copy=True)) == ["gmail-clipping"]


def test_a_relative_link_in_the_html_part_is_found_on_its_line(real: Real) -> None:
    story = real.edition.stories[0]
    html = real.variant.html.replace(f'href="{story.url}"', 'href="/world/harbour/"', 1)
    report = validate_digest_message(message(real, html=html), "m.eml")
    assert codes(report) == ["relative-url"]
    (finding,) = report.findings
    assert finding.message.startswith("in the HTML part: <a href>: '/world/harbour/'")
    assert finding.line == line_of(html_for(replace(real.variant, html=html), READER), "/world/")


@pytest.mark.parametrize(
    ("href", "code"),
    [
        ("", "relative-url"),
        ("#", "relative-url"),
        ("#top", "relative-url"),
        ("world/harbour/", "relative-url"),
        ("//news.example.com/world/", "relative-url"),
        ("javascript:alert(1)", "bad-url"),
        (" JavaScript:alert(1)", "bad-url"),
        ("java\tscript:alert(1)", "bad-url"),
        ("data:text/html,<b>hi</b>", "bad-url"),
        ("https://", "bad-url"),
        ("https://news example.com/", "bad-url"),
        ("https://[::1/", "bad-url"),
        ("https://news.example.com:port/", "bad-url"),
        ("ftp://news.example.com/file", "bad-url"),
        ("mailto:", "bad-url"),
        ("https://news.example.com/world/", None),
        ("  https://news.example.com/padded/  ", None),
        ("http://news.example.com/world/", None),
        ("mailto:desk@news.example.com?subject=Tip", None),
    ],
)
def test_every_link_is_an_absolute_web_url_or_mailto(
    real: Real, href: str, code: str | None
) -> None:
    link = f'<a href="{href}">a link</a>'
    content = web_page(real).replace(b"</body>", link.encode() + b"</body>")
    report = validate_digest_html(content, "i.html", web_copy=True)
    assert codes(report) == ([code] if code else [])
    if code:
        assert report.findings[0].line == line_of(content.decode(), link)


def test_images_need_alt_text_but_spacers_may_have_an_empty_one(real: Real) -> None:
    images = [
        '<img src="https://news.example.com/i/a.jpg">',
        '<img src="https://news.example.com/i/b.jpg" alt="  ">',
        '<img src="https://news.example.com/i/c.jpg" alt="" width="544">',
        '<img src="https://news.example.com/p.gif" alt="" width="1" height="1">',
        '<img src="https://news.example.com/p.gif" alt="" style="width:1px;height:1px">',
        '<img src="https://news.example.com/i/d.jpg" alt="The quay">',
        '<img src="/i/e.jpg" alt="Relative">',
    ]
    content = web_page(real).replace(b"</body>", "\n".join(images).encode() + b"</body>")
    report = validate_digest_html(content, "i.html", web_copy=True)
    text = content.decode()
    assert findings(report, "missing-alt") == [
        (
            "<img src='https://news.example.com/i/a.jpg'> has no alt attribute",
            line_of(text, "a.jpg"),
        ),
        (
            "<img src='https://news.example.com/i/b.jpg'> has an empty alt "
            '("" is for 1x1 spacers and tracking pixels only)',
            line_of(text, "b.jpg"),
        ),
        (
            "<img src='https://news.example.com/i/c.jpg'> has an empty alt "
            '("" is for 1x1 spacers and tracking pixels only)',
            line_of(text, "c.jpg"),
        ),
    ]
    assert codes(report) == ["relative-url", "missing-alt", "missing-alt", "missing-alt"]


def test_a_story_image_without_alt_is_found_in_the_message(real: Real) -> None:
    html = re.sub(r' alt="[^"]*"', "", real.variant.html, count=1)
    report = validate_digest_message(message(real, html=html), "m.eml")
    assert codes(report) == ["missing-alt"]
    assert report.findings[0].message.startswith("in the HTML part: <img src=")


def test_jinja_left_in_the_html_is_an_unfilled_placeholder(real: Real) -> None:
    title = real.edition.stories[0].title
    html = real.variant.html.replace(f">{title}<", ">{{ story.title }}<", 1)
    report = validate_digest_message(message(real, html=html), "m.eml")
    assert findings(report, "unfilled-placeholder") == [
        (
            "in the HTML part: Jinja template syntax left unfilled: '{{ story.title }}'",
            line_of(html_for(replace(real.variant, html=html), READER), "{{ story"),
        )
    ]
    assert codes(report) == ["unfilled-placeholder"]


@pytest.mark.parametrize(
    "left",
    [
        GREETING_TOKEN,
        UNSUBSCRIBE_TOKEN,
        "{% if subscriber %}",
        "{# a comment #}",
        "*|FNAME|*",
        "%%first_name%%",
        "{date}",
    ],
)
def test_every_kind_of_placeholder_is_found_in_text_and_attributes(real: Real, left: str) -> None:
    filled = page(real)
    in_text = filled.replace("Hello Hana Lowry,", f"Hello {left},").encode()
    in_attribute = filled.replace('alt="', f'alt="{left} ', 1).encode()
    for content in (in_text, in_attribute):
        report = validate_digest_html(content, "p.html")
        assert codes(report) == ["unfilled-placeholder"], left
        (finding,) = report.findings
        line = content[: content.index(left.encode())].count(b"\n") + 1
        assert finding.line == line and left in finding.message


def test_css_braces_and_comments_are_not_placeholders_but_a_token_anywhere_is(
    real: Real,
) -> None:
    css = b"<style>a { color: red; } @media { td { padding: 0 } } {{ not jinja }}</style>"
    comment = b"<!--[if mso]><style>{{ x }} {%p%}</style><![endif]-->"
    content = page(real).encode().replace(b"</head>", css + comment + b"</head>")
    assert validate_digest_html(content, "p.html").findings == []
    hidden = content.replace(b"{%p%}", GREETING_TOKEN.encode())
    assert codes(validate_digest_html(hidden, "p.html")) == ["unfilled-placeholder"]


def test_an_unsubscribe_token_left_in_the_href_is_a_placeholder_only(real: Real) -> None:
    """Not also a relative URL, nor a missing unsubscribe link: one finding, the cause."""
    content = page(real).replace(escape(READER.unsubscribe_url), UNSUBSCRIBE_TOKEN).encode()
    assert codes(validate_digest_html(content, "p.html")) == ["unfilled-placeholder"]


def test_placeholders_in_the_subject_and_the_text_part(real: Real) -> None:
    raw = message(real, text=real.variant.text.replace("World", "{{ section.name }}", 1))
    raw = set_header(raw, "Subject", b"{site} digest: {date}")
    report = validate_digest_message(raw, "m.eml")
    assert codes(report) == ["unfilled-placeholder"] * 3
    subject_line = raw.split(b"\r\n").index(b"Subject: {site} digest: {date}") + 1
    lines = [line for _, line in findings(report, "unfilled-placeholder")]
    # The 8bit text part's findings are on the lines of the file.
    text_line = raw.split(b"\r\n").index(b"{{ section.name }}") + 1
    assert lines == [subject_line, subject_line, text_line]


def test_a_greeting_token_left_in_the_text_part(real: Real) -> None:
    raw = message(real).replace(b"Hello Hana Lowry,", GREETING_TOKEN.encode())
    report = validate_digest_message(raw, "m.eml")
    assert codes(report) == ["unfilled-placeholder"]
    assert report.findings[0].line == raw.split(b"\r\n").index(GREETING_TOKEN.encode()) + 1


def test_urls_in_the_text_must_be_well_formed(real: Real) -> None:
    text = (real.folder / "digest.txt").read_bytes()
    added = (
        b"Fine: https://news.example.com/a_(b)/ and (https://news.example.com/c/).\n"
        b"Cut short: http://\n"
        b"Broken host: see https://[::1/x today.\n"
        b"Empty: mailto:?subject=hi\n"
    )
    report = validate_digest_text(text + added, "d.txt", web_copy=True)
    first = text.count(b"\n") + 1
    assert [(f.code, f.line, f.column) for f in report.findings] == [
        ("bad-url", first + 1, 12),
        ("bad-url", first + 2, 18),
        ("bad-url", first + 3, 8),
    ]


def test_python_format_fields_count_in_text_not_in_ordinary_braces(real: Real) -> None:
    text = (real.folder / "digest.txt").read_bytes()
    fine = text + b"\nSets {a, b} and {} and {sites} are text.\n"
    assert validate_digest_text(fine, "d.txt", web_copy=True).findings == []
    left = text + b"\nThe {edition} edition, {date:%d %B}.\n"
    report = validate_digest_text(left, "d.txt", web_copy=True)
    assert [m for m, _ in findings(report, "unfilled-placeholder")] == [
        "a format field of digest.subject left unfilled: '{edition}'",
        "a format field of digest.subject left unfilled: '{date:%d %B}'",
    ]


def test_bad_bytes_are_reported_and_read_anyway(real: Real) -> None:
    content = web_page(real).replace(b"</body>", b"<p>caf\xe9</p>\n</body>")
    report = validate_digest_html(content, "i.html", web_copy=True)
    assert findings(report, "bad-encoding") == [
        (
            "byte 0xe9 is not valid UTF-8 (the declared charset); it reads as U+FFFD",
            content.count(b"\n"),
        )
    ]
    unknown = content.replace(b"charset=UTF-8", b"charset=x-klingon")
    assert "unknown-encoding" in codes(validate_digest_html(unknown, "i.html", web_copy=True))
    latin = content.replace(b"charset=UTF-8", b"charset=iso-8859-1")
    assert validate_digest_html(latin, "i.html", web_copy=True).findings == []
    # A text part that declares us-ascii and holds UTF-8.
    raw = message(real).replace(b'text/plain; charset="utf-8"', b"text/plain")
    report = validate_digest_message(raw, "m.eml")
    assert codes(report) == ["bad-encoding"]
    assert report.findings[0].message.startswith("in the text part: byte 0xc2 is not valid")
    base64_broken = message(real).replace(b"\r\n\r\nPCFkb2N0", b"\r\n\r\n!!PCFkb2N0")
    assert "bad-encoding" in codes(validate_digest_message(base64_broken, "m.eml"))


def test_a_byte_order_mark_wins_over_a_declared_charset(real: Real) -> None:
    content = web_page(real).replace(b"charset=UTF-8", b"charset=iso-8859-1")
    report = validate_digest_html(b"\xef\xbb\xbf" + content, "i.html", web_copy=True)
    assert codes(report) == ["encoding-mismatch"]
    assert report.valid


def test_a_missing_preheader_is_a_warning(real: Real) -> None:
    content = re.sub(rb'<div style="display:none;[^>]*>.*?</div>', b"", web_page(real), count=1)
    report = validate_digest_html(content, "i.html", web_copy=True)
    assert codes(report) == ["missing-preheader"]
    assert report.valid and report.warnings
    # A preheader of padding only is none.
    padding = re.sub(rb'(<div style="display:none;[^>]*>)[^&]*', rb"\1", web_page(real))
    assert codes(validate_digest_html(padding, "i.html", web_copy=True)) == ["missing-preheader"]
    # Any hidden first text is one: not only the div that mjml writes.
    span = b'<span style="display: none !important">Five stories</span>'
    other = re.sub(rb"(<body[^>]*>)", rb"\1" + span, content, count=1)
    assert validate_digest_html(other, "i.html", web_copy=True).findings == []
