"""An XML feed read for checking: its encoding verified, parsed, its elements located."""

from __future__ import annotations

import codecs
import html.entities
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from lxml import etree

from syndicate.validate.datatypes import uri_problem
from syndicate.validate.report import FileReport
from syndicate.validate.values import implausible, url_problem

_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]*)[\"']")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class XmlDocument:
    root: etree._Element
    text: str
    lines: list[str]
    _same_line: dict[tuple[int, str], list[etree._Element]] | None = None
    _columns: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def locate(self, element: etree._Element) -> tuple[int | None, int | None]:
        """The line and column (both 1-based) of an element's start tag: on a line with
        several tags of one name (a feed written on one line), the n-th of them."""
        line = cast("int | None", element.sourceline)  # the stubs say otherwise
        if line is None or not 0 < line <= len(self.lines):
            return line, None
        name = _tag_name(element)
        if self._same_line is None:
            self._same_line = {}
            for each in self.root.iter(etree.Element):
                at = cast("int | None", each.sourceline)
                if at is not None:
                    self._same_line.setdefault((at, _tag_name(each)), []).append(each)
        siblings = self._same_line.get((line, name), [element])
        index = siblings.index(element) if element in siblings else 0
        columns = self._columns.get((line, name))
        if columns is None:
            pattern = rf"<{re.escape(name)}(?=[\s/>])"
            columns = [m.start() + 1 for m in re.finditer(pattern, self.lines[line - 1])]
            self._columns[(line, name)] = columns
        if not columns:
            return line, None
        return line, columns[min(index, len(columns) - 1)]


def _tag_name(element: etree._Element) -> str:
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def _encoding_of(content: bytes, report: FileReport) -> tuple[str, int] | None:
    """The encoding to decode with and the length of the byte order mark."""
    bom = next(((name, len(mark)) for mark, name in _BOMS if content.startswith(mark)), None)
    if bom is not None and bom[0].startswith("utf-16"):
        head = content[bom[1] : 400].decode(bom[0], errors="replace").encode("ascii", "replace")
    elif bom is not None and bom[0].startswith("utf-32"):
        head = content[bom[1] : 800].decode(bom[0], errors="replace").encode("ascii", "replace")
    else:
        head = content[:400]
    declared_match = _DECLARATION.match(head.lstrip(codecs.BOM_UTF8))
    declared = declared_match.group(1).decode("ascii").lower() if declared_match else None
    if declared is not None:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            report.add("unknown-encoding", f"the declared encoding {declared!r} is unknown", 1)
            return None
        if bom is not None and not codec.startswith(bom[0][:6]):
            report.add(
                "encoding-mismatch",
                f"the byte order mark says {bom[0]} but the declaration says {declared}",
                1,
            )
    if bom is not None:
        return bom
    if declared is not None:
        return declared, 0
    if content.startswith((b"\x00<", b"<\x00")):
        return ("utf-16-be" if content[0] == 0 else "utf-16-le"), 0
    return "utf-8", 0


def read_xml(content: bytes, report: FileReport) -> XmlDocument | None:
    """The parsed document, or None after reporting why it cannot be read."""
    found = _encoding_of(content, report)
    if found is None:
        return None
    encoding, bom = found
    try:
        text = content[bom:].decode(encoding)
    except UnicodeDecodeError as exc:
        before = content[bom : bom + exc.start].decode(encoding, errors="replace")
        line = before.count("\n") + 1
        column = len(before) - before.rfind("\n")
        report.add(
            "bad-encoding",
            f"byte {content[bom + exc.start]:#04x} is not valid {encoding} ({exc.reason})",
            line,
            column,
        )
        return None
    # lxml reads the declaration from bytes; give it UTF-8 and say so, keeping the
    # lines where they were.
    utf8 = re.sub(
        r"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2", r"\1\2utf-8\2", text, count=1
    )
    if _EXTERNAL_DTD.search(utf8[:2000]):
        # With an external DTD (RSS 0.91's Netscape DTD), entities it declares are not a
        # well-formedness error; the HTML ones are what such feeds use.
        utf8 = _HTML_ENTITY.sub(_numeric_reference, utf8)
    # Entities of the internal subset are expanded, never an external one (no network,
    # no local files), and libxml2 refuses runaway expansion.
    parser = etree.XMLParser(
        resolve_entities="internal",  # type: ignore[arg-type]  # lxml 5+, not in the stubs
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        root = etree.fromstring(utf8.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position  # both 1-based
        message = re.sub(r", line \d+, column \d+$", "", str(exc.msg))
        report.add("not-well-formed", message, line, column or None)
        return None
    if root is None:
        report.add("not-well-formed", "the document has no root element", 1, 1)
        return None
    return XmlDocument(root, text, text.splitlines())


_EXTERNAL_DTD = re.compile(r"<!DOCTYPE\s+\w+\s+(?:PUBLIC|SYSTEM)\b", re.IGNORECASE)
_HTML_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _numeric_reference(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
        return match.group()
    return f"&#{html.entities.name2codepoint[name]};"


ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS10 = "http://purl.org/rss/1.0/"
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
ATOM03 = "http://purl.org/atom/ns#"
XHTML = "http://www.w3.org/1999/xhtml"
XML = "http://www.w3.org/XML/1998/namespace"

# Namespaces of extensions that feeds use and readers know.
KNOWN_NAMESPACES = frozenset(
    {
        ATOM, RDF, RSS10, XHTML, XML,
        "http://purl.org/rss/1.0/modules/content/",
        "http://purl.org/dc/elements/1.1/",
        "http://purl.org/dc/terms/",
        "http://search.yahoo.com/mrss/",
        "http://www.itunes.com/dtds/podcast-1.0.dtd",
        "http://www.google.com/schemas/play-podcasts/1.0",
        "https://podcastindex.org/namespace/1.0",
        "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
        "http://purl.org/rss/1.0/modules/slash/",
        "http://wellformedweb.org/CommentAPI/",
        "http://purl.org/rss/1.0/modules/syndication/",
        "http://purl.org/rss/1.0/modules/taxonomy/",
        "http://purl.org/rss/1.0/modules/image/",
        "http://purl.org/rss/1.0/modules/event/",
        "http://purl.org/rss/1.0/modules/annotate/",
        "http://webns.net/mvcb/",
        "http://rssnamespace.org/feedburner/ext/1.0",
        "http://www.georss.org/georss",
        "http://www.opengis.net/gml",
        "http://www.w3.org/2003/01/geo/wgs84_pos#",
        "http://purl.org/syndication/thread/1.0",
        "http://purl.org/syndication/history/1.0",
        "http://backend.userland.com/creativeCommonsRssModule",
        "http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html",
        "http://web.resource.org/cc/",
        "http://creativecommons.org/ns#",
        "http://a9.com/-/spec/opensearch/1.1/",
        "http://a9.com/-/spec/opensearchrss/1.0/",
        "http://www.w3.org/2007/app",
        "http://madskills.com/public/xml/rss/module/trackback/",
        "http://xmlns.com/foaf/0.1/",
        "http://backend.userland.com/blogChannelModule",
        "http://purl.org/syndication/atompub/tombstones/1.0",
        "http://purl.org/atompub/rank/1.0",
        "http://feedsync.org/2007/feedsync",
        "http://www.microsoft.com/schemas/rss/core/2005",
        "http://webfeeds.org/rss/1.0",
        "http://podlove.org/simple-chapters",
        "http://www.rawvoice.com/rawvoiceRssModule/",
        "http://purl.org/syndication/license/1.0",
        "http://purl.org/rss/1.0/modules/link/",
        "http://search.yahoo.com/searchmonkey/1.0",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2005/sparql-results#",
        "http://purl.org/rss/1.0/modules/reference/",
        "http://purl.org/rss/1.0/modules/richequiv/",
        "http://purl.org/rss/1.0/modules/admin/",
        "http://www.pheedo.com/namespace/pheedo",
        "http://schemas.google.com/g/2005",
        "http://www.w3.org/1999/xlink",
        "http://ogp.me/ns#",
        "http://purl.org/syndication/atommedia",
        "http://www.yandex.ru",
        "http://news.yandex.ru",
        "http://www.google.com/schemas/sitemap-news/0.9",
        "http://www.w3.org/2000/svg",
        "http://purl.org/rss/1.0/modules/aggregation/",
        "http://purl.org/rss/1.0/modules/wiki/",
        "http://www.usemod.com/cgi-bin/mb.pl?ModWiki",
        "http://my.theinfo.org/changed/1.0/rss/",
        "http://www.w3.org/1998/Math/MathML",
        "http://postneo.com/icbm",
        "http://geourl.org/rss/module/",
        "http://www.bloglines.com/about/specs/fac-1.0",
        "http://conversationsnetwork.org/rssNamespace-1.0/",
    }
)  # fmt: skip


class XmlChecks:
    """Findings about a parsed XML feed, each placed at the element it is about."""

    def __init__(self, document: XmlDocument, report: FileReport, now: datetime) -> None:
        self.document = document
        self.report = report
        self.now = now

    def flag(self, element: etree._Element, code: str, message: str) -> None:
        line, column = self.document.locate(element)
        self.report.add(code, message, line, column)

    def date(self, element: etree._Element, parse: DateParser, what: str) -> None:
        moment = parse(text_of(element))
        if isinstance(moment, str):
            self.flag(element, "bad-date", f"{what}: {moment}: {text_of(element)!r}")
        elif implausible(moment, self.now):
            self.flag(element, "implausible-date", f"{what}: {text_of(element).strip()!r}")

    def url(
        self,
        element: etree._Element,
        value: str,
        what: str,
        *,
        absolute: bool,
        iri: bool = False,
        exact: bool = False,
    ) -> bool:
        """A URI (RFC 3986), or an IRI (RFC 3987) where `iri`: RSS's links are URIs and
        Atom's IRIs. `exact`: spaces around the value are an error (Atom's attributes).
        Whether a problem was flagged."""
        problem = url_problem(value, absolute=absolute) or uri_problem(
            value if exact else value.strip(), absolute=absolute, iri=iri
        )
        if problem is not None:
            self.flag(element, problem[0], f"{what}: {problem[1]}")
        return problem is not None

    def only_elements(self, element: etree._Element, shown: str) -> None:
        """Flags text beside the children of an element that holds only elements."""
        stray = stray_text(element)
        if stray:
            self.flag(
                element, "unexpected-text", f"{shown} holds elements, not text: {stray[:40]!r}"
            )

    def foreign(self, element: etree._Element, own: frozenset[str | None]) -> None:
        """Elements of namespaces nobody knows, once per namespace."""
        seen: set[str] = set()
        for child in element.iter(etree.Element):
            namespace = etree.QName(child).namespace
            if namespace in own or namespace is None or namespace in seen:
                continue
            if namespace not in KNOWN_NAMESPACES:
                seen.add(namespace)
                self.flag(child, "unknown-namespace", f"namespace {namespace!r} is not known")


DateParser = Callable[[str], "datetime | str"]


def stray_text(element: etree._Element) -> str:
    """The first text beside an element's children (before, between or after them)."""
    pieces = [element.text or "", *(child.tail or "" for child in element)]
    return next((piece.strip() for piece in pieces if piece.strip()), "")


def text_of(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def children(element: etree._Element, namespace: str | None, name: str) -> list[etree._Element]:
    tag = name if namespace is None else f"{{{namespace}}}{name}"
    return [child for child in element if child.tag == tag]
