"""Each story's language in the feeds: Atom's xml:lang, JSON Feed's item language."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser

from syndicate import api
from tests.factories import copy_example_site


def _site_with_a_german_story(tmp_path: Path) -> Path:
    root = copy_example_site(tmp_path)
    story = root / "articles" / "world" / "brucke.md"
    story.write_text(
        "---\ntitle: Die Hafenbrücke ist wieder offen\nlanguage: de\n"
        "published: 2026-11-20T09:00:00Z\n---\nNach drei Monaten fahren wieder Busse.\n",
        encoding="utf-8",
    )
    root_locale = root / "articles" / "world" / "root.md"
    root_locale.write_text(
        "---\ntitle: A story in CLDR's root locale\nlanguage: root\n"
        "published: 2026-11-18T09:00:00Z\n---\nText.\n",
        encoding="utf-8",
    )
    bad = root / "articles" / "world" / "mystery.md"
    bad.write_text(
        "---\ntitle: A story in no known tongue\nlanguage: xq-ZZ\n"
        "published: 2026-11-19T09:00:00Z\n---\nText.\n",
        encoding="utf-8",
    )
    return root


def test_a_story_in_another_language_says_so_in_atom_and_json(tmp_path: Path) -> None:
    root = _site_with_a_german_story(tmp_path)
    built = api.build(root, {})
    folder = built.feeds.folder
    atom = feedparser.parse((folder / "atom.xml").read_bytes())
    # feedparser gives an entry's xml:lang as the language of its texts.
    languages = {entry.title: entry.title_detail["language"] for entry in atom.entries}
    assert languages["Die Hafenbrücke ist wieder offen"] == "de"
    assert languages["A story in no known tongue"] == "en"  # unknown: the site's
    items = json.loads((folder / "feed.json").read_text(encoding="utf-8"))["items"]
    by_title = {item["title"]: item["language"] for item in items}
    assert by_title["Die Hafenbrücke ist wieder offen"] == "de"
    assert set(by_title.values()) == {"de", "en"}
    warnings = [w for w in built.site.warnings if w.field == "language"]
    assert sorted(w.file for w in warnings) == [
        "articles/world/mystery.md",
        "articles/world/root.md",
    ]
    assert languages["A story in CLDR's root locale"] == "en"
    assert any("not a language that CLDR knows" in w.message for w in warnings)
