"""Subscribers as they come in, from a CSV file, a command or a form: checked and cleaned.

Addresses are checked with email-validator and normalised (the domain lower-cased and
in its ASCII form) before they are stored, so that one person is one row however they
typed it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from syndicate._store.store import StateStore
from syndicate._store.subscribers import STATUSES, SubscriberRow
from syndicate._util.language import matching_language
from syndicate._util.text import one_line
from syndicate.config import LoadedConfig
from syndicate.errors import Problem, SubscriberFileError

CSV_COLUMNS = ("email", "name", "sections", "status", "language")
MAX_NAME = 100  # a name is for a greeting: a longer one is a mistake or an attack


class RowError(ValueError):
    """A subscriber value that cannot be taken, and which field it was."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(value: str) -> str:
    """The address as stored, or ValueError saying what is wrong with it."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    # Local parts may be case-sensitive by the letter of RFC 5321, never in practice:
    # one person is one row however they typed it.
    if checked.ascii_email is None:
        # An internationalised address (RFC 6531): its local part as written (NFC), its
        # domain in ASCII; it is sent only through servers that offer SMTPUTF8.
        return f"{checked.local_part.lower()}@{checked.ascii_domain.lower()}"
    return checked.ascii_email.lower()


def check_row(
    email: str,
    name: str = "",
    sections: str | Sequence[str] = "",
    status: str = "active",
    language: str = "",
    *,
    offered: Sequence[str] = (),
) -> SubscriberRow:
    """A row's values checked and cleaned; RowError names what is wrong, and where. A
    language must be one of the site's `offered` ones (or a variant of one: 'de-AT'
    gets 'de'); none: the site's."""
    try:
        address = normalise_email(email)
    except ValueError as exc:
        raise RowError("email", f"{email.strip()!r}: {exc}") from None
    cleaned = one_line(name)
    if len(cleaned) > MAX_NAME:
        raise RowError("name", f"longer than {MAX_NAME} characters")
    chosen = sections.split(";") if isinstance(sections, str) else list(sections)
    picked = tuple(dict.fromkeys(one_line(s) for s in chosen if one_line(s)))
    state = (status or "active").strip().lower()
    if state not in STATUSES:
        raise RowError("status", f"{status!r} is not one of {', '.join(STATUSES)}")
    return SubscriberRow(
        address, cleaned, picked, state, language=check_language(language, offered)
    )


def check_language(language: str, offered: Sequence[str]) -> str:
    """A subscriber's language as stored: the offered language it asks for; '' for
    none (the site's). RowError when the site does not offer it."""
    wanted = one_line(language)
    if not wanted:
        return ""
    found = matching_language(wanted, offered)
    if found is None:
        raise RowError(
            "language",
            f"{wanted!r} is not one of the site's languages ({', '.join(offered)})",
        )
    return found


def read_subscriber_csv(
    path: Path, offered: Sequence[str]
) -> tuple[list[SubscriberRow], list[Problem]]:
    """The good rows of a subscribers CSV and a problem for each bad one; a file that
    is no subscriber list at all (not UTF-8, no email column) is SubscriberFileError."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubscriberFileError(f"not UTF-8 ({exc.reason})", file=path) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
    except csv.Error as exc:
        raise SubscriberFileError(f"not a CSV file ({exc})", file=path, line=1) from None
    if "email" not in fields:
        raise SubscriberFileError(
            f"no 'email' column (columns: {', '.join(CSV_COLUMNS)})", file=path, line=1
        )
    reader.fieldnames = fields
    rows: list[SubscriberRow] = []
    problems: list[Problem] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # An unclosed quote swallows the rest of the file: say where it started.
            problems.append(
                Problem(f"the rest of the file is unreadable: {exc}", str(path), start, "row")
            )
            break
        try:
            if None in record:
                raise RowError("row", "more cells than columns (a comma in a name needs quotes)")
            row = check_row(
                record.get("email") or "",
                record.get("name") or "",
                record.get("sections") or "",
                record.get("status") or "active",
                record.get("language") or "",
                offered=offered,
            )
        except RowError as exc:
            problems.append(Problem(str(exc), str(path), start, exc.field))
            continue
        # A file without the column says nothing of languages: what is stored stays.
        language = row.language if "language" in fields else None
        rows.append(replace(row, line=start, language=language))
    return rows, problems


def sync_subscriber_file(config: LoadedConfig) -> tuple[Problem, ...]:
    """The site's subscribers.csv, imported as `subscribers import` would (so never
    resubscribing anyone who left); each bad row is a warning."""
    path = config.paths.subscribers
    if not path.is_file():
        return ()
    try:
        rows, problems = read_subscriber_csv(path, config.settings.site.offered_languages)
    except SubscriberFileError as exc:
        # The feeds and the subscribers already known still go out.
        return (replace(exc.problem, message=f"{exc.problem.message}; not imported"),)
    with StateStore(config.store) as store:
        store.subscribers.upsert(rows)
    return tuple(problems)
