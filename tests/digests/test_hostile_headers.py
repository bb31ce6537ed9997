"""Site titles, names and records that try to reach a digest's headers or structure."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate import api
from syndicate.config import load_config
from syndicate.digests import make_edition
from syndicate.digests.messages import build_message
from syndicate.digests.plan import edition_headers, sample_reader
from syndicate.digests.render import renderer_for
from syndicate.errors import ConfigError
from tests.factories import article, markdown_record, write_site

WHEN = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def sample_message(tmp_path: Path, title: str, *stories: object) -> email.message.EmailMessage:
    root = write_site(
        tmp_path / "site",
        {},
        config=f'[site]\ntitle = {title!r}\nbase_url = "https://news.example.com/"\n',
    )
    config = load_config(root, {})
    edition = make_edition(list(stories) or [article("A")], ["World"], "2026-11-26", WHEN)  # type: ignore[arg-type]
    variant = renderer_for(config).render(edition, None)
    raw = build_message(variant, edition_headers(config, edition), sample_reader(config))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@pytest.mark.parametrize(
    "title",
    [
        "Smith, Jones & Co Gazette",
        "News <evil@attacker.example>",
        "Harbour (Courier)",
        'The "Daily" Bugle',
        "=?utf-8?q?X=0D=0ABcc=3A_v=40e.x?=",
    ],
)
def test_a_site_title_stays_one_display_name(tmp_path: Path, title: str) -> None:
    message = sample_message(tmp_path, title)
    [sender] = message["From"].addresses
    assert sender.addr_spec == "digest@news.example.com"
    assert "Bcc" not in message and message.defects == []
    assert message["List-Id"].endswith("<digest.news.example.com>")
    assert "\n" not in str(message["Subject"])


def test_a_record_cannot_end_the_text_part_early(tmp_path: Path) -> None:
    story = article("--=_syndicate_5bc56e6ec6cf24813759a967f7938557")
    message = sample_message(tmp_path, "Harbour", story)
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


def test_a_record_holding_a_slot_token_is_plain_text(tmp_path: Path) -> None:
    story = article("Evil SYNDICATEUNSUBSCRIBESLOT SYNDICATEGREETINGSLOT title")
    message = sample_message(tmp_path, "Harbour", story)
    text = message.get_body(("plain",))
    assert text is not None
    assert "Evil" in text.get_content() and "SYNDICATE" not in text.get_content()


def test_digest_from_must_be_one_address(tmp_path: Path) -> None:
    (tmp_path / "syndicate.toml").write_text(
        '[digest]\nfrom = "digest@news.example.com, other@evil.example"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})
    assert caught.value.problem.field == "digest.from"


def test_the_web_copy_is_nobodys_subscription(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {"world/a.md": markdown_record({"title": "A"})},
        config='[site]\nbase_url = "https://news.example.com/"\n',
    )
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.folder is not None
    page = (report.digest.folder / "index.html").read_text()
    text = (report.digest.folder / "digest.txt").read_text()
    for copy in (page, text):
        assert "Unsubscribe" not in copy and "Hello," not in copy
        assert "https://news.example.com/digests/" in copy
    sample = (report.digest.folder / "sample.eml").read_bytes()
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in sample


def test_a_bad_since_stops_publish_before_anything_is_published(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"world/a.md": markdown_record({"title": "A"})})
    for window in ("7x", "99999999999d"):
        with pytest.raises(ConfigError):
            api.publish(root, {}, since=window)
    assert not (root / "feeds").exists()


def test_the_unsubscribe_href_carries_the_url_alone(tmp_path: Path) -> None:
    import lxml.html

    message = sample_message(tmp_path, "Harbour")
    body = message.get_body(("html",))
    assert body is not None
    page = body.get_content()
    hrefs = [a.get("href") for a in lxml.html.fromstring(page).iter("a")]
    assert "https://news.example.com/unsubscribe/sample" in hrefs
    assert 'href="https://news.example.com/unsubscribe/sample"' not in page  # padded outside
    assert '"https://news.example.com/unsubscribe/sample"' in page


def test_no_record_makes_a_line_longer_than_rfc_5322_allows(tmp_path: Path) -> None:
    from syndicate.site.records import RelatedLink

    long_title = "Headline " * 150 + "x" * 1500
    story = article(
        long_title,
        summary="y" * 2000,
        related=(RelatedLink("z" * 1200, "https://news.example.com/world/z/", "z"),),
    )
    root = write_site(tmp_path / "site", {})
    config = load_config(root, {})
    edition = make_edition([story], ["World"], "2026-11-26", WHEN)
    variant = renderer_for(config).render(edition, None)
    raw = build_message(variant, edition_headers(config, edition), sample_reader(config))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    text = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",))
    assert text is not None
    assert "".join(text.get_content().split()).count("x" * 200) >= 1  # cut, not dropped
