"""Extension vocabularies that feeds carry (podcasts, Media RSS, GeoRSS, threading, feed
history, ...), each checked by the table of its elements in its own module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import Check
from syndicate.validate.extensions import (
    app,
    dublincore,
    feedburner,
    geo,
    history,
    itunes,
    media,
    misc,
    opensearch,
    rss1_modules,
    sharing,
    threading,
)
from syndicate.validate.extensions.vocabulary import (
    ANYWHERE,
    Element,
    Vocabulary,
    place,
    shown_name,
)

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

VOCABULARIES: tuple[Vocabulary, ...] = (
    *app.VOCABULARIES,
    *dublincore.VOCABULARIES,
    *feedburner.VOCABULARIES,
    *geo.VOCABULARIES,
    *history.VOCABULARIES,
    *itunes.VOCABULARIES,
    *media.VOCABULARIES,
    *misc.VOCABULARIES,
    *opensearch.VOCABULARIES,
    *rss1_modules.VOCABULARIES,
    *sharing.VOCABULARIES,
    *threading.VOCABULARIES,
)
BY_NAMESPACE: dict[str, Vocabulary] = {
    namespace: vocabulary for vocabulary in VOCABULARIES for namespace in vocabulary.namespaces
}


def check_extensions(checks: XmlChecks) -> None:
    """Every element of a known vocabulary in the document, by its vocabulary's table."""
    used = {id(vocabulary): vocabulary for vocabulary in VOCABULARIES if vocabulary.always}
    for element in checks.document.root.iter(etree.Element):
        # Attributes count as use: RFC 4685's thr:count and thr:updated stand on Atom links.
        for name in element.attrib:
            if str(name).startswith("{"):
                qualified = etree.QName(name)
                owner = BY_NAMESPACE.get(qualified.namespace or "")
                if owner is None:
                    continue
                used.setdefault(id(owner), owner)
                if owner.attributes is not None and qualified.localname not in owner.attributes:
                    checks.flag(
                        element,
                        "unknown-attribute",
                        f"{shown_name(element)} has an attribute its namespace does not define: "
                        f"{qualified.localname}",
                    )
        vocabulary = BY_NAMESPACE.get(etree.QName(element).namespace or "")
        if vocabulary is None:
            continue
        used.setdefault(id(vocabulary), vocabulary)
        _element(checks, vocabulary, element)
    for vocabulary in used.values():
        if vocabulary.document is not None:
            vocabulary.document(checks, checks.document.root)


def _element(checks: XmlChecks, vocabulary: Vocabulary, element: etree._Element) -> None:
    name = shown_name(element)
    spec = vocabulary.elements.get(etree.QName(element).localname)
    if spec is None:
        checks.flag(element, "unknown-element", f"{name} is not defined in its namespace")
        return
    where = place(element)
    if spec.within is not ANYWHERE and where not in spec.within:
        checks.flag(element, "unknown-element", f"{name} {_misplaced(spec, where)}")
        return
    if spec.once and _repeated(element):
        checks.flag(element, "duplicate-element", f"{name} may appear only once here")
    _attributes(checks, spec, element, name)
    if spec.holds_elements:
        checks.only_elements(element, name)
    elif spec.text is not None:
        _value(checks, element, spec.text, name)
    if spec.rule is not None:
        spec.rule(checks, element)


def _value(checks: XmlChecks, element: etree._Element, check: Check, name: str) -> None:
    inner = next(element.iterchildren(etree.Element), None)
    if inner is not None:
        checks.flag(inner, "unknown-element", f"{name} holds text, not {shown_name(inner)}")
        return
    problem = check(element.text or "")
    if problem is not None:
        checks.flag(element, problem[0], f"{name}: {problem[1]}")


def _attributes(checks: XmlChecks, spec: Element, element: etree._Element, name: str) -> None:
    for attribute in spec.required:
        if element.get(attribute) is None:
            checks.flag(element, "missing-element", f"{name} needs a {attribute} attribute")
    # An element that defines no attribute is left alone, as the W3C validator leaves
    # it, outside RSS 1.0 (where RDF gives every attribute a meaning).
    if spec.attributes is None or (not spec.attributes and checks.report.kind != "rdf"):
        return
    for key, value in element.attrib.items():
        attribute = str(key)
        if attribute.startswith("{"):
            continue  # namespaced attributes (xml:lang, rdf:about) are another vocabulary's
        if attribute not in spec.attributes:
            checks.flag(element, "unknown-attribute", f"{name} has no attribute {attribute!s}")
            continue
        check = spec.attributes[str(attribute)]
        problem = None if check is None else check(str(value))
        if problem is not None:
            checks.flag(element, problem[0], f"{name} {attribute!s}: {problem[1]}")


def _repeated(element: etree._Element) -> bool:
    """Whether an earlier sibling has the same name (the second and later are flagged)."""
    return any(sibling.tag == element.tag for sibling in element.itersiblings(preceding=True))


def _misplaced(spec: Element, where: str) -> str:
    places = sorted(
        {
            {"feed": "the channel or feed", "item": "an item or entry"}.get(
                p, f"<{etree.QName(p).localname}>"
            )
            for p in spec.within
        }
    )
    here = {"feed": "the channel or feed", "item": "an item or entry"}.get(
        where, f"<{etree.QName(where).localname}>" if where else "the root"
    )
    return f"belongs in {' or '.join(places)}, not in {here}"


__all__ = ["BY_NAMESPACE", "Element", "Vocabulary", "check_extensions"]
