"""Dublin Core: the fifteen elements (https://www.dublincore.org/specifications/dublin-core/dces/)
and the DCMI metadata terms (https://www.dublincore.org/specifications/dublin-core/dcmi-terms/),
as RSS 1.0's mod_dc and feeds of every format carry them. Dates are W3C-DTF, languages
RFC 5646 codes; an element that describes the resource once (its title, date, language)
may appear once where it stands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import language
from syndicate.validate.extensions.vocabulary import ANYWHERE, Element, Vocabulary, shown_name
from syndicate.validate.values import w3cdtf_date

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"


def _date(checks: XmlChecks, element: etree._Element) -> None:
    checks.date(element, w3cdtf_date, shown_name(element))


_FREE = Element(within=ANYWHERE, attributes=None)
_ONCE = Element(within=ANYWHERE, attributes=None, once=True)
_DATE = Element(within=ANYWHERE, attributes=None, once=True, rule=_date)

ELEMENTS = {
    "title": _ONCE, "creator": _FREE, "subject": _FREE, "description": _ONCE,
    "publisher": _FREE, "contributor": _FREE, "date": _DATE, "type": _ONCE, "format": _ONCE,
    "identifier": _FREE, "source": _ONCE, "relation": _FREE, "coverage": _FREE, "rights": _ONCE,
    "language": Element(within=ANYWHERE, attributes=None, once=True, text=language),
}  # fmt: skip

# Every DCMI term: the fifteen again (as dcterms: properties), and the refinements.
TERMS = dict(ELEMENTS) | {
    name: _FREE
    for name in (
        "alternative", "tableOfContents", "valid", "available", "dateAccepted", "dateCopyrighted",
        "dateSubmitted", "extent", "medium", "isVersionOf", "hasVersion", "isReplacedBy",
        "replaces", "isRequiredBy", "requires", "isPartOf", "hasPart", "isReferencedBy",
        "references", "isFormatOf", "hasFormat", "conformsTo", "spatial", "temporal", "audience",
        "mediator", "accessRights", "accrualMethod", "accrualPeriodicity", "accrualPolicy",
        "bibliographicCitation", "educationLevel", "instructionalMethod", "license", "provenance",
        "rightsHolder",
    )
} | {
    "abstract": _ONCE, "created": _DATE, "issued": _DATE, "modified": _DATE,
}  # fmt: skip

VOCABULARIES = (
    Vocabulary((DC,), ELEMENTS),
    Vocabulary((DCTERMS,), TERMS),
)
