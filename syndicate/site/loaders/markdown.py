"""`*.md` records: YAML front matter and a Markdown body."""

from __future__ import annotations

import re

import yaml
from markdown_it import MarkdownIt

from syndicate.errors import Problem, RecordError
from syndicate.site.loaders.fields import raw_article_from_mapping
from syndicate.site.records import RawArticle, Source

# CSafeLoader where PyYAML was built with libyaml: the same rules, faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_TOP_KEY = re.compile(r"""^(["']?)([^\s:"'#][^:"']*)\1\s*:""")
_HEADING = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*(\n|\Z)")


def load_markdown(
    text: str, source: Source, fallback_id: str, warnings: list[Problem]
) -> RawArticle:
    """One Markdown record; raises `RecordError` naming the file, line and field."""
    metadata: object = {}
    content = text
    if text.startswith("---"):
        front, content = _split_front_matter(text, source)
        try:
            metadata = yaml.load(front, Loader=_SafeLoader) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            # The front matter starts on line 2, after the opening '---'.
            line = mark.line + 2 if mark is not None else 1
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise RecordError(
                f"front matter is not valid YAML: {problem}", file=source.file, line=line
            ) from None
        except (ValueError, OverflowError) as exc:  # e.g. the date 2026-02-30
            raise RecordError(
                f"front matter has a value YAML cannot read ({exc})", file=source.file, line=1
            ) from None
    if not isinstance(metadata, dict):
        raise RecordError("front matter must be a mapping of fields", file=source.file, line=2)
    metadata = {str(key): value for key, value in metadata.items()}
    key_lines = _key_lines(text)
    if not metadata.get("title"):
        heading = _HEADING.match(content)
        if heading:
            metadata["title"] = heading.group(1)
            content = content[heading.end() :]
    return raw_article_from_mapping(
        metadata,
        source=source,
        line_of=lambda key: key_lines.get(key, 1),
        body=_MARKDOWN.render(content),
        fallback_id=fallback_id,
        warnings=warnings,
    )


def _split_front_matter(text: str, source: Source) -> tuple[str, str]:
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise RecordError("the first line must be '---' alone", file=source.file, line=1)
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :])
    raise RecordError("front matter has no closing '---' line", file=source.file, line=1)


def _key_lines(text: str) -> dict[str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}
    found: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            break
        match = _TOP_KEY.match(line)
        if match:
            found.setdefault(match.group(2).strip(), number)
    return found
