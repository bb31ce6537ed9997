"""Message variants: an edition as subscribers who chose the same sections get it.

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


def variant_key(sections: frozenset[str] | None) -> str:
    return ALL_SECTIONS if sections is None else json.dumps(sorted(sections))


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
