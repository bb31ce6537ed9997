"""`*.json` (one record, or a list of records) and `*.jsonl` (one record per line)."""

from __future__ import annotations

import json
import re

from syndicate._util.text import slugify
from syndicate.errors import Problem, RecordError
from syndicate.site.loaders.fields import raw_article_from_mapping
from syndicate.site.records import RawArticle, Source


def load_json(
    text: str, file: str, stem: str, warnings: list[Problem]
) -> tuple[list[RawArticle], list[RecordError]]:
    """Records of a `.json` file: an object is one record, a list holds several."""
    start = _skip_space(text, 0)
    if text.startswith("[", start):
        elements = _array_elements(text, start, file)
        single = False
    else:
        value, end = _decode(text, start, file)
        if _skip_space(text, end) != len(text):
            raise _syntax_error("extra data after the record", text, end, file)
        elements = [(value, start, end)]
        single = True
        if not isinstance(value, dict):
            raise RecordError("a .json file must hold an object or a list of objects",
                              file=file, line=1)  # fmt: skip
    records: list[RawArticle] = []
    errors: list[RecordError] = []
    for item, begin, end in elements:
        source = Source(file, text.count("\n", 0, begin) + 1)
        try:
            records.append(_record(item, text, (begin, end), source, stem, single=single,
                                   warnings=warnings))  # fmt: skip
        except RecordError as exc:
            errors.append(exc)
    return records, errors


def _array_elements(text: str, start: int, file: str) -> list[tuple[object, int, int]]:
    """Each element of the top-level array with its start and end offsets."""
    elements: list[tuple[object, int, int]] = []
    index = _skip_space(text, start + 1)
    if text.startswith("]", index):
        return elements
    while True:
        value, end = _decode(text, index, file)
        elements.append((value, index, end))
        index = _skip_space(text, end)
        if text.startswith("]", index):
            if _skip_space(text, index + 1) != len(text):
                raise _syntax_error("extra data after the list", text, index + 1, file)
            return elements
        if not text.startswith(",", index):
            raise _syntax_error("expected ',' or ']'", text, index, file)
        index = _skip_space(text, index + 1)


_DECODER = json.JSONDecoder()


def _decode(text: str, index: int, file: str) -> tuple[object, int]:
    try:
        return _DECODER.raw_decode(text, index)
    except json.JSONDecodeError as exc:
        raise _syntax_error(exc.msg, text, exc.pos, file) from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise _syntax_error(str(exc).split(";")[0], text, index, file) from None


def _syntax_error(message: str, text: str, offset: int, file: str) -> RecordError:
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    return RecordError(f"invalid JSON: {message} (column {column})", file=file, line=line)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


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
            item, end = _decode(line, _skip_space(line, 0), file)
            if _skip_space(line, end) != len(line):
                raise _syntax_error("extra data after the record", line, end, file)
        except RecordError as exc:
            errors.append(RecordError(exc.message, file=file, line=number))
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
        title, url = item.get("title"), item.get("url")
        fallback = f"{stem}/{slugify(title) if isinstance(title, str) else ''}".rstrip("/")
        if isinstance(url, str) and url.strip():
            fallback = url.strip()
        elif not item.get("id"):
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
