"""What the validation gate of `syndicate publish` blocks, through the command line.

`publish` builds the feeds and renders the digest edition due, validates what
changed (api._validate), and publishes nothing when that finds an error (or,
with --strict, a warning): feeds/ keeps its files byte for byte, digests/ gets no
edition, the state store records no edition and no WebSub hub hears of anything.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from syndicate import api
from syndicate.feeds import FeedFile, PlannedFeed, plan_feeds
from tests.commands import invoke, publish_json
from tests.factories import markdown_record
from tests.sites import CONFIG, add_story, break_template, editions, files_under, site

EDITION = r"digests/\d{4}-\d{2}-\d{2}(?:-\d+)?"  # an edition's folder, named by its day


def snapshot(root: Path) -> tuple[object, ...]:
    """What a blocked publish must leave as it was."""
    manifest = root / ".syndicate" / "published-feeds.txt"
    return (
        files_under(root / "feeds"),
        files_under(root / "digests"),
        editions(root),
        manifest.read_bytes() if manifest.exists() else None,
        files_under(root / "outbox"),
    )


# --- broken digest templates -------------------------------------------------------

BROKEN_DIGESTS = {
    "relative-button": (
        "digest.mjml.j2",
        '<mj-section padding="28px 0 36px">',
        '<mj-section><mj-column><mj-button href="/relative">Read more</mj-button>'
        '</mj-column></mj-section>\n    <mj-section padding="28px 0 36px">',
        "relative-url",
        ("index.html", "sample.eml"),
    ),
    "image-without-alt": (
        "digest.mjml.j2",
        '<mj-section padding="28px 0 36px">',
        '<mj-section><mj-column><mj-image src="https://news.example.com/logo.png" />'
        '</mj-column></mj-section>\n    <mj-section padding="28px 0 36px">',
        "missing-alt",
        ("index.html", "sample.eml"),
    ),
    "html-placeholder": (
        "digest.mjml.j2",
        "{{ story.title }}</a></h3>",
        "{{ '{{' }} story.title }}</a></h3>",
        "unfilled-placeholder",
        ("index.html", "sample.eml"),
    ),
    "text-placeholder": (
        "digest.txt.j2",
        "{{ story.url }}",
        "{{ story.url }}\n{{ '{{' }} story.summary }}",
        "unfilled-placeholder",
        ("digest.txt", "sample.eml"),
    ),
}


@pytest.mark.parametrize("run", ["first publish", "after a good publish"])
@pytest.mark.parametrize("broken", list(BROKEN_DIGESTS))
def test_a_broken_digest_template_blocks_the_whole_publish(
    tmp_path: Path, pings: list[str], broken: str, run: str
) -> None:
    template, old, new, code, names = BROKEN_DIGESTS[broken]
    root = site(tmp_path / "site")
    if run == "after a good publish":
        assert invoke("publish", str(root))[0] == 0
        assert files_under(root / "feeds") and len(editions(root)) == 1
        add_story(root)  # a new story: feeds change and an edition is due
    before = snapshot(root)
    pings.clear()
    break_template(root, template, old, new)

    status, _, err = invoke("publish", str(root))

    assert status == 1, err
    for name in names:
        assert re.search(rf"error: {EDITION}/{re.escape(name)}:\d+: {code}: ", err), err
    assert "nothing was published" in err
    assert snapshot(root) == before
    if run == "first publish":
        assert not (root / "feeds").exists() and not (root / "digests").exists()
    assert pings == []


# --- a broken feed -------------------------------------------------------------------


def corrupting(path: str, change: Callable[[bytes], bytes]) -> Callable[..., Iterator[PlannedFeed]]:
    """`plan_feeds` as publish calls it, with the built bytes of `path` changed."""

    def planned_feeds(*args: Any, **kwargs: Any) -> Iterator[PlannedFeed]:
        for planned in plan_feeds(*args, **kwargs):
            if planned.path == path:
                build = planned.build

                def broken(build: Callable[[], FeedFile] = build) -> FeedFile:
                    built = build()
                    changed = change(built.content)
                    assert changed != built.content
                    return replace(built, content=changed)

                planned = replace(planned, build=broken)
            yield planned

    return planned_feeds


CORRUPTIONS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "no channel title": (
        lambda rss: re.sub(rb"<channel>\s*<title>[^<]*</title>", b"<channel>", rss, count=1),
        "missing-element",
    ),
    "relative channel link": (
        lambda rss: rss.replace(
            b"<link>https://news.example.com/world/</link>", b"<link>/world/</link>", 1
        ),
        "relative-url",
    ),
}


@pytest.mark.parametrize("run", ["first publish", "after a good publish"])
@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_broken_feed_blocks_the_whole_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pings: list[str], corruption: str, run: str
) -> None:
    # Feeds come from feedgen, not templates: the built bytes of one feed are broken.
    corrupt, code = CORRUPTIONS[corruption]
    config = CONFIG + '[feeds]\nhubs = ["https://hub.example/"]\n'
    root = site(tmp_path / "site", config)
    if run == "after a good publish":
        assert invoke("publish", str(root))[0] == 0
        assert "https://news.example.com/feeds/world/rss.xml" in pings  # hubs are heard
        add_story(root)
    before = snapshot(root)
    pings.clear()
    monkeypatch.setattr(api, "plan_feeds", corrupting("world/rss.xml", corrupt))

    status, _, err = invoke("publish", str(root))

    assert status == 1, err
    assert re.search(rf"error: feeds/world/rss\.xml:\d+: {code}: ", err), err
    assert "nothing was published" in err
    assert snapshot(root) == before
    assert pings == []


def test_a_broken_archive_page_blocks_the_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pings: list[str]
) -> None:
    """RFC 5005 archive pages are feed documents too, and checked like the others."""
    config = CONFIG + '[feeds]\nentries = 1\nhubs = ["https://hub.example/"]\n'
    root = site(tmp_path / "site", config)

    def no_id(atom: bytes) -> bytes:
        return re.sub(rb"<id>[^<]*</id>", b"", atom, count=1)

    monkeypatch.setattr(api, "plan_feeds", corrupting("archive/site/atom-1.xml", no_id))
    status, report, _ = publish_json(root)
    assert status == 1 and report["validation"]["blocked"] is True
    assert report["validation"]["checked"] == 12 + 3  # nine feeds, three archive pages
    assert {e["file"] for e in report["errors"]} == {"feeds/archive/site/atom-1.xml"}
    assert "missing-element" in {e["field"] for e in report["errors"]}
    assert not (root / "feeds").exists() and editions(root) == [] and pings == []


def test_a_record_url_with_a_stray_percent_sign_does_not_block_the_site(
    tmp_path: Path, pings: list[str]
) -> None:
    sale = markdown_record(
        {"title": "Half Price Ferries", "url": "https://news.example.com/sale-50%-off/"}
    )
    root = site(tmp_path / "site", sale=sale)
    status, report, _ = publish_json(root)
    assert report["errors"] == []
    assert status == 0 and (root / "feeds" / "rss.xml").is_file()


# --- --json when blocked ------------------------------------------------------------


def test_json_report_of_a_blocked_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = site(tmp_path / "site")
    break_template(
        root, "digest.txt.j2", "{{ story.url }}", "{{ story.url }}\n{{ '{{' }} story.id }}"
    )

    def renamed(atom: bytes) -> bytes:
        return re.sub(rb"<title>([^<]*)</title>", rb"<name>\1</name>", atom, count=1)

    monkeypatch.setattr(api, "plan_feeds", corrupting("business/atom.xml", renamed))
    status, report, err = publish_json(root)
    assert status == 1
    validation = report["validation"]
    assert validation["blocked"] is True
    assert validation["checked"] >= 9 + 3  # every feed (none published yet) and the edition
    assert report["feeds"] == {"written": 0, "unchanged": 0, "removed": 0}
    assert report["digest"] is None
    assert report["articles"] == 2
    by_file: dict[str, set[str]] = {}
    for error in report["errors"]:
        assert set(error) == {"file", "line", "field", "message"}
        assert error["field"] in {"unknown-element", "missing-element", "schema-invalid",
                                  "unfilled-placeholder"}, error  # fmt: skip
        by_file.setdefault(error["file"], set()).add(error["field"])
    assert "feeds/business/atom.xml" in by_file
    assert {"missing-element", "unknown-element"} & by_file["feeds/business/atom.xml"]
    texts = [f for f in by_file if re.fullmatch(rf"{EDITION}/digest\.txt", f)]
    assert len(texts) == 1 and by_file[texts[0]] == {"unfilled-placeholder"}
    assert set(by_file) == {"feeds/business/atom.xml", texts[0], texts[0][:-10] + "sample.eml"}
    # The same findings, per file, under validation.files.
    invalid = {entry["path"] for entry in validation["files"] if not entry["valid"]}
    assert invalid == set(by_file)
    assert not (root / "feeds").exists() and not (root / "digests").exists()
    assert editions(root) == []
    # Messages for a person go to stderr (SPEC section 10): each error, one line.
    lines = err.splitlines()
    for error in report["errors"]:
        shown = f"error: {error['file']}:{error['line']}: {error['field']}: {error['message']}"
        assert shown in lines


def test_the_installed_command_prints_one_json_object_when_blocked(tmp_path: Path) -> None:
    root = site(tmp_path / "site")
    break_template(root, "digest.mjml.j2", "{{ story.title }}</a></h3>", "{{ '{{' }} x }}</a></h3>")
    command = Path(sys.executable).with_name("syndicate")
    done = subprocess.run(
        [str(command), "publish", str(root), "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # one object, nothing else on stdout
    assert report["validation"]["blocked"] is True
    assert report["digest"] is None and report["feeds"]["written"] == 0
    files = {e["file"] for e in report["errors"] if e["field"] == "unfilled-placeholder"}
    assert {f.rsplit("/", 1)[1] for f in files} == {"index.html", "sample.eml"}
    assert all(re.fullmatch(rf"{EDITION}/[a-z.]+", f) for f in files)
    assert not (root / "feeds").exists()
