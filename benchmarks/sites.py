"""Synthetic sites for benchmarks: N articles across 6 sections, with related posts, and
M subscribers with random section choices."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syndicate._store.subscribers import SubscriberRow

SECTIONS = ("World", "Business", "Culture", "Science", "Sport", "Opinion")
_VOCABULARY = """
harbour council levy ferry strike rail link valley flood barrier museum festival
choir grain merger solar tile funding theatre prize novel snow pass road quay
"""
WORDS = _VOCABULARY.split()
FIRST = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)  # 100k stories reach 2025


def _sentence(rng: random.Random, words: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def write_site(root: Path, articles: int, seed: int = 7) -> Path:
    """A site folder with `articles` records: 3 KB bodies, an image, 3 related titles."""
    rng = random.Random(seed)
    titles = [f"{_sentence(rng, 6)[:-1]} {n}" for n in range(articles)]
    (root / "syndicate.toml").write_text(
        '[site]\ntitle = "Bench"\nbase_url = "https://bench.example/"\n', "utf-8"
    )
    for n, title in enumerate(titles):
        section = SECTIONS[n % len(SECTIONS)]
        folder = root / "articles" / section.lower() / f"{n // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join(" ".join(_sentence(rng) for _ in range(4)) for _ in range(8))
        front = {
            "title": title,
            "section": section,
            # Half an hour apart, sections in turn: the newest 30 are 5 of each section.
            "published": (FIRST + timedelta(minutes=30 * n)).isoformat().replace("+00:00", "Z"),
            "authors": ["Bench Writer"],
            "image": {"url": f"https://bench.example/i/{n}.jpg", "alt": "A picture"},
            "tags": [rng.choice(WORDS), rng.choice(WORDS)],
            "related": [rng.choice(titles) for _ in range(3)],
        }
        lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", body]
        (folder / f"a{n}.md").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def subscriber_rows(
    count: int, seed: int = 11, languages: tuple[str, ...] = ()
) -> list[SubscriberRow]:
    """`count` active subscribers: a third take every section (they chose none), the
    rest a random non-empty set of the six, so an edition has many variants. With
    `languages`, they read the site's language and those in turn."""
    rng = random.Random(seed)
    rows = []
    spoken = ("", *languages)
    for n in range(count):
        chosen: tuple[str, ...] = ()
        if rng.random() >= 1 / 3:
            chosen = tuple(rng.sample(SECTIONS, rng.randint(1, len(SECTIONS))))
        address, name = f"reader{n}@example.com", f"Reader {n}"
        language = spoken[n % len(spoken)]
        rows.append(SubscriberRow(address, name, chosen, "active", language=language))
    return rows


def add_subscribers(
    root: Path,
    count: int,
    seed: int = 11,
    environ: dict[str, str] | None = None,
    languages: tuple[str, ...] = (),
) -> None:
    """Put `count` subscribers into the site's state store (the one `environ` names:
    SYNDICATE_DATABASE_URL), as an import would."""
    from syndicate._store.store import StateStore
    from syndicate.config import load_config

    with StateStore(load_config(root, environ or {}).store) as store:
        store.subscribers.upsert(subscriber_rows(count, seed, languages))
