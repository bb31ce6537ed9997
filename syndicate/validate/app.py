"""The Atom Publishing Protocol (RFC 5023, https://www.rfc-editor.org/rfc/rfc5023):
service documents (section 8) and category documents (section 7).

The checks of single elements (a collection, its accept and categories) are functions
of (checks, element), so that the app: elements that Atom feeds carry
(extensions/app.py) are judged by the same rules as in a service document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lxml import etree

from syndicate.validate.datatypes import Check, media_ranges, uri, yes_no
from syndicate.validate.xmldoc import ATOM, XHTML, XmlChecks, children, stray_text

APP = "http://www.w3.org/2007/app"
P = f"{{{APP}}}"
# RFC 5023 appendix B: where each element of a service or category document stands,
# by its parent's Clark name ("" for the document's root).
PLACES: dict[str, frozenset[str]] = {
    "service": frozenset({""}),
    "workspace": frozenset({f"{P}service"}),
    "collection": frozenset({f"{P}workspace"}),
    "accept": frozenset({f"{P}collection"}),
    "categories": frozenset({f"{P}collection", ""}),
}
# The elements of RFC 4287: others in the Atom namespace are defined nowhere.
ATOM_ELEMENTS = frozenset(
    (
        "author", "category", "content", "contributor", "email", "entry", "feed", "generator",
        "icon", "id", "link", "logo", "name", "published", "rights", "source", "subtitle",
        "summary", "title", "updated", "uri",
    )
)  # fmt: skip
IRI_REFERENCE = uri(absolute=False, iri=True)  # appendix B: atomURI, resolved against xml:base

Rule = Callable[[XmlChecks, etree._Element], None]


class AppChecks(XmlChecks):
    """A service document (root app:service) or a category document (root app:categories)."""

    def check(self) -> None:
        root = self.document.root
        for element in root.iter(etree.Element):
            namespace = etree.QName(element).namespace
            if namespace == APP:
                self.app_element(element)
            elif namespace == ATOM:
                self.atom_element(element)
        self.foreign(root, frozenset({APP, ATOM, XHTML}))

    def app_element(self, element: etree._Element) -> None:
        name = etree.QName(element).localname
        shown = _shown(element)
        if name not in PLACES:
            where = "service" if self.report.kind == "app-service" else "category"
            self.flag(
                element,
                "unknown-element",
                f"{shown} is not an element of RFC 5023 {where} documents",
            )
            return
        parent = element.getparent()
        where = "" if parent is None else str(parent.tag)
        if where not in PLACES[name]:
            allowed = " or ".join(
                sorted(
                    f"<app:{etree.QName(p).localname}>" if p else "the root" for p in PLACES[name]
                )
            )
            here = "the root" if parent is None else _shown(parent)
            self.flag(element, "unknown-element", f"{shown} belongs in {allowed}, not in {here}")
            return
        RULES[name](self, element)

    def atom_element(self, element: etree._Element) -> None:
        """Atom elements are extensions here (appendix B), but only those RFC 4287 defines."""
        name = etree.QName(element).localname
        if name not in ATOM_ELEMENTS:
            self.flag(
                element,
                "unknown-element",
                f"{_shown(element)} is not an element of Atom (RFC 4287)",
            )
            return
        if name != "category":
            return
        parent = element.getparent()
        if parent is None or parent.tag != f"{P}categories":
            category_rule(self, element)  # those of app:categories: categories_rule
        scheme = element.get("scheme")
        if scheme is not None:
            _value(self, element, "scheme", scheme, IRI_REFERENCE)


def service_rule(checks: XmlChecks, service: etree._Element) -> None:
    """Section 8.3.1: one or more workspaces."""
    _attributes(checks, service, {})
    checks.only_elements(service, _shown(service))
    if not children(service, APP, "workspace"):
        checks.flag(service, "missing-element", f"{_shown(service)} needs an <app:workspace>")


def workspace_rule(checks: XmlChecks, workspace: etree._Element) -> None:
    """Section 8.3.2: an atom:title, then collections."""
    _attributes(checks, workspace, {})
    checks.only_elements(workspace, _shown(workspace))
    _title(checks, workspace)


def collection_rule(checks: XmlChecks, collection: etree._Element) -> None:
    """Section 8.3.3: an href (an IRI reference) and an atom:title."""
    _attributes(checks, collection, {"href": IRI_REFERENCE})
    if collection.get("href") is None:
        checks.flag(collection, "missing-element", f"{_shown(collection)} needs an href attribute")
    checks.only_elements(collection, _shown(collection))
    _title(checks, collection)


def accept_rule(checks: XmlChecks, accept: etree._Element) -> None:
    """Section 8.3.4: a comma-separated list of media ranges, or empty (nothing may be
    POSTed); text only."""
    _attributes(checks, accept, {})
    inner = [c for c in accept.iterchildren(etree.Element) if etree.QName(c).namespace != APP]
    for child in inner:
        checks.flag(child, "unknown-element", f"{_shown(accept)} holds text, not {_shown(child)}")
    if not inner:
        _value(checks, accept, "", accept.text or "", media_ranges)


def categories_rule(checks: XmlChecks, categories: etree._Element) -> None:
    """Sections 7.2.1 and 8.3.6: inline categories (fixed yes or no, a scheme, atom:category
    children), or out of line: an href to a category document, and then empty, with
    neither fixed nor scheme."""
    _attributes(
        checks, categories, {"fixed": yes_no, "scheme": IRI_REFERENCE, "href": IRI_REFERENCE}
    )
    shown = _shown(categories)
    if categories.get("href") is not None:
        for attribute in ("fixed", "scheme"):
            if categories.get(attribute) is not None:
                checks.flag(
                    categories,
                    "unknown-attribute",
                    f"{shown} with an href (out of line) may not carry {attribute}",
                )
        first = next(categories.iterchildren(etree.Element), None)
        if first is not None:  # one finding for all of them
            checks.flag(
                first,
                "unknown-element",
                f"{shown} with an href must be empty, not hold {_shown(first)}",
            )
        if stray_text(categories):
            checks.flag(categories, "unexpected-text", f"{shown} with an href must be empty")
        return
    for category in children(categories, ATOM, "category"):
        category_rule(checks, category)


def category_rule(checks: XmlChecks, category: etree._Element) -> None:
    """RFC 4287 4.2.2: an atom:category has a term (its scheme is checked with Atom's URIs)."""
    if category.get("term") is None:
        checks.flag(category, "missing-element", f"{_shown(category)} needs a term attribute")


RULES: Mapping[str, Rule] = {
    "service": service_rule,
    "workspace": workspace_rule,
    "collection": collection_rule,
    "accept": accept_rule,
    "categories": categories_rule,
}


def _title(checks: XmlChecks, parent: etree._Element) -> None:
    """Exactly one atom:title, a Text construct (RFC 4287 3.1)."""
    titles = children(parent, ATOM, "title")
    if not titles:
        checks.flag(parent, "missing-element", f"{_shown(parent)} needs an <atom:title>")
    for title in titles[1:]:
        checks.flag(title, "duplicate-element", f"{_shown(parent)} may have only one title")
    for title in titles[:1]:
        kind = title.get("type", "text")
        inner = next(title.iterchildren(etree.Element), None)
        if kind not in ("text", "html", "xhtml"):
            checks.flag(title, "bad-value", f'{_shown(title)} type is "text", "html" or "xhtml"')
        elif kind == "xhtml" and not children(title, XHTML, "div"):
            checks.flag(
                title, "missing-element", f'{_shown(title)} type="xhtml" needs an XHTML <div>'
            )
        elif kind != "xhtml" and inner is not None:
            checks.flag(
                inner,
                "unknown-element",
                f'{_shown(title)} type="{kind}" holds text, not {_shown(inner)}',
            )


def _attributes(checks: XmlChecks, element: etree._Element, allowed: Mapping[str, Check]) -> None:
    """Attributes without a namespace are the element's own (appendix B: undefinedAttribute
    leaves out local:*), each checked; namespaced ones are extensions."""
    for name, value in element.attrib.items():
        if str(name).startswith("{"):
            continue
        check = allowed.get(str(name))
        if check is None:
            checks.flag(
                element, "unknown-attribute", f"{_shown(element)} has no attribute {name!s}"
            )
        else:
            _value(checks, element, str(name), str(value), check)


def _value(
    checks: XmlChecks, element: etree._Element, attribute: str, value: str, check: Check
) -> None:
    problem = check(value)
    if problem is not None:
        what = f"{_shown(element)} {attribute}" if attribute else _shown(element)
        checks.flag(element, problem[0], f"{what}: {problem[1]}")


def _shown(element: etree._Element) -> str:
    """The element's name with the prefix RFC 5023 uses (app:, atom:), whatever the
    document's own prefixes."""
    name = etree.QName(element)
    prefix = {APP: "app:", ATOM: "atom:"}.get(name.namespace or "", "")
    return f"<{prefix}{name.localname}>"


__all__ = [
    "APP",
    "AppChecks",
    "P",
    "accept_rule",
    "categories_rule",
    "category_rule",
    "collection_rule",
]
