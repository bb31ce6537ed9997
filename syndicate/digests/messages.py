"""Digest messages: one built from scratch, or many filled into bytes encoded once.

Building an `EmailMessage` costs milliseconds; a digest goes to thousands. So each
variant's message is built once with sentinel values and cut into static byte
chunks around the per-subscriber slots, and each subscriber's message is those
chunks joined with their own values, encoded the way the email package encodes
them. `build_message` is the reference: `MessageTemplate.fill` gives the same
bytes (a test holds them to it).

The HTML part is base64. Base64 cannot be cut anywhere, but it encodes 57 bytes
per line: every piece before and between the slots, and every slot value, is
padded with spaces to a multiple of 57 bytes, so each piece encodes on its own
lines. The spaces fall where HTML ignores them (around a quoted attribute value,
after a greeting). The text part is 8bit, where values go in as they are.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import html
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from syndicate.digests.headers import (
    HTML_SAFE_URI,
    LINE,
    PLAIN_ADDRESS,
    PLAIN_HEADER,
    URI_OK,
    EditionHeaders,
    Recipient,
    address_hash,
    display_name,
    encode_header,
    header_values,
    message_id,
    plain_phrase,
)
from syndicate.digests.render import GREETING_TOKEN, TOKENS, UNSUBSCRIBE_TOKEN, RenderedVariant
from syndicate.errors import DigestError

CHUNK = 57  # bytes that base64 puts on one 76-character line
_PER_RECIPIENT_HEADERS = ("To", "Message-ID", "List-Unsubscribe")


def greeting(name: str, greetings: tuple[str, str] = ("Hello %(name)s,", "Hello,")) -> str:
    """The greeting of a subscriber by name (or none), in the variant's language."""
    name = display_name(name)
    return greetings[0] % {"name": name} if name else greetings[1]


def _slot_values(recipient: Recipient, variant: RenderedVariant) -> dict[str, str]:
    return {
        GREETING_TOKEN: greeting(recipient.name, variant.greetings),
        UNSUBSCRIBE_TOKEN: recipient.unsubscribe_url,
    }


def _payload_length(text: str) -> int:
    """Bytes `text` takes in a part's payload, where each newline becomes CRLF."""
    return len(text.encode("utf-8")) + text.count("\n")


def _pad(text: str) -> str:
    return text + " " * (-_payload_length(text) % CHUNK)


def _split_on_tokens(document: str) -> tuple[list[str], list[str]]:
    """Pieces between the tokens, and the tokens in the order they stand."""
    positions = sorted((document.find(token), token) for token in TOKENS)
    for position, token in positions:
        if position < 0 or document.count(token) != 1:
            raise DigestError(f"the digest HTML must hold {token} exactly once (templates)")
    pieces, order, start = [], [], 0
    for position, token in positions:
        pieces.append(document[start:position])
        order.append(token)
        start = position + len(token)
    pieces.append(document[start:])
    return pieces, order


@functools.lru_cache(maxsize=64)
def _html_layout(document: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """The HTML's pieces around the tokens, the tokens in order, and those that stand
    as a whole quoted attribute value (href="TOKEN").

    The quotes of such a value move into the slot, so that its padding falls outside
    them: href=   "https://…"   rather than spaces inside the URL, which some mail
    clients and link checkers would not trim.
    """
    source = document.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    pieces, order = _split_on_tokens(source)
    quoted = set()
    for index, token in enumerate(order):
        if pieces[index].endswith('="') and pieces[index + 1].startswith('"'):
            pieces[index] = pieces[index][:-1]
            pieces[index + 1] = pieces[index + 1][1:]
            quoted.add(token)
    return tuple(pieces), tuple(order), frozenset(quoted)


def _html_value(token: str, value: str, quoted: frozenset[str]) -> str:
    escaped = html.escape(value, quote=True)
    return _pad(f'"{escaped}"' if token in quoted else escaped)


def html_for(variant: RenderedVariant, recipient: Recipient) -> str:
    """The HTML part of one recipient's message, padded for chunked encoding."""
    pieces, order, quoted = _html_layout(variant.html)
    values = _slot_values(recipient, variant)
    out = []
    for piece, token in zip(pieces, order, strict=False):
        out += [_pad(piece), _html_value(token, values[token], quoted)]
    out.append(pieces[-1])
    return "".join(out)


def text_for(variant: RenderedVariant, recipient: Recipient) -> str:
    text = variant.text
    for token, value in _slot_values(recipient, variant).items():
        text = text.replace(token, value)
    return text


def build_message(variant: RenderedVariant, headers: EditionHeaders, recipient: Recipient) -> bytes:
    """One recipient's message, built with the email package: the reference."""
    try:
        return _build(variant, headers, recipient)
    except ValueError as exc:  # the email package refusing a header
        raise DigestError(f"cannot build the message for {recipient.email!r}: {exc}") from None


def _build(variant: RenderedVariant, headers: EditionHeaders, recipient: Recipient) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = headers.sender
    per_recipient = header_values(headers, recipient)
    to = per_recipient["To"]
    international = isinstance(to, str) and not recipient.email.split("@", 1)[0].isascii()
    # The email package writes no UTF-8 header under the SMTP policy, and under the
    # SMTPUTF8 one it would write them all so: a slot, filled as the fast path fills To.
    message["To"] = _TO_SLOT if international else to
    message["Subject"] = headers.subject
    message["Date"] = format_datetime(headers.date)
    message["Message-ID"] = per_recipient["Message-ID"]
    message["List-Id"] = headers.list_id
    message["List-Unsubscribe"] = per_recipient["List-Unsubscribe"]
    if recipient.unsubscribe_url.startswith("https://"):
        # RFC 8058: one-click only over HTTPS.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text_for(variant, recipient), cte="8bit")
    message.add_alternative(html_for(variant, recipient), subtype="html", cte="base64")
    message.set_boundary(_boundary(headers, variant))
    if international:
        return message.as_bytes().replace(
            f"To: {_TO_SLOT}\r\n".encode("ascii"), encode_header("To", str(to)), 1
        )
    return message.as_bytes()


_TO_SLOT = "syndicate-to-slot@invalid"


def _boundary(headers: EditionHeaders, variant: RenderedVariant) -> str:
    # From the content itself: the same message always gets the same boundary, and
    # no text in a record can contain the hash of the text that contains it.
    content = f"{headers.edition_id}\0{variant.html}\0{variant.text}".encode()
    return f"=_syndicate_{hashlib.sha256(content).hexdigest()[:32]}"


def _encode_chunked(text: str) -> bytes:
    return _base64_lines(text.encode("utf-8").replace(b"\n", b"\r\n"))


def _base64_lines(data: bytes) -> bytes:
    # 57 is a multiple of 3: encoding the whole and cutting every 76 characters is
    # encoding each 57 bytes on its own, in one call instead of one a line.
    encoded = binascii.b2a_base64(data, newline=False)
    if 0 < len(encoded) <= _B64_LINE:
        return encoded + b"\r\n"
    return b"".join(
        [encoded[i : i + _B64_LINE] + b"\r\n" for i in range(0, len(encoded), _B64_LINE)]
    )


_B64_LINE = CHUNK // 3 * 4


_SENTINEL = Recipient(
    email="sentinel@syndicate.invalid",
    name="SYNDICATESENTINELNAME",
    unsubscribe_url="https://syndicate.invalid/SYNDICATESENTINELURL",
    unsubscribe_mailto="mailto:sentinel@syndicate.invalid?subject=SYNDICATESENTINEL",
)


@dataclass(frozen=True)
class MessageTemplate:
    """A variant's message as static byte chunks around per-recipient slots."""

    chunks: tuple[bytes, ...]
    slots: tuple[str, ...]  # what fills the gap after each chunk but the last
    headers: EditionHeaders
    variant: RenderedVariant
    plain: _PlainPath | None = field(default=None, compare=False, repr=False)

    @classmethod
    def prepare(cls, variant: RenderedVariant, headers: EditionHeaders) -> MessageTemplate:
        skeleton = build_message(variant, headers, _SENTINEL)
        body_start = skeleton.index(b"\r\n\r\n") + 4
        found = []
        for slot, encoded in _slot_bytes(variant, headers, _SENTINEL).items():
            # Header slots are looked for in the header, the others in the body.
            low, high = (0, body_start) if slot in _PER_RECIPIENT_HEADERS else (body_start, None)
            region = skeleton[low:high]
            if region.count(encoded) != 1:
                raise DigestError(f"cannot locate the {slot} slot in the digest message")
            found.append((low + region.index(encoded), len(encoded), slot))
        found.sort()
        chunks, slots, start = [], [], 0
        for position, length, slot in found:
            chunks.append(skeleton[start:position])
            slots.append(slot)
            start = position + length
        chunks.append(skeleton[start:])
        plain = _PlainPath.prepare(variant, headers, tuple(slots))
        return cls(tuple(chunks), tuple(slots), headers, variant, plain)

    def fill(self, recipient: Recipient) -> bytes:
        ordered = self.plain.values(recipient) if self.plain is not None else None
        if ordered is None:
            values = _slot_bytes(self.variant, self.headers, recipient)
            ordered = [values[slot] for slot in self.slots]
        chunks = self.chunks
        parts = [chunks[0]]
        for value, chunk in zip(ordered, chunks[1:], strict=True):
            parts += [value, chunk]
        return b"".join(parts)


def _slot_bytes(
    variant: RenderedVariant, headers: EditionHeaders, recipient: Recipient
) -> dict[str, bytes]:
    """Each slot's bytes for `recipient`, encoded as the email package encodes them."""
    encoded = {
        name: encode_header(name, value)
        for name, value in header_values(headers, recipient).items()
    }
    quoted = _html_layout(variant.html)[2]
    for token, value in _slot_values(recipient, variant).items():
        encoded[f"text {token}"] = value.encode("utf-8")
        encoded[f"html {token}"] = _encode_chunked(_html_value(token, value, quoted))
    return encoded


_PLAIN_SLOTS = (*_PER_RECIPIENT_HEADERS, *(f"{p} {t}" for p in ("text", "html") for t in TOKENS))


@dataclass(frozen=True, slots=True)
class _PlainPath:
    """`_slot_bytes` for the usual recipient (a name of ASCII words, "O'Brien" too, an
    ASCII address, URLs with nothing to quote), put together directly: the same bytes
    (a property test holds them equal) at a third of the cost. The general path's cost is spread
    thin (one_line's regex passes, UriList's checks, html.escape, a dict per message),
    so no one shortcut in it would do."""

    message_id: tuple[bytes, bytes]  # the header around the address's hash
    quoted: tuple[bool, bool]  # greeting, URL: in the HTML as a whole quoted value
    order: tuple[int, ...]  # each slot's place in _PLAIN_SLOTS
    greetings: tuple[str, str]  # the variant's, with nothing in them that HTML escapes

    @classmethod
    def prepare(
        cls, variant: RenderedVariant, headers: EditionHeaders, slots: tuple[str, ...]
    ) -> _PlainPath | None:
        value = message_id(headers, _SENTINEL.email)
        # Written as it is by `encode_header`, and so with any hash: other hex digits.
        if not PLAIN_HEADER.fullmatch(value) or len("Message-ID") + len(value) + 2 > LINE:
            return None
        if sorted(slots) != sorted(_PLAIN_SLOTS):
            return None
        if any(c in "".join(variant.greetings) for c in '&<>"'):
            # The plain path escapes only ': a greeting that HTML escapes otherwise
            # takes the general path. (One in another script is fine: 'Guten Tag',
            # '%(name)s 様' and 'مرحبًا' all come this way.)
            return None
        quoted = _html_layout(variant.html)[2]
        return cls(
            (f"Message-ID: <{headers.edition_id}.".encode(), f"@{headers.host}>\r\n".encode()),
            (GREETING_TOKEN in quoted, UNSUBSCRIBE_TOKEN in quoted),
            tuple(_PLAIN_SLOTS.index(slot) for slot in slots),
            variant.greetings,
        )

    def values(self, recipient: Recipient) -> list[bytes] | None:
        """The slots' bytes in the template's order; None: one for the general path."""
        name, email = recipient.name, recipient.email
        url, mailto = recipient.unsubscribe_url, recipient.unsubscribe_mailto
        phrase = plain_phrase(name)
        if not (
            phrase is not None
            and PLAIN_ADDRESS.fullmatch(email)
            and HTML_SAFE_URI.fullmatch(url)
            and URI_OK.fullmatch(mailto)
        ):
            return None
        to = f"To: {phrase} <{email}>\r\n" if name else f"To: {email}\r\n"
        if len(to) > LINE + 2:
            return None  # a name too long for a line: the email package folds it
        hello = self.greetings[0] % {"name": name} if name else self.greetings[1]
        escaped_hello = hello.replace("'", "&#x27;")  # all html.escape does to such a name
        html_hello = f'"{escaped_hello}"' if self.quoted[0] else escaped_hello
        escaped = url.replace("&", "&amp;")  # all html.escape does to such a URL
        html_url = f'"{escaped}"' if self.quoted[1] else escaped
        values = (
            to.encode(),
            self.message_id[0] + address_hash(email).encode() + self.message_id[1],
            f"List-Unsubscribe: <{url}>,\r\n <{mailto}>\r\n".encode(),
            hello.encode(),
            url.encode(),
            _base64_lines(_padded(html_hello.encode())),
            _base64_lines(_padded(html_url.encode())),
        )
        return [values[index] for index in self.order]


def _padded(data: bytes) -> bytes:
    """A value's bytes padded as `_pad` pads its text (no line breaks in it)."""
    return data + b" " * (-len(data) % CHUNK)
