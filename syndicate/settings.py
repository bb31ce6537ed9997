"""The settings of `syndicate.toml`, typed and checked: one table a section of the file.

Every key of SPEC section 10 is optional; a folder with only `articles/` works.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from syndicate._store.address import DEFAULT_URL as DEFAULT_STORE_URL
from syndicate._util.language import language_tag, site_locale
from syndicate._util.text import one_line, slugify
from syndicate._util.urls import encode_url, is_web_url

DEFAULT_BASE_URL = "http://localhost:8080/"
FeedFormat = Literal["rss", "atom", "json"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("rss", "atom", "json")
URL_PLACEHOLDERS = frozenset({"base_url", "site", "section", "slug", "id", "year", "month", "day"})
SUBJECT_PLACEHOLDERS = frozenset({"site", "date", "edition"})


def _absolute_http_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return value


def _placeholders(template: str) -> set[str]:
    try:
        fields = [(n, spec, conv) for _, n, spec, conv in string.Formatter().parse(template)]
    except ValueError as exc:
        raise ValueError(f"malformed pattern ({exc})") from None
    for name, spec, conversion in fields:
        if name is not None and (spec or conversion or not name):
            raise ValueError("placeholders are plain names such as {slug}, with no format or index")
    return {name for name, _, _ in fields if name is not None}


HttpUrl = Annotated[str, AfterValidator(_absolute_http_url)]
Regex = Annotated[str, AfterValidator(_regex)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class SiteSettings(_Table):
    title: str | None = None
    base_url: HttpUrl = DEFAULT_BASE_URL
    sections: list[str] = Field(default_factory=list)
    url_pattern: str = "{base_url}{section}/{slug}/"
    language: str = "en"
    # Languages subscribers may choose, besides `language` (SPEC section 10).
    languages: list[str] = Field(default_factory=list)
    # Extensions beyond SPEC section 10.
    timezone: str = "UTC"
    section_aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # Percent-encoded, since every URL we write starts with it.
        value = encode_url(value.strip())
        return value if value.endswith("/") else value + "/"

    @field_validator("title")
    @classmethod
    def _plain_title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = one_line(value)
        if not cleaned:
            raise ValueError("empty once control characters and spaces are removed")
        return cleaned

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        cleaned = [one_line(name) for name in value]
        for name in cleaned:
            if not name:
                raise ValueError("a section name is empty")
            if name.casefold() in {known.casefold() for known in seen.values()}:
                raise ValueError(f"section {name!r} is listed twice")
            slug = slugify(name) or name
            if slug in seen:
                raise ValueError(f"sections {seen[slug]!r} and {name!r} would share a URL ({slug})")
            seen[slug] = name
        return cleaned

    @field_validator("url_pattern")
    @classmethod
    def _known_placeholders(cls, value: str, info: ValidationInfo) -> str:
        unknown = _placeholders(value) - URL_PLACEHOLDERS
        if unknown:
            known = ", ".join(sorted(URL_PLACEHOLDERS))
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; known: {known}")
        if "slug" not in _placeholders(value) and "id" not in _placeholders(value):
            raise ValueError("must contain {slug} or {id}, or every article gets the same URL")
        sample = value.format(
            base_url=info.data.get("base_url", DEFAULT_BASE_URL), site="example.com",
            section="world", slug="s", id="i", year="2026", month="01", day="01",
        )  # fmt: skip
        if not sample.startswith(("http://", "https://")):
            raise ValueError("must start with {base_url} or an absolute http(s) URL")
        return value

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        return language_tag(value)

    @field_validator("languages")
    @classmethod
    def _language_tags(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for tag in value:
            canonical = str(site_locale(language_tag(tag)))
            if canonical in seen:
                raise ValueError(f"{seen[canonical]!r} and {tag!r} are the same language")
            seen[canonical] = tag
        return value

    @property
    def offered_languages(self) -> tuple[str, ...]:
        """The languages subscribers may choose: the site's own first (what a subscriber
        who chose none gets), then the others of `languages`."""
        own = str(site_locale(self.language))
        others = [tag for tag in self.languages if str(site_locale(tag)) != own]
        return (self.language, *others)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"


class ImportSettings(_Table):
    boilerplate: list[Regex] = Field(default_factory=list)
    # Extension: set to false to use only the site's own patterns.
    keep_default_boilerplate: bool = True


class FeedSettings(_Table):
    formats: list[FeedFormat] = Field(default_factory=lambda: list(FEED_FORMATS))
    entries: int = Field(default=50, ge=1, le=10_000)
    hubs: list[HttpUrl] = Field(default_factory=list)

    @field_validator("formats")
    @classmethod
    def _some_formats(cls, value: list[FeedFormat]) -> list[FeedFormat]:
        if not value:
            raise ValueError("list at least one of 'rss', 'atom', 'json'")
        return list(dict.fromkeys(value))


DEFAULT_SUBJECT = "{site} digest: {date}"


class DigestSettings(_Table):
    from_: str | None = Field(default=None, alias="from")
    subject: str = DEFAULT_SUBJECT  # the default is in each subscriber's language
    since: str = "last-edition"
    # Extension: printed in every digest's footer (anti-spam laws ask for one).
    postal_address: str = ""

    @field_validator("from_")
    @classmethod
    def _mailbox(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email.utils import parseaddr

        from email_validator import EmailNotValidError, validate_email

        if "\n" in value or "\r" in value:
            raise ValueError("must be one line")
        from email.utils import getaddresses

        if len(getaddresses([value])) != 1:
            raise ValueError("must be one address, such as 'Site <digest@example.com>'")
        _, address = parseaddr(value)
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(f"not a valid address ({exc})") from None
        return value

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        unknown = _placeholders(value) - SUBJECT_PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{sorted(unknown)[0]}}}; known: date, edition, site"
            )
        if "\n" in value or "\r" in value:
            raise ValueError("must be one line")
        return value

    @field_validator("since")
    @classmethod
    def _window(cls, value: str) -> str:
        if value != "last-edition" and not re.fullmatch(r"[1-9][0-9]*[hdw]", value):
            raise ValueError(f"use 'last-edition' or a window such as '7d', '12h', '2w': {value!r}")
        return value


class DispatchSettings(_Table):
    backend: Literal["outbox", "smtp"] = "outbox"
    rate: float = Field(default=0, ge=0)  # messages a second for the whole site (0: no limit)
    connections: int = Field(default=4, ge=1, le=100)
    # How long a worker's claim on a batch of sends holds without being renewed: after
    # that, another worker takes them over (the first was killed, or cut off).
    lease_seconds: int = Field(default=60, ge=5, le=3600)


class BuildSettings(_Table):
    """How a build runs: `jobs`, the worker processes that parse records, build feed
    documents and check them (0: one per core; 1: all in the command's own process).
    The files are the same bytes either way."""

    jobs: int = Field(default=0, ge=0, le=256)


class StateSettings(_Table):
    """Where the state store lives (SYNDICATE_DATABASE_URL wins): _store/address.py."""

    url: str = DEFAULT_STORE_URL


class SmtpSettings(_Table):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""


class DkimSettings(_Table):
    """Extension: messages are signed when these and SYNDICATE_DKIM_KEY are all set."""

    selector: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    domain: str = Field(default="", pattern=r"^[A-Za-z0-9.-]*$")
    # With SYNDICATE_DKIM_ED25519_KEY: an Ed25519 signature (RFC 8463) beside the RSA one.
    ed25519_selector: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")


MAILBOX_SCHEMES = ("imaps", "imap", "pop3s", "pop3")
WINDOW = re.compile(r"[1-9][0-9]*[hdw]")
_TOPIC_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+")


class BounceSettings(_Table):
    """Mail that comes back: where bounce reports are sent and read, and what they do."""

    address: str | None = None  # the VERP envelope sender: bounces+<token>@domain
    mailbox: str | None = None  # imaps://user@host/INBOX, imap://, pop3s://, pop3://
    soft_limit: int = Field(default=3, ge=1, le=1000)
    soft_window: str = "30d"
    processed_folder: str = "Processed"
    sns_topics: list[str] = Field(default_factory=list)

    @field_validator("address")
    @classmethod
    def _verp_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email_validator import EmailNotValidError, validate_email

        try:
            checked = validate_email(value.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(f"not a valid address ({exc})") from None
        if checked.ascii_email is None or "+" in checked.local_part:
            raise ValueError("an ASCII address without '+': the token goes after a '+'")
        return checked.ascii_email

    @field_validator("mailbox")
    @classmethod
    def _mailbox_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (read only to check it)
        except ValueError as exc:
            raise ValueError(f"not a mailbox URL ({exc})") from None
        if parts.scheme not in MAILBOX_SCHEMES:
            raise ValueError(f"the scheme is one of {', '.join(MAILBOX_SCHEMES)}: {value!r}")
        if parts.password is not None:
            raise ValueError("no password in the URL: set SYNDICATE_BOUNCE_PASSWORD")
        if not parts.hostname or not parts.username:
            raise ValueError(f"name the user and the host, as imaps://user@host/INBOX: {value!r}")
        return value

    @field_validator("soft_window")
    @classmethod
    def _soft_window(cls, value: str) -> str:
        if not WINDOW.fullmatch(value):
            raise ValueError(f"a window such as '30d', '72h' or '4w': {value!r}")
        return value

    @field_validator("sns_topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        for topic in value:
            if not _TOPIC_ARN.fullmatch(topic):
                raise ValueError(
                    f"not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): {topic!r}"
                )
        return value


class Settings(_Table):
    site: SiteSettings = Field(default_factory=SiteSettings)
    import_: ImportSettings = Field(default_factory=ImportSettings, alias="import")
    feeds: FeedSettings = Field(default_factory=FeedSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    dkim: DkimSettings = Field(default_factory=DkimSettings)
    bounces: BounceSettings = Field(default_factory=BounceSettings)
    build: BuildSettings = Field(default_factory=BuildSettings)
    state: StateSettings = Field(default_factory=StateSettings)
