"""Synthetic sites for benchmarks: N articles across 6 sections, with related posts."""

from __future__ import annotations

import json
import random
from pathlib import Path

SECTIONS = ("World", "Business", "Culture", "Science", "Sport", "Opinion")
_VOCABULARY = """
harbour council levy ferry strike rail link valley flood barrier museum festival
choir grain merger solar tile funding theatre prize novel snow pass road quay
"""
WORDS = _VOCABULARY.split()


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
            "published": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T08:00:00Z",
            "authors": ["Bench Writer"],
            "image": {"url": f"https://bench.example/i/{n}.jpg", "alt": "A picture"},
            "tags": [rng.choice(WORDS), rng.choice(WORDS)],
            "related": [rng.choice(titles) for _ in range(3)],
        }
        lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", body]
        (folder / f"a{n}.md").write_text("\n".join(lines) + "\n", "utf-8")
    return root
