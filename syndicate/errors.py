"""The exception tree: one root, one class per kind of failure the user can fix.

The CLI prints any `SyndicateError` as one line (``file:line: field: message``)
and exits with its ``exit_status``; anything else is a bug and may show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from syndicate._util.pickling import pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Problem:
    """One error or warning about the input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"

    def as_json(self) -> dict[str, str | int | None]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class SyndicateError(Exception):
    """Root of every error that bad input, config or environment can cause."""

    exit_status = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = Problem(
            message=message,
            file=None if file is None else str(file),
            line=line,
            field=field,
        )
        super().__init__(str(self.problem))

    @property
    def message(self) -> str:
        return self.problem.message


class ConfigError(SyndicateError, ValueError):
    """`syndicate.toml` or the environment is wrong: nothing can run."""


class RecordError(SyndicateError, ValueError):
    """One article record cannot be loaded; the others still can."""

    exit_status = 1


class StateError(SyndicateError):
    """The state store is unreadable, locked, or from a newer version."""


class StoreUnreachable(StateError):
    """The state store's server cannot be reached, or went away (or gave way to
    another transaction): worth trying again, after a while."""


class SiteError(SyndicateError, FileNotFoundError):
    """The site folder (or something it must contain) is missing or unusable."""


class SubscriberFileError(SyndicateError, ValueError):
    """A subscribers file that is no subscriber list at all (its bad rows are problems)."""


class PublishError(SyndicateError):
    """Built files could not be published; what was published is as it was."""

    exit_status = 1


class WorkerError(SyndicateError, RuntimeError):
    """A worker process of a build ended before its work was done; nothing was
    published."""

    exit_status = 1


class DigestError(SyndicateError):
    """A digest cannot be rendered (a template error, MJML that does not compile)."""

    exit_status = 1


class WebhookRefused(SyndicateError, ValueError):
    """A webhook request that is not what it claims, or not in a shape we read; its
    HTTP status says which (4xx: refused, changes nothing; 5xx: send it again)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
