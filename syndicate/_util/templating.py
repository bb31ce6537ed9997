"""Where templates come from: the site's own `templates/` first, then ours.

Our defaults ship inside the wheel as `syndicate/templates/`; in a source
checkout they are the top-level `templates/` folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from markupsafe import escape

from syndicate._util.language import catalogue

_PACKAGE = Path(__file__).resolve().parent.parent  # syndicate/
_PACKAGED = _PACKAGE / "templates"
_CHECKOUT = _PACKAGE.parent / "templates"


def default_templates_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def template_search_path(site_templates: Path | None) -> list[Path]:
    """Folders to look in, first match wins: a site overrides our files one by one."""
    path = [default_templates_dir()]
    if site_templates is not None and site_templates.is_dir():
        path.insert(0, site_templates)
    return path


def template_environment(
    site_templates: Path | None,
    *,
    autoescape: bool = True,
    language: str = "en",
    site_locale_dir: Path | None = None,
) -> jinja2.Environment:
    """Templates with gettext (`_`, `gettext`, `ngettext`, `{% trans %}`) speaking
    `language`: the site's catalogue, then ours, then the templates' own English."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in template_search_path(site_templates)]),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    messages = catalogue(language, site_locale_dir)
    if autoescape:
        # A translation is text, like a record's title: 'Q&A' is escaped where it lands
        # in HTML (newstyle gettext would take it as markup).
        environment.install_gettext_callables(  # type: ignore[attr-defined]  # the extension's
            lambda text: escape(messages.gettext(text)),
            lambda singular, plural, n: escape(messages.ngettext(singular, plural, n)),
            newstyle=True,
        )
    else:
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            messages, newstyle=True
        )
    environment.filters["toml"] = toml_string
    return environment


def toml_string(value: object) -> str:
    """A TOML basic string: JSON's escapes are valid TOML; TOML also forbids a raw DEL."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
