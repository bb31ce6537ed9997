from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syndicate.cli import app
from tests.factories import markdown_record, scraped_page, write_site

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def small_site(root: Path) -> Path:
    return write_site(
        root,
        {
            "world/one.md": markdown_record(
                {"title": "Budget <b>&</b> Bonds", "related": ["A Scraped Page", "Nothing"]}
            ),
            "world/page.txt": scraped_page("A Scraped Page", paragraphs=["One.", "Two."]),
        },
        config='[site]\nbase_url = "https://news.example.com/"\n',
    )


def test_articles_json_has_the_spec_shape(tmp_path: Path) -> None:
    code, out, err = invoke("articles", str(small_site(tmp_path)), "--json")
    assert code == 0
    records = {r["id"]: r for r in json.loads(out)}
    assert set(records) == {"world/one", "world/page"}
    one = records["world/one"]
    assert set(one) == {
        "id", "title", "section", "site", "url", "published", "updated", "authors",
        "summary", "body", "image", "tags", "source", "related", "language",
    }  # fmt: skip
    assert one["language"] == "en"  # the site's: the record names none
    assert one["title"] == "Budget <b>&</b> Bonds"
    assert one["source"] == {"file": "articles/world/one.md", "line": 1}
    assert one["related"] == [
        {"title": "A Scraped Page", "url": "https://news.example.com/world/a-scraped-page/",
         "id": "world/page"},
        {"title": "Nothing", "url": None, "id": None},
    ]  # fmt: skip
    assert records["world/page"]["body"] == "<p>One.</p>\n<p>Two.</p>"
    assert "Nothing" in err  # the unresolved related post is a warning on stderr


def test_publish_json_report_and_exit_status_1_for_bad_records(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    (root / "articles/world/bad.md").write_text("---\ntitle: T\ntags: {x: 1}\n---\n")
    code, out, err = invoke("publish", str(root), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["articles"] == 2
    assert report["errors"] == [
        {"file": "articles/world/bad.md", "line": 3, "field": "tags",
         "message": "must be a list of text"},
    ]  # fmt: skip
    assert report["feeds"]["written"] > 0 and report["feeds"]["unchanged"] == 0
    digest = report["digest"]
    assert (digest["stories"], digest["recipients"]) == (2, 0)  # nobody subscribes yet
    assert (root / "digests" / digest["edition"] / "index.html").is_file()
    assert report["warnings"][0]["field"] == "related"
    assert "articles/world/bad.md:3: tags: must be a list of text" in err


def test_publish_quiet_prints_only_errors(tmp_path: Path) -> None:
    code, out, err = invoke("publish", str(small_site(tmp_path)), "--quiet")
    assert (code, out, err) == (0, "", "")


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    (root / "syndicate.toml").write_text("[feeds]\nentries = 'many'\n")
    code, _out, err = invoke("publish", str(root))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "syndicate.toml:2: feeds.entries:" in err


def test_missing_site_folder_is_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("articles", str(tmp_path / "nowhere"))
    assert code == 2
    assert "no articles folder" in err


def test_init_creates_a_site_that_publishes(tmp_path: Path) -> None:
    target = tmp_path / "Pellan Post"
    code, out, _ = invoke("init", str(target), "--base-url", "https://pellan.example/")
    assert code == 0
    assert (target / "syndicate.toml").is_file()
    assert (target / "subscribers.csv").is_file()
    code, out, err = invoke("publish", str(target), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["articles"] >= 4
    assert report["errors"] == []
    assert '"Pellan Post"' in (target / "syndicate.toml").read_text()
    code, _, err = invoke("init", str(target))
    assert code == 2 and "not empty" in err


def test_init_escapes_the_title_into_toml(tmp_path: Path) -> None:
    title = 'Quote " and \\ backslash\nnew\x7fline'
    code, _, _ = invoke("init", str(tmp_path / "s"), "--title", title)
    assert code == 0
    config = tomllib.loads((tmp_path / "s" / "syndicate.toml").read_text())
    assert config["site"]["title"] == 'Quote " and \\ backslash newline'
    assert "base_url" not in config["site"]  # left for the user, who is warned


def test_init_refuses_a_base_url_that_publish_would_refuse(tmp_path: Path) -> None:
    code, _, err = invoke("init", str(tmp_path / "s"), "--base-url", "not-a-url")
    assert code == 2 and "--base-url" in err
    assert not (tmp_path / "s").exists()


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    (root / "articles/world/nul.txt").write_bytes(b"\x00\xff\xfe\r\n\x1b[31m")
    (root / "articles/world/bin.json").write_bytes(os.urandom(256))
    (root / "articles/world/deep.json").write_text("[" * 100_000)
    command = [sys.executable, "-m", "syndicate", "publish", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("error:") == 3


def test_brackets_in_titles_paths_and_config_print_literally(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "a[/]b",
        {"sport [x]/x.md": markdown_record({"title": "Budget [/] cuts [bold red]Loud[/]"})},
        config='[site]\ntitle = "News [/b]"\nbase_url = "https://n.example/"\n',
    )
    code, out, err = invoke("articles", str(root))
    assert code == 0, err
    assert "Budget [/] cuts [bold red]Loud[/]" in out
    code, out, err = invoke("publish", str(root))
    assert code == 0, err
    assert "News [/b]" in out and "Sport [X]" in out
    (root / "syndicate.toml").write_text('[site]\nbase_url = "[/x]"\n')
    code, _, err = invoke("publish", str(root))
    assert code == 2 and "[/x]" in err and "Traceback" not in err


def test_a_single_record_file_shows_what_the_whole_site_gives(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    code, out, _ = invoke("articles", str(root / "articles/world/one.md"), "--json")
    assert code == 0
    [record] = json.loads(out)
    assert record["id"] == "world/one"
    assert record["related"][0]["id"] == "world/page"  # resolved against the whole site


def test_build_stages_feeds_and_publishes_nothing(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    code, out, err = invoke("build", str(root))
    assert code == 0, err
    staged = root / ".syndicate" / "build" / "feeds"
    assert {"rss.xml", "atom.xml", "feed.json", "feeds.opml", "feed.xsl"} <= {
        p.name for p in staged.iterdir()
    }
    assert (staged / "world" / "atom.xml").is_file()
    assert not (root / "feeds").exists()
    code, out, _ = invoke("publish", str(root), "--json")
    feeds = [p for p in staged.rglob("*") if p.name in ("rss.xml", "atom.xml", "feed.json")]
    assert json.loads(out)["feeds"]["written"] == len(feeds) == 6
    code, out, _ = invoke("publish", str(root), "--json")
    assert json.loads(out)["feeds"]["written"] == 0


@pytest.mark.parametrize("command", ["build", "publish", "preview"])
def test_building_and_publishing_take_a_site_folder_not_a_file(
    tmp_path: Path, command: str
) -> None:
    root = small_site(tmp_path)
    code, _, err = invoke(command, str(root / "articles/world/one.md"))
    assert code == 2 and "site folder" in err
    assert not (root / "feeds").exists() and not (root / "digests").exists()


def test_force_with_no_stories_makes_no_edition(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    code, out, _ = invoke("publish", str(tmp_path), "--force", "--json")
    assert code == 0
    assert json.loads(out)["digest"] is None
    assert (
        not (tmp_path / "digests" / "index.html").exists()
        or "No editions" in (tmp_path / "digests" / "index.html").read_text()
    )


GOOD_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Harbour Courier</title><link>https://news.example.com/</link>
<description>News</description>
<atom:link href="https://news.example.com/feeds/rss.xml" rel="self" type="application/rss+xml"/>
<item><title>Tide</title><link>https://news.example.com/world/tide/</link>
<guid>https://news.example.com/world/tide/</guid>
<pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate></item>
</channel></rss>
"""


def test_validate_exit_status_and_json_shape(tmp_path: Path) -> None:
    good = tmp_path / "good.feed"  # the format comes from the content, not the name
    good.write_bytes(GOOD_RSS)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(GOOD_RSS.replace(b"<title>Harbour Courier</title>", b""))
    code, out, _ = invoke("validate", str(good))
    assert code == 0 and "valid" in out
    code, out, _ = invoke("validate", str(good), str(bad), "--json")
    assert code == 1
    reports = json.loads(out)
    assert [r["valid"] for r in reports] == [True, False]
    assert set(reports[1]) == {"path", "kind", "valid", "errors", "warnings"}
    error = reports[1]["errors"][0]
    assert error["code"] == "missing-element" and error["line"] == 2
    assert set(error) == {"code", "message", "line", "column"}


def test_validate_prints_one_block_per_file_with_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(GOOD_RSS.replace(b"09:30:00 GMT", b"09:30:00 CET"))
    code, out, _ = invoke("validate", str(bad))
    assert code == 1
    assert str(bad) in out and "invalid" in out
    assert "8:1" in out and "bad-date" in out and "0 of 1 files valid" in out


def test_validate_strict_fails_on_warnings(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(GOOD_RSS.replace(b"<pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate>", b""))
    assert invoke("validate", str(feed))[0] == 0
    code, out, _ = invoke("validate", str(feed), "--strict")
    assert code == 1 and "missing-date" in out


def test_validate_cannot_run_on_what_is_not_there(tmp_path: Path) -> None:
    code, _, err = invoke("validate", str(tmp_path / "missing.xml"))
    assert code == 2 and "missing.xml" in err
    code, _, err = invoke("validate", str(tmp_path))  # an empty folder
    assert code == 2 and "no feeds" in err


def test_validate_a_folder_finds_feeds_and_leaves_other_files(tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    assert invoke("publish", str(site))[0] == 0
    (site / "feeds" / "broken.rss").write_bytes(b"<rss><channel>")  # a feed gone wrong
    (site / "feeds" / "notes.xml").write_bytes(b"<notes/>")  # well-formed, not a feed
    code, out, _ = invoke("validate", str(site / "feeds"), str(site / "digests"), "--json")
    paths = {Path(r["path"]).relative_to(site).as_posix(): r for r in json.loads(out)}
    assert code == 1
    assert not paths.pop("feeds/broken.rss")["valid"]
    assert "feeds/rss.xml" in paths and "feeds/world/feed.json" in paths
    assert not any(p.endswith((".xsl", ".opml", "links.html", "notes.xml")) for p in paths)
    assert any(p.endswith("sample.eml") for p in paths)
    assert all(r["valid"] for r in paths.values()), paths
    # The one story titled "Budget <b>&</b> Bonds" is text that readers may take for markup.
    warned = {w["code"] for r in paths.values() for w in r["warnings"]}
    assert warned == {"html-in-title"}


def test_validate_names_an_unreadable_file_and_still_checks_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "good.xml").write_bytes(GOOD_RSS)
    (folder / "gone.xml").symlink_to(tmp_path / "nowhere.xml")  # a dangling link
    os.mkfifo(folder / "pipe.xml")  # never read: it would block for ever
    code, out, err = invoke("validate", str(folder), "--json")
    assert code == 2  # could not run on everything
    assert [Path(r["path"]).name for r in json.loads(out)] == ["good.xml"]
    assert "gone.xml" in err and "pipe.xml" not in err


def test_validate_judges_by_content_where_the_name_does_not_say(tmp_path: Path) -> None:
    page = tmp_path / "feed.xml"  # an error page served where the feed was
    page.write_bytes(b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")
    code, out, _ = invoke("validate", str(page), "--json")
    [report] = json.loads(out)
    assert code == 1 and report["kind"] in ("xml", "rss", "atom", "json")
    assert report["errors"][0]["code"] in ("unknown-format", "not-well-formed")


def test_validate_strict_json_says_invalid_when_it_fails(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(GOOD_RSS.replace(b"<pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate>", b""))
    code, out, _ = invoke("validate", str(feed), "--json", "--strict")
    assert code == 1 and json.loads(out)[0]["valid"] is False


def test_validate_places_findings_in_a_feed_written_on_one_line(tmp_path: Path) -> None:
    one_line = b"".join(GOOD_RSS.split(b"\n")).replace(
        b"</item>",
        b"</item><item><title>Two</title><link>/two/</link><guid>https://n.example/2</guid>"
        b"<pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate></item>",
    )
    feed = tmp_path / "feed.xml"
    feed.write_bytes(one_line)
    _, out, _ = invoke("validate", str(feed), "--json")
    [error] = json.loads(out)[0]["errors"]
    column = error["column"]
    assert error["code"] == "relative-url"
    assert one_line.decode()[column - 1 :].startswith("<link>/two/")


def test_an_edition_s_web_copy_named_alone_is_judged_as_a_web_copy(tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    assert invoke("publish", str(site))[0] == 0
    [edition] = [p for p in (site / "digests").iterdir() if p.is_dir()]
    named = [edition / "index.html", edition / "digest.txt", site / "digests" / "index.html"]
    code, out, _ = invoke("validate", *map(str, named), "--json")
    reports = json.loads(out)
    assert code == 0, reports
    assert all(r["valid"] and not r["warnings"] for r in reports), reports
