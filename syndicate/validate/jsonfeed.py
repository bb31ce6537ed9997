"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/)."""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import datetime
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any, cast

from syndicate.validate.report import FileReport
from syndicate.validate.values import has_markup, implausible, rfc3339_date, url_problem

VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
FEED_KEYS = {
    "version", "title", "home_page_url", "feed_url", "description", "user_comment",
    "next_url", "icon", "favicon", "author", "authors", "language", "expired", "hubs", "items",
}  # fmt: skip
ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary",
    "image", "banner_image", "date_published", "date_modified", "author", "authors", "tags",
    "language", "attachments",
}  # fmt: skip
FEED_URLS = ("home_page_url", "feed_url", "next_url", "icon", "favicon")
ITEM_URLS = ("url", "external_url", "image", "banner_image")
STRINGS = ("title", "description", "user_comment", "language", "summary", "content_html")
ATTACHMENT_KEYS = {"url", "mime_type", "title", "size_in_bytes", "duration_in_seconds"}


class _PositionDecoder(json.JSONDecoder):
    """json's own pure-Python scanner, noting where each object starts and ends."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: dict[int, tuple[int, int]] = {}
        self.containers: list[tuple[int, int]] = []  # every object and array
        self.keep: list[object] = []  # holds the objects, so that their ids stay theirs
        parse_object = cast("Callable[..., tuple[object, int]]", self.__dict__["parse_object"])
        parse_array = cast("Callable[..., tuple[object, int]]", self.__dict__["parse_array"])

        def noting(state: tuple[str, int], *args: Any) -> tuple[object, int]:
            value, end = parse_object(state, *args)
            self.spans[id(value)] = (state[1] - 1, end)
            self.containers.append((state[1] - 1, end))
            self.keep.append(value)
            return value, end

        def noting_array(state: tuple[str, int], *args: Any) -> tuple[object, int]:
            value, end = parse_array(state, *args)
            self.containers.append((state[1] - 1, end))
            return value, end

        self.parse_object = noting
        self.parse_array = noting_array
        self.parse_constant = _not_json
        self.scan_once = py_make_scanner(self)


def _not_json(name: str) -> object:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no such number)")


def read_json(content: bytes, report: FileReport) -> tuple[Any, JsonPlaces] | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = content[: exc.start].decode("utf-8", errors="replace")
        report.add(
            "bad-encoding",
            f"byte {content[exc.start]:#04x} is not valid UTF-8, which JSON Feed requires",
            before.count("\n") + 1,
            len(before) - before.rfind("\n"),
        )
        return None
    decoder = _PositionDecoder()
    try:
        document, end = decoder.raw_decode(text, len(text) - len(text.lstrip()))
        if text[end:].strip():
            raise json.JSONDecodeError("extra data after the JSON value", text, end)
    except json.JSONDecodeError as exc:
        report.add("bad-json", exc.msg, exc.lineno, exc.colno)
        return None
    except RecursionError:
        report.add("bad-json", "nested too deeply to read", 1, 1)
        return None
    except ValueError as exc:  # NaN and Infinity, an integer of thousands of digits
        report.add("bad-json", str(exc), 1, 1)
        return None
    return document, JsonPlaces(text, decoder.spans, decoder.containers, decoder.keep)


class JsonPlaces:
    def __init__(
        self,
        text: str,
        spans: dict[int, tuple[int, int]],
        containers: list[tuple[int, int]],
        keep: list[object],
    ) -> None:
        self.text = text
        self.spans = spans
        self.containers = sorted(containers)
        self.starts = [s for s, _ in self.containers]
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.keep = keep

    def of(self, value: object, key: str | None = None) -> tuple[int | None, int | None]:
        """The line and column of an object, or of one of its own keys (not a key of
        an object nested in it)."""
        span = self.spans.get(id(value))
        if span is None:
            return None, None
        start, end = span
        if key is not None:
            first, last = bisect_right(self.starts, start), bisect_left(self.starts, end)
            nested = self.containers[first:last]
            pattern = re.compile(rf'"{re.escape(json.dumps(key)[1:-1])}"\s*:')
            for found in pattern.finditer(self.text, start, end):
                if not any(s <= found.start() < e for s, e in nested):
                    start = found.start()
                    break
        line = bisect_right(self.line_starts, start)
        return line, start - self.line_starts[line - 1] + 1


def looks_like_json_feed(document: object) -> bool:
    return isinstance(document, dict) and str(document.get("version", "")).startswith(
        ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
    )


class JsonFeedChecks:
    def __init__(
        self, document: dict[str, Any], places: JsonPlaces, report: FileReport, now: datetime
    ) -> None:
        self.document = document
        self.places = places
        self.report = report
        self.now = now

    def flag(self, where: object, key: str | None, code: str, message: str) -> None:
        line, column = self.places.of(where, key)
        self.report.add(code, message, line, column)

    def check(self) -> None:
        feed = self.document
        version = feed.get("version")
        if version not in VERSIONS:
            self.flag(feed, "version", "bad-value", f"version {version!r} is not one of {VERSIONS}")
        self.keys(feed, FEED_KEYS, "the feed")
        self.string(feed, "title", "the feed", required=True)
        for key in ("description", "user_comment", "language"):
            self.string(feed, key, "the feed")
        for key in FEED_URLS:
            self.url(feed, key, "the feed")
        if "feed_url" not in feed:
            self.flag(feed, None, "missing-self-link", "no feed_url: the feed's own URL")
        if "expired" in feed and not isinstance(feed["expired"], bool):
            self.flag(feed, "expired", "bad-value", "expired is true or false")
        self.authors(feed, "the feed")
        for hub in self.array(feed, "hubs", "the feed"):
            if not isinstance(hub, dict) or not isinstance(hub.get("type"), str):
                self.flag(hub, None, "missing-element", "a hub needs a type and a url")
            elif not isinstance(hub.get("url"), str):
                self.flag(hub, None, "missing-element", "a hub needs a url")
            else:
                self.url(hub, "url", "a hub")
        if "items" not in feed:
            self.flag(feed, None, "missing-element", "the feed needs items (a list)")
            return
        items = self.array(feed, "items", "the feed")
        seen: set[str] = set()
        for index, item in enumerate(items):
            where = f"item {index + 1}"
            if not isinstance(item, dict):
                self.flag(feed, "items", "bad-value", f"{where} is not an object")
                continue
            self.item(item, where)
            identifier = item.get("id")
            if isinstance(identifier, str) and identifier:
                if identifier in seen:
                    self.flag(item, "id", "duplicate-id", f"two items have the id {identifier!r}")
                seen.add(identifier)

    def item(self, item: dict[str, Any], where: str) -> None:
        self.keys(item, ITEM_KEYS, where)
        identifier = item.get("id")
        if "id" not in item:
            self.flag(item, None, "missing-element", f"{where} needs an id")
        elif not isinstance(identifier, str) or not identifier.strip():
            self.flag(item, "id", "bad-value", f"{where}: id is a non-empty string")
        if not isinstance(item.get("content_html"), str) and not isinstance(
            item.get("content_text"), str
        ):
            self.flag(item, None, "missing-element", f"{where} needs content_html or content_text")
        for key in STRINGS:
            self.string(item, key, where)
        self.string(item, "content_text", where)
        if isinstance(item.get("title"), str) and has_markup(item["title"]):
            self.flag(item, "title", "html-in-title", f"{where}: the title holds markup")
        for key in ITEM_URLS:
            self.url(item, key, where)
        for key in ("date_published", "date_modified"):
            if key in item:
                self.date(item, key, where)
        if "date_published" not in item:
            self.flag(item, None, "missing-date", f"{where} has no date_published")
        for tag in self.array(item, "tags", where):
            if not isinstance(tag, str):
                self.flag(item, "tags", "bad-value", f"{where}: tags are strings")
                break
        self.authors(item, where)
        for attachment in self.array(item, "attachments", where):
            self.attachment(attachment, where)

    def attachment(self, attachment: object, where: str) -> None:
        if not isinstance(attachment, dict):
            return
        self.keys(attachment, ATTACHMENT_KEYS, f"{where}: an attachment")
        for key in ("url", "mime_type"):
            if key not in attachment:
                self.flag(
                    attachment, None, "missing-element", f"{where}: an attachment needs {key}"
                )
        self.url(attachment, "url", f"{where}: an attachment")
        for key in ("size_in_bytes", "duration_in_seconds"):
            value = attachment.get(key)
            if key in attachment and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                self.flag(attachment, key, "bad-value", f"{where}: {key} is a number")

    def authors(self, owner: dict[str, Any], where: str) -> None:
        people = list(self.array(owner, "authors", where))
        if "author" in owner:
            people.append(owner["author"])
        for person in people:
            if not isinstance(person, dict) or not {"name", "url", "avatar"} & person.keys():
                self.flag(person if isinstance(person, dict) else owner, None, "bad-value",
                          f"{where}: an author has a name, url or avatar")  # fmt: skip
                continue
            self.string(person, "name", f"{where}: an author")
            for key in ("url", "avatar"):
                self.url(person, key, f"{where}: an author")

    def keys(self, owner: dict[str, Any], known: set[str], where: str) -> None:
        for key in owner:
            if key not in known and not key.startswith("_"):
                self.flag(owner, key, "unknown-key", f"{where}: {key!r} is not a JSON Feed key")

    def array(self, owner: dict[str, Any], key: str, where: str) -> list[Any]:
        value = owner.get(key, [])
        if not isinstance(value, list):
            self.flag(owner, key, "bad-value", f"{where}: {key} is a list")
            return []
        return value

    def string(self, owner: dict[str, Any], key: str, where: str, required: bool = False) -> None:
        if key not in owner:
            if required:
                self.flag(owner, None, "missing-element", f"{where} needs a {key}")
            return
        if not isinstance(owner[key], str):
            self.flag(owner, key, "bad-value", f"{where}: {key} is a string")

    def url(self, owner: dict[str, Any], key: str, where: str) -> None:
        if key not in owner:
            return
        value = owner[key]
        if not isinstance(value, str):
            self.flag(owner, key, "bad-value", f"{where}: {key} is a URL string")
            return
        problem = url_problem(value, absolute=True)
        if problem is not None:
            self.flag(owner, key, problem[0], f"{where}: {key}: {problem[1]}")

    def date(self, owner: dict[str, Any], key: str, where: str) -> None:
        value = owner[key]
        moment = rfc3339_date(value, strict_case=False) if isinstance(value, str) else "not text"
        if isinstance(moment, str):
            self.flag(owner, key, "bad-date", f"{where}: {key}: {moment}: {value!r}")
        elif implausible(moment, self.now):
            self.flag(owner, key, "implausible-date", f"{where}: {key}: {value!r}")
