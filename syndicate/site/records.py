"""Article records: frozen, typed values passed between the stages.

`RawArticle` is what a loader read from one file, untrusted and incomplete;
`Article` is what normalisation made of it: every field present, URLs absolute,
text plain, HTML sanitised.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from syndicate._util.pickling import pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: a path relative to `articles/`, and a line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Image:
    url: str
    alt: str


RefKind = Literal["id", "url", "title"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RelatedRef:
    """A record's reference to another article, as written: by id, URL or title."""

    kind: RefKind
    value: str
    # A title to show when the reference is by id or URL and resolves to nothing.
    label: str | None = None
    line: int | None = None  # where the file names it, where known


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A resolved related post; `url` and `id` are None where nothing matched."""

    title: str
    url: str | None
    id: str | None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RawArticle:
    """One record as a loader found it. Only `title` is guaranteed."""

    source: Source
    title: str
    body: str = ""  # HTML, not yet sanitised
    id: str | None = None
    url: str | None = None
    section: str | None = None
    site: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    summary: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    tags: tuple[str, ...] = ()
    related: tuple[RelatedRef, ...] = ()
    language: str | None = None  # the record's own language tag, where it gives one
    # Line of each field in the file, so that later errors can point at it.
    field_lines: tuple[tuple[str, int], ...] = ()
    # An id made from the file's place when the record names none.
    fallback_id: str = ""
    # The first folder under articles/ ("" for a file at its top): a default section.
    folder: str = ""

    def line_of(self, name: str) -> int | None:
        return dict(self.field_lines).get(name, self.source.line)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Article:
    """A normalised article: what feeds, digests and `articles --json` use."""

    id: str
    title: str
    url: str
    slug: str
    section: str
    site: str
    published: datetime
    updated: datetime
    authors: tuple[str, ...]
    summary: str
    body: str
    image: Image | None
    tags: tuple[str, ...]
    related: tuple[RelatedLink, ...]
    source: Source
    first_seen: datetime = field(compare=False)
    # The language the story is written in: the record's own, else the site's.
    language: str = "en"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "site": self.site,
            "url": self.url,
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat(),
            "authors": list(self.authors),
            "summary": self.summary,
            "body": self.body,
            "image": None if self.image is None else {"url": self.image.url, "alt": self.image.alt},
            "tags": list(self.tags),
            "language": self.language,
            "source": {"file": self.source.file, "line": self.source.line},
            "related": [{"title": r.title, "url": r.url, "id": r.id} for r in self.related],
        }


def article_fingerprint(article: Article) -> bytes:
    """A hash of every field of an article: equal fingerprints, equal articles (and so
    equal feed entries). The repr of a frozen dataclass of strings, numbers, tuples
    and datetimes is the same from run to run."""
    return hashlib.blake2b(repr(article).encode("utf-8", "surrogatepass"), digest_size=16).digest()
