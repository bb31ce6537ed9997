"""`syndicate subscribers import|add|remove|list`: thin calls into the subscriber book."""

from __future__ import annotations

import email.policy
import os
import sys
from dataclasses import replace
from email.parser import BytesParser
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from syndicate._store.store import StateStore
from syndicate.cli.console import out, print_problems, reporting, write_json
from syndicate.config import load_config
from syndicate.errors import ConfigError, Problem
from syndicate.mail.deliver import list_id
from syndicate.mail.subscribers import RowError, SubscriberBook, check_row, read_subscriber_csv
from syndicate.mail.tokens import read_unsubscribe_token, site_key

app = typer.Typer(help="Add, remove, import and list subscribers.", no_args_is_help=True)
DirOption = Annotated[
    Path, typer.Option("--dir", help="The site folder.", show_default=".", metavar="DIR")
]


def _book_at(site_dir: Path) -> StateStore:
    return StateStore(load_config(site_dir, os.environ).paths.state_db)


@app.command("import")
def import_(
    csv_file: Annotated[Path, typer.Argument(help="Columns: email, name, sections, status.")],
    site_dir: DirOption = Path("."),
    resubscribe: Annotated[
        bool, typer.Option(help="Make active again those who unsubscribed or bounced.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Import subscribers from a CSV: good rows in, each bad row reported with its line."""
    with reporting():
        rows, problems = read_subscriber_csv(csv_file)
        with _book_at(site_dir) as store:
            result = SubscriberBook(store).upsert(rows, resubscribe=resubscribe)
    print_problems(tuple(problems), "error", "red")
    if as_json:
        write_json(
            {
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "kept_unsubscribed": result.kept_unsubscribed,
                "errors": [p.as_json() for p in problems],
            }
        )
    else:
        kept = result.kept_unsubscribed
        out.print(
            Text(
                f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
                f"{len(problems)} rows refused"
                + (f"; {kept} kept unsubscribed (--resubscribe to change that)" if kept else "")
                + "."
            )
        )
    raise typer.Exit(1 if problems else 0)


@app.command()
def add(
    email: str,
    name: Annotated[str | None, typer.Option(help="The name in the greeting.")] = None,
    sections: Annotated[
        str | None,
        typer.Option(help="Sections, ';'-separated, such as World;Business (none: all)."),
    ] = None,
    site_dir: DirOption = Path("."),
    resubscribe: Annotated[bool, typer.Option(help="Even if they unsubscribed before.")] = False,
) -> None:
    """Add a subscriber, or change one's name and sections (those given)."""
    with reporting():
        try:
            checked = check_row(email, name or "", sections or "")
        except RowError as exc:
            raise ConfigError(str(exc), field=exc.field) from None
        row = replace(
            checked,
            name=None if name is None else checked.name,
            sections=None if sections is None else checked.sections,
        )
        with _book_at(site_dir) as store:
            result = SubscriberBook(store).upsert([row], resubscribe=resubscribe)
    if result.kept_unsubscribed:
        out.print(Text(f"{row.email} unsubscribed before: kept so (--resubscribe to change)."))
    else:
        out.print(Text(f"{row.email}: {'added' if result.added else 'updated'}."))


@app.command()
def remove(
    email: str,
    site_dir: DirOption = Path("."),
    forget: Annotated[
        bool, typer.Option(help="Delete them and their send history, not only unsubscribe.")
    ] = False,
) -> None:
    """Unsubscribe someone (or, with --forget, delete every trace of them)."""
    with reporting():
        try:
            check_row(email)
        except RowError as exc:
            raise ConfigError(str(exc), field=exc.field) from None
        with _book_at(site_dir) as store:
            book = SubscriberBook(store)
            done = book.remove(email) if forget else book.set_status(email, "unsubscribed")
    if not done:
        print_problems((Problem("no such subscriber", field=email),), "error", "red")
        raise typer.Exit(1)
    out.print(Text(f"{email}: {'forgotten' if forget else 'unsubscribed'}."))


@app.command("unsubscribe-mail")
def unsubscribe_mail(site_dir: DirOption = Path(".")) -> None:
    """Read a message on stdin (what a mail handler pipes) sent to the List-Unsubscribe
    mailto address, and unsubscribe the address its signed subject names."""
    raw = sys.stdin.buffer.read(256 * 1024)
    with reporting():
        config = load_config(site_dir, os.environ)
        secret = config.secrets.secret_key
        key, _ = site_key(
            secret.get_secret_value() if secret else None, config.paths.state_db.parent
        )
        message = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
        words = str(message.get("Subject", "")).split()
        token = words[-1] if len(words) >= 2 and words[0].lower() == "unsubscribe" else ""
        address = read_unsubscribe_token(key, token, list_id(config)) if token else None
        if address is None:
            raise ConfigError("no valid unsubscribe token in the subject", field="Subject")
        with StateStore(config.paths.state_db) as store:
            SubscriberBook(store).set_status(address, "unsubscribed")
    out.print(Text(f"{address}: unsubscribed."))


@app.command("list")
def list_(
    site_dir: DirOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """List the subscribers, their sections and status."""
    with reporting(), _book_at(site_dir) as store:
        book = SubscriberBook(store)
        subscribers = book.all()
        suppressed = book.suppressed()
    if as_json:
        write_json(
            [{**s.as_json(), "suppressed": s.email in suppressed} for s in subscribers], indent=2
        )
        return
    table = Table("email", "name", "sections", "status")
    for subscriber in subscribers:
        status = subscriber.status + (" (suppressed)" if subscriber.email in suppressed else "")
        sections = "; ".join(subscriber.sections) or "all"
        table.add_row(*(Text(v) for v in (subscriber.email, subscriber.name, sections, status)))
    out.print(table)
