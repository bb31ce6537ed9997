"""Text helpers shared by the stages: decoding, XML-safe cleaning, slugs."""

from __future__ import annotations

import re
import unicodedata

# Characters XML 1.0 forbids anywhere, even escaped: C0 controls other than
# tab/LF/CR, lone surrogates, and the non-characters U+FFFE and U+FFFF.
_XML_ILLEGAL = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
# C1 controls are legal XML but discouraged and never wanted in text.
_C1 = "\x7f-\x84\x86-\x9f"
# Both in one class: one pass over every body instead of two.
_UNWANTED = re.compile(f"[{_XML_ILLEGAL}{_C1}]")
_SPACES = re.compile(r"\s+")
_ASCII_WORD = re.compile("[a-z0-9]+")


def xml_safe(text: str) -> str:
    """Remove every character that XML 1.0 cannot carry."""
    return _UNWANTED.sub("", text)


def one_line(text: str) -> str:
    """XML-safe text with every run of whitespace (newlines included) made one space."""
    # Printable text has no character that XML forbids and no whitespace but U+0020:
    # most ids, titles and references are so already, and are returned as they are.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return _SPACES.sub(" ", xml_safe(text)).strip()


def decode(data: bytes) -> tuple[str, bool]:
    """Decode a file's bytes: UTF-8 (a byte-order mark is dropped), else Windows-1252.

    Returns the text with newlines made LF, and whether the fallback was needed.
    """
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            break
    else:
        try:
            text = data.decode("utf-8-sig")
            fallback = False
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            fallback = True
        return _newlines(text), fallback
    return _newlines(text), False


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def slugify(text: str, max_length: int = 80) -> str:
    """A readable URL slug that keeps letters of every script: 'Καστρόπολη' stays Greek.

    Accents on Latin letters go ('é' becomes 'e'); marks of other scripts stay,
    since Devanagari or Greek words are unreadable without them. Case folds;
    each run of anything but letters, marks and digits becomes one hyphen.
    """
    # Most titles are ASCII, where all of the above comes down to the runs of ASCII
    # letters and digits, lowercased: a tenth of the cost (titles are slugged again
    # and again when related posts are matched).
    slug = "-".join(_ASCII_WORD.findall(text.lower())) if text.isascii() else _unicode_slug(text)
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def _unicode_slug(text: str) -> str:
    """The slug of any text, before it is cut to length."""
    kept: list[str] = []
    previous = ""
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) and previous.isascii():
            continue
        kept.append(char)
        previous = char if not unicodedata.combining(char) else previous
    folded = unicodedata.normalize("NFC", "".join(kept)).casefold()
    slug = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in folded)
    return "-".join(slug.split())


def unique_slug(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... whichever is free; marks it taken."""
    slug, number = wanted, 2
    while slug in taken:
        slug, number = f"{wanted}-{number}", number + 1
    taken.add(slug)
    return slug


def normalised_title(text: str) -> str:
    """The key for matching a title loosely: case, accents, punctuation and spacing ignored."""
    return " ".join(slugify(text, max_length=10_000).split("-"))
