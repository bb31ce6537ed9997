"""The validator on broken and hostile input: a finding, never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.validate import validate_feed

CORPUS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "data" / "feeds").rglob("*") if p.is_file()
)
PIECES = [
    b"<", b">", b"&", b'"', b"\x00", b"\xff", b"{", b"}", b"[", b",", b"<item>", b"</entry>",
    b'xmlns="http://www.w3.org/2005/Atom"', b"\xe2\x80", b'"items": 3', b"null",
    b'<!DOCTYPE x [<!ENTITY a "b">]>', b"&a;", b"http://[::1", b'encoding="utf-16"',
]  # fmt: skip


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    content = bytearray(draw(st.sampled_from(CORPUS)).read_bytes())
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, max(len(content) - 1, 0)))
        action = draw(st.sampled_from(["cut", "insert", "flip"]))
        if action == "cut":
            del content[at : at + draw(st.integers(1, 30))]
        elif action == "insert":
            content[at:at] = draw(st.sampled_from(PIECES))
        elif content:
            content[at] = draw(st.integers(0, 255))
    return bytes(content)


@settings(max_examples=150, deadline=None)
@given(mutated_feeds())
def test_a_broken_feed_gets_findings_never_an_exception(content: bytes) -> None:
    report = validate_feed(content, "feed")
    assert report.kind in ("rss", "rdf", "atom", "json", "xml", "app-service", "app-categories")
    assert all(f.line is None or f.line >= 0 for f in report.findings)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_get_a_verdict(content: bytes) -> None:
    validate_feed(content, "feed")


def test_entity_expansion_and_deep_nesting_are_refused_quickly() -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    bomb = (
        f"<?xml version='1.0'?><!DOCTYPE rss [{entities}]><rss version='2.0'><channel>"
        "<title>&e9;</title><link>https://a.example/</link><description>d</description>"
        "</channel></rss>"
    ).encode()
    assert not validate_feed(bomb, "bomb.xml").valid
    assert not validate_feed(b"[" * 100_000 + b"]" * 100_000, "deep.json").valid
    deep = b"<rss version='2.0'>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</rss>"
    assert not validate_feed(deep, "deep.xml").valid


def _parses(path: Path) -> bool:
    try:
        etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return False
    return True


# Values that have broken parsers of URLs, numbers and dates.
STRANGE_VALUES = [
    "", " ", "-1", "0", "99999999999999999999", "1e309", "nan", "x" * 5000, "\u202e",
    "http://[::1", "%", "%zz", "tag:", "urn:", "urn:uuid:", "::::", "24:00:00", "1 2 3",
    "9999-99-99T99:99:99Z", "text/", "*/*", "a;b=", "en-", "i-", "1,2", ".5", "+5",
]  # fmt: skip
WELL_FORMED = [p for p in CORPUS if p.suffix == ".xml" and _parses(p)]


@st.composite
def feeds_with_strange_values(draw: st.DrawFn) -> bytes:
    """A well-formed feed of the corpus (every vocabulary is there) with the text or an
    attribute of some of its elements replaced by any text: each value check meets
    values nobody wrote for it."""
    root = etree.fromstring(
        draw(st.sampled_from(WELL_FORMED)).read_bytes(),
        etree.XMLParser(resolve_entities=False),
    )
    elements = list(root.iter(etree.Element))
    for _ in range(draw(st.integers(1, 8))):
        element = draw(st.sampled_from(elements))
        value = draw(
            st.one_of(
                st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))),
                st.sampled_from(STRANGE_VALUES),
            )
        )
        names = list(element.attrib)
        if names and draw(st.booleans()):
            element.set(draw(st.sampled_from(names)), value)
        elif not len(element):
            element.text = value
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


@settings(max_examples=300, deadline=None)
@given(feeds_with_strange_values())
def test_strange_values_get_findings_never_an_exception(content: bytes) -> None:
    validate_feed(content, "feed.xml")
