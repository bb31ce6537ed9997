"""`syndicate.toml` plus the environment, read into typed, validated settings (the
tables are in settings.py). Secrets never come from the file: only from the
environment."""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
from pydantic import (
    SecretStr,
    ValidationError,
)

from syndicate._store.address import ENVIRONMENT_VARIABLE as STORE_VARIABLE
from syndicate._store.address import StoreAddress, parse_address
from syndicate._util.language import (
    CatalogueError,
    catalogue,
    shipped_languages,
    untranslated,
)
from syndicate._util.templating import template_environment
from syndicate._util.tomlfile import describe_first_error, key_line, read_toml
from syndicate.errors import ConfigError, Problem
from syndicate.paths import SitePaths
from syndicate.settings import DEFAULT_BASE_URL, Settings, SmtpSettings

# Where a key only comes from the environment, say which variable instead.
FILE_FORBIDDEN = {
    ("smtp", "password"): "SYNDICATE_SMTP_PASSWORD",
    ("site", "secret_key"): "SYNDICATE_SECRET_KEY",
    ("dkim", "key"): "SYNDICATE_DKIM_KEY",
    ("bounces", "password"): "SYNDICATE_BOUNCE_PASSWORD",
}


@dataclass(frozen=True)
class Secrets:
    """Values that exist only in the environment, never in a file."""

    smtp_password: SecretStr | None = None
    secret_key: SecretStr | None = None
    dkim_key_path: Path | None = None
    dkim_ed25519_key_path: Path | None = None  # signed beside the RSA key
    bounce_password: SecretStr | None = None  # of the [bounces] mailbox
    sendgrid_key: SecretStr | None = None  # SendGrid's webhook public key (base64 DER)
    mailgun_key: SecretStr | None = None  # Mailgun's webhook signing key
    postmark_secret: SecretStr | None = None  # the password of Postmark's webhook URL


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    secrets: Secrets
    paths: SitePaths
    warnings: tuple[Problem, ...]
    base_url_set: bool = True  # False: every link points at DEFAULT_BASE_URL
    store_address: StoreAddress | None = None  # None: the default SQLite file

    @property
    def store(self) -> StoreAddress:
        """Where the state store lives ([state] url, or SYNDICATE_DATABASE_URL)."""
        return self.store_address or StoreAddress(path=self.paths.state_db)

    @property
    def title(self) -> str:
        return self.settings.site.title or self.paths.root.resolve().name

    def templates(
        self, *, autoescape: bool = True, language: str | None = None
    ) -> jinja2.Environment:
        """The site's templates (its own over ours), speaking `language` (by default
        the site's): its catalogue over ours."""
        return template_environment(
            self.paths.templates,
            autoescape=autoescape,
            language=language or self.settings.site.language,
            site_locale_dir=self.paths.locale,
        )

    def messages(self, language: str | None = None) -> gettext.NullTranslations:
        """The message catalogue of `language` (by default the site's), for the words
        that code (not a template) writes: subjects, notices."""
        return catalogue(language or self.settings.site.language, self.paths.locale)

    def require_real_links(self) -> None:
        """Refuse to mail anyone real while every link would point at localhost."""
        if self.settings.dispatch.backend == "smtp" and not self.base_url_set:
            raise ConfigError(
                f"not set: every link of the digest would point at {DEFAULT_BASE_URL}; "
                "set it before sending over SMTP (the outbox backend works without it)",
                file=self.paths.config if self.paths.config.exists() else None,
                field="site.base_url",
            )


_ENV_OVERRIDES = {
    "SYNDICATE_SMTP_HOST": "host",
    "SYNDICATE_SMTP_PORT": "port",
    "SYNDICATE_SMTP_SECURITY": "security",
    "SYNDICATE_SMTP_USERNAME": "username",
}


def load_config(root: Path, environ: Mapping[str, str]) -> LoadedConfig:
    """Read `root/syndicate.toml` (if any) and the environment into settings."""
    paths = SitePaths(root)
    text, data = read_toml(paths.config, ConfigError)
    name = str(paths.config)
    for (table, key), variable in FILE_FORBIDDEN.items():
        section = data.get(table)
        if isinstance(section, dict) and key in section:
            raise ConfigError(
                f"secrets are not read from files; set the environment variable {variable}",
                file=name,
                line=key_line(text, (table, key)),
                field=f"{table}.{key}",
            )
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        loc, message = describe_first_error(exc)
        raise ConfigError(
            message, file=name, line=key_line(text, loc), field=".".join(loc) or "(top level)"
        ) from None
    settings = _with_environment(settings, environ)
    warnings: list[Problem] = []
    site_table = data.get("site")
    base_url_set = isinstance(site_table, dict) and "base_url" in site_table
    if not base_url_set:
        warnings.append(
            Problem(
                f"not set; URLs will start with {DEFAULT_BASE_URL}",
                file=name if text else None,
                field="site.base_url",
            )
        )
    for language in settings.site.offered_languages:
        key = "site.language" if language == settings.site.language else "site.languages"
        warnings.extend(_language_warnings(language, paths, name if text else None, key))
    return LoadedConfig(
        settings,
        _secrets(environ),
        paths,
        tuple(warnings),
        base_url_set,
        _store_address(settings, paths, environ, name, text),
    )


def _language_warnings(
    language: str, paths: SitePaths, name: str | None, key: str
) -> list[Problem]:
    """A site's broken catalogue is an error with its line; a language that neither we
    nor the site have a catalogue for is a warning (its dates and plurals still follow
    CLDR)."""
    try:
        messages = catalogue(language, paths.locale)
    except CatalogueError as exc:
        raise ConfigError(str(exc), file=str(exc.file), line=exc.line) from None
    primary = language.replace("_", "-").split("-")[0].lower()
    missing = untranslated(language, paths.locale)
    if missing:
        shown = "; ".join(repr(m) for m in missing[:3]) + ("; ..." if len(missing) > 3 else "")
        return [
            Problem(
                f"the site's catalogue for {language!r} leaves {len(missing)} strings "
                f"untranslated (English is used for them): {shown}",
                file=name,
                field=key,
            )
        ]
    if primary == "en" or primary in shipped_languages() or messages.info():
        return []
    return [
        Problem(
            f"no catalogue for {language!r}: readers' words stay in English (dates and "
            f"plurals follow CLDR); add locale/{primary}/LC_MESSAGES/syndicate.po",
            file=name,
            field=key,
        )
    ]


def _store_address(
    settings: Settings, paths: SitePaths, environ: Mapping[str, str], name: str, text: str
) -> StoreAddress:
    from_environment = bool(environ.get(STORE_VARIABLE, "").strip())
    url = environ[STORE_VARIABLE] if from_environment else settings.state.url
    try:
        return parse_address(url, paths.root, from_environment=from_environment)
    except ConfigError as exc:
        if from_environment:
            raise
        raise ConfigError(
            exc.message, file=name, line=key_line(text, ("state", "url")), field="state.url"
        ) from None


def _with_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """SMTP settings overridden by SYNDICATE_SMTP_*; a bad value names its variable."""
    changes: dict[str, object] = {}
    for variable, key in _ENV_OVERRIDES.items():
        if variable in environ:
            value = environ[variable].strip()
            changes[key] = (
                int(value) if key == "port" and re.fullmatch("[0-9]{1,5}", value) else value
            )
    if not changes:
        return settings
    try:
        smtp = SmtpSettings.model_validate({**settings.smtp.model_dump(), **changes})
    except ValidationError as exc:
        loc, message = describe_first_error(exc)
        variable = next(v for v, k in _ENV_OVERRIDES.items() if k == loc[0])
        if "(got " not in message:
            message += f" (got {environ[variable]!r})"
        raise ConfigError(message, field=variable) from None
    return settings.model_copy(update={"smtp": smtp})


def _secrets(environ: Mapping[str, str]) -> Secrets:
    def secret(variable: str) -> SecretStr | None:
        value = environ.get(variable)
        return SecretStr(value) if value else None

    dkim = environ.get("SYNDICATE_DKIM_KEY")
    ed25519 = environ.get("SYNDICATE_DKIM_ED25519_KEY")
    return Secrets(
        smtp_password=secret("SYNDICATE_SMTP_PASSWORD"),
        secret_key=secret("SYNDICATE_SECRET_KEY"),
        dkim_key_path=Path(dkim) if dkim else None,
        dkim_ed25519_key_path=Path(ed25519) if ed25519 else None,
        bounce_password=secret("SYNDICATE_BOUNCE_PASSWORD"),
        sendgrid_key=secret("SYNDICATE_SENDGRID_WEBHOOK_KEY"),
        mailgun_key=secret("SYNDICATE_MAILGUN_SIGNING_KEY"),
        postmark_secret=secret("SYNDICATE_POSTMARK_WEBHOOK_SECRET"),
    )
