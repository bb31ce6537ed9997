"""The `syndicate` command: parses arguments, wires the stages, prints. Nothing else."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from syndicate import __version__
from syndicate.config import DEFAULT_BASE_URL
from syndicate.errors import Problem, SyndicateError
from syndicate.pipeline import LoadedSite, count_record_files, load_site
from syndicate.scaffold import create_site

app = typer.Typer(
    help="Publish a news site's articles as feeds and email digests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

SiteDir = Annotated[Path, typer.Argument(help="The site folder.", show_default=".")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
QuietFlag = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")]


@contextmanager
def _reporting() -> Iterator[None]:
    """Turn our errors into one line on stderr and an exit status; never a traceback."""
    try:
        yield
    except SyndicateError as exc:
        err.print(f"[red]error:[/red] {exc.problem}", markup=True, soft_wrap=True)
        raise typer.Exit(exc.exit_status) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[red]error:[/red] {where}{exc.strerror or exc}", soft_wrap=True)
        raise typer.Exit(2) from None


def _print_problems(problems: tuple[Problem, ...], label: str, style: str) -> None:
    for problem in problems:
        err.print(f"[{style}]{label}:[/{style}] ", end="", markup=True)
        err.print(str(problem), markup=False, soft_wrap=True)


def _load(site_dir: Path, *, show_progress: bool) -> LoadedSite:
    if not show_progress or not err.is_terminal:
        return load_site(site_dir, os.environ)
    columns = (TextColumn("loading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("load", total=count_record_files(site_dir))
        return load_site(site_dir, os.environ, on_file=lambda _: progress.advance(task))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="The new site folder.")] = Path("."),
    title: Annotated[str | None, typer.Option(help="The site's title.")] = None,
    base_url: Annotated[str, typer.Option(help="Where the site is served.")] = DEFAULT_BASE_URL,
) -> None:
    """Create a site folder with a config, sample articles and subscribers."""
    with _reporting():
        written = create_site(directory, title or directory.resolve().name, base_url)
    out.print(f"Created {directory} with {len(written)} files. Next: syndicate publish {directory}")


@app.command()
def articles(site_dir: SiteDir = Path("."), as_json: JsonFlag = False) -> None:
    """Print the records as loaded and normalised."""
    with _reporting():
        site = _load(site_dir, show_progress=not as_json)
    _print_problems(site.errors, "error", "red")
    _print_problems(site.warnings, "warning", "yellow")
    if not as_json:
        table = Table("id", "section", "published", "title", "related")
        for article in site.articles:
            linked = sum(1 for link in article.related if link.url)
            table.add_row(
                article.id,
                article.section,
                article.published.date().isoformat(),
                article.title,
                f"{linked}/{len(article.related)}",
            )
        out.print(table)
    else:
        sys.stdout.write(
            json.dumps([a.as_json() for a in site.articles], ensure_ascii=False, indent=2)
        )
        sys.stdout.write("\n")
    raise typer.Exit(1 if site.errors else 0)


@app.command()
def publish(
    site_dir: SiteDir = Path("."), as_json: JsonFlag = False, quiet: QuietFlag = False
) -> None:
    """Load, build, validate and dispatch (this version: load and normalise, then report)."""
    with _reporting():
        site = _load(site_dir, show_progress=not (as_json or quiet))
    _print_problems(site.errors, "error", "red")
    if not quiet:
        _print_problems(site.warnings, "warning", "yellow")
    sections = Counter(article.section for article in site.articles)
    if as_json:
        report = {
            "articles": len(site.articles),
            "errors": [p.as_json() for p in site.errors],
            "warnings": [p.as_json() for p in site.warnings],
            "feeds": None,
            "digest": None,
            "sections": {name: sections[name] for name in site.sections},
        }
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    elif not quiet:
        table = Table("section", "articles", title=site.config.title)
        for name in site.sections:
            table.add_row(name, str(sections[name]))
        out.print(table)
        out.print(
            f"{len(site.articles)} articles loaded, {len(site.errors)} errors, "
            f"{len(site.warnings)} warnings. Feeds and digests are not built yet."
        )
    raise typer.Exit(1 if site.errors else 0)


def _version(value: bool) -> None:
    if value:
        out.print(f"syndicate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    """Publish a news site's articles as feeds and email digests."""


def main() -> None:
    app()
