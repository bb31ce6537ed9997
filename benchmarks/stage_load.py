"""load: load + normalise N articles (`syndicate.api.load_site`), the records parsed
in one worker process per core, as `[build] jobs` has it by default (the fork server
is started by the first, untimed load).

Floor: reading the same files and parsing their front matter with PyYAML
(CSafeLoader) alone. Also reported: the same plus rendering each Markdown body
with markdown-it (`floor_md_rate`), the two parsers our loader uses, bare.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from benchmarks.common import (
    ENV,
    emit,
    interleaved,
    log,
    parser,
    profile,
    row,
    site_copy,
    timer,
)
from syndicate._util.workers import job_count
from syndicate.api import load_site


def floor_load(root: Path, markdown: MarkdownIt | None = None) -> None:
    for path in sorted((root / "articles").rglob("*.md")):
        _, front, body = path.read_text("utf-8").split("---\n", 2)
        yaml.load(front, Loader=yaml.CSafeLoader)
        if markdown is not None:
            markdown.render(body)


def main() -> None:
    args = parser(__doc__).parse_args()
    size = args.size
    with tempfile.TemporaryDirectory() as folder:
        root = site_copy(size, Path(folder))
        # The first load records every story's first sight; later ones are republishes.
        first = load_site(root, ENV)
        assert len(first.articles) == size and not first.errors, first.errors[:3]
        del first
        log(f"load {size}: ours and the floors, in turn")
        markdown = MarkdownIt("commonmark", {"html": True})
        medians = interleaved(
            {
                "ours": timer(lambda: load_site(root, ENV)),
                "floor": timer(lambda: floor_load(root)),
                "markdown": timer(lambda: floor_load(root, markdown)),
            },
            args.runs,
        )
        seconds, floor, with_markdown = medians["ours"], medians["floor"], medians["markdown"]
        if args.profile:
            profile(lambda: load_site(root, ENV), f"load {size}")
    emit(
        row("load", size, seconds, floor)
        | {
            "floor_md_rate": round(size / with_markdown, 1),
            "jobs": job_count(0),
            # Issue 21's bar: all cores against the bare parser on one.
            "target": 0.35 if size == 10_000 else None,
        }
    )


if __name__ == "__main__":
    main()
