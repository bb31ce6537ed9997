from __future__ import annotations

import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

from syndicate._util.templating import (
    default_templates_dir,
    template_environment,
    template_search_path,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_default_templates(tmp_path: Path) -> None:
    builder = WheelBuilder(str(REPO))
    [wheel] = list(builder.build(directory=str(tmp_path), versions=["standard"]))
    names = set(zipfile.ZipFile(wheel).namelist())
    ours = {
        "syndicate/templates/" + p.relative_to(REPO / "templates").as_posix()
        for p in (REPO / "templates").rglob("*")
        if p.is_file()
    }
    assert ours and ours <= names
    assert "syndicate/cli/__init__.py" in names
    assert "syndicate/validate/atom.rng" in names  # the RELAX NG schema validate reads
    catalogues = {
        f"syndicate/locale/{p.relative_to(REPO / 'locale').with_suffix('.mo').as_posix()}"
        for p in (REPO / "locale").glob("*/LC_MESSAGES/syndicate.po")
    }
    assert len(catalogues) >= 18 and catalogues <= names  # compiled by hatch_build.py
    assert "syndicate/locale/syndicate.pot" in names  # what a site's catalogue is held to
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "syndicate = syndicate.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_a_site_template_overrides_ours_file_by_file(tmp_path: Path) -> None:
    site_templates = tmp_path / "templates"
    (site_templates / "scaffold").mkdir(parents=True)
    (site_templates / "scaffold" / "syndicate.toml.j2").write_text("title = {{ title | toml }}\n")
    assert template_search_path(site_templates)[0] == site_templates
    environment = template_environment(site_templates, autoescape=False)
    assert environment.get_template("scaffold/syndicate.toml.j2").render(title="X") == (
        'title = "X"\n'
    )
    # A file the site does not override still comes from ours.
    ours = default_templates_dir() / "scaffold" / "subscribers.csv"
    assert environment.get_template("scaffold/subscribers.csv").render() == ours.read_text()


def test_without_a_site_folder_only_ours_are_searched(tmp_path: Path) -> None:
    assert template_search_path(tmp_path / "missing") == [default_templates_dir()]
