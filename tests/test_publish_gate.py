"""The validation gate of `syndicate publish`, through the command line.

`publish` builds the feeds and renders the digest edition due, validates what
changed (pipeline._validate), and publishes nothing when that finds an error (or,
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
from typer.testing import CliRunner

from syndicate import pipeline
from syndicate.cli import app
from syndicate.config import SitePaths
from syndicate.feeds import FeedFile, PlannedFeed, plan_feeds
from syndicate.state import EditionRecord, StateStore
from syndicate.templating import default_templates_dir
from tests.factories import copy_example_site, markdown_record, write_site

runner = CliRunner()
CONFIG = '[site]\nbase_url = "https://news.example.com/"\nsections = ["World", "Business"]\n'
EDITION = r"digests/\d{4}-\d{2}-\d{2}(?:-\d+)?"  # an edition's folder, named by its day


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def publish_json(root: Path, *flags: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = invoke("publish", str(root), "--json", *flags)
    return code, json.loads(out), err


def site(root: Path, config: str = CONFIG, **records: str) -> Path:
    files = {
        "world/harbour.md": markdown_record(
            {"title": "Harbour Reopens", "published": "2026-11-20T09:00:00Z"}
        ),
        "business/markets.md": markdown_record(
            {"title": "Markets Rally", "published": "2026-11-21T09:00:00Z"}
        ),
    }
    files.update({f"world/{name}.md": text for name, text in records.items()})
    return write_site(root, files, config=config)


def add_story(root: Path, name: str = "late", title: str = "A Late Story") -> None:
    path = root / "articles" / "world" / f"{name}.md"
    path.write_text(markdown_record({"title": title}), "utf-8")


def break_template(root: Path, name: str, old: str, new: str) -> None:
    """The site's own copy of one of our digest templates, with `old` made `new`."""
    packaged = (default_templates_dir() / "digest" / name).read_text("utf-8")
    assert old in packaged, f"the packaged {name} changed: update this test"
    target = root / "templates" / "digest" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(packaged.replace(old, new, 1), "utf-8")


def files_under(folder: Path) -> dict[str, bytes] | None:
    """Every file under `folder` (hidden ones too) with its bytes; None: no folder."""
    if not folder.exists():
        return None
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def editions(root: Path) -> list[EditionRecord]:
    # The send ledger (who was sent which edition) arrives with dispatch (issue 7);
    # until then the edition table is the state that a publish records.
    db = SitePaths(root).state_db
    if not db.exists():
        return []
    with StateStore(db) as store:
        return store.editions()


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


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The feed URLs that hubs are told of (no request leaves the machine)."""
    told: list[str] = []

    def record(hubs: object, urls: list[str], agent: str) -> list[object]:
        told.extend(urls)
        return []

    monkeypatch.setattr(pipeline, "ping_hubs", record)
    return told


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
    monkeypatch.setattr(pipeline, "plan_feeds", corrupting("world/rss.xml", corrupt))

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

    monkeypatch.setattr(pipeline, "plan_feeds", corrupting("archive/site/atom-1.xml", no_id))
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

    monkeypatch.setattr(pipeline, "plan_feeds", corrupting("business/atom.xml", renamed))
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


# --- warnings: published, unless --strict --------------------------------------------

WARNED = {
    # Titles are plain text: one that reads like markup is written escaped, as
    # written, and the validator warns that readers will show the tags as text.
    "html-in-title": markdown_record(
        {"title": "Budget <b>&</b> Bonds", "published": "2026-11-22T09:00:00Z"}
    ),
    # A date the record gives, far in the future: the publisher's to fix, a warning.
    "implausible-date": markdown_record(
        {"title": "Letter to 2400", "published": "2400-01-01T00:00:00Z"}
    ),
}


@pytest.mark.parametrize("code", list(WARNED))
def test_warnings_publish_but_strict_blocks_them(
    tmp_path: Path, pings: list[str], code: str
) -> None:
    root = site(tmp_path / "site", warned=WARNED[code])

    status, report, err = publish_json(root, "--strict")
    assert status == 1
    assert report["validation"]["blocked"] is True
    assert report["errors"] == []  # nothing is wrong but the warning --strict refuses
    warned = {w["file"] for w in report["warnings"] if w["field"] == code}
    assert {"feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json"} <= warned
    assert {"feeds/world/rss.xml", "feeds/world/atom.xml", "feeds/world/feed.json"} <= warned
    assert report["feeds"]["written"] == 0 and report["digest"] is None
    assert not (root / "feeds").exists() and not (root / "digests").exists()
    assert editions(root) == []

    status, _, err = invoke("publish", str(root), "--strict")
    assert status == 1
    assert "errors or warnings (--strict)" in err and "nothing was published" in err
    assert re.search(rf"warning: feeds/world/atom\.xml:\d+: {code}: ", err), err
    assert not (root / "feeds").exists()

    status, report, err = publish_json(root)
    assert status == 0, report["errors"]
    assert report["validation"]["blocked"] is False
    assert report["errors"] == []
    assert {w["file"] for w in report["warnings"] if w["field"] == code} == warned
    assert report["feeds"]["written"] == 9  # site, World and Business: three formats
    assert report["digest"] is not None
    assert (root / "feeds" / "world" / "atom.xml").is_file()
    assert len(editions(root)) == 1


# --- a good site ---------------------------------------------------------------------


def test_a_good_site_publishes_with_no_findings_and_rechecks_only_what_changed(
    tmp_path: Path, pings: list[str]
) -> None:
    root = site(tmp_path / "site")
    status, report, err = publish_json(root, "--strict")
    assert status == 0, report["errors"]
    assert err == ""  # no error and no warning to tell anyone of
    validation = report["validation"]
    # Every feed document (nothing was published before) and the edition's three files.
    assert validation == {"checked": 9 + 3, "blocked": False, "files": []}
    assert report["errors"] == [] and report["warnings"] == []
    assert report["feeds"]["written"] == 9 and report["digest"]["stories"] == 2
    published = files_under(root / "feeds")

    # pipeline._validate checks the staged feed documents whose bytes differ from the
    # published ones (the others passed when they were published), and the files of
    # the edition due: with nothing changed, no feed differs and no edition is due.
    status, report, _ = publish_json(root, "--strict")
    assert status == 0
    assert report["validation"] == {"checked": 0, "blocked": False, "files": []}
    assert report["feeds"] == {"written": 0, "unchanged": 9, "removed": 0}
    assert report["digest"] is None
    assert files_under(root / "feeds") == published

    # A new World story changes the site's and World's feeds, not Business's, and
    # makes an edition due: six feed documents and three edition files are checked.
    add_story(root)
    status, report, _ = publish_json(root, "--strict")
    assert status == 0, report["errors"]
    assert report["validation"] == {"checked": 6 + 3, "blocked": False, "files": []}
    assert report["feeds"]["written"] == 6 and report["digest"]["stories"] == 1
    assert len(editions(root)) == 2


def test_a_blocked_run_leaves_nothing_half_done_for_the_next(tmp_path: Path) -> None:
    """Fixing the template after a blocked run publishes everything the blocked run held back."""
    root = site(tmp_path / "site")
    assert invoke("publish", str(root))[0] == 0
    add_story(root)
    template = "digest.mjml.j2"
    break_template(root, template, "{{ story.title }}</a></h3>", "{{ '{{' }} x }}</a></h3>")
    assert invoke("publish", str(root))[0] == 1
    (root / "templates" / "digest" / template).unlink()
    status, report, _ = publish_json(root)
    assert status == 0, report["errors"]
    assert report["feeds"]["written"] == 6
    assert report["digest"]["stories"] == 1  # the story held back goes out now
    assert [len(e.article_ids) for e in editions(root)] == [1, 2]


def test_the_example_site_publishes_under_strict_with_no_findings(
    tmp_path: Path, pings: list[str]
) -> None:
    root = copy_example_site(tmp_path)
    status, report, _ = publish_json(root, "--strict")
    assert status == 0, report["errors"]
    validation = report["validation"]
    assert validation["blocked"] is False and validation["files"] == []
    assert validation["checked"] == report["feeds"]["written"] + 3  # and the edition
    assert report["feeds"]["written"] >= 12
    # Its one warning is a related post that points nowhere, not a validation finding.
    assert [w["field"] for w in report["warnings"]] == ["related"]


def test_placeholder_like_text_written_in_a_record_is_content_not_a_leftover(
    tmp_path: Path,
) -> None:
    """A story about templates may be titled with template syntax: the gate must not take
    it for a template's leftover and hold back the whole site."""
    story = markdown_record(
        {
            "title": "Why {{ name }} and *|FNAME|* Appear in Your Inbox",
            "summary": "Mail-merge tags such as %%first%% and {date} go wrong.",
            "published": "2026-11-22T09:00:00Z",
        }
    )
    root = site(tmp_path / "site", templating=story)
    status, report, err = publish_json(root, "--strict")
    assert status == 0, err
    assert report["validation"]["blocked"] is False
    assert "unfilled-placeholder" not in {w["field"] for w in report["warnings"]}
    # The same text left by a broken template is still caught.
    root = site(tmp_path / "other", templating=story)
    break_template(
        root, "digest.txt.j2", "{{ story.url }}", "{{ story.url }}\n{{ '{{' }} story.id }}"
    )
    status, report, _ = publish_json(root)
    assert status == 1 and "unfilled-placeholder" in {e["field"] for e in report["errors"]}
