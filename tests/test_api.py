from __future__ import annotations

import gc
import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from syndicate import api
from syndicate.api import load_site
from tests.factories import NOW, copy_example_site, markdown_record, scraped_page, write_site


def test_the_example_site_loads_cleanly(tmp_path: Path) -> None:
    site = load_site(copy_example_site(tmp_path), {}, now=NOW)
    assert site.errors == ()
    assert len(site.articles) >= 12
    assert site.sections == ("World", "Business", "Culture")
    formats = {a.source.file.rsplit(".", 1)[1] for a in site.articles}
    assert formats == {"md", "json", "jsonl", "txt"}
    # One related post on purpose points nowhere: it must be the only warning.
    assert [w.field for w in site.warnings] == ["related"]
    resolved = [r for a in site.articles for r in a.related if r.url]
    assert len(resolved) >= 20


def test_first_seen_dates_do_not_move_between_runs(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {
            "world/undated.md": markdown_record({"title": "Undated Story"}),
            "world/page.txt": scraped_page("A Scraped Page"),
        },
    )
    first = load_site(root, {}, now=NOW)
    again = load_site(root, {}, now=NOW + timedelta(days=5))
    assert [a.published for a in first.articles] == [NOW, NOW]
    assert [a.published for a in again.articles] == [NOW, NOW]
    # Editing the title or adding a URL keeps the id, so the date and the slug stay.
    (root / "articles/world/undated.md").write_text(
        markdown_record({"title": "Edited Title", "url": "https://elsewhere.example/x/"})
    )
    edited = load_site(root, {}, now=NOW + timedelta(days=9))
    by_id = {a.id: a for a in edited.articles}
    assert by_id["world/undated"].published == NOW
    assert by_id["world/undated"].slug == "undated-story"
    # A new record gets the time it was first seen.
    (root / "articles/world/new.md").write_text(markdown_record({"title": "New"}))
    newer = load_site(root, {}, now=NOW + timedelta(days=10))
    assert {a.id: a.published for a in newer.articles}["world/new"] == NOW + timedelta(days=10)


def test_bad_records_are_reported_and_the_others_still_load(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {
            "world/good.md": markdown_record({"title": "Good"}),
            "world/bad.md": "---\ntitle: Bad\npublished: someday\n---\n",
            "world/empty.txt": "\n\n",
            "business/list.jsonl": json.dumps({"id": "x", "title": "X"}) + "\n{broken\n",
            "world/dup.json": json.dumps({"id": "x", "title": "Duplicate"}),
        },
    )
    site = load_site(root, {}, now=NOW)
    assert sorted(a.title for a in site.articles) == ["Good", "X"]
    located = sorted((e.file, e.line, e.field) for e in site.errors)
    assert located == [
        ("articles/business/list.jsonl", 2, None),
        ("articles/world/bad.md", 3, "published"),
        ("articles/world/dup.json", 1, "id"),
        ("articles/world/empty.txt", 1, "title"),
    ]
    assert (
        "articles/business/list.jsonl:1" in next(e for e in site.errors if e.field == "id").message
    )


def test_a_folder_of_pages_without_articles_is_read_directly(tmp_path: Path) -> None:
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "page.txt").write_text(scraped_page("Loose Page"))
    site = load_site(tmp_path, {}, now=NOW)
    assert [(a.title, a.section, a.source.file) for a in site.articles] == [
        ("Loose Page", "World", "world/page.txt")
    ]
    assert "no articles/ folder" in site.warnings[0].message


def test_a_single_file_is_loaded_on_its_own(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {"world/a.txt": scraped_page("Page A"), "world/b.txt": scraped_page("Page B")},
        config='[site]\nbase_url = "https://a.example/"\n',
    )
    site = load_site(root / "articles/world/a.txt", {}, now=NOW)
    assert [(a.title, a.url) for a in site.articles] == [
        ("Page A", "https://a.example/world/page-a/")
    ]
    (tmp_path / "elsewhere").mkdir()
    stray = tmp_path / "elsewhere" / "stray.txt"
    stray.write_text(scraped_page("Stray"))
    assert [a.source.file for a in load_site(stray, {}, now=NOW).articles] == ["stray.txt"]
    assert not (tmp_path / "elsewhere" / ".syndicate").exists()  # a look at one file stores nothing


def test_hubs_hear_of_new_feeds_even_when_writing_the_digest_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate import api
    from syndicate.errors import DigestError

    root = write_site(
        tmp_path / "site",
        {"world/a.md": markdown_record({"title": "A"})},
        config='[feeds]\nhubs = ["https://hub.example/"]\n',
    )
    told: list[str] = []
    monkeypatch.setattr(api, "ping_hubs", lambda hubs, urls, agent: told.extend(urls) or [])

    def broken(*args: object, **kwargs: object) -> None:
        raise DigestError("archive template error")

    # Rendering (and checking) the edition comes before anything is published; writing
    # it comes after the feeds went out, and its failure must not hide them from hubs.
    monkeypatch.setattr(api, "commit_edition", broken)
    with pytest.raises(DigestError):
        api.publish(root, {})
    assert any(url.endswith("/feeds/atom.xml") for url in told)


def test_a_digest_that_does_not_render_stops_publish_before_any_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate import api
    from syndicate.errors import DigestError

    root = write_site(tmp_path / "site", {"world/a.md": markdown_record({"title": "A"})})
    templates = root / "templates" / "digest"
    templates.mkdir(parents=True)
    (templates / "digest.mjml.j2").write_text("<mjml><mj-body>{{ nope( }}</mj-body></mjml>")
    with pytest.raises(DigestError, match="template error"):
        api.publish(root, {})
    assert not (root / "feeds").exists()


# --- a republish builds only what changed -------------------------------------------


def _settled_site(tmp_path: Path) -> Path:
    root = copy_example_site(tmp_path)
    old = time.time() - 60
    for path in (root / "articles").rglob("*"):
        os.utime(path, (old, old))
    return root


def _page_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from syndicate.feeds.build import PageBuild

    real, built = PageBuild.__call__, []

    def counting(build: PageBuild) -> Any:
        built.append(build.page.path)
        return real(build)

    monkeypatch.setattr(PageBuild, "__call__", counting)
    return built


def _published(root: Path) -> dict[str, bytes]:
    feeds = root / "feeds"
    return {
        p.relative_to(feeds).as_posix(): p.read_bytes() for p in feeds.rglob("*") if p.is_file()
    }


def _full_build(root: Path) -> dict[str, bytes]:
    staged = api.build(root, {}).feeds
    return {path: (staged.folder / path).read_bytes() for path in staged.paths}


def test_a_republish_with_nothing_changed_builds_no_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _settled_site(tmp_path)
    first = api.publish(root, {})
    assert first.feed_counts()["written"] > 0
    built = _page_builds(monkeypatch)
    again = api.publish(root, {})
    assert built == [] and again.feed_counts()["written"] == 0
    assert again.feed_counts()["unchanged"] == first.feed_counts()["written"]
    assert _published(root) == _full_build(root)
    assert gc.get_freeze_count() == 0  # what the caches froze is given back


def test_a_feed_changed_by_hand_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _settled_site(tmp_path)
    api.publish(root, {})
    (root / "feeds" / "world" / "atom.xml").write_bytes(b"<feed>tampered</feed>")
    (root / "feeds" / "rss.xml").unlink()
    built = _page_builds(monkeypatch)
    report = api.publish(root, {})
    assert sorted(built) == ["rss.xml", "world/atom.xml"]
    assert sorted(report.feeds.written) == ["rss.xml", "world/atom.xml"]
    assert _published(root) == _full_build(root)


def test_an_edited_story_rebuilds_only_the_feeds_that_carry_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _settled_site(tmp_path)
    api.publish(root, {})
    path = next((root / "articles" / "business").glob("*.md"))
    text = path.read_text("utf-8")
    path.write_text(text.replace("title: ", "title: Revised ", 1), "utf-8")
    built = _page_builds(monkeypatch)
    report = api.publish(root, {})
    # The site's and Business's feeds, in every format; not World's nor Culture's.
    assert sorted(built) == sorted(
        f"{folder}{name}"
        for folder in ("", "business/")
        for name in ("rss.xml", "atom.xml", "feed.json")
    )
    assert sorted(report.feeds.written) == sorted(built)
    assert _published(root) == _full_build(root)


def test_a_new_feeds_setting_builds_the_feeds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut for an unchanged site (no page planned) must not outlive a setting."""
    root = _settled_site(tmp_path)
    api.publish(root, {})
    api.publish(root, {})  # the shortcut is taken from here on
    config = root / "syndicate.toml"
    config.write_text(config.read_text("utf-8").replace("entries = 50", "entries = 2"), "utf-8")
    built = _page_builds(monkeypatch)
    report = api.publish(root, {})
    assert built and report.feed_counts()["written"] > 0
    assert any(path.startswith("archive/") for path in report.feeds.written)
    assert _published(root) == _full_build(root)
    built.clear()
    assert api.publish(root, {}).feed_counts()["written"] == 0 and built == []
