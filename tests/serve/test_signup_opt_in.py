"""Sign-up with double opt-in: the form, confirmation links, one answer for all, rate limits."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from starlette.testclient import TestClient

from syndicate._store.address import StoreAddress
from syndicate._store.store import StateStore
from syndicate.digests.headers import list_id
from syndicate.mail import tokens
from syndicate.mail.tokens import confirm_token, unsubscribe_token
from syndicate.serve.signup import SignupLimits, network_of
from tests.serve.published import (
    ACTIVE,
    EXAMPLE_BASE,
    SECRET,
    SIGNED_UP,
    UNSUBSCRIBED,
    app_for,
    config_of,
    confirm_url,
    confirmations,
    messages,
    path_of,
    statuses,
    subscriber_rows,
    suppress,
    tampered,
    texts,
)
from tests.serve.server import page


def sign_up(client: TestClient, address: str = SIGNED_UP, **fields: Any) -> Any:
    return client.post("/subscribe", data={"email": address, "name": "Nell Quarry", **fields})


def sections_of(site: Path, address: str) -> tuple[str, ...]:
    with StateStore(site / ".syndicate" / "state.db") as store:
        (found,) = [s for s in store.subscribers.all() if s.email == address]
    return found.sections


# --- sign-up with double opt-in ---------------------------------------------------


def test_the_sign_up_form(reader: TestClient) -> None:
    response = reader.get("/subscribe")
    assert response.status_code == 200
    (form,) = page(response).xpath("//form")
    assert form.get("method") == "post" and form.get("action") == "/subscribe"
    assert {i.get("name") for i in form.xpath(".//input")} == {
        "email",
        "name",
        "sections",
        "website",
    }
    assert form.xpath(".//input[@name='sections']/@value") == ["World", "Business", "Culture"]
    # The field only robots fill: out of sight, out of the tab order, unread by readers.
    (trap,) = form.xpath(".//*[@class='trap']")
    assert trap.get("aria-hidden") == "true"
    assert trap.xpath(".//input/@tabindex") == ["-1"]
    assert ".trap { position: absolute; width: 1px; height: 1px; overflow: hidden;" in response.text


def test_signing_up_records_pending_and_mails_a_confirmation_link(
    client: TestClient, site: Path
) -> None:
    response = sign_up(client, "Nell.Quarry@Example.NET", sections=["World", "Sport"])
    assert response.status_code == 200 and "Check your inbox" in response.text
    assert statuses(site)[SIGNED_UP] == "pending"
    assert sections_of(site, SIGNED_UP) == ("World",)  # an unknown section is dropped
    (message,) = confirmations(site, SIGNED_UP)
    assert (site / "outbox" / "new").is_dir() and len(messages(site)) == len(ACTIVE) + 1
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] is not None and message["Message-ID"] is not None
    assert confirm_url(message).startswith(f"{EXAMPLE_BASE}confirm/")


HOSTILE_NAMES = [
    "Eve Bcc: x@evil.org",
    "Eve\r\nBcc: x@evil.org",
    "WIN A PRIZE at https://evil.example/claim",
    "<a href='https://evil.example'>Nell</a>",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_nothing_typed_into_the_form_but_the_address_reaches_the_mail(
    client: TestClient, site: Path, name: str
) -> None:
    # The form mails whatever address is typed: what else was typed would go with it to
    # a stranger's inbox (subscription bombing). Only the address is used.
    assert sign_up(client, SIGNED_UP, name=name).status_code == 200
    (message,) = confirmations(site, SIGNED_UP)
    whole = message.as_bytes().decode("utf-8", "replace")
    for piece in ("Eve", "evil", "PRIZE", "Nell"):
        assert piece not in whole
    assert texts(message)["text/plain"].startswith("Hello,\n")
    assert message.get_all("Bcc") is None and message.get_all("To") == [SIGNED_UP]


def test_the_confirmation_link_names_nobody(client: TestClient, site: Path) -> None:
    sign_up(client)
    token = path_of(confirm_url(confirmations(site, SIGNED_UP)[0])).rsplit("/", 1)[1]
    sealed = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    local = SIGNED_UP.split("@")[0].encode()
    assert local not in sealed and local not in token.encode()
    assert "." not in token  # no readable payload beside a signature, as itsdangerous's


def test_a_robot_that_fills_the_hidden_field_is_told_the_same_and_mailed_nothing(
    client: TestClient, site: Path
) -> None:
    person = sign_up(client, "a.person@example.net")
    robot = sign_up(client, SIGNED_UP, website="https://spam.example/")
    assert robot.status_code == 200 and robot.text == person.text
    assert SIGNED_UP not in statuses(site)
    assert confirmations(site, SIGNED_UP) == []


def test_the_confirmation_link_shows_a_button_and_only_a_post_activates(
    client: TestClient, site: Path
) -> None:
    sign_up(client)
    link = path_of(confirm_url(confirmations(site, SIGNED_UP)[0]))
    shown = client.get(link)
    assert shown.status_code == 200 and SIGNED_UP in shown.text
    assert "no-store" in shown.headers["cache-control"]
    (form,) = page(shown).xpath("//form")
    assert form.get("method") == "post" and form.get("action") == link
    assert form.xpath(".//button[@type='submit']")
    assert client.get(link).status_code == 200
    assert statuses(site)[SIGNED_UP] == "pending"  # opening the link is not confirming

    done = client.post(link)
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert statuses(site)[SIGNED_UP] == "active"
    assert client.post(link).status_code == 200  # twice: still fine, still active
    assert statuses(site)[SIGNED_UP] == "active"


def test_a_head_request_on_the_confirmation_link_does_not_activate(
    client: TestClient, site: Path
) -> None:
    sign_up(client)
    link = path_of(confirm_url(confirmations(site, SIGNED_UP)[0]))
    assert client.head(link).status_code == 200
    assert statuses(site)[SIGNED_UP] == "pending"


def test_head_on_the_sign_up_form_answers_like_get(client: TestClient) -> None:
    assert client.head("/subscribe").status_code == 200


def test_the_same_answer_whoever_signs_up(client: TestClient, site: Path) -> None:
    suppress(site, "oswin.hale@example.org")  # bounced for good
    suppress(site, "never.known@example.net")
    addresses = {
        "new": SIGNED_UP,
        "pending": SIGNED_UP,
        "active": "hana.lowry@example.com",
        "suppressed subscriber": "oswin.hale@example.org",
        "suppressed stranger": "never.known@example.net",
    }
    answers = {who: sign_up(client, address) for who, address in addresses.items()}
    assert {a.status_code for a in answers.values()} == {200}
    assert len({a.text for a in answers.values()}) == 1
    for address in ("hana.lowry@example.com", "oswin.hale@example.org", "never.known@example.net"):
        assert confirmations(site, address) == [], address
    assert len(confirmations(site, SIGNED_UP)) == 2  # the new one, asking twice
    now = statuses(site)
    assert now["hana.lowry@example.com"] == "active"
    assert now["oswin.hale@example.org"] == "bounced"
    assert "never.known@example.net" not in now


def test_someone_who_left_comes_back_only_by_confirming(client: TestClient, site: Path) -> None:
    assert sign_up(client, UNSUBSCRIBED).status_code == 200
    assert statuses(site)[UNSUBSCRIBED] == "unsubscribed"
    (message,) = confirmations(site, UNSUBSCRIBED)
    assert client.post(path_of(confirm_url(message))).status_code == 200
    assert statuses(site)[UNSUBSCRIBED] == "active"


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(days=1)])
def test_a_link_from_before_someone_left_does_not_bring_them_back(
    client: TestClient, site: Path, monkeypatch: pytest.MonkeyPatch, later: timedelta
) -> None:
    # Confirmed, then unsubscribed; the old mail, forwarded or in a shared inbox, is
    # posted again within its week.
    sign_up(client)
    (link,) = [path_of(confirm_url(m)) for m in confirmations(site, SIGNED_UP)]
    assert client.post(link).status_code == 200
    with StateStore(site / ".syndicate" / "state.db") as store:
        store.subscribers.set_status(SIGNED_UP, "unsubscribed", datetime.now(UTC) + later)
    shift_clock(monkeypatch, 2)
    assert client.post(link).status_code == 400
    assert statuses(site)[SIGNED_UP] == "unsubscribed"
    # A new sign-up mails a new link, and that one brings them back.
    sign_up(client)
    (fresh,) = {path_of(confirm_url(m)) for m in confirmations(site, SIGNED_UP)} - {link}
    assert client.post(fresh).status_code == 200
    assert statuses(site)[SIGNED_UP] == "active"


def test_one_address_gets_at_most_three_confirmations_an_hour(
    client: TestClient, site: Path
) -> None:
    spellings = ["Nell.Quarry@example.net", SIGNED_UP, "NELL.QUARRY@EXAMPLE.NET", SIGNED_UP]
    answers = [sign_up(client, address) for address in spellings]
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.text for a in answers}) == 1  # the fourth is told nothing different
    assert len(confirmations(site, SIGNED_UP)) == 3


def test_one_client_gets_429_after_twenty_sign_ups(site: Path) -> None:
    app = app_for(site)
    flood = TestClient(app, client=("203.0.113.9", 40000))
    for number in range(20):
        assert sign_up(flood, f"reader{number}@example.net").status_code == 200
    refused = sign_up(flood, "reader20@example.net")
    assert refused.status_code == 429
    assert confirmations(site, "reader20@example.net") == []
    assert "reader20@example.net" not in statuses(site)
    assert len(confirmations(site, "reader19@example.net")) == 1
    # Another client is not held back by that one.
    other = TestClient(app, client=("198.51.100.4", 40001))
    assert sign_up(other, "reader21@example.net").status_code == 200
    assert len(confirmations(site, "reader21@example.net")) == 1


def test_one_network_gets_429_after_sixty_sign_ups_from_any_of_its_addresses(
    site: Path,
) -> None:
    # One machine holds a whole IPv6 /64 (and often a /48): a new address per sign-up
    # must not get round the limit of one client.
    app = app_for(site)
    for number in range(60):
        host = f"2001:db8:7:{number % 4}::{number + 1:x}"
        flood = TestClient(app, client=(host, 40000))
        assert sign_up(flood, f"reader{number}@example.net").status_code == 200
    refused = sign_up(TestClient(app, client=("2001:db8:7:ff::99", 40000)), "late@example.net")
    assert refused.status_code == 429 and confirmations(site, "late@example.net") == []
    elsewhere = TestClient(app, client=("2001:db8:8::1", 40000))  # another /48
    assert sign_up(elsewhere, "other@example.net").status_code == 200


@pytest.mark.parametrize(
    ("client", "network"),
    [
        ("203.0.113.9", "203.0.113.0/24"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        ("2001:db8:7:1::5", "2001:db8:7::/48"),
        ("testclient", "testclient"),
    ],
)
def test_the_network_of_a_client(client: str, network: str) -> None:
    assert network_of(client) == network


def test_a_rate_limit_forgets_within_two_windows(store_target: Path | StoreAddress) -> None:
    # The window slides: the period before counts for the part of it still inside.
    address = store_target if isinstance(store_target, StoreAddress) else None
    limits = SignupLimits(address or StoreAddress(path=store_target), per_address=3, window=0.2)
    time.sleep(0.2 - time.time() % 0.2)  # at the start of a period
    assert [limits.allow("address:a", 3) for _ in range(4)] == [True, True, True, False]
    assert limits.allow("address:b", 3)  # per key
    time.sleep(0.42)
    assert limits.allow("address:a", 3)


def test_a_bad_address_is_refused_and_nothing_is_sent(client: TestClient, site: Path) -> None:
    response = sign_up(client, "not an address")
    assert response.status_code == 400
    assert len(messages(site)) == len(ACTIVE)


def shift_clock(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    """The tokens' clock `days` ahead (and itsdangerous's, which read the old ones)."""
    ahead = time.time() + days * 86400
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: ahead))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(ahead))


def test_a_confirmation_link_works_for_a_week_and_not_after(
    client: TestClient, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client)
    link = path_of(confirm_url(confirmations(site, SIGNED_UP)[0]))
    shift_clock(monkeypatch, 6.9)
    assert client.get(link).status_code == 200
    shift_clock(monkeypatch, 7.1)
    assert client.get(link).status_code == 400
    assert client.post(link).status_code == 400
    assert statuses(site)[SIGNED_UP] == "pending"


def test_a_link_mailed_before_tokens_were_sealed_works_for_its_week(
    client: TestClient, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client)
    listed = list_id(config_of(site).settings.site.host)
    old = URLSafeTimedSerializer(SECRET, salt="syndicate-confirm").dumps(
        {"e": SIGNED_UP, "l": listed}
    )
    read = tokens.read_confirm_token(SECRET, old, listed)
    assert read is not None and abs(read.issued.timestamp() - time.time()) < 5  # its own time
    shift_clock(monkeypatch, 7.1)
    assert client.post(f"/confirm/{old}").status_code == 400
    monkeypatch.undo()
    assert client.post(f"/confirm/{old}").status_code == 200
    assert statuses(site)[SIGNED_UP] == "active"


@pytest.mark.parametrize(
    "kind",
    ["other site's key", "other list", "an unsubscribe token", "tampered", "cut short"],
)
def test_a_bad_confirmation_token_is_refused(client: TestClient, site: Path, kind: str) -> None:
    sign_up(client)
    listed = list_id(config_of(site).settings.site.host)
    real = path_of(confirm_url(confirmations(site, SIGNED_UP)[0])).rsplit("/", 1)[1]
    token = {
        "other site's key": confirm_token("another site's secret key", SIGNED_UP, listed),
        "other list": confirm_token(SECRET, SIGNED_UP, "digest.other.example"),
        "an unsubscribe token": unsubscribe_token(SECRET, 1, listed),
        "tampered": tampered(real),
        "cut short": real[:-3],
    }[kind]
    before = subscriber_rows(site)
    assert client.get(f"/confirm/{token}").status_code == 400
    assert client.post(f"/confirm/{token}").status_code == 400
    assert subscriber_rows(site) == before
    assert statuses(site)[SIGNED_UP] == "pending"
