"""Small builders of test data: write only what a test is about."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syndicate._store.identities import Identities, in_memory
from syndicate.settings import SiteSettings
from syndicate.site.records import Article, Image, RawArticle, RelatedRef, Source

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def raw_article(title: str = "A Story", **fields: Any) -> RawArticle:
    """A loaded record; `file` sets the source path (default: one per title)."""
    file = fields.pop("file", f"articles/world/{title.lower().replace(' ', '-')}.md")
    line = fields.pop("line", 1)
    relative = file.removeprefix("articles/")
    fields.setdefault("fallback_id", relative.rsplit(".", 1)[0])
    fields.setdefault("folder", relative.split("/", 1)[0] if "/" in relative else "")
    fields.setdefault("body", "<p>Body.</p>")
    related = fields.pop("related", ())
    fields["related"] = tuple(
        r if isinstance(r, RelatedRef) else RelatedRef("title", r) for r in related
    )
    return RawArticle(source=Source(file, line), title=title, **fields)


def site_settings(**fields: Any) -> SiteSettings:
    fields.setdefault("base_url", "https://news.example.com/")
    return SiteSettings(**fields)


def frozen_first_seen(moment: datetime = NOW) -> Identities:
    """Identities for normalise() that are kept nowhere: every id first seen at `moment`."""
    return in_memory(moment)


def markdown_record(front: Mapping[str, Any], body: str = "Some text.") -> str:
    lines = ["---"]
    for key, value in front.items():
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines += ["---", body]
    return "\n".join(lines) + "\n"


def scraped_page(
    headline: str,
    section: str = "World",
    site: str = "news.example.com",
    paragraphs: Sequence[str] = ("First paragraph.",),
    related: Sequence[str] = (),
    footer: str = "We use cookies on this site. Accept Read More",
) -> str:
    parts = [f"{headline} | {section} | {site}", "", headline, "", headline, ""]
    for paragraph in paragraphs:
        parts += [paragraph, ""]
    if related:
        parts += ["Related posts", ""]
        for title in related:
            parts += [title, ""]
    parts += ["", footer]
    return "\n".join(parts)


def write_site(root: Path, files: Mapping[str, str | bytes], config: str | None = None) -> Path:
    """A site folder: `files` maps paths under `articles/` to their contents."""
    (root / "articles").mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "syndicate.toml").write_text(config, "utf-8")
    for name, content in files.items():
        path = root / "articles" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    return root


def article(title: str = "A Story", **fields: Any) -> Article:
    """A normalised article, as the feed and digest builders receive it."""
    number = fields.pop("number", 1)
    article_id = fields.pop("id", f"world/story-{number}")
    published = fields.pop("published", NOW - timedelta(hours=number))
    defaults: dict[str, Any] = {
        "url": f"https://news.example.com/world/story-{number}/",
        "slug": f"story-{number}",
        "section": "World",
        "site": "news.example.com",
        "published": published,
        "updated": fields.pop("updated", published),
        "authors": ("Ines Marlowe",),
        "summary": f"Summary of {title}.",
        "body": f"<p>Body of story {number}.</p>",
        "image": Image(f"https://news.example.com/i/{number}.jpg", f"Picture {number}"),
        "tags": ("harbour",),
        "related": (),
        "source": Source(f"articles/world/story-{number}.md", 1),
        "first_seen": fields.pop("first_seen", published),
    }
    defaults.update(fields)
    return Article(id=article_id, title=title, **defaults)


REPO = Path(__file__).resolve().parents[1]


def copy_example_site(tmp_path: Path) -> Path:
    """The example site at the repository's root, copied: its articles and config."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "syndicate.toml", site)
    shutil.copytree(REPO / "articles", site / "articles")
    return site
