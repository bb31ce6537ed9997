"""The Atom Publishing Protocol (RFC 5023): service and category documents
(syndicate/validate/app.py), and its elements in Atom feeds
(syndicate/validate/extensions/app.py)."""

from __future__ import annotations

import pytest

from syndicate.validate import validate_feed
from syndicate.validate.app import APP
from syndicate.validate.datatypes import media_ranges, yes_no


def _service(body: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<service xmlns="{APP}" xmlns:atom="http://www.w3.org/2005/Atom">\n{body}</service>\n'
    ).encode()


def test_service_and_category_documents_are_recognised() -> None:
    service = validate_feed(_service("  <workspace><atom:title>W</atom:title></workspace>\n"), "s")
    assert (service.kind, service.findings) == ("app-service", [])
    categories = validate_feed(f'<categories xmlns="{APP}" fixed="yes"/>'.encode(), "c")
    assert (categories.kind, categories.findings) == ("app-categories", [])


def test_other_app_roots_are_still_unknown() -> None:
    report = validate_feed(f'<collection xmlns="{APP}" href="/c"/>'.encode(), "c")
    assert [f.code for f in report.findings] == ["unknown-format"]


def test_findings_have_line_and_column() -> None:
    report = validate_feed(
        _service(
            "  <workspace>\n"
            '    <collection href="/news">\n'
            "      <atom:title>News</atom:title>\n"
            '      <categories href="/tags.cat"><atom:category term="a"/></categories>\n'
            "    </collection>\n"
            "  </workspace>\n"
        ),
        "s",
    )
    assert [(f.code, f.line, f.column) for f in report.findings] == [
        ("missing-element", 3, 3),  # the workspace's title
        ("unknown-element", 6, 36),  # the child of out-of-line categories
    ]


def test_a_service_document_gets_no_feed_warnings() -> None:
    """No self link, no dates: a service document is not a feed."""
    report = validate_feed(_service("  <workspace><atom:title>W</atom:title></workspace>\n"), "s")
    assert report.warnings == []


def test_unknown_namespaces_are_flagged_once() -> None:
    report = validate_feed(
        _service(
            '  <x:note xmlns:x="https://example.org/x">a</x:note>\n'
            '  <workspace><atom:title>W</atom:title><x:n xmlns:x="https://example.org/x"/>'
            "</workspace>\n"
        ),
        "s",
    )
    assert [f.code for f in report.findings] == ["unknown-namespace"]


def test_namespaced_attributes_are_extensions() -> None:
    report = validate_feed(
        _service(
            '  <workspace xmlns:x="https://example.org/x" x:id="1" xml:lang="en">'
            "<atom:title>W</atom:title></workspace>\n"
        ),
        "s",
    )
    assert report.errors == []


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", None),  # nothing may be POSTed (8.3.4)
        ("application/atom+xml;type=entry", None),
        ("image/*", None),
        ("*/*", None),
        ("image/png, image/jpeg", None),
        ('text/plain; charset="a,b"', None),
        ("entry", "bad-mime-type"),
        ("image/png,", "bad-mime-type"),
        ("image/png image/gif", "bad-mime-type"),
    ],
)
def test_media_ranges(value: str, code: str | None) -> None:
    problem = media_ranges(value)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize(
    ("value", "valid"),
    [("yes", True), ("no", True), (" no ", True), ("Yes", False), ("true", False), ("", False)],
)
def test_yes_no(value: str, valid: bool) -> None:
    assert (yes_no(value) is None) is valid


def test_app_elements_in_a_feed_use_the_service_document_rules() -> None:
    feed = f"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:app="{APP}">
  <title>T</title><id>tag:example.org,2024:f</id><updated>2024-01-01T00:00:00Z</updated>
  <link rel="self" href="https://example.org/f"/><author><name>A</name></author>
  <app:collection href="/c"><title>C</title>
    <app:categories fixed="maybe"><category/></app:categories>
    <app:accept>nonsense</app:accept>
  </app:collection>
</feed>"""
    report = validate_feed(feed.encode(), "f")
    codes = sorted(f.code for f in report.errors)
    assert codes == ["bad-boolean", "bad-mime-type", "missing-element"]
