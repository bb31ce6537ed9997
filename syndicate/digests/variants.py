"""Message variants: an edition as subscribers who chose the same sections and the same
language get it.

Each is rendered once (MJML compiled once a variant, never once a subscriber) and kept
with the edition's queued sends as JSON, from which the senders fill in each message.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from syndicate.digests.headers import EditionHeaders
from syndicate.digests.render import RenderedVariant

# The key of the variant of every section: what a subscriber who chose none gets.
ALL_SECTIONS = "*"


def variant_key(sections: frozenset[str] | None, language: str | None = None) -> str:
    """'*' or the sections as a JSON list; in another language than the site's, the
    language first: 'de|*', 'de|["World"]'."""
    key = ALL_SECTIONS if sections is None else json.dumps(sorted(sections))
    return key if language is None else f"{language}|{key}"


def variant_label(key: str) -> str:
    """A variant key as people read it: 'World+Business', 'de:all', 'de:World'."""
    # A sections key starts with '[' or '*'; a language key with its tag, which holds
    # no '|' (a section name may).
    language, sections = ("", key) if key[:1] in "[*" else key.split("|", 1)
    shown = "all" if sections == ALL_SECTIONS else "+".join(json.loads(sections))
    return f"{language}:{shown}" if language else shown


def dump_variant(variant: RenderedVariant, headers: EditionHeaders) -> str:
    rendered = asdict(variant)
    rendered["sections"] = None if variant.sections is None else sorted(variant.sections)
    head = asdict(headers)
    head["date"] = headers.date.isoformat()
    return json.dumps({"variant": rendered, "headers": head})


def load_variant(text: str) -> tuple[RenderedVariant, EditionHeaders]:
    stored = json.loads(text)
    rendered = stored["variant"]
    sections = rendered.pop("sections")
    if "greetings" in rendered:  # JSON has no tuples; a variant stored before has none
        rendered["greetings"] = tuple(rendered["greetings"])
    variant = RenderedVariant(
        sections=None if sections is None else frozenset(sections), **rendered
    )
    head = stored["headers"]
    head["date"] = datetime.fromisoformat(head["date"])
    return variant, EditionHeaders(**head)
