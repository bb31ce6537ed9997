"""The wheel's build hook: compiles the catalogues (locale/*/LC_MESSAGES/syndicate.po)
into .mo files shipped as syndicate/locale/, so an installed syndicate reads them as
gettext does, without compiling anything at run time."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogueHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(self.root) / "locale"
        # Compiled beside the build, not into the folder the wheel is written to.
        target = Path(tempfile.mkdtemp(prefix="syndicate-catalogues-"))
        for po in sorted(source.glob("*/LC_MESSAGES/syndicate.po")):
            relative = po.relative_to(source).with_suffix(".mo")
            compiled = target / relative
            compiled.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as f:
                catalogue = read_po(f, abort_invalid=True)
            with compiled.open("wb") as f:
                write_mo(f, catalogue)
            build_data["force_include"][str(compiled)] = f"syndicate/locale/{relative.as_posix()}"
        # The list of every string in use: what a site's own catalogue is checked against.
        build_data["force_include"][str(source / "syndicate.pot")] = (
            "syndicate/locale/syndicate.pot"
        )
