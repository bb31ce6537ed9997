"""Turn one record's key/value mapping (front matter, JSON) into a `RawArticle`.

Shared by the Markdown and JSON loaders, so both accept the same keys with the
same types and report a bad value the same way: file, line, field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from email.utils import parsedate_to_datetime

from syndicate.errors import Problem, RecordError
from syndicate.site.records import RawArticle, RefKind, RelatedRef, Source

KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "url",
        "link",
        "section",
        "site",
        "published",
        "date",
        "updated",
        "authors",
        "author",
        "summary",
        "body",
        "content",
        "image",
        "image_alt",
        "tags",
        "related",
        "language",
    }
)
LineOf = Callable[[str], int | None]


def raw_article_from_mapping(
    data: object,
    *,
    source: Source,
    line_of: LineOf,
    body: str | None = None,
    fallback_id: str,
    warnings: list[Problem],
) -> RawArticle:
    """Validate `data` as one record; raise `RecordError` for the first bad field."""
    if not isinstance(data, Mapping):
        raise RecordError(
            f"a record must be an object of fields, not {_kind(data)}",
            file=source.file,
            line=source.line,
        )

    def fail(key: str, message: str) -> RecordError:
        return RecordError(message, file=source.file, line=line_of(key), field=key)

    for key in data:
        if not isinstance(key, str) or key not in KNOWN_KEYS:
            warnings.append(
                Problem(
                    "unknown field, ignored",
                    file=source.file,
                    line=line_of(str(key)),
                    field=str(key),
                )
            )

    def text(key: str) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise fail(key, f"must be text, not {_kind(value)}")
        return str(value)

    def text_list(key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of text")
        return tuple(v.strip() for v in value if v.strip())

    def when(key: str) -> datetime | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            raise fail(key, str(exc)) from None

    title = text("title")
    if title is None:
        raise fail("title", "missing or empty")
    if "author" in data and "authors" in data:
        raise fail("author", "give either author or authors, not both")
    authors = text_list("authors" if "authors" in data else "author")
    if body is None:
        body = text("body") or text("content") or ""

    image_url, image_alt = _image(data, fail)
    return RawArticle(
        source=source,
        title=title,
        body=body,
        id=text("id"),
        url=text("url") or text("link"),
        section=text("section"),
        site=text("site"),
        published=when("published") or when("date"),
        updated=when("updated"),
        authors=authors,
        summary=text("summary"),
        image_url=image_url,
        image_alt=image_alt,
        tags=text_list("tags"),
        related=_related(data.get("related"), fail),
        language=text("language"),
        field_lines=tuple(
            (str(key), line) for key in data if (line := line_of(str(key))) is not None
        ),
        fallback_id=fallback_id,
    )


def parse_date(value: object) -> datetime:
    """A date from YAML (date/datetime), ISO 8601 / RFC 3339 text or RFC 2822 text.

    A result without an offset stays naive: normalisation reads it in the site's zone.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        raw = value.strip()
        try:
            return datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            pass
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed
        raise ValueError(f"not a date: {value!r} (use ISO 8601, such as 2026-11-25T08:00:00Z)")
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"not a date: {value!r} (numbers are ambiguous; use ISO 8601)")
    raise ValueError(f"not a date: {_kind(value)}")


def _image(
    data: Mapping[str, object], fail: Callable[[str, str], RecordError]
) -> tuple[str | None, str | None]:
    value = data.get("image")
    alt = data.get("image_alt")
    if isinstance(value, Mapping):
        unknown = set(map(str, value)) - {"url", "alt", "src"}
        if unknown:
            raise fail("image", f"unknown key {sorted(unknown)[0]!r}; use url and alt")
        url = value.get("url", value.get("src"))
        alt = value.get("alt", alt)
    else:
        url = value
    if url is not None and not isinstance(url, str):
        raise fail("image", "must be a URL or an object with url and alt")
    if alt is not None and not isinstance(alt, str):
        raise fail("image", "alt must be text")
    if url is not None and not url.strip():
        url = None
    return url, alt


def _related(value: object, fail: Callable[[str, str], RecordError]) -> tuple[RelatedRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail("related", "must be a list of titles, URLs or {id|url|title: ...} objects")
    refs: list[RelatedRef] = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, str):
            if not item.strip():
                continue
            is_url = item.strip().startswith(("http://", "https://"))
            refs.append(RelatedRef("url" if is_url else "title", item.strip()))
            continue
        if isinstance(item, Mapping):
            label = item.get("title")
            kinds: tuple[RefKind, ...] = ("id", "url", "title")
            for kind in kinds:
                target = item.get(kind)
                if (
                    isinstance(target, str | int)
                    and not isinstance(target, bool)
                    and str(target).strip()
                ):
                    refs.append(
                        RelatedRef(
                            kind,
                            str(target).strip(),
                            label=label.strip() if isinstance(label, str) else None,
                        )
                    )
                    break
            else:
                raise fail("related", f"item {index} has none of id, url, title")
            continue
        raise fail("related", f"item {index} must be a title or an object, not {_kind(item)}")
    return tuple(refs)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", bool: "true/false", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"
