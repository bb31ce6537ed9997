"""What `publish` reports: the one JSON object that `publish --json` prints (SPEC
section 10), and the counts that the command prints for a person."""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.digests.publish import EditionReport
from syndicate.errors import Problem
from syndicate.feeds.publish import PublishedFeeds
from syndicate.mail.deliver import DeliveryReport
from syndicate.site.load import LoadedSite
from syndicate.validate import FileReport


@dataclass(frozen=True)
class PublishReport:
    """What `publish --json` prints (SPEC section 10), plus articles per section."""

    site: LoadedSite
    feeds: PublishedFeeds
    run_warnings: tuple[Problem, ...] = ()  # subscribers.csv rows, hubs, sending
    digest: EditionReport | None = None
    validation: tuple[FileReport, ...] = ()
    blocked: bool = False  # validation stopped the run: nothing was published
    delivery: DeliveryReport | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return self.site.errors + _problems(self.validation, errors=True)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        digest = self.digest.warnings if self.digest else ()
        checks = _problems(self.validation, errors=False)
        sending = self.delivery.warnings if self.delivery else ()
        return self.site.warnings + checks + self.run_warnings + digest + sending

    def _sent(self) -> dict[str, object] | None:
        """How the edition of this run went out, as JSON (None: not sent in this run)."""
        if self.delivery is None or self.digest is None or self.digest.edition is None:
            return None
        tally = self.delivery.tally(self.digest.edition.edition_id)
        return {} if tally is None else tally.as_json()

    def feed_counts(self) -> dict[str, int]:
        """Feed documents (archive pages included), not OPML, XSL or link tags."""
        return {
            "written": sum(map(is_feed_document, self.feeds.written)),
            "unchanged": sum(map(is_feed_document, self.feeds.unchanged)),
            "removed": sum(map(is_feed_document, self.feeds.removed)),
        }

    def section_counts(self) -> dict[str, int]:
        counts = self.site.section_counts
        return {name: counts.get(name, 0) for name in self.site.sections}

    def as_json(self) -> dict[str, object]:
        return {
            "articles": self.site.article_count,
            "errors": [p.as_json() for p in self.errors],
            "warnings": [p.as_json() for p in self.warnings],
            "feeds": self.feed_counts(),
            "digest": None if self.digest is None else self.digest.as_json(self._sent()),
            "sections": self.section_counts(),
            "dispatch": None if self.delivery is None else self.delivery.as_json(),
            "validation": {
                "checked": len(self.validation),
                "blocked": self.blocked,
                "files": [r.as_json() for r in self.validation if r.findings],
            },
        }


def _problems(reports: tuple[FileReport, ...], *, errors: bool) -> tuple[Problem, ...]:
    """Validation findings as problems: the code where a record problem has its field."""
    return tuple(
        Problem(finding.message, report.path, finding.line, finding.code)
        for report in reports
        for finding in (report.errors if errors else report.warnings)
    )


def is_feed_document(path: str) -> bool:
    return path.endswith(("rss.xml", "atom.xml", "feed.json")) or path.startswith("archive/")
