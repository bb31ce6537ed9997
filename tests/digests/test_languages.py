"""Digests in the site's language: the catalogue's words, CLDR's dates and plurals."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from babel.dates import format_date

from syndicate import api
from syndicate._util.language import catalogue, site_locale
from syndicate.digests.messages import html_for, text_for
from syndicate.digests.plan import edition_headers
from syndicate.digests.publish import preview_edition
from syndicate.digests.render import renderer_for
from tests.digests.test_render import GMAIL_CLIPS_AT, READER
from tests.factories import NOW, copy_example_site


def _site_in(tmp_path: Path, language: str) -> Path:
    root = copy_example_site(tmp_path)
    config = root / "syndicate.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^language\s*=.*\n", "", text)
    config.write_text(text.replace("[site]\n", f'[site]\nlanguage = "{language}"\n', 1), "utf-8")
    return root


@pytest.mark.parametrize("language", ["de", "el", "ar", "ja"])
def test_a_digest_speaks_the_sites_language(tmp_path: Path, language: str) -> None:
    site = api.load_site(_site_in(tmp_path, language), {}, now=NOW)
    report = preview_edition(site.config, site.articles, site.sections, now=NOW)
    assert report.edition is not None
    variant = renderer_for(site.config).render(report.edition, None)
    page, text = html_for(variant, READER), text_for(variant, READER)
    words = catalogue(language)
    for english in ("Unsubscribe", "View in browser"):
        assert words.gettext(english) != english and words.gettext(english) in page
    assert words.gettext("Unsubscribe:") in text
    count = len(report.edition.stories)
    stories = words.ngettext("%(num)d story", "%(num)d stories", count) % {"num": count}
    assert stories in text
    assert variant.preheader.startswith(f"{stories}: ")  # what an inbox shows by the subject
    day = format_date(report.edition.created_at.astimezone(site.config.settings.site.zone),
                      "full", locale=site_locale(language))  # fmt: skip
    assert day in text and day in edition_headers(site.config, report.edition).subject
    assert f'lang="{language}"' in page
    assert len(page.encode()) < GMAIL_CLIPS_AT


def test_the_default_subject_is_translated_and_a_sites_own_is_not(tmp_path: Path) -> None:
    # The example site writes the default out: it is still the default.
    root = _site_in(tmp_path, "de")
    site = api.load_site(root, {}, now=NOW)
    report = preview_edition(site.config, site.articles, site.sections, now=NOW)
    assert edition_headers(site.config, report.edition).subject.startswith("Newsletter von ")
    config = root / "syndicate.toml"
    text = config.read_text("utf-8").replace("{site} digest: {date}", "{site}: Ausgabe {edition}")
    config.write_text(text, "utf-8")
    site = api.load_site(root, {}, now=NOW)
    subject = edition_headers(site.config, report.edition).subject
    assert subject == f"{site.config.title}: Ausgabe {report.edition.edition_id}"


def test_a_story_in_another_language_than_the_edition_is_marked_so(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)  # English stories
    config = root / "syndicate.toml"
    config.write_text(
        config.read_text("utf-8").replace("[site]\n", '[site]\nlanguages = ["ar"]\n', 1)
    )
    site = api.load_site(root, {}, now=NOW)
    report = preview_edition(site.config, site.articles, site.sections, now=NOW)
    arabic = html_for(renderer_for(site.config, "ar").render(report.edition, None), READER)
    stories = len(report.edition.stories)
    marked = '<div lang="en" dir="ltr"'
    assert arabic.count(marked) == stories  # each story runs left to right
    assert '<html lang="ar" dir="rtl"' in arabic
    english = html_for(renderer_for(site.config).render(report.edition, None), READER)
    assert marked not in english  # in the edition's own language: unmarked
    # Names and dates are isolated: a Latin name beside a date stays in its order.
    assert "<bdi>Rafe Ocholla</bdi>" in english


def test_a_sites_greeting_with_a_percent_sign_reads_as_one(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    messages = root / "locale" / "en" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "syndicate.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Hello,"\nmsgstr "Hello, 100%% reader,"\n',
        "utf-8",
    )
    site = api.load_site(root, {}, now=NOW)
    report = preview_edition(site.config, site.articles, site.sections, now=NOW)
    variant = renderer_for(site.config).render(report.edition, None)
    nameless = replace(READER, name="")
    assert "Hello, 100% reader," in text_for(variant, nameless)
    assert "100%% reader" not in html_for(variant, nameless)
