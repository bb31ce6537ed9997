"""syndicate: publish a news site's articles as feeds and email digests.

The face of the library: what the `syndicate` command does, as functions that take a
site folder and the environment and return reports. Everything else is machinery.

    import os
    from pathlib import Path

    import syndicate

    if __name__ == "__main__":  # builds start worker processes, which import it again
        report = syndicate.publish(Path("site"), os.environ)
        print(report.as_json())
"""

from syndicate import api, mailing_list
from syndicate._version import __version__
from syndicate.api import *  # noqa: F403 (the face: api's __all__, mailing_list's, the values below)
from syndicate.digests.publish import EditionReport, Preview
from syndicate.errors import (
    ConfigError,
    DigestError,
    Problem,
    PublishError,
    RecordError,
    SiteError,
    StateError,
    SubscriberFileError,
    SyndicateError,
    WorkerError,
)
from syndicate.mail.bounces.inbox import BounceRun
from syndicate.mail.deliver import DeliveryReport
from syndicate.mail.walk import EditionTally
from syndicate.mailing_list import *  # noqa: F403
from syndicate.reports import PublishReport
from syndicate.site.load import LoadedSite
from syndicate.site.records import Article
from syndicate.validate.paths import ValidationRun
from syndicate.validate.report import FileReport, Finding, Severity

__all__ = [
    *api.__all__,
    *mailing_list.__all__,
    "BounceRun",
    "Article",
    "ConfigError",
    "DeliveryReport",
    "DigestError",
    "EditionReport",
    "EditionTally",
    "FileReport",
    "Finding",
    "LoadedSite",
    "Preview",
    "Problem",
    "PublishError",
    "PublishReport",
    "RecordError",
    "Severity",
    "SiteError",
    "StateError",
    "WorkerError",
    "SubscriberFileError",
    "SyndicateError",
    "ValidationRun",
    "__version__",
]
