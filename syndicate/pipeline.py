"""The library's face for the CLI: each function runs stages and returns values.

Like the CLI commands, it never prints; unlike them, it never exits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syndicate.config import LoadedConfig, load_config
from syndicate.errors import Problem
from syndicate.identity import in_memory
from syndicate.loaders import RECORD_SUFFIXES, ScrapeRules, find_record_files, load_articles
from syndicate.normalise import normalise
from syndicate.records import Article
from syndicate.state import StateStore


@dataclass(frozen=True)
class LoadedSite:
    config: LoadedConfig
    articles: tuple[Article, ...]
    sections: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class RecordLocation:
    """Where the records of a command's DIR argument are, and which site they belong to."""

    site_root: Path
    articles_dir: Path
    only_file: str | None = None  # show just this record file (its name as records give it)
    files: list[Path] | None = None  # load only these, not every file under articles_dir
    keeps_state: bool = True
    note: str | None = None


def locate_records(target: Path) -> RecordLocation:
    """A site folder, a folder of record files without `articles/`, or one record file."""
    if target.is_file() and target.suffix.lower() in RECORD_SUFFIXES:
        resolved = target.resolve()
        for parent in resolved.parents:
            if parent.name == "articles":
                # A file of a site: load the whole site, so that its related posts,
                # slug and URL are what a full run gives, then show just this file.
                shown = resolved.relative_to(parent.parent).as_posix()
                return RecordLocation(parent.parent, parent, only_file=shown)
        return RecordLocation(
            resolved.parent, resolved.parent, resolved.name, [resolved], keeps_state=False
        )
    if not (target / "articles").is_dir() and target.is_dir() and find_record_files(target).files:
        note = f"no articles/ folder in {target}; reading the record files in it"
        return RecordLocation(target, target, note=note)
    return RecordLocation(target, target / "articles")


def count_record_files(target: Path) -> int:
    location = locate_records(target)
    return len(location.files or find_record_files(location.articles_dir).files)


def load_site(
    target: Path,
    environ: Mapping[str, str],
    *,
    now: datetime | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> LoadedSite:
    """Config, records and state of the site at `target`, loaded and normalised."""
    location = locate_records(target)
    config = load_config(location.site_root, environ)
    imports = config.settings.import_
    rules = ScrapeRules.build(imports.boilerplate, keep_defaults=imports.keep_default_boilerplate)
    loaded = load_articles(
        location.articles_dir, rules, on_file, files=location.files, display_root=location.site_root
    )
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    if location.keeps_state:
        with StateStore(config.paths.state_db) as store:
            result = normalise(
                loaded.records, config.settings.site, lambda p: store.identities(p, moment)
            )
    else:
        result = normalise(loaded.records, config.settings.site, in_memory(moment))
    notes = [Problem(location.note)] if location.note else []
    articles = result.articles
    errors = loaded.errors + result.errors
    warnings = loaded.warnings + result.warnings
    if location.only_file is not None:
        shown = location.only_file
        articles = [a for a in articles if a.source.file == shown]
        errors = [p for p in errors if p.file == shown]
        warnings = [p for p in warnings if p.file == shown]
    return LoadedSite(
        config=config,
        articles=tuple(articles),
        sections=tuple(result.sections),
        errors=tuple(errors),
        warnings=tuple(notes + list(config.warnings) + warnings),
    )


@dataclass(frozen=True)
class PublishReport:
    """What `publish --json` prints (SPEC section 10), plus articles per section."""

    site: LoadedSite

    def section_counts(self) -> dict[str, int]:
        counts = Counter(article.section for article in self.site.articles)
        return {name: counts[name] for name in self.site.sections}

    def as_json(self) -> dict[str, object]:
        return {
            "articles": len(self.site.articles),
            "errors": [p.as_json() for p in self.site.errors],
            "warnings": [p.as_json() for p in self.site.warnings],
            "feeds": None,  # built by the feeds stage, not there yet
            "digest": None,
            "sections": self.section_counts(),
        }


def publish(
    target: Path, environ: Mapping[str, str], on_file: Callable[[Path], None] | None = None
) -> PublishReport:
    """Load and normalise; building, validating and dispatching come with later stages."""
    return PublishReport(load_site(target, environ, on_file=on_file))
