from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import pytest
from lxml import html
from typer.testing import CliRunner

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.cli import app
from syndicate.digests import make_edition, select_stories
from syndicate.digests import plan as digest_plan
from syndicate.digests import publish as digest_publish
from syndicate.digests.edition import next_edition_id, window_start
from syndicate.paths import SitePaths
from syndicate.site import load as site_load
from tests.factories import NOW, article, markdown_record, write_site

SECTIONS = ("World", "Business", "Culture")
CONFIG = """\
[site]
title = "Harbour Courier"
base_url = "https://news.example.com/"
sections = ["World", "Business", "Culture"]
"""
runner = CliRunner()


# --- choosing the stories -------------------------------------------------------


def test_a_first_edition_takes_the_newest_thirty_stories() -> None:
    archive = [article(f"Story {n}", number=n, id=f"world/{n}") for n in range(1, 41)]
    chosen = select_stories(archive[::-1], window_from=None)
    assert [a.title for a in chosen] == [f"Story {n}" for n in range(1, 31)]  # newest first


def test_a_later_edition_takes_every_story_not_yet_sent_since_the_first_edition() -> None:
    first = NOW - timedelta(days=3)
    last = NOW - timedelta(days=1)
    skipped = article("Older Than The First Edition", number=9, first_seen=first)
    sent = article("Sent Yesterday", number=30, first_seen=last - timedelta(hours=1))
    fresh = article("Fresh", number=2, first_seen=NOW)
    # Published a week ago, imported today: it has never gone out, so it goes now.
    backdated = article(
        "Backdated",
        number=3,
        published=NOW - timedelta(days=7),
        first_seen=NOW - timedelta(hours=1),
    )
    at_the_edition = article("Seen As It Was Made", number=4, first_seen=last)
    chosen = select_stories(
        [sent, backdated, at_the_edition, fresh, skipped],
        window_from=None,
        first_edition_at=first,
        sent=frozenset({sent.id}),
    )
    # Seen as the last edition was made, yet not in it (a window edition, say): it goes.
    assert [a.title for a in chosen] == ["Fresh", "Seen As It Was Made", "Backdated"]
    assert (
        select_stories([sent], window_from=None, first_edition_at=first, sent=frozenset({sent.id}))
        == []
    )


def test_a_window_takes_the_stories_published_in_it() -> None:
    start = window_start("7d", NOW)
    assert start == NOW - timedelta(days=7)
    assert window_start("12h", NOW) == NOW - timedelta(hours=12)
    assert window_start("2w", NOW) == NOW - timedelta(weeks=2)
    inside = article("Six Days Old", number=1, published=NOW - timedelta(days=6))
    edge = article("Seven Days Old", number=2, published=start)
    outside = article("Eight Days Old", number=3, published=NOW - timedelta(days=8), first_seen=NOW)
    chosen = select_stories([outside, edge, inside], window_from=start, first_edition_at=NOW)
    assert [a.title for a in chosen] == ["Six Days Old", "Seven Days Old"]


@pytest.mark.parametrize("window", ["7", "d", "0d", "7 d", "7days", "-7d", "1y", ""])
def test_a_window_that_is_not_one_is_refused(window: str) -> None:
    with pytest.raises(ValueError, match="window"):
        window_start(window, NOW)


# --- sections -------------------------------------------------------------------


def test_sections_come_in_the_configured_order_and_empty_ones_are_left_out() -> None:
    stories = [
        article("Culture Story", number=1, section="Culture", id="culture/1"),
        article("World Two", number=2, id="world/2"),
        article("World Three", number=3, id="world/3"),
    ]
    edition = make_edition(stories, SECTIONS, "2026-11-25", NOW)
    assert [block.name for block in edition.sections] == ["World", "Culture"]
    assert [a.title for a in edition.sections[0].stories] == ["World Two", "World Three"]
    assert [a.title for a in edition.stories] == ["World Two", "World Three", "Culture Story"]
    assert (edition.edition_id, edition.created_at) == ("2026-11-25", NOW)
    assert make_edition([], SECTIONS, "2026-11-25", NOW).sections == ()


def test_a_variant_keeps_only_the_sections_a_subscriber_chose() -> None:
    stories = [
        article("World Story", number=1, id="world/1"),
        article("Business Story", number=2, section="Business", id="business/2"),
        article("Culture Story", number=3, section="Culture", id="culture/3"),
    ]
    edition = make_edition(stories, SECTIONS, "2026-11-25", NOW)
    assert edition.for_sections(None) is edition
    chosen = edition.for_sections(frozenset({"culture", "WORLD"}))  # case does not matter
    assert [block.name for block in chosen.sections] == ["World", "Culture"]  # still in order
    assert (chosen.edition_id, chosen.created_at) == (edition.edition_id, edition.created_at)
    assert edition.for_sections(frozenset({"Sport"})).stories == ()
    assert edition.for_sections(frozenset()).stories == ()


def test_edition_ids_are_the_day_then_numbered_within_it() -> None:
    assert next_edition_id("2026-11-25", set()) == "2026-11-25"
    assert next_edition_id("2026-11-25", {"2026-11-25"}) == "2026-11-25-2"
    assert next_edition_id("2026-11-25", {"2026-11-25", "2026-11-25-2"}) == "2026-11-25-3"
    assert next_edition_id("2026-11-26", {"2026-11-25", "2026-11-25-2"}) == "2026-11-26"


# --- publishing -----------------------------------------------------------------


class Clock:
    """The time that `publish` and `preview` see: set by the test, never the wall's."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock(NOW)

    class SetDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> SetDatetime:
            moment = clock.moment.astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    monkeypatch.setattr(api, "datetime", SetDatetime)
    monkeypatch.setattr(site_load, "datetime", SetDatetime)
    monkeypatch.setattr(digest_plan, "datetime", SetDatetime)
    monkeypatch.setattr(digest_publish, "datetime", SetDatetime)
    yield clock


def story(title: str, section: str, published: datetime) -> str:
    front = {"title": title, "section": section, "published": published.isoformat()}
    return markdown_record({**front, "summary": f"What happened: {title}."})


def news_site(root: Path) -> Path:
    return write_site(
        root,
        {
            "culture/choir.md": story("Choir Wins", "Culture", NOW - timedelta(hours=3)),
            "world/harbour.md": story("Harbour Reopens", "World", NOW - timedelta(hours=2)),
            "business/grain.md": story("Grain Merger", "Business", NOW - timedelta(hours=1)),
        },
        config=CONFIG,
    )


def recorded(root: Path) -> list[tuple[str, tuple[str, ...]]]:
    with StateStore(SitePaths(root).state_db) as store:
        return [(record.edition_id, record.article_ids) for record in store.editions.all()]


def archive_links(root: Path) -> list[str]:
    page = html.fromstring((root / "digests" / "index.html").read_bytes())
    links = [link.get("href", "") for item in page.iter("li") for link in item.iter("a")]
    # Absolute, so that a copy of the page anywhere still leads to the editions.
    prefix = "https://news.example.com/digests/"
    assert all(link.startswith(prefix) for link in links), links
    return [link.removeprefix(prefix) for link in links]


def publish_json(root: Path, *options: str) -> dict[str, object]:
    result = runner.invoke(app, ["publish", str(root), "--json", *options])
    assert result.exit_code == 0, result.stderr
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def test_publish_makes_an_edition_then_only_what_is_new(tmp_path: Path, clock: Clock) -> None:
    root = news_site(tmp_path)
    first = api.publish(root, {})
    assert first.digest is not None and first.digest.edition is not None
    edition = first.digest.edition
    assert edition.edition_id == "2026-11-25"
    assert [block.name for block in edition.sections] == ["World", "Business", "Culture"]
    folder = root / "digests" / "2026-11-25"
    assert first.digest.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == ["digest.txt", "index.html", "sample.eml"]
    assert "Harbour Reopens" in (folder / "digest.txt").read_text("utf-8")
    sample = email.message_from_bytes(
        (folder / "sample.eml").read_bytes(), policy=email.policy.default
    )
    assert sample["Subject"] == "Harbour Courier digest: Wednesday, November 25, 2026"
    assert archive_links(root) == ["2026-11-25/"]
    assert recorded(root) == [("2026-11-25", ("world/harbour", "business/grain", "culture/choir"))]
    assert first.as_json()["digest"] == {
        "edition": "2026-11-25",
        "stories": 3,
        "recipients": 0,
        "sent": 0,
        "failed": 0,
        "suppressed": 0,
        "deferred": 0,
        "skipped": 0,
        "queued": 0,
        "variants": 0,  # nobody subscribes: no variant is sent
    }

    # Nothing new: no edition, nothing written, nothing recorded.
    clock.advance(hours=1)
    again = api.publish(root, {})
    assert again.digest is not None and again.digest.edition is None
    assert again.as_json()["digest"] is None
    clock.advance(minutes=5)
    assert publish_json(root)["digest"] is None
    assert len(recorded(root)) == 1

    # --force: an edition all the same, of the newest stories, the second of the day.
    clock.advance(hours=1)
    forced = publish_json(root, "--force")["digest"]
    assert isinstance(forced, dict)
    assert (forced["edition"], forced["stories"]) == ("2026-11-25-2", 3)
    assert (root / "digests" / "2026-11-25-2" / "index.html").is_file()

    # A story added since (dated last week) makes an edition of that story alone.
    clock.advance(hours=1)
    (root / "articles" / "world" / "late.md").write_text(
        story("Late Dispatch", "World", NOW - timedelta(days=7)), "utf-8"
    )
    late = api.publish(root, {})
    assert late.digest is not None and late.digest.edition is not None
    assert late.digest.edition.edition_id == "2026-11-25-3"
    assert [a.title for a in late.digest.edition.stories] == ["Late Dispatch"]
    assert archive_links(root) == ["2026-11-25-3/", "2026-11-25-2/", "2026-11-25/"]
    assert recorded(root)[0] == ("2026-11-25-3", ("world/late",))


def test_publish_since_takes_a_window_and_refuses_a_bad_one(tmp_path: Path, clock: Clock) -> None:
    root = news_site(tmp_path)
    # A window takes what was published in it...
    windowed = publish_json(root, "--since", "2d")["digest"]
    assert isinstance(windowed, dict) and windowed["stories"] == 3
    # ...once: publishing again within the week sends nothing twice.
    clock.advance(hours=1)
    assert publish_json(root, "--since", "2d")["digest"] is None
    assert publish_json(root)["digest"] is None
    result = runner.invoke(app, ["publish", str(root), "--since", "lately"])
    assert result.exit_code != 0
    assert "--since" in result.stderr and "Traceback" not in result.stderr


def test_preview_writes_the_edition_and_records_nothing(tmp_path: Path, clock: Clock) -> None:
    root = news_site(tmp_path)
    result = runner.invoke(app, ["preview", str(root), "--no-open"])
    assert result.exit_code == 0, result.stderr
    folder = root / "digests" / "preview"
    assert sorted(p.name for p in folder.iterdir()) == ["digest.txt", "index.html", "sample.eml"]
    assert str(folder / "index.html") in result.stdout.replace("\n", "")
    assert "Grain Merger" in (folder / "digest.txt").read_text("utf-8")
    assert recorded(root) == []
    assert not (root / "digests" / "index.html").exists()
    # Publishing afterwards still makes the first edition, of every story.
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.edition is not None
    assert len(report.digest.edition.stories) == 3


def test_preview_with_nothing_new_shows_the_newest_stories(tmp_path: Path, clock: Clock) -> None:
    root = news_site(tmp_path)
    api.publish(root, {})
    clock.advance(hours=1)
    _, report = api.preview(root, {})
    assert report.edition is not None
    assert len(report.edition.stories) == 3
    assert any("nothing new" in w.message for w in report.warnings)
    assert len(recorded(root)) == 1


def test_preview_of_a_site_without_articles_is_one_clear_error(tmp_path: Path) -> None:
    root = write_site(tmp_path / "empty", {})
    result = runner.invoke(app, ["preview", str(root), "--no-open"])
    assert result.exit_code == 2
    assert result.stderr.count("error:") == 1 and "no articles to preview" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "digests" / "preview").exists()


def test_a_story_added_in_the_same_second_as_the_last_edition_still_goes_out(
    tmp_path: Path, clock: Clock
) -> None:
    root = news_site(tmp_path)
    api.publish(root, {})
    (root / "articles" / "world" / "late.md").write_text(
        story("Late Dispatch", "World", NOW), "utf-8"
    )
    clock.advance(seconds=0.4)  # the next publish, in the same second
    api.publish(root, {})
    clock.advance(hours=1)
    api.publish(root, {})
    sent = {article_id for _, ids in recorded(root) for article_id in ids}
    assert "world/late" in sent
