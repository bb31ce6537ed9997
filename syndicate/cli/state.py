"""`syndicate state ...`: the state store itself (moving it to PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from syndicate import api
from syndicate.cli.console import out, reporting, write_json

app = typer.Typer(help="The state store: copy it to PostgreSQL.", no_args_is_help=True)


@app.command()
def copy(
    site_dir: Annotated[
        Path, typer.Argument(help="The site folder.", show_default=".", metavar="DIR")
    ] = Path("."),
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="postgresql://user@host:5432/db (default: SYNDICATE_DATABASE_URL); "
            "the password in PGPASSWORD.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Copy the site's SQLite store into an empty PostgreSQL database, checking every
    table's row count; a database that holds anything is refused."""
    with reporting():
        copied = api.copy_state(site_dir, os.environ, to)
    if as_json:
        write_json(copied.as_json())
        return
    table = Table("table", "rows", title=Text(f"{copied.source} -> {copied.target}"))
    for name, count in copied.rows.items():
        table.add_row(Text(name), str(count))
    out.print(table)
    out.print(Text("Copied; set [state] url or SYNDICATE_DATABASE_URL to use it."))
