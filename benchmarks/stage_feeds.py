"""feeds: a full build of an N-article site, every format and section, archive pages
included (`plan_feeds` into `stage_feeds`, what `syndicate build` does once the
records are loaded), in one worker process per core as `syndicate build` does by
default. Rate: the site's articles per second.

Floor: feedgen alone, in one process, serialising the same entries into the same
documents (each entry's values ready-made, no extensions), json.dumps for the JSON
Feed documents (their dicts ready-made), each document written to a file as ours
are. `seconds_jobs1`: our build in one process (`--jobs 1`).

Also reported: `build_mb`, the most Python memory (tracemalloc) a build in one
process holds at once beyond the loaded site, measured on the first, untimed build:
it should follow the entries per feed, not the size of the site. (libxml2's own
allocations inside feedgen are not traced; they last one document.) peak RSS is the
command's own process, not its workers'.
"""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator

from benchmarks.common import (
    ENV,
    emit,
    log,
    median_seconds,
    parser,
    peak_rss_mb,
    profile,
    row,
    site_copy,
)
from syndicate._store.store import StateStore
from syndicate._util.templating import template_environment
from syndicate._util.workers import Workers
from syndicate.api import load_site
from syndicate.feeds import feed_scopes, feed_site, plan_feeds
from syndicate.feeds.model import FeedPage, FeedSite, entry_id, image_type
from syndicate.feeds.paging import feed_order, paginate
from syndicate.feeds.publish import StagedFeeds, stage_feeds
from syndicate.site.load import LoadedSite


class FeedBuild:
    """Our full feed build of a loaded site, into a staging folder, in `workers` (a
    site's default: one worker process per core) or, with None, in this process."""

    def __init__(self, site: LoadedSite, folder: Path, workers: Workers | None = None) -> None:
        self.site = site
        self.folder = folder
        self.feed_site = feed_site(site.config)
        self.templates = template_environment(site.config.paths.templates, autoescape=True)
        self.workers = workers

    def __call__(self) -> StagedFeeds:
        site = self.site
        with StateStore(site.config.paths.state_db) as store:
            files = plan_feeds(
                site.articles,
                site.sections,
                self.feed_site,
                self.templates,
                store.feed_positions.place,
                fingerprint=None,
            )
            return stage_feeds(files, self.folder, workers=self.workers)


def traced_build(work: FeedBuild) -> tuple[StagedFeeds, float]:
    """One build under tracemalloc (untimed): what it staged, and the most Python
    memory it held at once beyond what was held before it started."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    staged = work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return staged, (peak - before) / 2**20


def bare_pages(site: LoadedSite, feeds: FeedSite) -> list[tuple[str, str, Any]]:
    """Every document ours builds, as (path, kind, ready-made values): the same pages,
    in the same order, with the same entries (untimed)."""
    with StateStore(site.config.paths.state_db) as store:
        pages = []
        for scope in feed_scopes(site.articles, site.sections, feeds):
            ids = [a.id for a in feed_order(scope.articles)]
            placed = store.feed_positions.place(scope.key or "site", ids)
            for kind in feeds.formats:
                for page in paginate(scope, kind, feeds.entries, placed):
                    if kind == "json":
                        pages.append((page.path, kind, _json_document(page, feeds)))
                    else:
                        pages.append((page.path, kind, _xml_values(page, feeds)))
    return pages


def _xml_values(page: FeedPage, feeds: FeedSite) -> dict[str, Any]:
    entries = []
    for article in page.entries:
        image = article.image
        entries.append(
            {
                "id": entry_id(article, feeds.host),
                "title": article.title,
                "link": article.url,
                "published": article.published,
                "updated": article.updated,
                "authors": [{"name": name} for name in article.authors],
                "categories": [{"term": t, "label": t} for t in (article.section, *article.tags)],
                "summary": article.summary,
                "content": article.body,
                "image": None if image is None else (image.url, image_type(image.url)),
            }
        )
    return {
        "id": feeds.feed_url(page.path),
        "title": page.scope.title,
        "home": page.scope.home_url,
        "updated": max(article.updated for article in page.entries),
        "entries": entries,
    }


def _json_document(page: FeedPage, feeds: FeedSite) -> dict[str, Any]:
    items = []
    for article in page.entries:
        item: dict[str, Any] = {
            "id": entry_id(article, feeds.host),
            "url": article.url,
            "title": article.title,
            "content_html": article.body,
            "summary": article.summary,
            "date_published": article.published.isoformat(),
            "date_modified": article.updated.isoformat(),
            "authors": [{"name": name} for name in article.authors],
            "tags": [article.section, *article.tags],
        }
        if article.image is not None:
            item["image"] = article.image.url
        items.append(item)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": page.scope.title,
        "home_page_url": page.scope.home_url,
        "feed_url": feeds.feed_url(page.current),
        "items": items,
    }


def bare_feedgen(values: dict[str, Any], kind: str, language: str) -> bytes:
    generator = FeedGenerator()
    generator.id(values["id"])
    generator.title(values["title"])
    generator.subtitle(f"Latest stories from {values['title']}")
    generator.language(language)
    generator.link(href=values["id"], rel="self")
    generator.link(href=values["home"], rel="alternate")
    generator.updated(values["updated"])
    for value in values["entries"]:
        entry = generator.add_entry(order="append")
        entry.id(value["id"])
        entry.title(value["title"])
        entry.link(href=value["link"], rel="alternate")
        entry.published(value["published"])
        entry.updated(value["updated"])
        for author in value["authors"]:
            entry.author(author)
        for category in value["categories"]:
            entry.category(category)
        entry.summary(value["summary"])
        entry.content(value["content"], type="html")
        if value["image"] is not None:
            url, media_type = value["image"]
            entry.enclosure(url, "0", media_type or "application/octet-stream")
    if kind == "rss":
        return bytes(generator.rss_str(pretty=True))
    return bytes(generator.atom_str(pretty=True))


def floor_build(pages: list[tuple[str, str, Any]], folder: Path, language: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    for number, (_, kind, values) in enumerate(pages):
        if kind == "json":
            content = (json.dumps(values, ensure_ascii=False, indent=2) + "\n").encode()
        else:
            content = bare_feedgen(values, kind, language)
        target = folder / f"{number}.{kind}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--entries", type=int, help="entries per feed (default: 50)")
    args = arguments.parse_args()
    size = args.size
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        extra = f"\n[feeds]\nentries = {args.entries}\n" if args.entries else ""
        root = site_copy(size, Path(folder), extra)
        site = load_site(root, ENV)
        assert len(site.articles) == size and not site.errors
        serial = FeedBuild(site, Path(folder) / "staged")
        # The first build records each story's feed positions: later builds are rebuilds.
        staged, build_mb = traced_build(serial)
        documents = len(staged.feed_paths)
        megabytes = sum((staged.folder / p).stat().st_size for p in staged.paths) / 1e6
        workers = stack.enter_context(Workers(0, preload=["syndicate.feeds.publish"]))
        work = FeedBuild(site, Path(folder) / "staged", workers)
        log(
            f"feeds {size}: ours in {workers.jobs} workers "
            f"({documents} documents, {megabytes:.0f} MB)"
        )
        seconds = median_seconds(work, args.runs)
        peak = peak_rss_mb()
        log(f"feeds {size}: ours in one process")
        one_process = median_seconds(serial, args.runs)
        log(f"feeds {size}: floor")
        pages = bare_pages(site, work.feed_site)
        assert len(pages) == documents
        language = work.feed_site.language
        floor = median_seconds(
            lambda: floor_build(pages, Path(folder) / "floor", language), args.runs
        )
        if args.profile:
            profile(work, f"feeds {size}")
    entries = work.feed_site.entries
    emit(
        row("feeds", size, seconds, floor, peak)
        | {
            "documents": documents,
            "output_mb": round(megabytes, 1),
            "entries_per_feed": entries,
            "build_mb": round(build_mb, 1),
            "jobs": workers.jobs,
            "seconds_jobs1": round(one_process, 4),
            # The bar is for a 10k-article site with our default feeds: all cores
            # against bare feedgen on one (issue 21).
            "target": 1.2 if size == 10_000 and entries == 50 else None,
        }
    )


if __name__ == "__main__":
    main()
