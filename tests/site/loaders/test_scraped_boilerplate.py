"""Boilerplate on scraped pages: banners, buttons and the site's own patterns."""

from __future__ import annotations

import html

import pytest

from syndicate.errors import Problem
from syndicate.site.loaders.scraped import ScrapeRules
from tests.site.loaders.scraped_pages import (
    BANNER,
    BANNER_LINES,
    FILE,
    PARAS,
    load,
    page,
    paragraphs_of,
    titles,
)

# --- boilerplate --------------------------------------------------------------------


@pytest.mark.parametrize("with_related", [True, False])
@pytest.mark.parametrize(
    "banner",
    [
        (BANNER,),
        BANNER_LINES,
        (*BANNER_LINES[:2], "", "Accept all", "", "Learn more"),
        (BANNER_LINES[0], BANNER_LINES[1] + " Got it | Dismiss"),
        (
            "We value your privacy",
            "We and our partners store cookies on your device.",
            "Accept all",
            "Reject all",
            "Cookie settings",
        ),
        (*BANNER_LINES, "", "© 2025 Harbour Courier. All rights reserved."),
    ],
    ids=["one-line", "split", "split-blank", "split-two", "privacy", "then-copyright"],
)
def test_cookie_banner_at_the_end_is_dropped(with_related: bool, banner: tuple[str, ...]) -> None:
    related = ["Storm Closes Coast Road", "Ferry Fares Rise"] if with_related else None
    warnings: list[Problem] = []
    article = load(page(related=related, boilerplate=banner), warnings=warnings)
    assert paragraphs_of(article.body) == list(PARAS)
    assert titles(article) == (related or [])
    for text in [article.body, *titles(article)]:
        assert "cookie" not in text.lower()
        for line in banner:
            assert not line or html.escape(line, quote=False) not in text


def test_banner_after_related_titles_without_a_double_gap() -> None:
    text = page(related=["Ferry Fares Rise"], boilerplate=())
    text += "\n".join(BANNER_LINES)
    article = load(text)
    assert titles(article) == ["Ferry Fares Rise"]


@pytest.mark.parametrize(
    "paragraph",
    [
        "Residents who love cookies say the old bakery should not close.",
        "The union would not accept the consent order and did not agree.",
        "Bakers sold 4,000 cookies. Profits went to the lifeboat crew.",
        "Officials said GDPR consent forms were lost in the flood. Read more on page 3.",
        "Visitors must accept cookies from the kiosk, she said. OK.",
    ],
)
def test_a_story_that_mentions_cookies_keeps_its_paragraph(paragraph: str) -> None:
    middle = load(page(paragraphs=[PARAS[0], paragraph, PARAS[1]]))
    assert paragraphs_of(middle.body) == [PARAS[0], paragraph, PARAS[1]]
    last = load(page(paragraphs=[PARAS[0], paragraph], boilerplate=()))
    assert paragraphs_of(last.body) == [PARAS[0], paragraph]
    before_related = load(page(paragraphs=[PARAS[0], paragraph], related=["Ferry Fares Rise"]))
    assert paragraphs_of(before_related.body) == [PARAS[0], paragraph]
    with_banner = load(page(paragraphs=[PARAS[0], paragraph], boilerplate=BANNER_LINES))
    assert paragraphs_of(with_banner.body) == [PARAS[0], paragraph]


@pytest.mark.parametrize(
    "junk",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "Sponsored content",
        "Share this article",
        "Share on Facebook",
        "Tweet",
        "Email",
        "Print",
        "Skip to content",
        "© 2025 Harbour Courier. All rights reserved.",
        "Copyright 2024 Harbour Courier Ltd",
        "Copyright © 2023 Harbour Courier",
        "All rights reserved.",
        "Subscribe to our newsletter for the morning briefing",
    ],
)
def test_other_boilerplate_is_dropped(junk: str) -> None:
    # As its own block between paragraphs, inside a paragraph, and at the end.
    article = load(
        page(
            paragraphs=[PARAS[0], junk, "Quay one.\n" + junk + "\nQuay two.", PARAS[1]],
            related=["Ferry Fares Rise"],
            boilerplate=(junk, BANNER),
        )
    )
    assert paragraphs_of(article.body) == [PARAS[0], "Quay one. Quay two.", PARAS[1]]
    assert titles(article) == ["Ferry Fares Rise"]


def test_site_configured_boilerplate_patterns() -> None:
    rules = ScrapeRules.build(
        [
            r"^Sign up for the Harbour Courier morning email.*$",
            r"^Follow us on social media$\n^Facebook +Mastodon +Bluesky$",
        ]
    )
    article = load(
        page(
            paragraphs=[
                PARAS[0],
                "Sign up for the Harbour Courier morning email: it is free!",
                "Follow us on social media\nFacebook Mastodon Bluesky",
                PARAS[1],
                "Follow us on social media if you like.",
                "Facebook Mastodon Bluesky are all mentioned here.",
            ],
            related=["Ferry Fares Rise"],
        ),
        rules,
    )
    assert paragraphs_of(article.body) == [
        PARAS[0],
        PARAS[1],
        "Follow us on social media if you like.",
        "Facebook Mastodon Bluesky are all mentioned here.",
    ]
    assert titles(article) == ["Ferry Fares Rise"]


def test_site_pattern_spanning_two_lines_needs_both() -> None:
    rules = ScrapeRules.build([r"^Follow us on social media\n+Facebook Mastodon$"])
    text = page(paragraphs=[PARAS[0], "Follow us on social media", "Facebook Mastodon"])
    assert paragraphs_of(load(text, rules).body) == [PARAS[0]]
    alone = page(paragraphs=[PARAS[0], "Follow us on social media", PARAS[1]])
    assert paragraphs_of(load(alone, rules).body) == [
        PARAS[0],
        "Follow us on social media",
        PARAS[1],
    ]


def test_site_pattern_that_matches_nothing_visible_drops_nothing() -> None:
    rules = ScrapeRules.build([r"^", r"z*"])
    assert paragraphs_of(load(page(), rules).body) == list(PARAS)


def test_without_default_patterns_only_the_sites_own_apply() -> None:
    rules = ScrapeRules.build([r"^Sign up for the Harbour Courier.*$"], keep_defaults=False)
    text = page(
        paragraphs=[PARAS[0], "Advertisement", "Sign up for the Harbour Courier email", PARAS[1]],
        boilerplate=("Share on Facebook",),
    )
    assert paragraphs_of(load(text, rules).body) == [
        PARAS[0],
        "Advertisement",
        PARAS[1],
        "Share on Facebook",
    ]
    banner = load(page(boilerplate=BANNER_LINES), ScrapeRules.build(keep_defaults=False))
    assert paragraphs_of(banner.body) == [*PARAS, " ".join(BANNER_LINES)]
    assert ScrapeRules.build(keep_defaults=False).patterns == ()


def test_prose_after_the_related_titles_is_a_warning_not_a_title() -> None:
    footer = "The Harbour Courier is printed in Portsmouth. Letters are welcome."
    warnings: list[Problem] = []
    article = load(page(related=["Ferry Fares Rise"], boilerplate=(footer,)), warnings=warnings)
    assert titles(article) == ["Ferry Fares Rise"]
    assert [(w.file, w.line) for w in warnings] == [(FILE, 16)]


@pytest.mark.parametrize(
    "junk",
    [
        "\n" * 50_000,
        " " * 200_000,
        "ok " * 60 + "x",
        "Dismiss | " * 60 + "x",
        "cookies. " * 20_000,
        "cookies. " + "Decline " * 60 + "and more.",
        ". " * 50_000 + "end.",
    ],
    ids=["blank-lines", "spaces", "ok-run", "label-run", "cookie-sentences", "long-banner", "dots"],
)
def test_pathological_pages_still_load(junk: str) -> None:
    # Each of these once took the patterns quadratic or exponential time.
    text = page(paragraphs=[PARAS[0], junk, PARAS[1]], related=["Ferry Fares Rise", junk])
    article = load(text)
    body = paragraphs_of(article.body)
    assert (body[0], body[-1]) == PARAS
    assert titles(article)[0] == "Ferry Fares Rise"


def test_share_widgets_and_footer_links_are_dropped() -> None:
    text = "\n\n".join(
        [
            "Ferries Resume | World | news.example.com",
            "Ferries Resume",
            "The first ferry left at dawn.",
            "Facebook",
            "X (Twitter)",
            "Crews said the talks had been hard.",
            "Related posts",
            "Harbour Reopens",
            "Port Levy Vote",
            "Share this:",
            "Facebook",
            "WhatsApp",
            "Like this:",
            "Like Loading...",
            "Privacy Policy | Terms of Use | Contact Us",
            "We use cookies on this site. Accept Read More",
        ]
    )
    article = load(text)
    assert paragraphs_of(article.body) == [
        "The first ferry left at dawn.",
        "Crews said the talks had been hard.",
    ]
    assert titles(article) == ["Harbour Reopens", "Port Levy Vote"]
