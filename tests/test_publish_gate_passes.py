"""What passes publish's gate: warnings (unless --strict), good and fixed sites, record text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.commands import invoke, publish_json
from tests.factories import copy_example_site, markdown_record
from tests.sites import add_story, break_template, editions, files_under, site

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
