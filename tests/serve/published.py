"""A published example site (real feeds, a real digest edition, real signed
unsubscribe links in a real outbox) and its subscriber store, as `serve` tests
find them. Fixtures: conftest.py."""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
import shutil
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.config import LoadedConfig, load_config
from syndicate.serve import create_app
from tests.factories import REPO, copy_example_site

SECRET = "serve-tests-secret-key-4f1c9a0b7e"
ENV = {"SYNDICATE_SECRET_KEY": SECRET}
EXAMPLE_BASE = "https://news.example.com/"
# Of the example subscribers.csv: active, so each got the edition.
ACTIVE = (
    "amina.clarke@example.com",
    "hana.lowry@example.com",
    "juno.feather@example.com",
    "lev.ostrander@example.org",
    "marek.sollis@example.org",
    "priya.nandor@example.com",
)
CONFIRM_SUBJECT = "Confirm your subscription"
UNSUBSCRIBED = "tobias.renn@example.org"  # unsubscribed in the CSV: got no digest


def publish_example(parent: Path, base_url: str = EXAMPLE_BASE) -> Path:
    """The example site with its subscribers, published: feeds (5 entries each, so the
    whole-site feeds have RFC 5005 archive pages), a digest edition and its messages."""
    site = copy_example_site(parent)
    shutil.copy(REPO / "subscribers.csv", site)
    config = site / "syndicate.toml"
    text = config.read_text("utf-8")
    assert f'base_url = "{EXAMPLE_BASE}"' in text and "entries = 50" in text
    text = text.replace(f'base_url = "{EXAMPLE_BASE}"', f'base_url = "{base_url}"')
    config.write_text(text.replace("entries = 50", "entries = 5"), "utf-8")
    report = api.publish(site, ENV).as_json()
    assert report["errors"] == [], report["errors"]
    digest = report["digest"]
    assert isinstance(digest, dict) and digest["sent"] == len(ACTIVE), digest
    return site


def copy_site(template: Path, into: Path) -> Path:
    """A private copy of a published site, state store and outbox included."""
    skip = shutil.ignore_patterns("build", "publish.lock")  # publish's staging, its lock
    return Path(shutil.copytree(template, into / "site", symlinks=True, ignore=skip))


def offer_languages(site: Path, *languages: str) -> Path:
    """The site, offering `languages` besides its own (site.languages)."""
    config = site / "syndicate.toml"
    text = config.read_text("utf-8")
    listed = ", ".join(f'"{language}"' for language in languages)
    config.write_text(text.replace("[site]\n", f"[site]\nlanguages = [{listed}]\n", 1), "utf-8")
    return site


def config_of(site: Path) -> LoadedConfig:
    return load_config(site, ENV)


def app_for(site: Path) -> Starlette:
    return create_app(config_of(site))


def edition_of(site: Path) -> str:
    (edition,) = [p.name for p in (site / "digests").iterdir() if p.is_dir()]
    return edition


def messages(site: Path) -> list[EmailMessage]:
    """Every message in the site's outbox (a Maildir)."""
    box = mailbox.Maildir(site / "outbox", factory=None, create=False)
    found = []
    for key in box.iterkeys():
        parsed = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def address_of(message: EmailMessage) -> str:
    return str(message["To"].addresses[0].addr_spec)


def digests(site: Path) -> dict[str, EmailMessage]:
    """The digest messages in the outbox, by recipient address."""
    return {address_of(m): m for m in messages(site) if m["List-Unsubscribe"] is not None}


def confirmations(site: Path, address: str) -> list[EmailMessage]:
    return [
        m
        for m in messages(site)
        if str(m["Subject"]).startswith(CONFIRM_SUBJECT) and address_of(m) == address
    ]


def texts(message: EmailMessage) -> dict[str, str]:
    """The text parts of a message, by content type."""
    return {
        part.get_content_type(): str(part.get_content())
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def unsubscribe_url(message: EmailMessage) -> str:
    (url,) = re.findall(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]))
    return str(url)


def confirm_url(message: EmailMessage) -> str:
    (url,) = re.findall(r"https?://\S+/confirm/\S+", texts(message)["text/plain"])
    return str(url)


def path_of(url: str) -> str:
    """A link's path: served by whatever host the test runs on."""
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and not parts.query, url
    return parts.path


def statuses(site: Path) -> dict[str, str]:
    with StateStore(site / ".syndicate" / "state.db") as store:
        return {s.email: s.status for s in store.subscribers.all()}


def subscriber_rows(site: Path) -> list[tuple[object, ...]]:
    """The store's subscribers and suppressions, every column: to prove nothing changed."""
    with StateStore(site / ".syndicate" / "state.db") as store:
        people = store.db.execute("SELECT * FROM subscriber ORDER BY email").fetchall()
        suppressed = store.db.execute("SELECT * FROM suppression ORDER BY email").fetchall()
    return [tuple(row) for row in [*people, *suppressed]]


def suppress(site: Path, address: str) -> None:
    with StateStore(site / ".syndicate" / "state.db") as store:
        store.subscribers.suppress(address, "550 no such user")


SIGNED_UP = "nell.quarry@example.net"


def tampered(token: str) -> str:
    """One character of the signed payload changed (in an itsdangerous token, before
    its signature; in an opaque one, in the sealed part)."""
    if "." in token:
        payload, signature = token.rsplit(".", 1)
        index = len(payload) // 2
        swapped = "A" if payload[index] != "A" else "B"
        return f"{payload[:index]}{swapped}{payload[index + 1 :]}.{signature}"
    index = len(token) - 2
    swapped = "a" if token[index] != "a" else "b"
    return f"{token[:index]}{swapped}{token[index + 1 :]}"


def subscriber_id(site: Path, email: str) -> int:
    with StateStore(site / ".syndicate" / "state.db") as store:
        found = store.subscribers.find(email)
    assert found is not None
    return found.id
