"""serve in a site's languages: each page in the one the browser prefers among the
site's, a menu to choose the digest's language on sign-up, and the confirmation mail
in the language chosen."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from syndicate._store.store import StateStore
from syndicate._util.language import catalogue
from tests.serve.published import app_for, messages, offer_languages, texts

GERMAN = catalogue("de")


@pytest.fixture
def bilingual(site: Path) -> Path:
    return offer_languages(site, "de", "he")


@pytest.fixture
def browser(bilingual: Path) -> Iterator[TestClient]:
    with TestClient(app_for(bilingual), follow_redirects=False) as client:
        yield client


def language_of(site: Path, address: str) -> str:
    with StateStore(site / ".syndicate" / "state.db") as store:
        found = store.subscribers.find(address)
    assert found is not None
    return found.language


def test_pages_follow_the_browsers_preference_among_the_sites_languages(
    browser: TestClient,
) -> None:
    german = browser.get("/subscribe", headers={"Accept-Language": "fr;q=0.9, de-AT;q=0.8"})
    assert german.headers["content-language"] == "de"
    assert "Accept-Language" in german.headers["vary"]
    assert GERMAN.gettext("Email address") in german.text and 'lang="de"' in german.text
    assert '<option value="de" lang="de" selected>Deutsch</option>' in german.text
    hebrew = browser.get("/subscribe", headers={"Accept-Language": "he"})
    assert 'dir="rtl"' in hebrew.text and hebrew.headers["content-language"] == "he"
    # Nothing the site offers, or nothing said: the site's own language.
    for asked in ("ja", "", "*;q=0.5", "de;q=0"):
        page = browser.get("/subscribe", headers={"Accept-Language": asked})
        assert page.headers["content-language"] == "en", asked
        assert '<option value="en" lang="en" selected>English</option>' in page.text


def test_a_sign_up_keeps_the_language_chosen_and_is_confirmed_in_it(
    browser: TestClient, bilingual: Path
) -> None:
    answer = browser.post(
        "/subscribe",
        data={"email": "kai@example.org", "language": "de"},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-language"] == "de"  # the answer is in the one chosen
    assert language_of(bilingual, "kai@example.org") == "de"
    [mail] = [m for m in messages(bilingual) if str(m["To"]) == "kai@example.org"]
    site = "Harbour Courier"
    assert str(mail["Subject"]) == GERMAN.gettext("Confirm your subscription to %(site)s") % {
        "site": site
    }
    assert GERMAN.gettext("Hello,") in texts(mail)["text/plain"]


def test_without_a_choice_the_browsers_language_is_kept(
    browser: TestClient, bilingual: Path
) -> None:
    browser.post(
        "/subscribe", data={"email": "lea@example.org"}, headers={"Accept-Language": "he-IL"}
    )
    assert language_of(bilingual, "lea@example.org") == "he"


def test_a_language_the_site_does_not_offer_is_refused(
    browser: TestClient, bilingual: Path
) -> None:
    answer = browser.post("/subscribe", data={"email": "max@example.org", "language": "fr"})
    assert answer.status_code == 400
    assert "Please choose one of the languages offered." in html.unescape(answer.text)
    assert not [m for m in messages(bilingual) if str(m["To"]) == "max@example.org"]


def test_a_form_problem_is_told_in_the_readers_language(browser: TestClient) -> None:
    answer = browser.post(
        "/subscribe", data={"email": "not an address"}, headers={"Accept-Language": "de"}
    )
    assert answer.status_code == 400
    words = html.unescape(answer.text)
    assert GERMAN.gettext("That is not an email address we can send to.") in words
    assert GERMAN.gettext("Please check the form") in words


def test_a_site_of_one_language_shows_no_menu_and_does_not_vary(client: TestClient) -> None:
    page = client.get("/subscribe", headers={"Accept-Language": "de"})
    assert page.headers["content-language"] == "en"
    assert "vary" not in page.headers or "Accept-Language" not in page.headers["vary"]
    assert "<select" not in page.text


def test_signing_up_again_takes_the_new_choice(browser: TestClient, bilingual: Path) -> None:
    browser.post("/subscribe", data={"email": "ona@example.org", "language": "de"})
    browser.post("/subscribe", data={"email": "ona@example.org", "language": "he"})
    assert language_of(bilingual, "ona@example.org") == "he"  # what the last mail said


def test_a_sign_up_without_a_choice_on_a_site_of_one_language_follows_the_site(
    client: TestClient, site: Path
) -> None:
    client.post("/subscribe", data={"email": "pia@example.org"}, headers={"Accept-Language": "de"})
    assert language_of(site, "pia@example.org") == ""
