"""What validation finds: findings with stable codes, gathered per file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


E, W = Severity.ERROR, Severity.WARNING

# Every code `syndicate validate` can report, with its severity. The codes are an
# interface (scripts filter on them): add new ones, never rename or reuse one.
CODES: dict[str, tuple[Severity, str]] = {
    # Any file
    "unknown-format": (E, "not an RSS, Atom or JSON feed, nor a digest"),
    "not-well-formed": (E, "the XML is not well-formed"),
    "bad-json": (E, "the JSON does not parse"),
    "bad-encoding": (E, "the bytes are not valid in the document's encoding"),
    "unknown-encoding": (E, "the declared encoding is not one a reader knows"),
    "encoding-mismatch": (W, "the declared encoding and the byte order mark disagree"),
    # Feeds: structure
    "obsolete-format": (E, "a format no longer valid (Atom 0.3)"),
    "missing-element": (E, "a required element, attribute or key is missing"),
    "duplicate-element": (E, "an element that may appear once appears more than once"),
    "unknown-element": (E, "an element or key the format does not define, in its own namespace"),
    "schema-invalid": (E, "the Atom document breaks the RELAX NG schema of RFC 4287"),
    "duplicate-link": (E, "two Atom alternate links with the same type and hreflang"),
    "empty-element": (W, "an element that should carry text is empty"),
    # Feeds: values
    "bad-value": (E, "a value that is not of its element's type"),
    "bad-date": (E, "a date not in the format's date syntax (RFC 822, RFC 3339)"),
    "bad-url": (E, "a URL that is not well-formed"),
    "relative-url": (E, "a relative URL where the format requires an absolute one"),
    "bad-email": (E, "an email address or author that is not of the required form"),
    "duplicate-id": (E, "two items with the same id"),
    "bad-number": (E, "a number that is not of its type (whole, positive, decimal) or range"),
    "bad-boolean": (E, "a flag that is not one of its values (true/false, yes/no)"),
    "bad-mime-type": (E, "a value that is not a MIME type"),
    "bad-language": (E, "a value that is not a language code (RFC 5646, ISO 639)"),
    "bad-coordinate": (E, "a latitude, longitude or point that is out of range or malformed"),
    "bad-base64": (E, "content declared base64 that does not decode"),
    "too-long": (E, "a value longer than its vocabulary allows"),
    "unexpected-whitespace": (E, "spaces around a value where the format allows none"),
    "unexpected-text": (E, "text where the format allows only elements"),
    "unknown-attribute": (E, "an attribute the element does not define"),
    "duplicate-value": (E, "a value that may appear once appears twice"),
    "feed-history": (E, "paging or archive links that break RFC 5005 (feed history)"),
    "deprecated-dtd": (E, "a DOCTYPE whose DTD is no longer served (Netscape RSS 0.91)"),
    "unclear-feed-history": (
        W,
        "feed-history links readers may not follow (RFC 5005): an archive without a"
        " current link, a paging relation in an entry",
    ),
    "bad-namespace": (E, "a known vocabulary's namespace URI misspelt (Media RSS without its /)"),
    "missing-recommended": (W, "an element a podcast directory needs is missing (itunes:category)"),
    "obsolete-value": (W, "a value its vocabulary has retired (an old podcast category)"),
    # Feeds: what readers stumble on
    "reader-error": (E, "a feed reader (feedparser) flags the document"),
    "reader-entity": (W, "a feed reader (feedparser) does not expand an entity of the DTD"),
    "unknown-namespace": (W, "an element in a namespace that is not a known extension"),
    "unknown-key": (W, "a JSON Feed key that is neither defined nor an _extension"),
    "missing-self-link": (W, "no link to the feed's own URL (atom:link rel=self)"),
    "guid-looks-like-permalink": (W, 'a guid marked isPermaLink="false" that is a web URL'),
    "html-in-title": (W, "markup in a title, which readers show as text"),
    "missing-date": (W, "an entry without a date"),
    "implausible-date": (W, "a date far in the past or the future"),
    "misplaced-element": (
        W,
        "an Atom element where RFC 4287 does not put it (a summary in a feed)",
    ),
    "duplicate-entry": (W, "two Atom entries with the same id"),
    "relative-reference": (W, "a relative link that readers must resolve themselves"),
    "feed-too-large": (W, "a feed larger than readers fetch"),
    # Digests
    "mjml-error": (E, "the MJML does not compile"),
    "gmail-clipping": (W, "the HTML is over the size at which Gmail clips a message"),
    "missing-alt": (E, "an image without alt text"),
    "missing-unsubscribe": (E, "no unsubscribe link or List-Unsubscribe headers"),
    "unfilled-placeholder": (E, "a template placeholder left in the output"),
    "missing-text-part": (E, "a message without a text/plain part"),
    "missing-html-part": (E, "a message without a text/html part"),
    "missing-subject": (E, "a message without a subject"),
    "missing-preheader": (W, "an HTML digest without a preheader"),
    "long-line": (E, "a line over the 998 bytes that RFC 5322 allows"),
    "bad-header": (E, "a message header that is malformed"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def as_json(self) -> dict[str, str | int | None]:
        return {
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }


@dataclass
class FileReport:
    """The findings of one file. `kind` is what the file was found to be."""

    path: str
    kind: str
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, code: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        if code not in CODES:
            raise KeyError(f"unknown validation code {code!r}")
        self.findings.append(Finding(code, message, line, column))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def passes(self, *, strict: bool = False) -> bool:
        return not self.findings if strict else self.valid

    def as_json(self, *, strict: bool = False) -> dict[str, object]:
        """`valid` as the run judged it: with `strict`, a warning makes a file invalid."""
        return {
            "path": self.path,
            "kind": self.kind,
            "valid": self.passes(strict=strict),
            "errors": [f.as_json() for f in sorted(self.errors, key=_position)],
            "warnings": [f.as_json() for f in sorted(self.warnings, key=_position)],
        }


def _position(finding: Finding) -> tuple[int, int]:
    return (finding.line or 0, finding.column or 0)
