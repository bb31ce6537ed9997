"""republish-unchanged, republish-one: `syndicate publish` (`syndicate.api.publish`)
run again on a published N-article site, with nothing changed, and with one
article (the newest) edited before each run.

Floor: a full build of the same site in one process, cold (`syndicate build --jobs
1` on a site never built: load, normalise, every feed): the `first-build` row's,
which `python -m benchmarks` passes in (`--floor-seconds`), else timed here
(`api.build(jobs=1)` on a fresh copy). Targets: a republish, with nothing changed or
with one story edited, takes under 5% of that full build, so ratio (full build
seconds / republish seconds) >= 20. `fraction` is the republish's seconds over the
full build's.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import (
    ENV,
    emit,
    high_water_mb,
    log,
    median_seconds,
    parser,
    peak_rss_mb,
    profile,
    replace_file,
    reset_high_water,
    row,
    site_copy,
)
from syndicate import api
from syndicate.api import load_site
from syndicate.digests.plan import plan_edition
from syndicate.digests.publish import commit_edition
from syndicate.feeds.publish import publish_staged


def first_publish(root: Path) -> None:
    """What a first `syndicate publish` leaves (feeds, manifest, the first edition),
    without validating 1,000 feeds that this benchmark does not time."""
    built = api.build(root, ENV)
    config = built.site.config
    publish_staged(built.feeds, config.paths.feeds, config.paths.published_feeds)
    site = built.site
    prepared = plan_edition(config, site.articles, site.sections, now=site.moment)
    commit_edition(config, prepared)
    # A publish (nothing to validate: the bytes are those published) leaves the caches
    # that every later publish finds.
    republish(root, changed=False)


def fresh_copy(size: int, folder: Path) -> None:
    """A copy of the site never built, in `folder` (untimed)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    site_copy(size, folder)


def cold_build(folder: Path) -> None:
    """A full build in one process of the copy `fresh_copy` made."""
    assert not api.build(folder / "site", ENV, jobs=1).site.errors


class Edits:
    """Before each run, the newest article gets a new sentence at the end of its body."""

    def __init__(self, root: Path) -> None:
        site = load_site(root, ENV)
        newest = max(site.articles, key=lambda a: (a.published, a.id))
        self.path = root / newest.source.file
        self.text = self.path.read_text("utf-8")
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        replace_file(self.path, self.text + f"\nCorrection number {self.count}.\n")


def republish(root: Path, changed: bool) -> None:
    report = api.publish(root, ENV)
    written = report.feed_counts()["written"]
    assert not report.errors and not report.blocked, report.errors[:3]
    assert (written > 0) == changed, f"{written} feeds written"


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument(
        "--floor-seconds", type=float, help="the full build's median, measured already"
    )
    args = arguments.parse_args()
    size = args.size
    with tempfile.TemporaryDirectory() as folder:
        root = site_copy(size, Path(folder))
        log(f"republish {size}: first publish (setup)")
        first_publish(root)
        log(f"republish {size}: nothing changed")
        unchanged = median_seconds(lambda: republish(root, changed=False), args.runs)
        unchanged_peak = peak_rss_mb()
        edits = Edits(root)
        reset_high_water()
        log(f"republish {size}: one article changed")
        one = median_seconds(lambda: republish(root, changed=True), args.runs, before=edits)
        one_peak = round(high_water_mb(), 1)  # since the reset: this row's own
        if args.profile:
            profile(lambda: republish(root, changed=False), f"republish-unchanged {size}")
            edits()
            profile(lambda: republish(root, changed=True), f"republish-one {size}")
        full = args.floor_seconds
        if full is None:
            log(f"republish {size}: floor, a cold full build in one process")
            cold = Path(folder) / "cold"
            full = median_seconds(
                lambda: cold_build(cold), args.runs, before=lambda: fresh_copy(size, cold)
            )
    target = {"target": 20.0}
    emit(
        row("republish-unchanged", size, unchanged, full, unchanged_peak)
        | {"fraction": round(unchanged / full, 3)}
        | target,
        row("republish-one", size, one, full, one_peak)
        | {"fraction": round(one / full, 3)}
        | target,
    )


if __name__ == "__main__":
    main()
