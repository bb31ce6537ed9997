"""Fixtures: the example site's first edition, rendered once per module."""

from __future__ import annotations

import pytest

from syndicate import api
from syndicate.digests.plan import edition_headers
from syndicate.digests.publish import preview_edition
from syndicate.digests.render import renderer_for
from tests.factories import NOW, copy_example_site
from tests.validate.editions import Real


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Real:
    """The example site's first edition, rendered and written with the real templates."""
    root = copy_example_site(tmp_path_factory.mktemp("digest"))
    site = api.load_site(root, {}, now=NOW)
    report = preview_edition(site.config, site.articles, site.sections, now=NOW)
    assert report.edition is not None and report.folder is not None
    renderer = renderer_for(site.config)
    return Real(
        site.config,
        site.sections,
        report.edition,
        edition_headers(site.config, report.edition),
        renderer.render(report.edition, None),
        report.folder,
    )
