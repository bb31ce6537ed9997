"""The plain path of `MessageTemplate.fill` (names of ASCII words, "O'Brien",
"Jean-Luc" and "J. Smith" included; ASCII addresses)
writes what the general path writes, and is taken where it should be."""

from __future__ import annotations

import binascii
from dataclasses import replace
from email.errors import HeaderParseError
from functools import cache

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syndicate._util.language import catalogue, shipped_languages
from syndicate.digests import MessageTemplate, Recipient, build_message
from syndicate.digests.messages import _base64_lines, _slot_bytes
from syndicate.digests.render import GREETING_TOKEN, UNSUBSCRIBE_TOKEN
from syndicate.errors import DigestError
from tests.digests.builders import HEADERS
from tests.digests.test_messages import EMAILS, NAMES, UNSUBSCRIBE_URLS, variant

GREETING, UNSUBSCRIBE = f"<p>{GREETING_TOKEN}</p>", f'href="{UNSUBSCRIBE_TOKEN}"'
# The four ways the two slots can stand in the HTML: as text, or as a whole quoted
# attribute value (whose quotes move into the slot).
LAYOUTS = {
    "greeting text, URL quoted": (GREETING, UNSUBSCRIBE),
    "greeting quoted, URL quoted": (f'<p title="{GREETING_TOKEN}">hi</p>', UNSUBSCRIBE),
    "greeting text, URL text": (GREETING, f'href="#">{UNSUBSCRIBE_TOKEN}<i'),
    "greeting quoted, URL text": (
        f'<p title="{GREETING_TOKEN}">hi</p>',
        f"title={UNSUBSCRIBE_TOKEN}",
    ),
}
FIRST = sorted(LAYOUTS)[0]


@cache
def template(layout: str) -> MessageTemplate:
    greeting, unsubscribe = LAYOUTS[layout]
    page = variant().html.replace(GREETING, greeting).replace(UNSUBSCRIBE, unsubscribe)
    return MessageTemplate.prepare(replace(variant(), html=page), HEADERS)


WORDS = st.from_regex(r"[A-Za-z0-9'.-]{1,14}( [A-Za-z0-9'.-]{1,14}){0,4}", fullmatch=True)
PLAIN_NAMES = st.one_of(st.just(""), WORDS)
ASCII_NAMES = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=90)
# Short enough that the To header is one line (74 characters after "To: ").
SHORT_NAMES = st.from_regex(r"([A-Za-z0-9'.-]{1,8}( [A-Za-z0-9'.-]{1,8}){0,2})?", fullmatch=True)
SHORT_EMAILS = st.from_regex(
    r"[A-Za-z0-9_+-]{1,12}(\.[a-z0-9]{1,8})?@[a-z0-9-]{1,12}\.[a-z]{2,6}", fullmatch=True
)
LONG_NAMES = st.from_regex(r"[A-Za-z]{20,40}( [A-Za-z]{20,40}){1,3}", fullmatch=True)
ANY_EMAILS = st.one_of(
    EMAILS,
    st.from_regex(r"[A-Za-z0-9._+-]{1,30}@[A-Za-z0-9.-]{1,30}", fullmatch=True),
    st.from_regex(r"[a-zé\"()]{1,10}@[a-z]{1,10}\.[a-z]{2,4}", fullmatch=True),
)
ANY_URLS = st.one_of(
    UNSUBSCRIBE_URLS,
    st.builds(lambda s: f"https://news.example.com/u/{s}", st.text(max_size=30)),
)


@st.composite
def recipients(
    draw: st.DrawFn,
    names: st.SearchStrategy[str],
    emails: st.SearchStrategy[str],
    urls: st.SearchStrategy[str],
    refused_mailto: bool = True,  # now and then not a URI, which the general path refuses
) -> Recipient:
    address = draw(emails)
    mailto = f"mailto:u@news.example.com?subject={address}"
    if refused_mailto and draw(st.booleans()):
        mailto = "x y"
    return Recipient(address, draw(names), draw(urls), mailto)


def general(template: MessageTemplate, reader: Recipient) -> list[bytes]:
    values = _slot_bytes(template.variant, template.headers, reader)
    return [values[slot] for slot in template.slots]


@settings(max_examples=300, deadline=None)
@given(
    layout=st.sampled_from(sorted(LAYOUTS)),
    reader=recipients(st.one_of(PLAIN_NAMES, ASCII_NAMES, LONG_NAMES, NAMES), ANY_EMAILS, ANY_URLS),
)
@example(layout=FIRST, reader=Recipient("a@b.c", "Eve\r\nBcc: x@y.z", "h:/", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "A  B", "h:/a&b", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "Siobhán O'Brien-Ní", "h:/", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "Jean-Luc O'Neil", "h:/", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "J.R.R. Tolkien", "h:/", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "." * 64, "h:/", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "  A", "h:/\"'", "m:"))
# The longest To header on one line (78 characters), and one longer, which is folded.
@example(layout=FIRST, reader=Recipient("a@b.c", "A" * 66, "h:/", "m:"))
@example(layout=FIRST, reader=Recipient("a@b.c", "A" * 67, "h:/", "m:"))
def test_the_plain_path_writes_what_the_general_path_writes(layout: str, reader: Recipient) -> None:
    chosen = template(layout)
    assert chosen.plain is not None
    fast = chosen.plain.values(reader)
    try:
        expected = general(chosen, reader)
    except (ValueError, HeaderParseError, DigestError):  # refused there: so must it be here
        assert fast is None
        return
    assert fast is None or fast == expected


@settings(max_examples=150, deadline=None)
@given(
    layout=st.sampled_from(sorted(LAYOUTS)),
    reader=recipients(SHORT_NAMES, SHORT_EMAILS, UNSUBSCRIBE_URLS, refused_mailto=False),
)
def test_a_plain_recipient_takes_the_plain_path_to_the_reference_bytes(
    layout: str, reader: Recipient
) -> None:
    chosen = template(layout)
    assert chosen.plain is not None
    assert chosen.plain.values(reader) is not None
    assert chosen.fill(reader) == build_message(chosen.variant, HEADERS, reader)


@pytest.mark.parametrize("edition_id", ["2026-11-25", "x" * 60, "spaced id"])
def test_an_edition_id_unfit_for_one_line_leaves_it_to_the_general_path(edition_id: str) -> None:
    headers = replace(HEADERS, edition_id=edition_id)
    chosen = MessageTemplate.prepare(variant(), headers)
    assert (chosen.plain is not None) == (edition_id == "2026-11-25")
    reader = Recipient("hana@example.com", "Hana", "https://a.example/u", "mailto:u@a.example")
    assert chosen.fill(reader) == build_message(variant(), headers, reader)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_base64_in_one_call_is_base64_a_line_at_a_time(data: bytes) -> None:
    lines = [binascii.b2a_base64(data[i : i + 57]) for i in range(0, len(data), 57)]
    assert _base64_lines(data) == b"".join(lines).replace(b"\n", b"\r\n")


@pytest.mark.parametrize("language", sorted(shipped_languages()))
def test_a_greeting_in_any_of_our_languages_takes_the_plain_path_to_the_same_bytes(
    language: str,
) -> None:
    messages = catalogue(language)
    greetings = (messages.gettext("Hello %(name)s,"), messages.gettext("Hello,"))
    chosen = MessageTemplate.prepare(replace(variant(), greetings=greetings), HEADERS)
    # Every subscriber of a site in any of our languages costs what an English one does.
    assert chosen.plain is not None
    for reader in (
        Recipient("ann@example.org", "Ann Lee", "https://a.example/u/1", "mailto:u@a.example"),
        Recipient("bo@example.org", "", "https://a.example/u/2", "mailto:u@a.example"),
        Recipient("o@example.org", "Seán O'Brien", "https://a.example/u/3", "mailto:u@a"),
    ):
        assert chosen.fill(reader) == build_message(chosen.variant, HEADERS, reader)


@settings(max_examples=100, deadline=None)
@given(
    greeting=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=20),
    reader=recipients(SHORT_NAMES, SHORT_EMAILS, UNSUBSCRIBE_URLS, refused_mailto=False),
)
def test_a_greeting_in_any_script_gives_the_reference_bytes(
    greeting: str, reader: Recipient
) -> None:
    greetings = (greeting.replace("%", "%%") + " %(name)s", greeting.replace("%", "%%"))
    chosen = MessageTemplate.prepare(replace(variant(), greetings=greetings), HEADERS)
    assert chosen.fill(reader) == build_message(chosen.variant, HEADERS, reader)
