"""What the face of the library does with the mailing list: subscribers in and out,
and the mail that comes back. Like api.py, each function runs stages and returns
values; it never prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from syndicate._store.bounces import StoredEvent
from syndicate._store.store import StateStore
from syndicate._store.subscribers import ImportResult, Subscriber
from syndicate._util.files import replace_file
from syndicate.config import load_config
from syndicate.digests.headers import list_id
from syndicate.errors import ConfigError, Problem
from syndicate.mail.bounces import inbox as bounces_inbox
from syndicate.mail.bounces.inbox import BounceRun
from syndicate.mail.bounces.remote import open_mailbox
from syndicate.mail.bounces.sources import messages_at
from syndicate.mail.report import EditionOutcome, report_page
from syndicate.mail.subscribers import RowError, check_row, read_subscriber_csv
from syndicate.mail.tokens import (
    VerpAddresses,
    read_unsubscribe_token,
    signing_key,
    unsubscribe_mail_token,
)

__all__ = [
    "add_subscriber",
    "edition_outcomes",
    "import_subscribers",
    "list_subscribers",
    "read_bounces",
    "remove_subscriber",
    "show_subscriber",
    "unsubscribe_by_mail",
    "write_outcome_page",
]


def _store_of(target: Path, environ: Mapping[str, str]) -> StateStore:
    return StateStore(load_config(target, environ).store)


def import_subscribers(
    target: Path, environ: Mapping[str, str], csv_file: Path, *, resubscribe: bool = False
) -> tuple[ImportResult, list[Problem]]:
    """The good rows of `csv_file` into the site's subscribers; a problem for each bad
    one. Nobody who left is made active again, unless `resubscribe`."""
    config = load_config(target, environ)
    rows, problems = read_subscriber_csv(csv_file, config.settings.site.offered_languages)
    with StateStore(config.store) as store:
        return store.subscribers.upsert(rows, resubscribe=resubscribe), problems


def add_subscriber(
    target: Path,
    environ: Mapping[str, str],
    email: str,
    *,
    name: str | None = None,
    sections: str | None = None,
    language: str | None = None,
    resubscribe: bool = False,
) -> tuple[str, ImportResult]:
    """Add a subscriber, or change the name, sections and language (those given) of
    one; returns the address as stored, and what was done."""
    config = load_config(target, environ)
    offered = config.settings.site.offered_languages
    try:
        checked = check_row(
            email, name or "", sections or "", language=language or "", offered=offered
        )
    except RowError as exc:
        raise ConfigError(str(exc), field=exc.field) from None
    row = replace(
        checked,
        name=None if name is None else checked.name,
        sections=None if sections is None else checked.sections,
        language=None if language is None else checked.language,
    )
    with StateStore(config.store) as store:
        return row.email, store.subscribers.upsert([row], resubscribe=resubscribe)


def remove_subscriber(
    target: Path, environ: Mapping[str, str], email: str, *, forget: bool = False
) -> bool:
    """Unsubscribe someone, or with `forget` delete them and their sends; whether there
    was such a subscriber."""
    try:
        address = check_row(email).email
    except RowError as exc:
        raise ConfigError(str(exc), field=exc.field) from None
    with _store_of(target, environ) as store:
        book = store.subscribers
        return book.remove(address) if forget else book.set_status(address, "unsubscribed")


def list_subscribers(target: Path, environ: Mapping[str, str]) -> list[tuple[Subscriber, bool]]:
    """Every subscriber, by address, and whether their address is suppressed."""
    with _store_of(target, environ) as store:
        suppressed = store.subscribers.suppressed()
        return [(s, s.email in suppressed) for s in store.subscribers.all()]


def unsubscribe_by_mail(target: Path, environ: Mapping[str, str], message: bytes) -> str:
    """Unsubscribe the address that a message to the List-Unsubscribe mailto address
    names with its signed subject; returns it."""
    config = load_config(target, environ)
    key, _ = signing_key(config)
    who = unsubscribe_mail_token(message, key, list_id(config.settings.site.host))
    if who is None:
        raise ConfigError("no valid unsubscribe token in the subject", field="Subject")
    with StateStore(config.store) as store:
        subscriber = store.subscribers.named_by(who)
        if subscriber is None:
            raise ConfigError("the token names no subscriber (deleted since)", field="Subject")
        store.subscribers.set_status(subscriber.email, "unsubscribed")
    return subscriber.email


def read_bounces(
    target: Path, environ: Mapping[str, str], paths: Sequence[str], stdin: BinaryIO | None = None
) -> BounceRun:
    """Read bounce and complaint reports from message files, Maildirs, mbox files or
    standard input ("-"), or with no paths from the [bounces] mailbox (IMAP, POP3), and
    apply them to the site's subscribers; unsubscribe requests sent to the digests'
    List-Unsubscribe mailto address are applied too."""
    config = load_config(target, environ)
    settings = config.settings.bounces
    key, listed = signing_key(config)[0], list_id(config.settings.site.host)
    verp = None if settings.address is None else VerpAddresses(settings.address, key)

    def unsubscribe(token: str) -> int | str | None:
        return read_unsubscribe_token(key, token, listed)

    if paths:
        incoming = messages_at(list(paths), stdin)
        return bounces_inbox.read_bounces(config, incoming, verp, unsubscribe=unsubscribe)
    if settings.mailbox is None:
        raise ConfigError(
            "name the messages to read (files, Maildirs, mbox files, - for standard input)"
            " or set [bounces] mailbox",
            field="PATH",
        )
    password = config.secrets.bounce_password
    secret = password.get_secret_value() if password else None
    with open_mailbox(settings.mailbox, secret, settings.processed_folder) as box:
        return bounces_inbox.read_bounces(config, box.messages, verp, box.done, unsubscribe)


def show_subscriber(
    target: Path, environ: Mapping[str, str], email: str
) -> tuple[Subscriber, list[StoredEvent]] | None:
    """A subscriber, and the bounces, complaints and auto-replies about them; None when
    there is no such subscriber."""
    try:
        address = check_row(email).email
    except RowError as exc:
        raise ConfigError(str(exc), field=exc.field) from None
    with _store_of(target, environ) as store:
        found = store.subscribers.find(address)
        return None if found is None else (found, store.bounces.history(found.id))


def edition_outcomes(
    target: Path, environ: Mapping[str, str], edition: str | None = None
) -> list[EditionOutcome]:
    """How each edition went out and what came back about it, newest first (with
    `edition`, that one only)."""
    with _store_of(target, environ) as store:
        figures = store.bounces.figures()
    if edition is not None:
        figures = [f for f in figures if f.edition == edition]
        if not figures:
            raise ConfigError(f"no edition {edition!r}", field="--edition")
    return [EditionOutcome(f) for f in figures]


def write_outcome_page(
    target: Path, environ: Mapping[str, str], outcomes: Sequence[EditionOutcome], page: Path
) -> None:
    """The figures as a page with a chart of the last editions' rates, at `page`."""
    config = load_config(target, environ)
    templates = config.templates(autoescape=True)
    replace_file(page, report_page(outcomes, config.title, templates).encode("utf-8"))
