"""What every command prints with: Rich consoles that take text as it is, our errors
as one line each, JSON on stdout, and the progress bar of a send."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from syndicate import Problem, SyndicateError

# Text from records and paths is never markup: Rich must print it as it is.
out = Console(highlight=False, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)


@contextmanager
def reporting() -> Iterator[None]:
    """Turn our errors into one line on stderr and an exit status; never a traceback."""
    try:
        yield
    except SyndicateError as exc:
        print_problems((exc.problem,), "error", "red")
        raise typer.Exit(exc.exit_status) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print_problems((Problem(f"{where}{exc.strerror or exc}"),), "error", "red")
        raise typer.Exit(2) from None


def print_problems(problems: tuple[Problem, ...], label: str, style: str) -> None:
    for problem in problems:
        err.print(Text.assemble((f"{label}:", style), " ", str(problem)), soft_wrap=True)


def write_json(value: object, indent: int | None = None) -> None:
    # ensure_ascii: stdout may not be UTF-8 (cron, a pipe), and JSON is the same either way.
    sys.stdout.write(json.dumps(value, ensure_ascii=True, indent=indent) + "\n")


class RateColumn(ProgressColumn):
    """Messages a second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "")


class SendBar:
    """A progress bar of messages sent, with rate and time left, on a terminal only."""

    def __init__(self, show: bool) -> None:
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.show = show and err.is_terminal

    def start(self, total: int) -> None:
        if not self.show or total == 0:
            return
        self.progress = Progress(
            TextColumn("sending"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.task = self.progress.add_task("send", total=total)
        self.progress.start()

    def advance(self, outcome: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
