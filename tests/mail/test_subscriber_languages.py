"""Each subscriber's language: chosen in the CSV, by `subscribers add --language`, or
on sign-up; their digest (words, dates, subject, direction) is in it, and MJML is still
compiled once per (sections, language), never per subscriber."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from syndicate import api
from syndicate._util.language import catalogue
from syndicate.digests.variants import variant_key, variant_label
from syndicate.mail.subscribers import RowError, check_row, read_subscriber_csv
from tests.commands import invoke
from tests.mail.outbox_site import (
    CONFIG,
    body_part,
    digest_site,
    outbox,
    recipient,
    sections_in,
    sql,
    text_part,
)

OFFERED = ("en", "de", "ar")
BILINGUAL = CONFIG + 'languages = ["de", "ar"]\n'
SUBSCRIBERS = (
    "email,name,sections,status,language\n"
    "anna@example.com,Anna,,active,de\n"
    "bernd@example.com,Bernd,World,active,de-AT\n"  # an offered language's variant
    "carl@example.com,Carl,World,active,\n"  # none: the site's
    "dalia@example.com,Dalia,,active,AR\n"
    "erin@example.com,Erin,,active,en\n"
)


def bilingual_site(root: Path, subscribers: str = SUBSCRIBERS) -> Path:
    digest_site(root, subscribers)
    config = root / "syndicate.toml"
    config.write_text(config.read_text("utf-8").replace(CONFIG, BILINGUAL), "utf-8")
    return root


def test_a_row_takes_an_offered_language_as_the_site_spells_it() -> None:
    assert check_row("a@example.com", language="DE", offered=OFFERED).language == "de"
    assert check_row("a@example.com", language="de-CH", offered=OFFERED).language == "de"
    assert check_row("a@example.com", language="", offered=OFFERED).language == ""
    with pytest.raises(RowError, match=r"'fr' is not one of the site's languages \(en, de, ar\)"):
        check_row("a@example.com", language="fr", offered=OFFERED)
    with pytest.raises(RowError) as caught:
        check_row("a@example.com", language="not a tag", offered=OFFERED)
    assert caught.value.field == "language"


def test_a_csv_row_with_a_language_the_site_does_not_offer_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(
        "email,language\nok@example.com,de\nno@example.com,fr\nplain@example.com,\n", "utf-8"
    )
    rows, problems = read_subscriber_csv(path, OFFERED)
    assert [(r.email, r.language, r.line) for r in rows] == [
        ("ok@example.com", "de", 2),
        ("plain@example.com", "", 4),
    ]
    [problem] = problems
    assert (problem.line, problem.field) == (3, "language")


def test_each_subscriber_gets_the_digest_in_their_language(tmp_path: Path) -> None:
    root = bilingual_site(tmp_path / "site")
    report = api.publish(root, {})
    digest = report.as_json()["digest"]
    assert digest["sent"] == 5
    # en: all, World; de: all, World; ar: all. Never one a subscriber.
    assert digest["variants"] == 5
    keys = {key for (key,) in sql(root, "SELECT variant FROM edition_variant")}
    assert keys == {"*", '["World"]', "de|*", 'de|["World"]', "ar|*"}
    stored = dict(sql(root, "SELECT email, language FROM subscriber"))
    assert stored == {
        "anna@example.com": "de",
        "bernd@example.com": "de",
        "carl@example.com": "",
        "dalia@example.com": "ar",
        "erin@example.com": "en",
    }
    messages = {recipient(m): m for _, m in outbox(root)}
    german, arabic = catalogue("de"), catalogue("ar")
    for address, language in (("anna", "de"), ("bernd", "de"), ("dalia", "ar")):
        message = messages[f"{address}@example.com"]
        html, text = body_part(message, "text/html"), text_part(message)
        words = german if language == "de" else arabic
        assert words.gettext("Unsubscribe:") in text
        assert f'lang="{language}"' in html
        subject = str(
            email.message_from_bytes(message.as_bytes(), policy=email.policy.default)["Subject"]
        )
        assert subject.startswith(words.gettext("%(site)s digest: %(date)s").split("%")[0])
    assert "Guten Tag Anna," in text_part(messages["anna@example.com"])
    assert 'dir="rtl"' in body_part(messages["dalia@example.com"], "text/html")
    for english in ("carl@example.com", "erin@example.com"):
        assert "Unsubscribe:" in text_part(messages[english])
        assert str(messages[english]["Subject"]).startswith("site digest: ")
    assert sections_in(messages["bernd@example.com"]) == frozenset({"World"})


def test_a_language_dropped_from_the_site_falls_back_with_a_warning(tmp_path: Path) -> None:
    root = bilingual_site(tmp_path / "site")
    api.publish(root, {}, send=False)  # the subscribers are in, with their languages
    config = root / "syndicate.toml"
    config.write_text(config.read_text("utf-8").replace(BILINGUAL, CONFIG + 'languages = ["de"]\n'))
    (root / "subscribers.csv").unlink()
    sql(root, "DELETE FROM send")
    sql(root, "DELETE FROM edition_variant")
    sql(root, "DELETE FROM edition")
    report = api.publish(root, {})
    warned = [w for w in report.warnings if w.field == "site.languages"]
    assert len(warned) == 1 and "1 subscriber chose 'ar'" in warned[0].message
    messages = {recipient(m): m for _, m in outbox(root)}
    assert "Unsubscribe:" in text_part(messages["dalia@example.com"])


def test_add_list_and_show_carry_the_language(tmp_path: Path) -> None:
    root = bilingual_site(tmp_path / "site", "email\n")
    code, out, err = invoke(
        "subscribers", "add", "zoe@example.com", "--language", "de-DE", "--dir", str(root)
    )
    assert code == 0, err
    code, out, _ = invoke("subscribers", "list", "--json", "--dir", str(root))
    assert [(row["email"], row["language"]) for row in json.loads(out)] == [
        ("zoe@example.com", "de")
    ]
    # Changing the name keeps the language; --language '' gives back the site's.
    invoke("subscribers", "add", "zoe@example.com", "--name", "Zoe", "--dir", str(root))
    code, out, _ = invoke("subscribers", "show", "zoe@example.com", "--json", "--dir", str(root))
    assert (json.loads(out)["name"], json.loads(out)["language"]) == ("Zoe", "de")
    invoke("subscribers", "add", "zoe@example.com", "--language", "", "--dir", str(root))
    code, out, _ = invoke("subscribers", "show", "zoe@example.com", "--json", "--dir", str(root))
    assert json.loads(out)["language"] == ""
    code, _, err = invoke(
        "subscribers", "add", "zoe@example.com", "--language", "fr", "--dir", str(root)
    )
    assert code != 0
    assert "'fr' is not one of the site's languages (en, de, ar" in err
    assert "Traceback" not in err


def test_a_csv_without_the_column_leaves_languages_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text("email,name\nok@example.com,Ok\n", "utf-8")
    [row], _ = read_subscriber_csv(path, OFFERED)
    assert row.language is None  # what `subscribers add --language` set stays


def test_variant_keys_read_back_whatever_the_section_names() -> None:
    for sections, language, label in (
        (None, None, "all"),
        (frozenset({"News | World"}), None, "News | World"),
        (frozenset({"News | World", "A"}), "de", "de:A+News | World"),
        (None, "zh-Hans", "zh-Hans:all"),
    ):
        assert variant_label(variant_key(sections, language)) == label
