"""`syndicate subscribers import|add|remove|list|show|unsubscribe-mail`: thin calls
into the face."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from syndicate import Problem, mailing_list
from syndicate.cli.console import out, print_problems, reporting, write_json

app = typer.Typer(help="Add, remove, import and list subscribers.", no_args_is_help=True)
DirOption = Annotated[
    Path, typer.Option("--dir", help="The site folder.", show_default=".", metavar="DIR")
]


@app.command("import")
def import_(
    csv_file: Annotated[
        Path, typer.Argument(help="Columns: email, name, sections, status, language.")
    ],
    site_dir: DirOption = Path("."),
    resubscribe: Annotated[
        bool, typer.Option(help="Make active again those who unsubscribed or bounced.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Import subscribers from a CSV: good rows in, each bad row reported with its line."""
    with reporting():
        result, problems = mailing_list.import_subscribers(
            site_dir, os.environ, csv_file, resubscribe=resubscribe
        )
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
    language: Annotated[
        str | None,
        typer.Option(help="The digest's language: one of site.languages ('': the site's)."),
    ] = None,
    site_dir: DirOption = Path("."),
    resubscribe: Annotated[bool, typer.Option(help="Even if they unsubscribed before.")] = False,
) -> None:
    """Add a subscriber, or change one's name, sections and language (those given)."""
    with reporting():
        address, result = mailing_list.add_subscriber(
            site_dir,
            os.environ,
            email,
            name=name,
            sections=sections,
            language=language,
            resubscribe=resubscribe,
        )
    if result.kept_unsubscribed:
        out.print(Text(f"{address} unsubscribed before: kept so (--resubscribe to change)."))
    else:
        out.print(Text(f"{address}: {'added' if result.added else 'updated'}."))


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
        done = mailing_list.remove_subscriber(site_dir, os.environ, email, forget=forget)
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
        address = mailing_list.unsubscribe_by_mail(site_dir, os.environ, raw)
    out.print(Text(f"{address}: unsubscribed."))


@app.command("list")
def list_(
    site_dir: DirOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """List the subscribers, their sections and status."""
    with reporting():
        subscribers = mailing_list.list_subscribers(site_dir, os.environ)
    if as_json:
        write_json([{**s.as_json(), "suppressed": held} for s, held in subscribers], indent=2)
        return
    table = Table("email", "name", "sections", "language", "status")
    for subscriber, held in subscribers:
        status = subscriber.status + (" (suppressed)" if held else "")
        sections = "; ".join(subscriber.sections) or "all"
        language = subscriber.language or "site's"
        cells = (subscriber.email, subscriber.name, sections, language, status)
        table.add_row(*(Text(v) for v in cells))
    out.print(table)


@app.command()
def show(
    email: str,
    site_dir: DirOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Show a subscriber, with the bounces, complaints and auto-replies about them."""
    with reporting():
        found = mailing_list.show_subscriber(site_dir, os.environ, email)
    if found is None:
        print_problems((Problem("no such subscriber", field=email),), "error", "red")
        raise typer.Exit(1)
    subscriber, events = found
    if as_json:
        write_json(
            {
                "email": subscriber.email,
                "name": subscriber.name,
                "status": subscriber.status,
                "sections": list(subscriber.sections),
                "language": subscriber.language,
                "created": subscriber.created_at.isoformat(),
                "updated": subscriber.updated_at.isoformat(),
                "events": [event.as_json() for event in events],
            },
            indent=2,
        )
        return
    sections = "; ".join(subscriber.sections) or "all"
    out.print(Text(f"{subscriber.email} ({subscriber.name or 'no name'}): {subscriber.status}"))
    language = subscriber.language or "the site's"
    out.print(
        Text(f"sections: {sections}; language: {language}; since {subscriber.created_at:%Y-%m-%d}")
    )
    table = Table("at", "kind", "status", "edition", "diagnostic")
    for event in events:
        cells = (
            f"{event.at:%Y-%m-%d %H:%M}",
            event.kind,
            event.status or "",
            event.edition or "",
            event.diagnostic,
        )
        table.add_row(*(Text(cell) for cell in cells))
    if events:
        out.print(table)
