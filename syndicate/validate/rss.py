"""RSS 0.91 to 2.0 (https://www.rssboard.org/rss-specification) and RSS 1.0 / 0.90 (RDF)."""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from syndicate.validate.datatypes import mime_type
from syndicate.validate.extensions import check_extensions
from syndicate.validate.structure import (
    deprecated_dtd,
    languages,
    rdf_shape,
    robots_meta,
    rss_shape,
)
from syndicate.validate.values import (
    contact_problem,
    has_markup,
    is_language,
    reads_as_web_url,
    rfc822_date,
)
from syndicate.validate.xmldoc import ATOM, RDF, RSS090, RSS10, XmlChecks, children, text_of

VERSIONS = ("0.91", "0.92", "0.93", "0.94", "2.0", "2.0.1", "2.00")
DC = "http://purl.org/dc/elements/1.1/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Each element the spec defines, and how many times it may appear (None: any).
CHANNEL: dict[str, int | None] = {
    "title": 1, "link": 1, "description": 1, "language": 1, "copyright": 1,
    "managingEditor": 1, "webMaster": 1, "pubDate": 1, "lastBuildDate": 1,
    "category": None, "generator": 1, "docs": 1, "cloud": 1, "ttl": 1, "image": 1,
    "rating": 1, "textInput": 1, "textinput": 1, "skipHours": 1, "skipDays": 1, "item": None,
}  # fmt: skip
ITEM: dict[str, int | None] = {
    "title": 1, "link": 1, "description": 1, "author": 1, "category": None, "comments": 1,
    "enclosure": None, "guid": 1, "pubDate": 1, "source": 1,
}  # fmt: skip
IMAGE: dict[str, int | None] = {
    "url": 1,
    "title": 1,
    "link": 1,
    "width": 1,
    "height": 1,
    "description": 1,
}
CONTAINERS = frozenset(
    {"channel", "item", "image", "textInput", "textinput", "skipHours", "skipDays"}
)
# HTML 4.01 names (the textInput's CGI field): a letter, then letters, digits, - _ . :
FORM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
TEXT_INPUT: dict[str, int | None] = {"title": 1, "description": 1, "name": 1, "link": 1}


class RssChecks(XmlChecks):
    def check(self) -> None:
        root = self.document.root
        version = root.get("version")
        if version is None:
            self.flag(root, "missing-element", "<rss> needs a version attribute (2.0)")
        elif version.strip() not in VERSIONS:
            self.flag(root, "bad-value", f"RSS version {version!r} is not one of {VERSIONS}")
        self.known(root, {"channel": 1}, "<rss>")
        channels = children(root, None, "channel")
        if not channels:
            self.flag(root, "missing-element", "<rss> needs a <channel>")
            return
        self.foreign(root, frozenset({None}))
        check_extensions(self)
        rss_shape(self)
        robots_meta(self)
        languages(self)
        deprecated_dtd(self)
        self.channel(channels[0], (version or "").strip())

    def known(self, element: etree._Element, allowed: dict[str, int | None], where: str) -> None:
        """Unknown and repeated elements without a namespace, where the spec lists all."""
        counts = Counter(child.tag for child in element if isinstance(child.tag, str))
        for child in element:
            if not isinstance(child.tag, str) or etree.QName(child).namespace is not None:
                continue
            name = child.tag
            if name not in allowed:
                self.flag(child, "unknown-element", f"{where} has no element <{name}> in RSS")
                continue
            if allowed[name] is not None and counts[name] > (allowed[name] or 0):
                counts[name] = 0  # once per name
                self.flag(child, "duplicate-element", f"{where} may have only one <{name}>")
            if name not in CONTAINERS:
                for inner in child.iter(etree.Element):
                    if inner is not child and etree.QName(inner).namespace is None:
                        held = f"<{name}> holds an element <{inner.tag}>: escape markup in text"
                        self.flag(inner, "unknown-element", held)
                        break

    def required(self, element: etree._Element, names: tuple[str, ...], where: str) -> None:
        for name in names:
            found = children(element, None, name)
            if not found:
                self.flag(element, "missing-element", f"{where} needs a <{name}>")
            elif not text_of(found[0]).strip():
                self.flag(found[0], "empty-element", f"{where}'s <{name}> is empty")

    def channel(self, channel: etree._Element, version: str) -> None:
        self.known(channel, CHANNEL, "<channel>")
        self.required(channel, ("title", "link", "description"), "<channel>")
        self.common(channel, "channel")
        for name in ("managingEditor", "webMaster"):
            for element in children(channel, None, name):
                self.contact(element, f"<{name}>")
        for element in children(channel, None, "language"):
            if not is_language(text_of(element)):
                self.flag(element, "bad-value", f"not a language code: {text_of(element)!r}")
        for name in ("pubDate", "lastBuildDate"):
            for element in children(channel, None, name):
                self.date(element, rfc822_date, f"<{name}>")
        for element in children(channel, None, "docs"):
            self.url(element, text_of(element), "<docs>", absolute=True)
        for element in children(channel, None, "ttl"):
            if self.integer(element, "<ttl>") == 0:
                self.flag(element, "bad-number", "<ttl> is a number of minutes, at least 1")
        for element in children(channel, None, "cloud"):
            self.cloud(element)
        for element in children(channel, None, "image"):
            self.image(element)
        for element in children(channel, None, "textInput") + children(channel, None, "textinput"):
            self.known(element, TEXT_INPUT, "<textInput>")
            self.required(element, tuple(TEXT_INPUT), "<textInput>")
            for link in children(element, None, "link"):
                self.url(link, text_of(link), "<textInput> <link>", absolute=True)
            for field_name in children(element, None, "name"):
                written = text_of(field_name).strip()
                if written and not FORM_NAME.fullmatch(written):
                    self.flag(
                        field_name,
                        "bad-value",
                        "<textInput> <name> is a form field's name "
                        f"(a letter, then letters, digits, - _ . :): {written!r}",
                    )
        self.skips(channel)
        if not any(link.get("rel") == "self" for link in children(channel, ATOM, "link")):
            self.flag(channel, "missing-self-link", 'no <atom:link rel="self"> to the feed')
        items = children(channel, None, "item")
        for item in items:
            self.item(item, version)
        self.unique_guids(items)

    def common(self, element: etree._Element, where: str) -> None:
        for title in children(element, None, "title"):
            if has_markup(text_of(title)):
                self.flag(title, "html-in-title", f"<{where}> <title> holds markup")
        for link in children(element, None, "link"):
            self.url(link, text_of(link), f"<{where}> <link>", absolute=True)
        for link in children(element, ATOM, "link"):
            if link.get("href") is None:
                self.flag(link, "missing-element", "<atom:link> needs an href")
            else:
                self.url(link, link.get("href", ""), "<atom:link> href", absolute=True)

    def item(self, item: etree._Element, version: str) -> None:
        self.known(item, ITEM, "<item>")
        if version == "0.91":
            self.required(item, ("title", "link"), "<item>")
        elif not children(item, None, "title") and not children(item, None, "description"):
            self.flag(item, "missing-element", "<item> needs a <title> or a <description>")
        self.common(item, "item")
        for element in children(item, None, "author"):
            self.contact(element, "<author>")
        for element in children(item, None, "comments"):
            self.url(element, text_of(element), "<comments>", absolute=True)
        for element in children(item, None, "pubDate"):
            self.date(element, rfc822_date, "<pubDate>")
        if not children(item, None, "pubDate") and not children(item, DC, "date"):
            self.flag(item, "missing-date", "<item> has no <pubDate>")
        for element in children(item, None, "enclosure"):
            self.enclosure(element)
        for element in children(item, None, "guid"):
            self.guid(element)
        for element in children(item, None, "source"):
            if element.get("url") is None:
                self.flag(element, "missing-element", "<source> needs a url attribute")
            else:
                self.url(element, element.get("url", ""), "<source> url", absolute=True)
        for element in children(item, None, "category"):
            if not text_of(element).strip():
                self.flag(element, "empty-element", "<category> is empty")

    def guid(self, guid: etree._Element) -> None:
        value = text_of(guid).strip()
        flag = guid.get("isPermaLink")
        if flag is not None and flag.strip() not in ("true", "false"):
            self.flag(guid, "bad-value", f'isPermaLink is "true" or "false", not {flag!r}')
        elif not value:
            self.flag(guid, "empty-element", "<guid> is empty")
        elif flag is None or flag.strip() == "true":
            if ":" not in value:
                self.flag(
                    guid,
                    "relative-url",
                    f'<guid> is a permalink unless isPermaLink="false", and {value!r} '
                    "is not an absolute URL",
                )
            elif not reads_as_web_url(value):
                self.flag(
                    guid,
                    "bad-url",
                    f'<guid> is a permalink unless isPermaLink="false", and {value!r} '
                    "is not a web URL",
                )
            else:
                self.url(guid, value, "<guid>", absolute=True)
        elif reads_as_web_url(value):
            self.flag(
                guid,
                "guid-looks-like-permalink",
                f'<guid isPermaLink="false"> is a web URL: readers may open {value!r}',
            )

    def unique_guids(self, items: list[etree._Element]) -> None:
        seen: set[str] = set()
        for item in items:
            for guid in children(item, None, "guid"):
                value = text_of(guid).strip()
                if value and value in seen:
                    self.flag(guid, "duplicate-id", f"two items have the guid {value!r}")
                seen.add(value)

    def enclosure(self, element: etree._Element) -> None:
        for name in ("url", "length", "type"):
            if element.get(name) is None:
                self.flag(element, "missing-element", f"<enclosure> needs a {name} attribute")
        url = element.get("url")
        checked = url is not None and not self.url(element, url, "<enclosure> url", absolute=True)
        if checked and url is not None and not reads_as_web_url(url):
            # RSS 2.0: "The url must be an http url."
            self.flag(element, "bad-url", f"<enclosure> url is an http(s) URL, not {url!r}")
        length = element.get("length")
        if length is not None and not length.strip().isdigit():
            self.flag(element, "bad-value", f"<enclosure> length is a number: {length!r}")
        kind = element.get("type")
        if kind is not None and "/" not in kind:
            self.flag(element, "bad-value", f"<enclosure> type is a MIME type: {kind!r}")
        elif kind is not None and (problem := mime_type(kind)) is not None:
            self.flag(element, problem[0], f"<enclosure> type: {problem[1]}")

    def contact(self, element: etree._Element, where: str) -> None:
        problem = contact_problem(text_of(element))
        if problem is not None:
            self.flag(element, "bad-email", f"{where}: {problem}")

    def integer(self, element: etree._Element, where: str) -> int | None:
        value = text_of(element).strip()
        if not value.isdigit():
            self.flag(element, "bad-value", f"{where} is a whole number: {value!r}")
            return None
        return int(value)

    def cloud(self, element: etree._Element) -> None:
        for name in ("domain", "port", "path", "registerProcedure", "protocol"):
            if element.get(name) is None:
                self.flag(element, "missing-element", f"<cloud> needs a {name} attribute")
        port = element.get("port")
        if port is not None and not port.strip().isdigit():
            self.flag(element, "bad-value", f"<cloud> port is a number: {port!r}")
        elif port is not None and not 0 < int(port) < 65536:
            self.flag(element, "bad-number", f"<cloud> port is 1 to 65535, not {port.strip()}")
        protocol = element.get("protocol")
        if protocol is not None and protocol not in ("xml-rpc", "soap", "http-post"):
            self.flag(element, "bad-value", f"<cloud> protocol {protocol!r} is not known")

    def image(self, image: etree._Element) -> None:
        self.known(image, IMAGE, "<image>")
        self.required(image, ("url", "title", "link"), "<image>")
        for name in ("url", "link"):
            for element in children(image, None, name):
                self.url(element, text_of(element), f"<image> <{name}>", absolute=True)
        for name, limit in (("width", 144), ("height", 400)):
            for element in children(image, None, name):
                size = self.integer(element, f"<image> <{name}>")
                if size is not None and size > limit:
                    self.flag(element, "bad-value", f"<image> <{name}> is at most {limit}")

    def skips(self, channel: etree._Element) -> None:
        for name, inner in (("skipHours", "hour"), ("skipDays", "day")):
            for skip in children(channel, None, name):
                if not len(children(skip, None, inner)):
                    self.flag(skip, "missing-element", f"<{name}> lists no <{inner}>")
        for skip in children(channel, None, "skipHours"):
            hours: set[int] = set()
            for hour in skip.iterchildren(etree.Element):
                value = text_of(hour).strip()
                # 24 is midnight too, as some feeds write it (0 is what the spec says).
                if hour.tag != "hour" or not value.isdigit() or int(value) > 24:
                    self.flag(hour, "bad-value", f"<skipHours> holds <hour> 0 to 23: {value!r}")
                elif int(value) % 24 in hours:
                    self.flag(hour, "duplicate-value", f"<skipHours> lists hour {value} twice")
                else:
                    hours.add(int(value) % 24)
        for skip in children(channel, None, "skipDays"):
            days: set[str] = set()
            for day in skip.iterchildren(etree.Element):
                value = text_of(day).strip()
                if day.tag != "day" or value not in DAYS:
                    self.flag(day, "bad-value", f"<skipDays> holds <day> names: {value!r}")
                elif value in days:
                    self.flag(day, "duplicate-value", f"<skipDays> lists {value} twice")
                days.add(value)


RDF_ELEMENTS = {
    "channel": {"title", "link", "description", "image", "items", "textinput"},
    "item": {"title", "link", "description"},
    "image": {"title", "link", "url"},
    "textinput": {"title", "description", "name", "link"},
}


class RdfChecks(RssChecks):
    """RSS 1.0 and 0.90: an RDF document holding a channel, items, image, textinput."""

    def check(self) -> None:
        root = self.document.root
        namespace = RSS10 if children(root, RSS10, "channel") else RSS090
        channels = children(root, namespace, "channel")
        if not channels:
            self.flag(root, "missing-element", "<rdf:RDF> needs a <channel>")
            return
        channel = channels[0]
        if len(channels) > 1:
            self.flag(channels[1], "duplicate-element", "<rdf:RDF> may have only one <channel>")
        self.rdf_required(channel, namespace, ("title", "link", "description"), "<channel>")
        if namespace == RSS10:
            if channel.get(f"{{{RDF}}}about") is None:
                self.flag(channel, "missing-element", "<channel> needs an rdf:about")
            if not children(channel, RSS10, "items"):
                self.flag(channel, "missing-element", "<channel> needs an <items> list")
        items = children(root, namespace, "item")
        for item in items:
            self.rdf_required(item, namespace, ("title", "link"), "<item>")
            if namespace == RSS10 and item.get(f"{{{RDF}}}about") is None:
                self.flag(item, "missing-element", "<item> needs an rdf:about")
            if not children(item, DC, "date"):
                self.flag(item, "missing-date", "<item> has no <dc:date>")
        for element in root.iter(f"{{{namespace}}}link", f"{{{namespace}}}url"):
            self.url(
                element, text_of(element), f"<{etree.QName(element).localname}>", absolute=True
            )
        self.rdf_vocabulary(root, namespace)
        check_extensions(self)
        rdf_shape(self)
        robots_meta(self)
        languages(self)
        self.foreign(root, frozenset({namespace, RDF, None}))

    def rdf_vocabulary(self, root: etree._Element, namespace: str) -> None:
        """Elements of the RSS 1.0 (or 0.90) namespace that it does not define, such as
        RSS 2.0's <pubDate> or <guid> in an RSS 1.0 item."""
        for top in root.iterchildren(etree.Element):
            name = etree.QName(top).localname
            if etree.QName(top).namespace != namespace:
                continue
            if name not in RDF_ELEMENTS:
                self.flag(top, "unknown-element", f"RSS 1.0 has no element <{name}>")
                continue
            for child in top.iterchildren(etree.Element):
                inner = etree.QName(child)
                if inner.namespace == namespace and inner.localname not in RDF_ELEMENTS[name]:
                    self.flag(
                        child, "unknown-element", f"<{name}> has no element <{inner.localname}>"
                    )

    def rdf_required(
        self, element: etree._Element, namespace: str, names: tuple[str, ...], where: str
    ) -> None:
        for name in names:
            found = children(element, namespace, name)
            if not found:
                self.flag(element, "missing-element", f"{where} needs a <{name}>")
            elif len(found) > 1:
                self.flag(found[1], "duplicate-element", f"{where} may have only one <{name}>")
        for title in children(element, namespace, "title"):
            if has_markup(text_of(title)):
                self.flag(title, "html-in-title", f"{where} <title> holds markup")
