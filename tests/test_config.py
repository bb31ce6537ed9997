from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.settings import DEFAULT_BASE_URL

FULL = """
[site]
title = "Harbour Courier"
base_url = "https://news.example.com/base"
sections = ["World", "Business"]
url_pattern = "{base_url}{year}/{month}/{slug}/"
language = "pt-BR"
timezone = "Europe/Lisbon"
section_aliases = { Intl = "World" }

[import]
boilerplate = ["^Newsletter.*$"]
keep_default_boilerplate = false

[feeds]
formats = ["atom", "json"]
entries = 20
hubs = ["https://hub.example/"]

[digest]
from = "Courier <digest@news.example.com>"
subject = "{site}: {date}"
since = "7d"

[dispatch]
backend = "smtp"
rate = 2.5
connections = 8

[smtp]
host = "mail.example.com"
port = 465
security = "tls"
username = "courier"
"""


def write_config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "syndicate.toml").write_text(text, "utf-8")
    return tmp_path


def error_of(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, text), environ or {})
    return caught.value


def test_no_file_gives_every_default(tmp_path: Path) -> None:
    config = load_config(tmp_path, {})
    s = config.settings
    assert config.title == tmp_path.name
    assert s.site.base_url == DEFAULT_BASE_URL
    assert s.site.sections == []
    assert s.site.url_pattern == "{base_url}{section}/{slug}/"
    assert s.site.language == "en"
    assert s.import_.boilerplate == []
    assert s.feeds.formats == ["rss", "atom", "json"]
    assert s.feeds.entries == 50
    assert s.feeds.hubs == []
    assert s.digest.subject == "{site} digest: {date}"
    assert s.digest.since == "last-edition"
    assert s.dispatch.backend == "outbox"
    assert (s.dispatch.rate, s.dispatch.connections) == (0, 4)
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.username) == (
        "localhost", 587, "starttls", "",
    )  # fmt: skip
    assert [w.field for w in config.warnings] == ["site.base_url"]


def test_every_key_of_the_spec_is_read(tmp_path: Path) -> None:
    s = load_config(write_config(tmp_path, FULL), {}).settings
    assert s.site.title == "Harbour Courier"
    assert s.site.base_url == "https://news.example.com/base/"  # a trailing slash is added
    assert s.site.sections == ["World", "Business"]
    assert s.site.language == "pt-BR"
    assert s.site.zone.key == "Europe/Lisbon"
    assert s.site.section_aliases == {"Intl": "World"}
    assert s.import_.boilerplate == ["^Newsletter.*$"]
    assert s.import_.keep_default_boilerplate is False
    assert s.feeds.formats == ["atom", "json"]
    assert s.feeds.entries == 20
    assert s.feeds.hubs == ["https://hub.example/"]
    assert s.digest.from_ == "Courier <digest@news.example.com>"
    assert (s.digest.subject, s.digest.since) == ("{site}: {date}", "7d")
    assert (s.dispatch.backend, s.dispatch.rate, s.dispatch.connections) == ("smtp", 2.5, 8)
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.username) == (
        "mail.example.com", 465, "tls", "courier",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("[site]\ncolour = 'red'\n", "site.colour", 2),
        ("[sitee]\ntitle = 'x'\n", "sitee", 1),
        ("[feeds]\n\nentries = '50'\n", "feeds.entries", 3),
        ("[feeds]\nentries = 0\n", "feeds.entries", 2),
        ("[feeds]\nformats = ['rss', 'atom10']\n", "feeds.formats.1", 2),
        ("[feeds]\nformats = []\n", "feeds.formats", 2),
        ("[feeds]\nhubs = ['hub.example']\n", "feeds.hubs.0", 2),
        ("[site]\nbase_url = '/relative/'\n", "site.base_url", 2),
        ("[site]\nbase_url = 'ftp://x.example/'\n", "site.base_url", 2),
        ("[site]\nsections = ['World', 'world']\n", "site.sections", 2),
        ("[site]\nsections = 'World'\n", "site.sections", 2),
        ("[site]\nurl_pattern = '{base_url}{sect}/{slug}/'\n", "site.url_pattern", 2),
        ("[site]\nurl_pattern = '{base_url}{section}/'\n", "site.url_pattern", 2),
        ("[site]\nurl_pattern = '/{slug}/'\n", "site.url_pattern", 2),
        ("[site]\nlanguage = 'english please'\n", "site.language", 2),
        ("[site]\ntimezone = 'Mars/Olympus'\n", "site.timezone", 2),
        ("[import]\nboilerplate = ['(unclosed']\n", "import.boilerplate.0", 2),
        ("[digest]\nfrom = 'not an address'\n", "digest.from", 2),
        ("[digest]\nsubject = '{site} {weather}'\n", "digest.subject", 2),
        ("[digest]\nsince = 'yesterday'\n", "digest.since", 2),
        ("[dispatch]\nbackend = 'carrier-pigeon'\n", "dispatch.backend", 2),
        ("[dispatch]\nrate = -1\n", "dispatch.rate", 2),
        ("[dispatch]\nconnections = true\n", "dispatch.connections", 2),
        ("[smtp]\nport = 70000\n", "smtp.port", 2),
        ("[smtp]\nsecurity = 'ssl'\n", "smtp.security", 2),
        ("site = 3\n", "site", 1),
    ],
)
def test_bad_keys_and_values_name_the_key(
    tmp_path: Path, text: str, field: str, line: int | None
) -> None:
    error = error_of(tmp_path, text)
    assert error.problem.field == field
    assert error.problem.line == line
    assert error.problem.file == str(tmp_path / "syndicate.toml")
    assert error.exit_status == 2


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    error = error_of(tmp_path, '[site]\ntitle = "x"\nbase_url = \n')
    assert error.problem.line == 3
    assert "invalid TOML" in error.message


def test_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "syndicate.toml").write_bytes(b'[site]\ntitle = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path, {})


@pytest.mark.parametrize(
    ("table", "key", "variable"),
    [
        ("smtp", "password", "SYNDICATE_SMTP_PASSWORD"),
        ("site", "secret_key", "SYNDICATE_SECRET_KEY"),
        ("dkim", "key", "SYNDICATE_DKIM_KEY"),
    ],
)
def test_secrets_in_the_file_are_refused(
    tmp_path: Path, table: str, key: str, variable: str
) -> None:
    error = error_of(tmp_path, f'[{table}]\n{key} = "hunter2"\n')
    assert variable in error.message
    assert "hunter2" not in str(error)
    assert error.problem.field == f"{table}.{key}"


def test_environment_overrides_smtp_and_supplies_secrets(tmp_path: Path) -> None:
    environ = {
        "SYNDICATE_SMTP_HOST": "relay.example.net",
        "SYNDICATE_SMTP_PORT": "2525",
        "SYNDICATE_SMTP_SECURITY": "none",
        "SYNDICATE_SMTP_USERNAME": "bot",
        "SYNDICATE_SMTP_PASSWORD": "s3cret",
        "SYNDICATE_SECRET_KEY": "k3y",
        "SYNDICATE_DKIM_KEY": "/keys/dkim.pem",
    }
    config = load_config(write_config(tmp_path, FULL), environ)
    smtp = config.settings.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "relay.example.net", 2525, "none", "bot",
    )  # fmt: skip
    assert config.secrets.smtp_password is not None
    assert config.secrets.smtp_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config.secrets)
    assert config.secrets.secret_key is not None
    assert config.secrets.dkim_key_path == Path("/keys/dkim.pem")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SYNDICATE_SMTP_PORT", "smtp"), ("SYNDICATE_SMTP_SECURITY", "ssl")],
)
def test_bad_environment_values_name_the_variable_or_key(
    tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {variable: value})
    assert caught.value.problem.field in (variable, "smtp.security")


def test_empty_secrets_count_as_unset(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"SYNDICATE_SMTP_PASSWORD": ""})
    assert config.secrets.smtp_password is None


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "syndicate.toml").write_bytes('\ufeff[site]\ntitle = "Ünïcode"\n'.encode())
    assert load_config(tmp_path, {}).title == "Ünïcode"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SYNDICATE_SMTP_PORT", "²"),
        ("SYNDICATE_SMTP_PORT", "99999"),
        ("SYNDICATE_SMTP_SECURITY", "ssl"),
    ],
)
def test_environment_errors_name_the_variable_not_the_file(
    tmp_path: Path, variable: str, value: str
) -> None:
    write_config(tmp_path, "[smtp]\nhost = 'mail.example.com'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {variable: value})
    assert caught.value.problem.field == variable
    assert caught.value.problem.file is None


@pytest.mark.parametrize(
    "pattern", ["{base_url}{slug:>300000000}/", "{base_url}{slug!r}/", "{base_url}{slug[0]}/"]
)
def test_url_pattern_placeholders_are_plain_names(tmp_path: Path, pattern: str) -> None:
    error = error_of(tmp_path, f"[site]\nurl_pattern = '{pattern}'\n")
    assert error.problem.field == "site.url_pattern"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("site.title = 5\n", 1),
        ("[site] # the main table\n\ntitle = 5\n", 3),
        ("[site]\ntitle = 'x'\n\n[site.section_aliases]\nIntl = 3\n", 5),
        ("[site]\nsection_aliases = { Intl = 3 }\n", 2),
    ],
)
def test_error_lines_for_dotted_keys_comments_and_subtables(
    tmp_path: Path, text: str, line: int
) -> None:
    assert error_of(tmp_path, text).problem.line == line


def test_base_url_warning_only_when_the_key_is_absent(tmp_path: Path) -> None:
    write_config(tmp_path, f"[site]\nbase_url = '{DEFAULT_BASE_URL}'\n")
    assert load_config(tmp_path, {}).warnings == ()


def test_site_title_and_sections_are_plain_and_sections_need_distinct_urls(
    tmp_path: Path,
) -> None:
    config = load_config(write_config(tmp_path, '[site]\ntitle = "Harbour\\u0001 Courier"\n'), {})
    assert config.title == "Harbour Courier"
    error = error_of(tmp_path, "[site]\nsections = ['Arts & Culture', 'Arts Culture']\n")
    assert error.problem.field == "site.sections" and "share a URL" in error.message


def test_base_url_is_percent_encoded(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, "[site]\nbase_url = 'https://n.example/my site'\n"), {}
    )
    assert config.settings.site.base_url == "https://n.example/my%20site/"


def test_a_language_cldr_does_not_know_is_an_error_naming_the_key(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nlanguage = "de-XX"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, {})
    assert raised.value.problem.field == "site.language"
    assert "did you mean" in raised.value.problem.message


def test_a_language_without_a_catalogue_is_a_warning(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nbase_url = "https://a.example/"\nlanguage = "fa"\n')
    warnings = load_config(tmp_path, {}).warnings
    assert [w.field for w in warnings] == ["site.language"]
    assert "no catalogue for 'fa'" in warnings[0].message


def test_a_site_catalogue_makes_a_language_ours_too(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nbase_url = "https://a.example/"\nlanguage = "fa"\n')
    _persian_catalogue_of_one_string(tmp_path)
    config = load_config(tmp_path, {})
    assert [w.field for w in config.warnings] == ["site.language"]  # only Related is there
    assert config.messages().gettext("Related") == "مطالب مرتبط"


def test_a_broken_site_catalogue_is_one_error_with_its_line(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nlanguage = "de"\n')
    messages = tmp_path / "locale" / "de" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "syndicate.po").write_text('msgid "Related"\nmsgstr "x"\nnonsense\n', "utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, {})
    assert raised.value.problem.file == str(messages / "syndicate.po")
    assert raised.value.problem.line == 3


def test_a_site_catalogue_that_leaves_strings_out_is_a_warning(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nbase_url = "https://a.example/"\nlanguage = "fa"\n')
    _persian_catalogue_of_one_string(tmp_path)
    [warning] = load_config(tmp_path, {}).warnings
    assert warning.field == "site.language"
    assert "leaves" in warning.message and "untranslated (English is used for them)" in (
        warning.message
    )


def _persian_catalogue_of_one_string(site: Path) -> None:
    messages = site / "locale" / "fa" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "syndicate.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Related"\nmsgstr "مطالب مرتبط"\n',
        encoding="utf-8",
    )


def test_the_languages_subscribers_may_choose(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nbase_url = "https://a.example/"\nlanguages = ["de", "EN"]\n')
    site = load_config(tmp_path, {}).settings.site
    assert site.offered_languages == ("en", "de")  # the site's own first, once
    write_config(tmp_path, '[site]\nbase_url = "https://a.example/"\n')
    assert load_config(tmp_path, {}).settings.site.offered_languages == ("en",)


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ('["de-AT", "de-at"]', "'de-AT' and 'de-at' are the same language"),
        ('["de", "xx-QQ"]', "not a language that CLDR knows"),
        ('["deutsch"]', "not a language tag"),
    ],
)
def test_a_bad_list_of_languages_is_one_error_naming_the_key(
    tmp_path: Path, languages: str, message: str
) -> None:
    write_config(tmp_path, f"[site]\nlanguages = {languages}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, {})
    assert raised.value.problem.field == "site.languages"
    assert (raised.value.problem.line, message in raised.value.problem.message) == (2, True)


def test_an_offered_language_without_a_catalogue_is_a_warning_of_its_own(tmp_path: Path) -> None:
    write_config(tmp_path, '[site]\nbase_url = "https://a.example/"\nlanguages = ["fa"]\n')
    [warning] = load_config(tmp_path, {}).warnings
    assert warning.field == "site.languages" and "no catalogue for 'fa'" in warning.message
