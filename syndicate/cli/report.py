"""`syndicate report [DIR] [--edition ID] [--json] [--html FILE]`: per edition, how it
went out and what came back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from syndicate import mailing_list
from syndicate.cli.console import out, print_problems, reporting, write_json


def report(
    site_dir: Annotated[
        Path, typer.Argument(help="The site folder.", show_default=".", metavar="DIR")
    ] = Path("."),
    edition: Annotated[
        str | None, typer.Option("--edition", help="Only this edition (its id).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the figures as a page, with a chart.")
    ] = None,
) -> None:
    """Per edition: recipients, sent, deferred, failed, hard and soft bounces,
    complaints and unsubscribes, and the bounce and complaint rates; a warning where a
    rate is high (complaints over 0.1%, bounces over 2%)."""
    with reporting():
        outcomes = mailing_list.edition_outcomes(site_dir, os.environ, edition)
        if html is not None:
            mailing_list.write_outcome_page(site_dir, os.environ, outcomes, html)
    print_problems(tuple(w for o in outcomes for w in o.warnings()), "warning", "yellow")
    if as_json:
        write_json({"editions": [o.as_json() for o in outcomes]})
        return
    table = Table(
        "edition", "recipients", "sent", "deferred", "failed", "hard", "soft", "complaints",
        "unsubscribes", "bounce rate", "complaint rate",
    )  # fmt: skip
    for outcome in outcomes:
        f = outcome.figures
        cells = [f.edition, *(str(n) for n in (f.recipients, f.sent, f.deferred, f.failed))]
        cells += [str(n) for n in (f.hard, f.soft, f.complaints, f.unsubscribes)]
        cells += [f"{outcome.bounce_rate:.2%}", f"{outcome.complaint_rate:.2%}"]
        table.add_row(*(Text(cell) for cell in cells))
    out.print(table)
