"""The `syndicate` command: parses arguments, wires the stages, prints. Nothing else."""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from syndicate import DeliveryReport, FileReport, Problem, Severity, __version__, api
from syndicate.cli import state as state_commands
from syndicate.cli import subscribers as subscriber_commands
from syndicate.cli.bounces import bounces
from syndicate.cli.console import SendBar, err, out, print_problems, reporting, write_json
from syndicate.cli.report import report
from syndicate.cli.scaffold import create_site

T = TypeVar("T")
OnFile = Callable[[Path], None]
app = typer.Typer(
    help="Publish a news site's articles as feeds and email digests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

SiteDir = Annotated[
    Path,
    typer.Argument(help="The site folder, or one record file.", show_default=".", metavar="DIR"),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
QuietFlag = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")]
StrictFlag = Annotated[bool, typer.Option("--strict", help="Treat validation warnings as errors.")]


def _with_progress(site_dir: Path, work: Callable[[OnFile | None], T], *, show: bool) -> T:
    """Run `work`, with a progress bar of record files loaded where a person watches."""
    if not show or not err.is_terminal:
        return work(None)
    columns = (TextColumn("loading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("load", total=api.count_record_files(site_dir))
        return work(lambda _: progress.advance(task))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="The new site folder.")] = Path("."),
    title: Annotated[str | None, typer.Option(help="The site's title.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Where the site is served.")] = None,
) -> None:
    """Create a site folder with a config, sample articles and subscribers."""
    with reporting():
        written = create_site(directory, title or directory.resolve().name, base_url)
    out.print(f"Created {directory} with {len(written)} files. Next: syndicate publish {directory}")


@app.command()
def articles(site_dir: SiteDir = Path("."), as_json: JsonFlag = False) -> None:
    """Print the records as loaded and normalised."""
    with reporting():
        site = _with_progress(
            site_dir,
            lambda on_file: api.load_site(site_dir, os.environ, on_file=on_file),
            show=not as_json,
        )
    print_problems(site.errors, "error", "red")
    print_problems(site.warnings, "warning", "yellow")
    if as_json:
        write_json([a.as_json() for a in site.articles], indent=2)
    else:
        table = Table("id", "section", "published", "title", "related")
        for article in site.articles:
            linked = sum(1 for link in article.related if link.url)
            cells = (
                article.id,
                article.section,
                article.published.date().isoformat(),
                article.title,
                f"{linked}/{len(article.related)}",
            )
            table.add_row(*(Text(cell) for cell in cells))
        out.print(table)
    raise typer.Exit(1 if site.errors else 0)


WaitFlag = Annotated[
    bool,
    typer.Option("--wait", help="If another build or publish holds the site, wait for it to end."),
]


JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        max=256,
        help="Worker processes that parse records and build feeds (0: one per core; "
        "default: [build] jobs, else 0).",
    ),
]


@app.command()
def build(
    site_dir: SiteDir = Path("."),
    quiet: QuietFlag = False,
    wait: WaitFlag = False,
    jobs: JobsOption = None,
) -> None:
    """Load and build the feeds into .syndicate/build/, publishing nothing."""
    with reporting():
        built = _with_progress(
            site_dir,
            lambda on_file: api.build(site_dir, os.environ, on_file, wait=wait, jobs=jobs),
            show=not quiet,
        )
    print_problems(built.site.errors, "error", "red")
    if not quiet:
        print_problems(built.site.warnings, "warning", "yellow")
        out.print(Text(f"{len(built.feeds.paths)} files built in {built.feeds.folder}"))
    raise typer.Exit(1 if built.site.errors else 0)


SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Digest window such as 7d (default: digest.since)."),
]


@app.command()
def publish(
    site_dir: SiteDir = Path("."),
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
    since: SinceOption = None,
    force: Annotated[
        bool, typer.Option(help="Make a digest edition even with nothing new.")
    ] = False,
    strict: StrictFlag = False,
    send: Annotated[
        bool,
        typer.Option(
            "--send/--no-send",
            help="Send the edition now, or only queue it for `syndicate dispatch` workers.",
        ),
    ] = True,
    wait: WaitFlag = False,
    jobs: JobsOption = None,
) -> None:
    """Load, build, validate and publish the feeds that changed, then make the digest
    edition due and send it. Nothing is published when validation finds an error."""
    bar = SendBar(show=not (as_json or quiet))
    with reporting():
        try:
            report = _with_progress(
                site_dir,
                lambda on_file: api.publish(
                    site_dir,
                    os.environ,
                    on_file,
                    since=since,
                    force=force,
                    strict=strict,
                    progress=bar,
                    send=send,
                    wait=wait,
                    jobs=jobs,
                ),
                show=not (as_json or quiet),
            )
        finally:
            bar.stop()
    site = report.site
    print_problems(report.errors, "error", "red")
    if not quiet:
        print_problems(report.warnings, "warning", "yellow")
    if as_json:
        write_json(report.as_json())
    elif report.blocked:
        what = "errors or warnings (--strict)" if strict else "errors"
        err.print(Text(f"Validation found {what} in what was built: nothing was published."))
    elif not quiet:
        table = Table("section", "articles", title=Text(site.config.title))
        for name, count in report.section_counts().items():
            table.add_row(Text(name), str(count))
        out.print(table)
        feeds = report.feed_counts()
        out.print(
            Text(
                f"{site.article_count} articles, {len(site.errors)} errors, "
                f"{len(report.warnings)} warnings. Feeds: {feeds['written']} written, "
                f"{feeds['unchanged']} unchanged, in {site.config.paths.feeds}."
            )
        )
        edition = report.digest.edition if report.digest else None
        out.print(
            Text(
                f"Digest: edition {edition.edition_id}, {len(edition.stories)} stories, "
                f"in {report.digest.folder if report.digest else ''}."
                if edition
                else "Digest: nothing new since the last edition."
            )
        )
        if report.delivery is not None:
            _print_delivery(report.delivery)
    undelivered = report.delivery is not None and report.delivery.problems
    raise typer.Exit(1 if site.errors or report.blocked or undelivered else 0)


@app.command()
def dispatch(
    site_dir: SiteDir = Path("."),
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
    worker_id: Annotated[
        str | None,
        typer.Option(
            "--worker-id",
            help="This worker's name among several (default: host name and site path).",
        ),
    ] = None,
) -> None:
    """Send what publish queued and did not finish: after publish --no-send, a crash,
    or temporary failures. Several may run at once, on machines sharing the store."""
    bar = SendBar(show=not (as_json or quiet))
    with reporting():
        try:
            delivery = api.dispatch(site_dir, os.environ, progress=bar, worker_id=worker_id)
        finally:
            bar.stop()
    if not quiet:
        print_problems(delivery.warnings, "warning", "yellow")
    if as_json:
        write_json(delivery.as_json())
    elif not quiet:
        _print_delivery(delivery)
    raise typer.Exit(1 if delivery.problems else 0)


def _print_delivery(delivery: DeliveryReport) -> None:
    if not delivery.editions:
        out.print(Text("Sending: nothing queued."))
    for tally in delivery.editions:
        doubt = f", {tally.in_doubt} resent after a killed run" if tally.in_doubt else ""
        out.print(
            Text(
                f"Sending edition {tally.edition} ({delivery.backend}): {tally.sent} sent of "
                f"{tally.recipients}; {tally.failed} failed, {tally.deferred} deferred, "
                f"{tally.skipped} skipped{doubt}."
            )
        )
        for failure in tally.failures[:20]:
            err.print(Text(f"  {failure}"))
        if tally.stopped:
            err.print(Text(f"  stopped: {tally.stopped}; the rest stays queued for the next run"))


@app.command()
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Feed files, digest files, or folders of them.")
    ],
    as_json: JsonFlag = False,
    strict: StrictFlag = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show only invalid files.")] = False,
) -> None:
    """Check feeds (RSS, Atom, JSON Feed: ours or anyone's) and digests.

    Exit status: 0 all valid, 1 any invalid, 2 could not run."""
    with reporting():
        run = api.validate(paths)
    reports = run.reports
    if as_json:
        write_json([report.as_json(strict=strict) for report in reports], indent=2)
    else:
        for report in reports:
            if not quiet or not report.passes(strict=strict):
                out.print(_report_block(report, strict))
        passed = sum(report.passes(strict=strict) for report in reports)
        out.print(Text(f"{passed} of {len(reports)} files valid."))
    # Could not run: a file that could not be read, or nothing to check at all.
    print_problems(tuple(run.unreadable), "error", "red")
    if not reports and not run.unreadable:
        print_problems((Problem("no feeds or digests found to validate"),), "error", "red")
    if run.unreadable or not reports:
        raise typer.Exit(2)
    raise typer.Exit(0 if all(report.passes(strict=strict) for report in reports) else 1)


def _report_block(report: FileReport, strict: bool) -> Text:
    passed = report.passes(strict=strict)
    verdict = ("valid", "green") if passed else ("invalid", "bold red")
    block = Text.assemble((report.path, "bold"), f" ({report.kind}): ", verdict)
    findings = sorted(report.findings, key=lambda f: (f.line or 0, f.column or 0))
    for finding in findings:
        where = "" if finding.line is None else f"{finding.line}"
        where += "" if finding.column is None else f":{finding.column}"
        style = "red" if finding.severity is Severity.ERROR else "yellow"
        block.append(f"\n  {where:>9}  ")
        block.append(f"{finding.severity.value:<7}", style)
        block.append(f"  {finding.code}: {finding.message}")
    return block


@app.command()
def preview(
    site_dir: SiteDir = Path("."),
    since: SinceOption = None,
    no_open: Annotated[bool, typer.Option("--no-open", help="Do not open a browser.")] = False,
) -> None:
    """Write the digest edition that is due to digests/preview/, without recording it."""
    with reporting():
        site, report = api.preview(site_dir, os.environ, since=since)
    print_problems(site.errors, "error", "red")
    print_problems(site.warnings + report.warnings, "warning", "yellow")
    page = report.folder / "index.html"
    out.print(Text(f"{len(report.edition.stories)} stories: {page}"))
    graphical = sys.platform in ("darwin", "win32") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    if not no_open and graphical:
        webbrowser.open(page.resolve().as_uri())
    raise typer.Exit(1 if site.errors else 0)


def _version(value: bool) -> None:
    if value:
        out.print(f"syndicate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Publish a news site's articles as feeds and email digests."""


@app.command()
def serve(
    site_dir: SiteDir = Path("."),
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8080,
) -> None:
    """Serve the feeds, the digest archive, sign-up and unsubscribe over HTTP."""
    import uvicorn  # here, not above: only this command needs it

    with reporting():
        title, web = api.web_app(site_dir, os.environ)
    out.print(Text(f"Serving {title} on http://{host}:{port}/ (Ctrl+C stops)"))
    uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False)


app.command()(bounces)
app.command()(report)
app.add_typer(subscriber_commands.app, name="subscribers")
app.add_typer(state_commands.app, name="state")


def main() -> None:
    app()
