"""Atom 1.0 (RFC 4287): the RELAX NG schema of its appendix B, then what it cannot say."""

from __future__ import annotations

from collections import Counter
from copy import deepcopy
from functools import cache
from pathlib import Path

from lxml import etree

from syndicate.validate.datatypes import (
    base64_data,
    language,
    mime_type,
    no_spaces_around,
    non_negative_integer,
)
from syndicate.validate.extensions import check_extensions
from syndicate.validate.structure import atom_shape, languages
from syndicate.validate.values import has_markup, is_address, rfc3339_date
from syndicate.validate.xmldoc import (
    ATOM,
    XHTML,
    XML,
    XmlChecks,
    children,
    stray_text,
    text_of,
)

SCHEMA = Path(__file__).with_name("atom.rng")
A = f"{{{ATOM}}}"
FEED_ONCE = ("id", "title", "updated")
FEED_AT_MOST_ONCE = ("generator", "icon", "logo", "rights", "subtitle")
ENTRY_ONCE = ("id", "title", "updated")
ENTRY_AT_MOST_ONCE = ("content", "published", "rights", "source", "summary")
FEED_ELEMENTS = frozenset(
    ("author", "category", "contributor", "entry", "link", *FEED_ONCE, *FEED_AT_MOST_ONCE)
)
ENTRY_ELEMENTS = frozenset(
    ("author", "category", "contributor", "link", *ENTRY_ONCE, *ENTRY_AT_MOST_ONCE)
)
TEXT_CONSTRUCTS = ("title", "subtitle", "summary", "rights")
# Atom's own elements: one of them where RFC 4287 does not put it (a <summary> in the
# feed, an <icon> in an entry) is questionable, as the W3C validator rates it, not
# undefined.
MISPLACEABLE = (FEED_ELEMENTS | ENTRY_ELEMENTS) - {"entry", "source"}


@cache
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


class AtomChecks(XmlChecks):
    def check(self) -> None:
        root = self.document.root
        if etree.QName(root).localname == "entry":
            self.entry(root, feed_has_author=False)
        else:
            self.feed(root)
        self.person_and_links(root)
        self.foreign(root, frozenset({ATOM, XHTML}))
        check_extensions(self)
        atom_shape(self)
        languages(self)
        self.schema(root)

    def feed(self, feed: etree._Element) -> None:
        self.cardinality(feed, FEED_ONCE, FEED_AT_MOST_ONCE, FEED_ELEMENTS, "<feed>")
        self.dates(feed)
        self.ids(feed)
        self.texts(feed)
        links = children(feed, ATOM, "link")
        if not any(link.get("rel") == "self" for link in links):
            self.flag(feed, "missing-self-link", 'no <link rel="self"> to the feed')
        self.alternates(links)
        entries = children(feed, ATOM, "entry")
        has_author = bool(children(feed, ATOM, "author"))
        for entry in entries:
            self.entry(entry, feed_has_author=has_author)
        ids = Counter(text_of(i).strip() for e in entries for i in children(e, ATOM, "id"))
        for entry in entries:
            for element in children(entry, ATOM, "id"):
                if ids[text_of(element).strip()] > 1:
                    ids[text_of(element).strip()] = 0
                    self.flag(
                        element,
                        "duplicate-entry",
                        f"entries share the id {text_of(element).strip()!r} "
                        "(readers keep only one)",
                    )

    def entry(self, entry: etree._Element, *, feed_has_author: bool) -> None:
        self.cardinality(entry, ENTRY_ONCE, ENTRY_AT_MOST_ONCE, ENTRY_ELEMENTS, "<entry>")
        self.dates(entry)
        self.ids(entry)
        self.texts(entry)
        links = children(entry, ATOM, "link")
        self.alternates(links)
        contents = children(entry, ATOM, "content")
        alternate = any(link.get("rel", "alternate") == "alternate" for link in links)
        if not contents and not alternate:
            self.flag(entry, "missing-element", '<entry> needs <content> or <link rel="alternate">')
        source_authors = [
            a
            for source in children(entry, ATOM, "source")
            for a in children(source, ATOM, "author")
        ]
        if not feed_has_author and not children(entry, ATOM, "author") and not source_authors:
            self.flag(entry, "missing-element", "<entry> needs an <author> (the feed has none)")
        for content in contents:
            self.content(entry, content)

    def content(self, entry: etree._Element, content: etree._Element) -> None:
        kind = content.get("type", "text")
        summary = bool(children(entry, ATOM, "summary"))
        if content.get("src") is not None:
            self.reference(content, content.get("src", ""), "<content> src")
            if not summary:
                self.flag(entry, "missing-element", "<entry> with <content src> needs a <summary>")
        elif kind not in ("text", "html", "xhtml") and not _is_xml_type(kind):
            if "/" not in kind:
                self.flag(content, "bad-value", f"<content> type {kind!r} is not a MIME type")
            elif not summary and not kind.startswith("text/"):
                self.flag(
                    entry, "missing-element", "<entry> with base64 <content> needs a <summary>"
                )
        if "/" in kind and (problem := mime_type(kind)) is not None:
            self.flag(content, problem[0], f"<content> type: {problem[1]}")
        if kind == "xhtml" or (content.get("src") is None and kind in ("text", "html")):
            self.text_construct(content)
        if content.get("src") is None:
            self.inline_content(content, kind)

    def inline_content(self, content: etree._Element, kind: str) -> None:
        """RFC 4287 4.1.3.3: text and HTML are text, XML media types one element, other
        text/ types text, and any other type base64."""
        inner = list(content.iterchildren(etree.Element))
        if kind in ("text", "html") or (kind.startswith("text/") and not _is_xml_type(kind)):
            if inner:
                self.flag(inner[0], "unknown-element",
                          f'<content type="{kind}"> holds text, not elements')  # fmt: skip
        elif _is_xml_type(kind):
            if stray_text(content) or len(inner) > 1:
                self.flag(content, "unexpected-text",
                          f'<content type="{kind}"> holds one XML element and no text')  # fmt: skip
        elif kind != "xhtml" and "/" in kind:
            problem = base64_data(text_of(content))
            if problem is not None:
                self.flag(content, problem[0], f'<content type="{kind}">: {problem[1]}')

    def cardinality(
        self,
        element: etree._Element,
        once: tuple[str, ...],
        at_most_once: tuple[str, ...],
        known: frozenset[str],
        where: str,
    ) -> None:
        counts = Counter(
            etree.QName(c).localname
            for c in element
            if isinstance(c.tag, str) and c.tag.startswith(A)
        )
        for name in once:
            if counts[name] == 0:
                self.flag(element, "missing-element", f"{where} needs an <{name}>")
        for name in once + at_most_once:
            if counts[name] > 1:
                self.flag(children(element, ATOM, name)[1], "duplicate-element",
                          f"{where} may have only one <{name}>")  # fmt: skip
        for child in element:
            if not isinstance(child.tag, str) or not child.tag.startswith(A):
                continue
            name = etree.QName(child).localname
            if name in known:
                continue
            if name in MISPLACEABLE:
                self.flag(child, "misplaced-element",
                          f"{where} has no <{name}>: readers may ignore it here")  # fmt: skip
            else:
                self.flag(child, "unknown-element", f"{where} has no element <{name}> in Atom")

    def dates(self, element: etree._Element) -> None:
        for name in ("updated", "published"):
            for date in children(element, ATOM, name):
                if self.spaced(date, f"<{name}>"):
                    self.date(date, rfc3339_date, f"<{name}>")

    def ids(self, element: etree._Element) -> None:
        for identifier in children(element, ATOM, "id"):
            if self.spaced(identifier, "<id>"):
                self.url(identifier, text_of(identifier), "<id>", absolute=True, iri=True)

    def spaced(self, element: etree._Element, what: str) -> bool:
        """Whether a URI or date element is free of spaces around its value: RFC 4287
        allows none there (readers differ on them). Flags it when not."""
        problem = no_spaces_around(text_of(element))
        if problem is not None:
            self.flag(element, problem[0], f"{what}: {problem[1]}")
        return problem is None

    def texts(self, element: etree._Element) -> None:
        for name in TEXT_CONSTRUCTS:
            for text in children(element, ATOM, name):
                self.text_construct(text)
        for title in children(element, ATOM, "title"):
            if not text_of(title).strip() and not len(title):
                self.flag(title, "empty-element", "<title> is empty")
            if title.get("type", "text") == "text" and has_markup(text_of(title)):
                self.flag(title, "html-in-title", '<title> holds markup but is type="text"')

    def text_construct(self, element: etree._Element) -> None:
        name = etree.QName(element).localname
        kind = element.get("type", "text")
        if name != "content" and kind not in ("text", "html", "xhtml"):
            self.flag(element, "bad-value", f'<{name}> type is "text", "html" or "xhtml"')
        if kind == "xhtml" and not children(element, XHTML, "div"):
            self.flag(element, "missing-element", f'<{name} type="xhtml"> needs an XHTML <div>')

    def alternates(self, links: list[etree._Element]) -> None:
        seen: set[tuple[str | None, str | None]] = set()
        for link in links:
            if link.get("rel", "alternate") != "alternate":
                continue
            key = (link.get("type"), link.get("hreflang"))
            if key in seen:
                self.flag(link, "duplicate-link", "two alternate links with one type and hreflang")
            seen.add(key)

    def person_and_links(self, root: etree._Element) -> None:
        for person in root.iter(f"{A}author", f"{A}contributor"):
            name = etree.QName(person).localname
            if not children(person, ATOM, "name"):
                self.flag(person, "missing-element", f"<{name}> needs a <name>")
            for email in children(person, ATOM, "email"):
                if not is_address(text_of(email)):
                    self.flag(email, "bad-email", f"not an email address: {text_of(email)!r}")
            for uri in children(person, ATOM, "uri"):
                if self.spaced(uri, f"<{name}> <uri>"):
                    self.reference(uri, text_of(uri), f"<{name}> <uri>")
        for link in root.iter(f"{A}link"):
            self.link(link)
        for element in root.iter(f"{A}icon", f"{A}logo"):
            what = f"<{etree.QName(element).localname}>"
            if self.spaced(element, what):
                self.reference(element, text_of(element), what)
        for category in root.iter(f"{A}category"):
            if category.get("scheme") is not None:
                self.reference(category, category.get("scheme", ""), "<category> scheme")
        for generator in root.iter(f"{A}generator"):
            if generator.get("uri") is not None:
                self.reference(generator, generator.get("uri", ""), "<generator> uri")
        base = f"{{{XML}}}base"
        for element in root.iter(etree.Element):
            if element.get(base) is not None:
                self.url(element, element.get(base, ""), "xml:base",
                         absolute=False, iri=True, exact=True)  # fmt: skip

    def link(self, link: etree._Element) -> None:
        if link.get("href") is not None:
            self.reference(link, link.get("href", ""), "<link> href")
        for attribute, check in (("type", mime_type), ("hreflang", language),
                                 ("length", non_negative_integer)):  # fmt: skip
            value = link.get(attribute)
            problem = None if value is None else check(value)
            if problem is not None:
                self.flag(link, problem[0], f"<link> {attribute}: {problem[1]}")

    def reference(self, element: etree._Element, value: str, what: str) -> None:
        """An IRI reference: relative ones resolve against xml:base, or the feed's URL."""
        if self.url(element, value, what, absolute=False, iri=True, exact=True):
            return
        if ":" in value.split("/", 1)[0]:
            return
        based = any(e.get(f"{{{XML}}}base") for e in element.iterancestors()) or element.get(
            f"{{{XML}}}base"
        )
        if not based:
            self.flag(
                element, "relative-reference", f"{what} {value!r} is relative, with no xml:base"
            )

    def schema(self, root: etree._Element) -> None:
        """What the schema finds beyond our own checks: once they found an error, its
        messages (placed on the enclosing element) would only repeat it less clearly."""
        if self.report.errors:
            return
        schema = atom_schema()
        if schema.validate(_as_the_schema_reads_it(root)):
            return
        errors = list(schema.error_log)
        placed = [e for e in errors if e.line > 0] or errors[:1]
        flagged: set[int] = set()
        for error in placed:
            if error.line in flagged:
                continue  # the rest of a line's messages follow from its first
            flagged.add(error.line)
            self.report.add(
                "schema-invalid",
                f"the RELAX NG schema of RFC 4287 says: {error.message}",
                error.line or None,
                error.column or None,
            )


def _as_the_schema_reads_it(root: etree._Element) -> etree._ElementTree:
    """A copy without what RFC 4287 allows and its (informative) schema does not: an
    empty xml:lang (XML 1.0 2.12) and a leap second (RFC 3339); and without Atom
    elements out of place, which are flagged as such already."""
    copy = etree.ElementTree(deepcopy(root))  # keeps each element's line
    for parent, allowed in (("feed", FEED_ELEMENTS), ("entry", ENTRY_ELEMENTS)):
        for container in copy.iter(f"{A}{parent}"):
            for child in list(container):
                name = etree.QName(child) if isinstance(child.tag, str) else None
                if name and name.namespace == ATOM and name.localname not in allowed:
                    container.remove(child)
    lang = f"{{{XML}}}lang"
    for element in copy.iter(etree.Element):
        if element.get(lang) == "":
            del element.attrib[lang]
        if etree.QName(element).localname in ("updated", "published") and element.text:
            element.text = element.text.replace(":60", ":59")
    return copy


def _is_xml_type(kind: str) -> bool:
    return kind.endswith(("+xml", "/xml"))
