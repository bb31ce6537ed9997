"""Places: GeoRSS Simple and GML (https://www.ogc.org/standard/georss/), the W3C WGS84
vocabulary (https://www.w3.org/2003/01/geo/), and the older ICBM and GeoURL elements.

W3C Geo, ICBM and GeoURL give a latitude (-90 to 90) and a longitude (-180 to 180) in
decimal degrees; GeoRSS and GML a point, line or polygon as pairs of numbers separated
by spaces."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import Problem, decimal, integer, latitude, longitude
from syndicate.validate.extensions.vocabulary import ANYWHERE, Element, Vocabulary, shown_name

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

GEORSS = "http://www.georss.org/georss"
GML = "http://www.opengis.net/gml"
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"
ICBM = "http://postneo.com/icbm"
GEOURL = "http://geourl.org/rss/module/"

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")


def coordinates(value: str, *, pairs: int | None = None, at_least: int = 1) -> Problem | None:
    """Pairs of numbers separated by spaces (GeoRSS Simple, GML): exactly `pairs` of
    them, or at least `at_least`. Their range is not checked, as the W3C validator does
    not: GML's axis order depends on the reference system."""
    numbers = value.split()
    if not numbers or len(numbers) % 2 or not all(_NUMBER.fullmatch(n) for n in numbers):
        return ("bad-coordinate", f"not pairs of 'latitude longitude' numbers: {value.strip()!r}")
    count = len(numbers) // 2
    if (pairs is not None and count != pairs) or count < at_least:
        wanted = f"{pairs}" if pairs is not None else f"at least {at_least}"
        return ("bad-coordinate", f"{count} points where {wanted} belong: {value.strip()!r}")
    return None


def point(value: str) -> Problem | None:
    # GML and some GeoRSS writers put a comma between latitude and longitude.
    return coordinates(value.replace(",", " "), pairs=1)


def line(value: str) -> Problem | None:
    return coordinates(value, at_least=2)


def box(value: str) -> Problem | None:
    return coordinates(value, pairs=2)


def _wgs84_point(checks: XmlChecks, element: etree._Element) -> None:
    for name in ("lat", "long"):
        if element.find(f"{{{WGS84}}}{name}") is None:
            checks.flag(element, "missing-element", f"{shown_name(element)} needs a <geo:{name}>")


_TEXT = Element(within=ANYWHERE)
_SIMPLE = {
    "point": Element(within=ANYWHERE, text=point, attributes=None),
    "line": Element(within=ANYWHERE, text=line, attributes=None),
    "polygon": Element(within=ANYWHERE, text=line, attributes=None),
    "box": Element(within=ANYWHERE, text=box, attributes=None),
    "where": Element(within=ANYWHERE, holds_elements=True),
    "featureTypeTag": _TEXT,
    "relationshipTag": _TEXT,
    "featureName": _TEXT,
    "elev": Element(within=ANYWHERE, text=decimal),
    "floor": Element(within=ANYWHERE, text=integer),
    "radius": Element(within=ANYWHERE, text=decimal),
}
_SHAPE = {"srsName": None, "srsDimension": None, "gid": None}
_IN_GML = ANYWHERE
_GML = {
    "Point": Element(within=_IN_GML, holds_elements=True, attributes=_SHAPE),
    "LineString": Element(within=_IN_GML, holds_elements=True, attributes=_SHAPE),
    "Polygon": Element(within=_IN_GML, holds_elements=True, attributes=_SHAPE),
    "Envelope": Element(within=_IN_GML, holds_elements=True, attributes=_SHAPE),
    "exterior": Element(within=frozenset({f"{{{GML}}}Polygon"}), holds_elements=True),
    "interior": Element(within=frozenset({f"{{{GML}}}Polygon"}), holds_elements=True),
    "LinearRing": Element(within=_IN_GML, holds_elements=True, attributes=_SHAPE),
    "pos": Element(within=frozenset({f"{{{GML}}}Point"}), text=point, attributes=_SHAPE),
    "posList": Element(
        within=frozenset({f"{{{GML}}}LineString", f"{{{GML}}}LinearRing"}),
        text=line,
        attributes=_SHAPE,
    ),
    "lowerCorner": Element(within=frozenset({f"{{{GML}}}Envelope"}), text=point),
    "upperCorner": Element(within=frozenset({f"{{{GML}}}Envelope"}), text=point),
}
_WGS84 = {
    "Point": Element(within=ANYWHERE, attributes=None, rule=_wgs84_point),
    "SpatialThing": Element(within=ANYWHERE, attributes=None),
    "lat": Element(within=ANYWHERE, attributes=None, once=True, text=latitude),
    "long": Element(within=ANYWHERE, attributes=None, once=True, text=longitude),
    "alt": Element(within=ANYWHERE, attributes=None, once=True, text=decimal),
    "lat_long": Element(within=ANYWHERE, attributes=None),
    "location": Element(within=ANYWHERE, attributes=None),
}
_LATITUDE_LONGITUDE = {
    "latitude": Element(within=ANYWHERE, once=True, text=latitude),
    "longitude": Element(within=ANYWHERE, once=True, text=longitude),
}

VOCABULARIES = (
    Vocabulary((GEORSS,), _SIMPLE),
    Vocabulary((GML,), _GML),
    Vocabulary((WGS84,), _WGS84),
    Vocabulary((ICBM, GEOURL), _LATITUDE_LONGITUDE),
)
