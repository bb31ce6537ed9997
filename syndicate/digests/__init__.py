"""Digests: editions of the stories since the last one, as MJML email and web pages."""

from syndicate.digests.edition import DigestEdition, SectionBlock, make_edition, select_stories
from syndicate.digests.headers import EditionHeaders, Recipient
from syndicate.digests.messages import MessageTemplate, build_message
from syndicate.digests.render import DigestRenderer, DigestSite, RenderedVariant

__all__ = [
    "DigestEdition",
    "DigestRenderer",
    "DigestSite",
    "EditionHeaders",
    "MessageTemplate",
    "Recipient",
    "RenderedVariant",
    "SectionBlock",
    "build_message",
    "make_edition",
    "select_stories",
]
