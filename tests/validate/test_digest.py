"""The digest checks, on real editions rendered with the project's own templates,
and on small mutations of them that break one rule each."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from syndicate import editions, pipeline
from syndicate.config import LoadedConfig
from syndicate.digests import (
    DigestEdition,
    EditionHeaders,
    Recipient,
    RenderedVariant,
    build_message,
    make_edition,
)
from syndicate.digests.messages import html_for, text_for
from syndicate.digests.render import GREETING_TOKEN, UNSUBSCRIBE_TOKEN
from syndicate.text import one_line
from syndicate.validate.digest import (
    validate_digest_folder,
    validate_digest_html,
    validate_digest_message,
    validate_digest_text,
    validate_mjml,
)
from syndicate.validate.digest_common import GMAIL_CLIP_BYTES, has_placeholder
from syndicate.validate.digest_text import text_urls
from syndicate.validate.report import FileReport
from tests.factories import NOW, article, copy_example_site

READER = Recipient(
    email="hana.lowry@example.com",
    name="Hana Lowry",
    unsubscribe_url="https://news.example.com/unsubscribe/hana.abc123?list=digest&v=1",
    unsubscribe_mailto="mailto:unsubscribe@news.example.com?subject=unsubscribe",
)


@dataclass(frozen=True)
class Real:
    config: LoadedConfig
    sections: tuple[str, ...]
    edition: DigestEdition
    headers: EditionHeaders
    variant: RenderedVariant  # holding the slot tokens
    folder: Path  # as write_edition leaves it: index.html, digest.txt, sample.eml


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Real:
    """The example site's first edition, rendered and written with the real templates."""
    root = copy_example_site(tmp_path_factory.mktemp("digest"))
    site = pipeline.load_site(root, {}, now=NOW)
    report = editions.preview_edition(site.config, site.articles, site.sections, now=NOW)
    assert report.edition is not None and report.folder is not None
    renderer = editions.renderer_for(site.config)
    return Real(
        site.config,
        site.sections,
        report.edition,
        editions.edition_headers(site.config, report.edition),
        renderer.render(report.edition, None),
        report.folder,
    )


def message(
    real: Real,
    *,
    html: str | None = None,
    text: str | None = None,
    reader: Recipient = READER,
) -> bytes:
    """A reader's message, built by build_message from the variant or from a mutation
    of its HTML or text (the HTML must keep each slot token once)."""
    variant = replace(
        real.variant,
        html=real.variant.html if html is None else html,
        text=real.variant.text if text is None else text,
    )
    return build_message(variant, real.headers, reader)


def page(real: Real) -> str:
    """The HTML part as READER gets it."""
    return html_for(real.variant, READER)


def web_page(real: Real) -> bytes:
    return (real.folder / "index.html").read_bytes()


def codes(report: FileReport) -> list[str]:
    return [finding.code for finding in report.findings]


def findings(report: FileReport, code: str) -> list[tuple[str, int | None]]:
    return [(f.message, f.line) for f in report.findings if f.code == code]


def drop_header(raw: bytes, name: str) -> bytes:
    """`raw` without the header field `name` (its folded lines included)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    kept, dropping = [], False
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):
            dropping = line.lower().startswith(name.lower().encode() + b":")
        if not dropping:
            kept.append(line)
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def set_header(raw: bytes, name: str, value: bytes) -> bytes:
    return name.encode() + b": " + value + b"\r\n" + drop_header(raw, name)


def line_of(document: str, needle: str) -> int:
    return document[: document.index(needle)].count("\n") + 1


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


# --- real editions pass -------------------------------------------------------------


def test_an_edition_folder_as_written_has_no_finding(real: Real) -> None:
    reports = validate_digest_folder(real.folder, "digests/preview")
    assert [(r.path, r.kind) for r in reports] == [
        ("digests/preview/index.html", "digest-html"),
        ("digests/preview/digest.txt", "digest-text"),
        ("digests/preview/sample.eml", "digest-message"),
    ]
    for report in reports:
        assert report.findings == [], report.path


def test_a_subscribers_message_and_its_parts_have_no_finding(real: Real) -> None:
    raw = message(real)
    assert validate_digest_message(raw, "m.eml").findings == []
    assert validate_digest_html(page(real).encode(), "p.html").findings == []
    text = text_for(real.variant, READER).encode()
    assert validate_digest_text(text, "p.txt").findings == []


def test_the_web_copy_is_not_a_mailed_digest(real: Real) -> None:
    """The web copy has no unsubscribe link: fine as a web copy, not as a digest."""
    report = validate_digest_html(web_page(real), "index.html")
    assert codes(report) == ["missing-unsubscribe"]
    text = (real.folder / "digest.txt").read_bytes()
    assert codes(validate_digest_text(text, "digest.txt")) == ["missing-unsubscribe"]


def test_a_thirty_story_edition_with_every_section_passes(real: Real) -> None:
    stories = [
        article(f"Story {n}: the harbour " + "long " * 20, number=n, section=section)
        for n, section in enumerate(real.sections * 10, 1)
    ]
    edition = make_edition(stories, real.sections, "2026-11-25", NOW)
    variant = editions.renderer_for(real.config).render(edition, None)
    raw = build_message(variant, editions.edition_headers(real.config, edition), READER)
    assert validate_digest_message(raw, "m.eml").findings == []


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


def test_mjml_that_compiles_and_mjml_that_does_not() -> None:
    good = b"<mjml>\n<mj-body>\n<mj-section><mj-column><mj-text>Hi</mj-text></mj-column>\n"
    good += b"</mj-section>\n</mj-body>\n</mjml>\n"
    assert validate_mjml(good, "d.mjml").findings == []
    assert validate_mjml(b"<!-- made by hand -->\n" + good, "d.mjml").findings == []
    unclosed = good.replace(b"</mj-section>\n", b"")
    report = validate_mjml(unclosed, "d.mjml")
    assert codes(report) == ["mjml-error"]
    assert "does not compile" in report.findings[0].message
    include = good.replace(b"<mj-text>Hi</mj-text>", b'<mj-include path="/etc/passwd" />')
    report = validate_mjml(include, "d.mjml")
    assert findings(report, "mjml-error")[0][1] == 3  # the position MRML gives, as a line
    for not_mjml in (b"<html><body>Hi</body></html>", b"", b"plain text", b"<mj-body/>"):
        report = validate_mjml(not_mjml, "d.mjml")
        assert codes(report) == ["mjml-error"], not_mjml
        assert report.findings[0].message.startswith("not MJML")
    assert codes(validate_mjml(b"<mjml>\xff</mjml>", "d.mjml"))[0] == "bad-encoding"


def test_an_edition_folder_with_mjml_and_a_file_missing(real: Real, tmp_path: Path) -> None:
    for name in ("index.html", "sample.eml"):
        (tmp_path / name).write_bytes((real.folder / name).read_bytes())
    (tmp_path / "b.mjml").write_bytes(b"<mjml><mj-body></mj-body></mjml>")
    (tmp_path / "a.mjml").write_bytes(b"<mjml><mj-body>")
    reports = validate_digest_folder(tmp_path, "digests/2026-11-25/")
    assert [(r.path, codes(r)) for r in reports] == [
        ("digests/2026-11-25/index.html", []),
        ("digests/2026-11-25/digest.txt", ["missing-element"]),
        ("digests/2026-11-25/sample.eml", []),
        ("digests/2026-11-25/a.mjml", ["mjml-error"]),
        ("digests/2026-11-25/b.mjml", []),
    ]


def test_findings_of_one_code_are_capped_per_document(real: Real) -> None:
    images = b'<img src="https://news.example.com/x.png">' * 500
    content = web_page(real).replace(b"</body>", images + b"</body>")
    report = validate_digest_html(content, "i.html", web_copy=True)
    assert len(report.findings) == 51
    assert report.findings[-1].message == "450 more like the above not listed"


# --- hostile input --------------------------------------------------------------------

GARBAGE = [
    b"",
    b"\x00" * 100,
    b"\xff\xfe\x00<\x00h\x00t\x00m\x00l\x00>",
    b"<" * 5000,
    b'<a href="' + b"x" * 2_000_000 + b'">',
    b"<div>" * 5000 + b"deep",
    b"Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n--x\r\n",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary",
    b"From: =?utf-8?b?!!!?= <a@b>\r\nSubject: =?x-unknown?q?z?=\r\n\r\n",
    b'Content-Type: text/html; charset="x-klingon"\r\n\r\n<p>hi',
    b"Content-Type: text/plain; charset*=utf-8''%ff%fe\r\n\r\nx",
    b"Content-Transfer-Encoding: base64\r\nContent-Type: text/html\r\n\r\n@@@@=",
    b"To: " + b"a" * 2000 + b"\r\n\r\n",
    b"\r\n".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d" % (n, n) for n in range(200)
    ),
]


def every_check(content: bytes) -> list[FileReport]:
    return [
        validate_digest_html(content, "x.html"),
        validate_digest_html(content, "x.html", web_copy=True),
        validate_digest_text(content, "x.txt"),
        validate_digest_message(content, "x.eml"),
        validate_mjml(content, "x.mjml"),
    ]


@pytest.mark.parametrize("content", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_gives_findings_never_an_exception(content: bytes) -> None:
    for report in every_check(content):
        assert report.findings, report.kind


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(content: bytes) -> None:
    every_check(content)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_real_message_cut_or_corrupted_never_raises(real: Real, data: st.DataObject) -> None:
    raw = message(real)
    cut = data.draw(st.integers(0, len(raw)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255))))
    mutated = bytearray(raw[:cut] + raw[cut + data.draw(st.integers(0, 50)) :])
    for position, value in flips:
        if position < len(mutated):
            mutated[position] = value
    validate_digest_message(bytes(mutated), "m.eml")


# --- a property: whatever the records say, the digest validates --------------------

# Record text: any characters, and fragments that templates and mail have meanings for.
RECORD_TEXT = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=20),
        st.sampled_from(list("{}%*|<>&\"'#=\\/:;\u2028\u200f\u202e\x00\x85\r\n\t ")),
        st.sampled_from(["<script>", "&amp;", "unsubscribe", "\U0001f6a2", "Hello", "  "]),
    ),
    max_size=30,
).map("".join)


def usable(text: str) -> bool:
    """Record text that is not itself placeholder syntax or a URL: text a digest cannot
    tell from a template's leftover or a link (and checks as such, rightly)."""
    return not has_placeholder(text) and not any(text_urls(text))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=RECORD_TEXT, summary=RECORD_TEXT, long_word=st.booleans())
@example(title="<script>alert(1)</script> & co", summary="", long_word=True)
@example(title="Ein \u00dcberblick " * 80, summary="x" * 2000, long_word=False)
def test_any_record_text_gives_a_digest_with_no_finding(
    real: Real, title: str, summary: str, long_word: bool
) -> None:
    # As normalise() leaves them: one line, XML-safe, a title never empty.
    title, summary = one_line(title), one_line(summary)
    if long_word:
        summary += " " + "Donaudampfschifffahrt" * 60
    assume(title and usable(title) and usable(summary))
    stories = [
        article(title, number=1, summary=summary),
        article("Second " + title, number=2, section="Business", summary=summary, image=None),
    ]
    edition = make_edition(stories, real.sections, "2026-11-25", NOW)
    renderer = editions.renderer_for(real.config)
    raw = build_message(
        renderer.render(edition, None), editions.edition_headers(real.config, edition), READER
    )
    assert validate_digest_message(raw, "m.eml").findings == []
    web = renderer.render(edition, None, web=True)
    assert validate_digest_html(web.html.encode(), "i.html", web_copy=True).findings == []
    assert validate_digest_text(web.text.encode(), "d.txt", web_copy=True).findings == []
