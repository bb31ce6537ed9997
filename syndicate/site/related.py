"""Related posts: each reference resolved to a known article, or left as text.

Resolution goes by id, then URL, then exact title, then normalised title (case,
accents, punctuation and spacing ignored). A reference that matches nothing,
or matches several articles equally, is never guessed: it stays plain text
and the user gets a warning.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property

from syndicate._util.text import normalised_title, one_line
from syndicate.errors import Problem
from syndicate.site.records import Article, RawArticle, RelatedLink, RelatedRef


class _Index:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = articles
        self.by_id = {a.id: a for a in articles}
        self.by_url: dict[str, Article] = {}
        self.by_title: defaultdict[str, list[Article]] = defaultdict(list)
        for article in articles:
            self.by_url.setdefault(_url_key(article.url), article)
            self.by_title[article.title].append(article)

    @cached_property
    def by_loose_title(self) -> dict[str, list[Article]]:
        # Made only if a reference's title matches no title exactly: keying every
        # title loosely is most of the cost of the index.
        found: defaultdict[str, list[Article]] = defaultdict(list)
        for article in self.articles:
            found[normalised_title(article.title)].append(article)
        return found

    def find(self, ref: RelatedRef) -> tuple[Article | None, str]:
        """The article `ref` names, or None and why not."""
        value = one_line(ref.value)
        if ref.kind == "id":
            found = self.by_id.get(value)
            return found, "" if found else f"no article has the id {value!r}"
        if ref.kind == "url":
            found = self.by_id.get(value) or self.by_url.get(_url_key(value))
            return found, "" if found else f"no article has the URL {value!r}"
        # The loose key only when the exact title matched nothing: most references
        # copy a title exactly, and the key costs more than the lookup.
        matches = self.by_title.get(value) or self.by_loose_title.get(normalised_title(value), [])
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            files = ", ".join(str(a.source) for a in matches)
            return None, f"the title {value!r} matches several articles ({files}); give an id"
        return None, f"no article has the title {value!r}"


def resolve_related(
    drafts: Sequence[tuple[Article, RawArticle]], warnings: list[Problem]
) -> list[Article]:
    """The articles with their `related` links filled in."""
    index = _Index([article for article, _ in drafts])
    resolved: list[Article] = []
    for article, raw in drafts:
        links: list[RelatedLink] = []
        linked: set[str] = set()
        for ref in raw.related:
            target, reason = index.find(ref)
            if target is None:
                warnings.append(
                    Problem(
                        f"related post not found, kept as text (and left out of digests): {reason}",
                        file=raw.source.file,
                        line=ref.line or raw.line_of("related"),
                        field="related",
                    )
                )
                label = one_line(ref.label or ref.value)
                links.append(RelatedLink(title=label, url=None, id=None))
                continue
            if target.id == article.id or target.id in linked:
                continue  # a story is not related to itself, nor listed twice
            linked.add(target.id)
            links.append(RelatedLink(title=target.title, url=target.url, id=target.id))
        related = tuple(links)
        # An article taken from the last run mostly has these links already.
        same = related == article.related
        resolved.append(article if same else dataclasses.replace(article, related=related))
    return resolved


def _url_key(url: str) -> str:
    return url.strip().rstrip("/").removeprefix("https://").removeprefix("http://")
