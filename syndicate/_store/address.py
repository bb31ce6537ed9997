"""Where a site's state store lives: a SQLite file (the embedded default) or a
PostgreSQL database that several machines share.

`[state] url` in syndicate.toml, or SYNDICATE_DATABASE_URL (which wins):
`sqlite:///.syndicate/state.db` (relative to the site folder; four slashes for an
absolute path) or `postgresql://user@host:5432/db`. A password belongs in the
environment only (in the variable's URL, or libpq's PGPASSWORD): never in a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

from syndicate.errors import ConfigError

DEFAULT_URL = "sqlite:///.syndicate/state.db"
ENVIRONMENT_VARIABLE = "SYNDICATE_DATABASE_URL"
# libpq's URI query parameters that carry a secret, or point at one.
_SECRET_PARAMETERS = frozenset({"password", "passfile", "sslpassword"})
POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class StoreAddress:
    """A SQLite file (`path`) or a PostgreSQL connection URL (`url`); `setting` names
    where it came from, for errors."""

    path: Path | None = None
    url: str | None = None
    setting: str = "state.url"

    @property
    def shared(self) -> bool:
        """Whether other machines can reach the same store (PostgreSQL)."""
        return self.url is not None

    def shown(self) -> str:
        """The address to print: the file, or the URL without its password (nor any
        query parameter that may hold one)."""
        if self.url is None:
            return str(self.path)
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
        query = "&".join(
            f"{name}=***" if name.lower() in _SECRET_PARAMETERS else f"{name}={value}"
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        )
        return urlunsplit(parts._replace(netloc=netloc, query=query))


def parse_address(text: str, root: Path, *, from_environment: bool) -> StoreAddress:
    """The store `text` names; a ConfigError naming the setting if it names none."""
    setting = ENVIRONMENT_VARIABLE if from_environment else "state.url"
    value = text.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a port that is no number)
    except ValueError as exc:
        raise ConfigError(f"not a database URL ({exc})", field=setting) from None
    if parts.scheme == "sqlite":
        return StoreAddress(path=_sqlite_path(parts, root, setting), setting=setting)
    if parts.scheme in POSTGRES_SCHEMES:
        secret_in_query = any(
            name.lower() in _SECRET_PARAMETERS
            for name, _ in parse_qsl(parts.query, keep_blank_values=True)
        )
        if (parts.password is not None or secret_in_query) and not from_environment:
            raise ConfigError(
                "a password is not read from files; put the URL with its password in "
                f"{ENVIRONMENT_VARIABLE}, or the password in PGPASSWORD",
                field=setting,
            )
        if not parts.path.strip("/") and not parts.query:
            raise ConfigError(
                "names no database: postgresql://user@host:5432/database", field=setting
            )
        return StoreAddress(url=value, setting=setting)
    # Not the text itself: a keyword string ("host=... password=...") would be shown.
    kind = f"{parts.scheme!r}" if parts.scheme.isalnum() else "that is no URL"
    raise ConfigError(
        f"unknown kind of store ({kind}): use sqlite:///path or postgresql://user@host/db",
        field=setting,
    )


def _sqlite_path(parts: SplitResult, root: Path, setting: str) -> Path:
    if parts.netloc or parts.query or not parts.path.startswith("/") or parts.path == "/":
        raise ConfigError(
            "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path",
            field=setting,
        )
    relative = parts.path[1:]
    return Path(relative) if relative.startswith("/") else root / relative
