"""`*.json` (one record, or a list of records) and `*.jsonl` (one record per line)."""

from __future__ import annotations

import json
import re

from syndicate.errors import Problem, RecordError
from syndicate.loaders.fields import raw_article_from_mapping
from syndicate.records import RawArticle, Source
from syndicate.text import slugify


def load_json(
    text: str, file: str, stem: str, warnings: list[Problem]
) -> tuple[list[RawArticle], list[RecordError]]:
    """Records of a `.json` file: an object is one record, a list holds several."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
        ) from None
    if isinstance(data, dict):
        spans = [(0, len(text))]
        items: list[object] = [data]
    elif isinstance(data, list):
        spans = _element_spans(text)
        items = data
        if len(spans) != len(items):  # scalars in the list: no reliable positions
            spans = [(0, len(text))] * len(items)
    else:
        raise RecordError(
            "a .json file must hold an object or a list of objects", file=file, line=1
        )
    records: list[RawArticle] = []
    errors: list[RecordError] = []
    for index, item in enumerate(items):
        start, end = spans[index] if index < len(spans) else (0, len(text))
        line = text.count("\n", 0, start) + 1
        try:
            records.append(
                _record(
                    item,
                    text,
                    (start, end),
                    Source(file, line),
                    stem,
                    single=isinstance(data, dict),
                    warnings=warnings,
                )
            )
        except RecordError as exc:
            errors.append(exc)
    return records, errors


def load_jsonl(
    text: str, file: str, stem: str, warnings: list[Problem]
) -> tuple[list[RawArticle], list[RecordError]]:
    """Records of a `.jsonl` file; a bad line is one error, the other lines still load."""
    records: list[RawArticle] = []
    errors: list[RecordError] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(
                RecordError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=file, line=number)
            )
            continue
        try:
            records.append(
                _record(
                    item,
                    line,
                    (0, len(line)),
                    Source(file, number),
                    stem,
                    single=False,
                    warnings=warnings,
                )
            )
        except RecordError as exc:
            errors.append(exc)
    return records, errors


def _record(
    item: object,
    text: str,
    span: tuple[int, int],
    source: Source,
    stem: str,
    *,
    single: bool,
    warnings: list[Problem],
) -> RawArticle:
    def line_of(key: str) -> int | None:
        match = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, span[0], span[1])
        offset = 0 if source.line is None else source.line - 1 - text.count("\n", 0, span[0])
        return source.line if match is None else text.count("\n", 0, match.start()) + 1 + offset

    fallback = stem
    if not single and isinstance(item, dict):
        title = item.get("title")
        fallback = f"{stem}/{slugify(title) if isinstance(title, str) else ''}".rstrip("/")
        if not item.get("id") and not item.get("url"):
            warnings.append(
                Problem(
                    f"no id or url: its id {fallback!r} comes from the title and changes "
                    "if the title is edited; give it an id",
                    file=source.file,
                    line=source.line,
                    field="id",
                )
            )
    return raw_article_from_mapping(
        item, source=source, line_of=line_of, fallback_id=fallback, warnings=warnings
    )


def _element_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of each element of a top-level JSON array."""
    spans: list[tuple[int, int]] = []
    depth = 0
    in_string = escaped = False
    start = 0
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth == 2:
                start = offset
        elif char in "]}":
            if depth == 2:
                spans.append((start, offset + 1))
            depth -= 1
    return spans
