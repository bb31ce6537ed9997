"""The catalogues we ship: every string the templates and the code use, in every
language, with the same placeholders and the language's number of plural forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "locale"
SHIPPED = sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/syndicate.po"))
REQUIRED = {"de", "fr", "es", "it", "pt", "nl", "sv", "pl", "el", "ru", "uk", "tr", "ar",
            "he", "hi", "ja", "zh_Hans", "ko"}  # fmt: skip
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _used() -> set[str]:
    """Every message the templates and the code ask for, as `make messages` finds them."""
    found: set[str] = set()
    for folder, method_map, options in (
        (REPO / "templates", [("**.j2", "jinja2.ext:babel_extract")],
         {"**.j2": {"extensions": "jinja2.ext.i18n"}}),
        (REPO / "syndicate", [("**.py", "python")], {}),
    ):  # fmt: skip
        keywords = {**DEFAULT_KEYWORDS, "translated": (2,)}
        for *_, message, _comments, _context in extract_from_dir(
            str(folder), method_map, options, keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, abort_invalid=True)


def test_we_ship_the_languages_we_promise() -> None:
    assert set(SHIPPED) >= REQUIRED


def test_the_template_catalogue_holds_every_string_in_use() -> None:
    template = {
        m.id if isinstance(m.id, str) else m.id[0] for m in _read(LOCALE / "syndicate.pot") if m.id
    }
    assert sorted(_used() - template) == [], "run `make messages`"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_catalogue_translates_every_string(language: str) -> None:
    catalogue = _read(LOCALE / language / "LC_MESSAGES" / "syndicate.po")
    forms = catalogue.num_plurals
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, f"{language}: {key!r} is fuzzy"
        assert all(s.strip() for s in strings), f"{language}: {key!r} is not translated"
        if isinstance(message.id, tuple):
            assert len(strings) == forms, f"{language}: {key!r} needs {forms} plural forms"
        wanted = sorted(PLACEHOLDER.findall(key))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == wanted, f"{language}: {key!r}"
        translated[key] = strings
    assert sorted(_used() - translated.keys()) == [], f"{language} lacks these"
