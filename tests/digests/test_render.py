from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass

import pytest
from lxml import html

from syndicate import api
from syndicate.config import LoadedConfig
from syndicate.digests import DigestEdition, Recipient, RenderedVariant, make_edition
from syndicate.digests.messages import build_message, html_for, text_for
from syndicate.digests.plan import edition_headers
from syndicate.digests.publish import preview_edition
from syndicate.digests.render import TOKENS, renderer_for, unresolved_related
from syndicate.errors import Problem
from syndicate.site.records import Article, Image, RelatedLink
from tests.factories import NOW, article, copy_example_site

READER = Recipient(
    email="hana.lowry@example.com",
    name="Hana Lowry",
    unsubscribe_url="https://news.example.com/unsubscribe/hana.abc123?list=digest&v=1",
    unsubscribe_mailto="mailto:unsubscribe@news.example.com?subject=unsubscribe",
)
GMAIL_CLIPS_AT = 102 * 1024  # bytes of HTML


@dataclass(frozen=True)
class Rendered:
    config: LoadedConfig
    sections: tuple[str, ...]
    edition: DigestEdition
    warnings: tuple[Problem, ...]
    variant: RenderedVariant
    page: str  # the HTML part as READER gets it
    text: str


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The example site's first edition, rendered with the real templates."""
    root = copy_example_site(tmp_path_factory.mktemp("render"))
    site = api.load_site(root, {}, now=NOW)
    report = preview_edition(site.config, site.articles, site.sections, now=NOW)
    assert report.edition is not None
    variant = renderer_for(site.config).render(report.edition, None)
    return Rendered(
        site.config,
        site.sections,
        report.edition,
        site.warnings + report.warnings,
        variant,
        html_for(variant, READER),
        text_for(variant, READER),
    )


def document(page: str) -> html.HtmlElement:
    return html.fromstring(page)


def hrefs(page: str) -> list[str]:
    # The filled unsubscribe URL is padded with spaces, which URL parsing drops.
    return [str(href).strip() for href in document(page).xpath("//a/@href")]


def words(text: str) -> str:
    return " ".join(text.split())


HEADINGS = "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"


def heading_links(heading: html.HtmlElement, story: Article) -> bool:
    """Whether `heading` is the story's headline: its title, linking to it."""
    return words(heading.text_content()) == story.title and any(
        a.get("href") == story.url for a in heading.iter("a")
    )


def headline(page: str, story: Article) -> bool:
    return any(heading_links(h, story) for h in document(page).xpath(HEADINGS))


def test_the_example_edition_has_every_section_in_the_configured_order(example: Rendered) -> None:
    assert example.sections[0] == "World"
    names = [block.name for block in example.edition.sections]
    assert names == ["World", "Business", "Culture"]
    assert len(example.edition.stories) == 14
    # The page's headings, in order: each section's name, then its stories' headlines.
    outline = []
    for heading in document(example.page).xpath(HEADINGS):
        text = words(heading.text_content())
        if text in names:
            outline.append(text)
        outline += [s.url for s in example.edition.stories if heading_links(heading, s)]
    expected = []
    for block in example.edition.sections:
        expected += [block.name, *(story.url for story in block.stories)]
    assert outline == expected


def test_every_story_and_every_resolved_related_post_is_a_link(example: Rendered) -> None:
    links = set(hrefs(example.page))
    resolved = 0
    for story in example.edition.stories:
        assert headline(example.page, story), story.title
        for related in story.related:
            if related.url:
                assert related.url in links, (story.title, related.title)
                resolved += 1
    assert resolved >= 20


def test_an_unresolved_related_post_is_left_out_and_reported(example: Rendered) -> None:
    missing = [(s, r) for s in example.edition.stories for r in s.related if not r.url]
    assert [r.title for _, r in missing] == ["Velmar Tram Fares to Rise in January"]
    assert "Velmar Tram Fares" not in document(example.page).text_content()
    assert "Velmar Tram Fares" not in example.text
    warned = [w for w in example.warnings if w.field == "related"]
    assert len(warned) == 1
    assert "Velmar Tram Fares to Rise in January" in warned[0].message
    assert "left out of digests" in warned[0].message
    assert warned[0].file == missing[0][0].source.file


def test_nothing_is_left_unfilled_and_every_link_is_absolute(example: Rendered) -> None:
    for part in (example.variant.html, example.variant.text, example.page, example.text):
        assert "{{" not in part and "{%" not in part and "{#" not in part
    for part in (example.page, example.text):
        assert not any(token in part for token in TOKENS)
    links = hrefs(example.page)
    assert READER.unsubscribe_url in links
    assert links and all(re.match(r"https?://[^/\s]+", href) for href in links), links
    sources = document(example.page).xpath("//img/@src")
    assert sources and all(str(src).startswith(("http://", "https://")) for src in sources)


def test_every_image_has_alt_text(example: Rendered) -> None:
    images = document(example.page).xpath("//img")
    assert images
    assert all((img.get("alt") or "").strip() for img in images)
    # A story whose image has no alt text of its own gets the headline as its alt.
    bare = article(
        "Quayside Works Begin", number=1, image=Image("https://news.example.com/i/q.jpg", "")
    )
    edition = make_edition([bare], example.sections, "2026-11-25", NOW)
    page = html_for(renderer_for(example.config).render(edition, None), READER)
    (alt,) = document(page).xpath("//img[@src='https://news.example.com/i/q.jpg']/@alt")
    assert alt.strip()


def test_the_text_part_has_every_story_link_and_the_unsubscribe_url(example: Rendered) -> None:
    text = words(example.text)
    for story in example.edition.stories:
        assert story.title in text
        assert story.url in example.text.split()
        for related in story.related:
            if related.url:
                assert related.url in example.text.split()
    assert READER.unsubscribe_url in example.text.split()
    assert "Hello Hana Lowry," in example.text


# --- a full edition -------------------------------------------------------------

SUMMARY = (
    "Crews worked through the night to clear the last of the silt from the inner "
    "basin, and the harbour master said the first container ships would berth on "
    "Monday, a week ahead of schedule, after six weeks in which the port's trade "
    "fell by more than half and the fishing fleet had to land its catch elsewhere."
)


def full_edition(sections: tuple[str, ...], count: int = 30) -> list[Article]:
    stories = []
    for n in range(1, count + 1):
        section = sections[n % len(sections)]
        slug = f"{section.lower()}/story-number-{n}-about-the-harbour/"
        related = tuple(
            RelatedLink(
                f"Earlier: the council's long debate over the harbour, part {m}",
                f"https://news.example.com/world/earlier-debate-part-{m}/",
                f"world/earlier-{m}",
            )
            for m in (n, n + 1)
        )
        stories.append(
            article(
                f"Harbour story {n}: the dredging project nears its end at last",
                number=n,
                id=f"{section.lower()}/{n}",
                section=section,
                url=f"https://news.example.com/{slug}",
                summary=SUMMARY[:280],
                image=Image(f"https://news.example.com/images/{n}.jpg", f"The harbour, day {n}"),
                related=related,
                authors=("Ines Marlowe", "Teodor Vance"),
            )
        )
    return stories


def test_a_thirty_story_edition_stays_under_gmail_clipping(example: Rendered) -> None:
    assert len(SUMMARY[:280]) == 280
    stories = full_edition(example.sections)
    edition = make_edition(stories, example.sections, "2026-11-25", NOW)
    variant = renderer_for(example.config).render(edition, None)
    page = html_for(variant, READER)
    size = len(page.encode("utf-8"))
    assert size < GMAIL_CLIPS_AT, f"30 stories make {size} bytes of HTML"
    assert len(document(page).xpath("//img")) == 30
    links = set(hrefs(page))
    assert all(story.url in links for story in stories)
    assert all(r.url in links for story in stories for r in story.related)


# --- hostile records ------------------------------------------------------------


def test_nothing_of_a_hostile_record_is_live(example: Rendered) -> None:
    stories = [
        article(
            "Budget <b>&</b> Bonds <script>alert(1)</script>",
            number=1,
            summary="<script>alert(1)</script> and <b>bold</b> & <img src=x onerror=alert(1)>",
            related=(
                RelatedLink("Click me", "javascript:alert(1)", None),
                RelatedLink("Also me", " JavaScript:alert(2)", None),
                RelatedLink("A real one", "https://news.example.com/world/real/", "world/real"),
            ),
        ),
        # normalise() flattens line breaks; built directly, the raw string reaches us.
        article("Harbour Notice\r\nBcc: victim@example.com", number=2),
    ]
    edition = make_edition(stories, example.sections, "2026-11-25", NOW)
    variant = renderer_for(example.config).render(edition, None)
    page = html_for(variant, READER)
    tree = document(page)
    assert tree.xpath("//b | //script") == []
    assert tree.xpath("//img[@onerror]") == []
    assert "Budget <b>&</b> Bonds" in words(tree.text_content())
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert "javascript:" not in value.lower().replace(" ", ""), (element.tag, name)
    assert "https://news.example.com/world/real/" in hrefs(page)
    assert "javascript" not in variant.text.lower()
    assert any("javascript:alert(1)" in p.message for p in unresolved_related(edition))

    headers = edition_headers(example.config, edition)
    raw = build_message(variant, headers, READER)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Bcc"] is None
    assert not re.search(rb"(?mi)^bcc:", raw.partition(b"\r\n\r\n")[0])
    for part in message.iter_parts():
        assert set(part.keys()) <= {"Content-Type", "Content-Transfer-Encoding", "MIME-Version"}
    assert message["Subject"] == "Harbour Courier digest: Wednesday, November 25, 2026"
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Hana Lowry", "hana.lowry@example.com")
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


# --- compiling once per variant ---------------------------------------------------


def test_mjml_is_compiled_once_per_variant_never_per_subscriber(example: Rendered) -> None:
    renderer = renderer_for(example.config)
    choices: list[frozenset[str] | None] = [
        None,
        frozenset({"World"}),
        frozenset({"Business", "Culture"}),
    ]
    subscribers = [
        Recipient(
            f"reader{n}@example.com",
            f"Reader {n}",
            f"https://news.example.com/u/{n}",
            "mailto:u@news.example.com",
        )
        for n in range(200)
    ]
    chosen = {s.email: choices[n % len(choices)] for n, s in enumerate(subscribers)}
    variants: dict[frozenset[str] | None, RenderedVariant] = {}
    pages = {}
    for subscriber in subscribers:
        key = chosen[subscriber.email]
        if key not in variants:  # as dispatch does: render a variant on its first reader
            variants[key] = renderer.render(example.edition, key)
        pages[subscriber.email] = html_for(variants[key], subscriber)
    assert renderer.compiles == 3
    assert len(pages) == 200
    counts = {key: variant.story_count for key, variant in variants.items()}
    assert counts == {key: len(example.edition.for_sections(key).stories) for key in choices}
    assert counts[None] == 14
    assert all(f"Hello Reader {n}," in pages[f"reader{n}@example.com"] for n in range(200))
