"""The library's face for the CLI: each function runs stages and returns values.

Like the CLI commands, it never prints; unlike them, it never exits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syndicate.config import LoadedConfig, load_config
from syndicate.errors import Problem
from syndicate.loaders import ScrapeRules, find_record_files, load_articles
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


def count_record_files(root: Path) -> int:
    return len(find_record_files(root / "articles"))


def load_site(
    root: Path,
    environ: Mapping[str, str],
    *,
    now: datetime | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> LoadedSite:
    """Config, records and state of the site at `root`, loaded and normalised."""
    config = load_config(root, environ)
    imports = config.settings.import_
    rules = ScrapeRules.build(imports.boilerplate, keep_defaults=imports.keep_default_boilerplate)
    loaded = load_articles(config.paths.articles, rules, on_file)
    moment = now or datetime.now(UTC)
    with StateStore(config.paths.state_db) as store:
        result = normalise(
            loaded.records, config.settings.site, lambda ids: store.first_seen(ids, moment)
        )
    return LoadedSite(
        config=config,
        articles=tuple(result.articles),
        sections=tuple(result.sections),
        errors=tuple(loaded.errors + result.errors),
        warnings=tuple(list(config.warnings) + loaded.warnings + result.warnings),
    )
