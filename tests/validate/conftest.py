"""Fixtures: the example site's first edition, rendered once per module."""

from __future__ import annotations

import pytest

from syndicate import api
from syndicate.digests import plan as digest_plan
from tests.factories import NOW, copy_example_site
from tests.validate import Real


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Real:
    """The example site's first edition, rendered and written with the real templates."""
    root = copy_example_site(tmp_path_factory.mktemp("digest"))
    site = api.load_site(root, {}, now=NOW)
    report = digest_plan.preview_edition(site.config, site.articles, site.sections, now=NOW)
    assert report.edition is not None and report.folder is not None
    renderer = digest_plan.renderer_for(site.config)
    return Real(
        site.config,
        site.sections,
        report.edition,
        digest_plan.edition_headers(site.config, report.edition),
        renderer.render(report.edition, None),
        report.folder,
    )
