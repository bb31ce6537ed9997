"""The digest checks on real editions, MJML, edition folders, hostile input, any record text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from syndicate._util.text import one_line
from syndicate.digests import build_message, make_edition
from syndicate.digests.messages import text_for
from syndicate.digests.plan import edition_headers
from syndicate.digests.render import renderer_for
from syndicate.validate.digest import (
    validate_digest_folder,
    validate_digest_html,
    validate_digest_message,
    validate_digest_text,
    validate_mjml,
)
from syndicate.validate.digest.common import has_placeholder
from syndicate.validate.digest.text import text_urls
from syndicate.validate.report import FileReport
from tests.factories import NOW, article
from tests.validate.editions import READER, Real, codes, findings, message, page, web_page

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
    variant = renderer_for(real.config).render(edition, None)
    raw = build_message(variant, edition_headers(real.config, edition), READER)
    assert validate_digest_message(raw, "m.eml").findings == []


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
    renderer = renderer_for(real.config)
    raw = build_message(
        renderer.render(edition, None), edition_headers(real.config, edition), READER
    )
    assert validate_digest_message(raw, "m.eml").findings == []
    web = renderer.render(edition, None, web=True)
    assert validate_digest_html(web.html.encode(), "i.html", web_copy=True).findings == []
    assert validate_digest_text(web.text.encode(), "d.txt", web_copy=True).findings == []
