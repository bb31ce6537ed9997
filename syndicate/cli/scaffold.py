"""`syndicate init`: a new site folder from the scaffold in `templates/scaffold/`."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydantic import ValidationError

from syndicate._util.templating import default_templates_dir, template_environment
from syndicate._util.text import one_line
from syndicate._util.tomlfile import describe_first_error
from syndicate.errors import SiteError
from syndicate.settings import SiteSettings

SCAFFOLD = "scaffold"


def create_site(target: Path, title: str, base_url: str | None) -> list[Path]:
    """Write a config, sample articles and subscribers into `target`; returns the files.

    Without `base_url` the config leaves it commented out, so that publishing warns.
    """
    if target.exists() and not target.is_dir():
        raise SiteError("already exists and is not a folder; choose a new folder", file=target)
    if target.exists() and any(target.iterdir()):
        raise SiteError("already exists and is not empty; choose a new folder", file=target)
    title = one_line(title)
    if base_url is not None:
        try:
            SiteSettings(base_url=base_url)
        except ValidationError as exc:
            raise SiteError(describe_first_error(exc)[1], field="--base-url") from None
    source = default_templates_dir() / SCAFFOLD
    environment = template_environment(None, autoescape=False)
    written: list[Path] = []
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".j2":
            destination = destination.with_suffix("")
            template = environment.get_template(f"{SCAFFOLD}/{relative.as_posix()}")
            destination.write_text(template.render(title=title, base_url=base_url), "utf-8")
        else:
            shutil.copyfile(path, destination)
        written.append(destination)
    return written
