"""The digest checks of a message: List-Unsubscribe and unsubscribe links, parts, headers."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from html import escape

import pytest

from syndicate.digests.messages import html_for, text_for
from syndicate.digests.render import UNSUBSCRIBE_TOKEN
from syndicate.validate.digest import (
    validate_digest_html,
    validate_digest_message,
    validate_digest_text,
)
from tests.validate.editions import (
    READER,
    Real,
    codes,
    drop_header,
    findings,
    message,
    page,
    set_header,
)


def single_part(raw: bytes, kind: str, content: str) -> bytes:
    """The message's header with one body, of `kind`, in base64, instead of its parts."""
    head = drop_header(raw, "Content-Type").partition(b"\r\n\r\n")[0]
    encoded = base64.encodebytes(content.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        head
        + f'\r\nContent-Type: {kind}; charset="utf-8"\r\n'.encode()
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + encoded
    )


def test_the_message_needs_list_unsubscribe_with_one_click_post(real: Real) -> None:
    raw = message(real)
    no_post = drop_header(raw, "List-Unsubscribe-Post")
    assert findings(validate_digest_message(no_post, "m.eml"), "missing-unsubscribe") == [
        (
            "an https List-Unsubscribe needs List-Unsubscribe-Post: "
            "List-Unsubscribe=One-Click (RFC 8058); there is none",
            raw.split(b"\r\n").index(
                b"List-Unsubscribe: <" + READER.unsubscribe_url.encode() + b">,"
            )
            + 1,
        )
    ]
    wrong = set_header(raw, "List-Unsubscribe-Post", b"List-Unsubscribe=Yes")
    assert codes(validate_digest_message(wrong, "m.eml")) == ["missing-unsubscribe"]
    no_header = drop_header(drop_header(raw, "List-Unsubscribe"), "List-Unsubscribe-Post")
    report = validate_digest_message(no_header, "m.eml")
    assert findings(report, "missing-unsubscribe") == [("no List-Unsubscribe header", None)]
    http_only = set_header(no_header, "List-Unsubscribe", b"<http://news.example.com/u/1>")
    assert codes(validate_digest_message(http_only, "m.eml")) == ["missing-unsubscribe"]
    bare = set_header(no_header, "List-Unsubscribe", b"https://news.example.com/u/1")
    assert codes(validate_digest_message(bare, "m.eml")) == ["missing-unsubscribe"]
    # A mailto alone is enough, and asks for no Post header.
    mailto = set_header(no_header, "List-Unsubscribe", b"<mailto:u@news.example.com>")
    assert validate_digest_message(mailto, "m.eml").findings == []


def test_the_body_needs_an_unsubscribe_link_in_both_parts(real: Real) -> None:
    link = f'<a href="{UNSUBSCRIBE_TOKEN}" style="color:#5f5f5f">Unsubscribe</a>'
    assert link in real.variant.html
    # The token stays (build_message fills it), where it makes no link.
    html = real.variant.html.replace(link, f'<span title="{UNSUBSCRIBE_TOKEN}">Manage</span>')
    text = real.variant.text.replace(f"Unsubscribe: {UNSUBSCRIBE_TOKEN}\n", "")
    assert text != real.variant.text
    report = validate_digest_message(message(real, html=html, text=text), "m.eml")
    assert findings(report, "missing-unsubscribe") == [
        ("in the text part: no unsubscribe URL in the text", None),
        ("in the HTML part: no unsubscribe link in the body", None),
    ]
    assert codes(report) == ["missing-unsubscribe"] * 2


def test_a_link_to_the_list_unsubscribe_url_is_the_unsubscribe_link(real: Real) -> None:
    """Whatever its words: a link is an unsubscribe link by its text, by "unsubscribe"
    in its URL, or, in a message, by being the List-Unsubscribe URL."""
    reader = replace(READER, unsubscribe_url="https://news.example.com/u/hana.abc123")
    html = real.variant.html.replace(">Unsubscribe</a>", ">Leave this list</a>")
    raw = message(real, html=html, reader=reader)
    assert validate_digest_message(raw, "m.eml").findings == []
    alone = html_for(replace(real.variant, html=html), reader).encode()
    assert codes(validate_digest_html(alone, "p.html")) == ["missing-unsubscribe"]


def test_an_unsubscribe_link_that_is_not_absolute_does_not_count(real: Real) -> None:
    content = page(real).replace(escape(READER.unsubscribe_url), "/unsubscribe/hana").encode()
    report = validate_digest_html(content, "p.html")
    assert codes(report) == ["relative-url", "missing-unsubscribe"]
    assert "is not an absolute URL" in report.findings[1].message


def test_a_message_with_only_an_html_part(real: Real) -> None:
    raw = single_part(message(real), "text/html", page(real))
    report = validate_digest_message(raw, "m.eml")
    assert codes(report) == ["missing-text-part"]
    only_text = single_part(message(real), "text/plain", text_for(real.variant, READER))
    assert codes(validate_digest_message(only_text, "m.eml")) == ["missing-html-part"]


def test_parts_that_are_not_alternatives_are_a_bad_header(real: Real) -> None:
    raw = message(real).replace(b"multipart/alternative", b"multipart/mixed")
    assert codes(validate_digest_message(raw, "m.eml")) == ["bad-header"]


def test_a_missing_or_empty_subject(real: Real) -> None:
    raw = message(real)
    for mutated in (drop_header(raw, "Subject"), set_header(raw, "Subject", b"  ")):
        assert codes(validate_digest_message(mutated, "m.eml")) == ["missing-subject"]


def test_a_header_line_over_998_bytes(real: Real) -> None:
    raw = set_header(message(real), "X-Campaign", b"a" * 1200)
    report = validate_digest_message(raw, "m.eml")
    assert findings(report, "long-line") == [("a line of 1,212 bytes (RFC 5322: 998 at most)", 1)]
    text = (real.folder / "digest.txt").read_bytes() + b"x" * 999 + b"\n"
    report = validate_digest_text(text, "d.txt", web_copy=True)
    assert [line for _, line in findings(report, "long-line")] == [text.count(b"\n")]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda raw: drop_header(raw, "From"), "no From header"),
        (lambda raw: drop_header(raw, "Date"), "no Date header"),
        (lambda raw: drop_header(raw, "Message-ID"), "no Message-ID header"),
        (lambda raw: drop_header(raw, "MIME-Version"), "no MIME-Version header"),
        (lambda raw: set_header(raw, "From", b"Harbour Courier"), "From is not an address"),
        (lambda raw: set_header(raw, "From", b"<digest@>"), "From is not an address"),
        (lambda raw: set_header(raw, "Date", b"next Tuesday"), "Date is not an RFC 5322 date"),
        (lambda raw: set_header(raw, "Subject", b"Caf\xc3\xa9 news"), "raw non-ASCII bytes"),
        (lambda raw: set_header(raw, "Subject", b"a\x00b"), "a control character"),
        (lambda raw: b"Not a header\r\n" + raw, "not a header field"),
        (lambda raw: set_header(raw, "MIME-Version", b"2.0"), "MIME-Version is not 1.0"),
    ],
)
def test_malformed_headers(real: Real, mutate: Callable[[bytes], bytes], expected: str) -> None:
    report = validate_digest_message(mutate(message(real)), "m.eml")
    assert "bad-header" in codes(report)
    assert any(expected in message for message, _ in findings(report, "bad-header")), report


def test_a_header_appearing_twice_and_a_defective_one(real: Real) -> None:
    raw = message(real)
    twice = b"Subject: Another\r\n" + raw
    report = validate_digest_message(twice, "m.eml")
    assert findings(report, "bad-header") == [("Subject appears 2 times", 4)]
    defective = set_header(raw, "To", b"Hana <hana.lowry@example.com")
    report = validate_digest_message(defective, "m.eml")
    assert codes(report) == ["bad-header"]
    assert report.findings[0].message.startswith("To: ")
