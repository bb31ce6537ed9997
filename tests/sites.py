"""A small site of two stories to publish, and what a run leaves in it."""

from __future__ import annotations

from pathlib import Path

from syndicate._store.editions import EditionRecord
from syndicate._store.store import StateStore
from syndicate._util.templating import default_templates_dir
from syndicate.paths import SitePaths
from tests.factories import markdown_record, write_site

HEADER = "email,name,sections,status\n"
CONFIG = '[site]\nbase_url = "https://news.example.com/"\nsections = ["World", "Business"]\n'


def site(root: Path, config: str = CONFIG, **records: str) -> Path:
    files = {
        "world/harbour.md": markdown_record(
            {"title": "Harbour Reopens", "published": "2026-11-20T09:00:00Z"}
        ),
        "business/markets.md": markdown_record(
            {"title": "Markets Rally", "published": "2026-11-21T09:00:00Z"}
        ),
    }
    files.update({f"world/{name}.md": text for name, text in records.items()})
    return write_site(root, files, config=config)


def add_story(root: Path, name: str = "late", title: str = "A Late Story") -> None:
    path = root / "articles" / "world" / f"{name}.md"
    path.write_text(markdown_record({"title": title}), "utf-8")


def break_template(root: Path, name: str, old: str, new: str) -> None:
    """The site's own copy of one of our digest templates, with `old` made `new`."""
    packaged = (default_templates_dir() / "digest" / name).read_text("utf-8")
    assert old in packaged, f"the packaged {name} changed: update this test"
    target = root / "templates" / "digest" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(packaged.replace(old, new, 1), "utf-8")


def files_under(folder: Path) -> dict[str, bytes] | None:
    """Every file under `folder` (hidden ones too) with its bytes; None: no folder."""
    if not folder.exists():
        return None
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def editions(root: Path) -> list[EditionRecord]:
    # The send ledger (who was sent which edition) arrives with dispatch (issue 7);
    # until then the edition table is the state that a publish records.
    db = SitePaths(root).state_db
    if not db.exists():
        return []
    with StateStore(db) as store:
        return store.editions.all()
