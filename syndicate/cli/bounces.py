"""`syndicate bounces DIR [PATH...|-]`: read the mail that came back."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from syndicate import Problem, mailing_list
from syndicate.cli.console import out, print_problems, reporting, write_json


def bounces(
    site_dir: Annotated[Path, typer.Argument(help="The site folder.", metavar="DIR")],
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Message files, Maildirs, mbox files, or - for standard input.",
            metavar="[PATH...|-]",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Read bounce, complaint and auto-reply reports, and apply them to the subscribers:
    hard bounces and complaints suppress at once, soft bounces count. Unsubscribe
    requests mailed to the List-Unsubscribe address are applied too.

    Exit status: 0 every message read, 1 some could not be, 2 usage or config errors."""
    with reporting():
        run = mailing_list.read_bounces(site_dir, os.environ, paths or [], sys.stdin.buffer)
    problems = tuple(Problem(p["message"], p["source"]) for p in run.problems)
    print_problems(problems, "warning", "yellow")
    if as_json:
        write_json(run.as_json())
    else:
        kinds = Counter(str(event["kind"]) for event in run.events)
        shown = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "none"
        out.print(
            Text(
                f"{run.messages} messages: {run.reports} reports, {run.not_reports} not "
                f"reports, {len(run.unsubscribes)} unsubscribe requests, {run.already_seen} "
                f"seen before; events: {shown}."
            )
        )
    raise typer.Exit(1 if run.unreadable else 0)
