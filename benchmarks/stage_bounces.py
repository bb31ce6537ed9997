"""bounces: a Maildir of N reports read and applied (`syndicate.mailing_list.read_bounces`):
Postfix and Sendmail DSNs, Exim, qmail and Gmail texts, ARF complaints and SES
notifications in turn, each about one of N subscribers, one transaction a message.

Floor: flufl.bounce's scan of the same messages alone (parsing each with the email
package, then its detectors), which finds recipients but decides nothing and stores
nothing. Each timed run of ours starts from the same state store, read before.
"""

from __future__ import annotations

import email
import mailbox
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from flufl.bounce import all_failures

from benchmarks.common import ENV, emit, interleaved, log, parser, profile, row, site_copy, timer
from benchmarks.sites import add_subscribers
from syndicate.mailing_list import read_bounces
from syndicate.paths import SitePaths
from tests.mail.bounces import reports  # the test corpus's builders: the same shapes

SHAPES: list[Callable[[str], bytes]] = [
    reports.postfix_dsn,
    reports.exim_text,
    reports.qmail_text,
    reports.sendmail_at_data,
    reports.gmail_text,
    reports.arf_complaint,
    reports.ses_notification,
]


def write_reports(folder: Path, size: int) -> list[bytes]:
    box = mailbox.Maildir(folder, create=True)
    messages = [SHAPES[n % len(SHAPES)](f"reader{n}@example.com") for n in range(size)]
    for message in messages:
        box.add(message)
    return messages


def floor_scan(messages: list[bytes]) -> None:
    for raw in messages:
        all_failures(email.message_from_bytes(raw))


def main() -> None:
    args = parser(__doc__).parse_args()
    size = args.size
    with tempfile.TemporaryDirectory() as folder:
        root = site_copy(100, Path(folder))
        add_subscribers(root, size)
        state = SitePaths(root).state_db
        pristine = Path(folder) / "pristine.db"
        shutil.copy2(state, pristine)
        maildir = Path(folder) / "Reports"
        messages = write_reports(maildir, size)

        def fresh_store() -> None:
            for suffix in ("-wal", "-shm"):
                Path(f"{state}{suffix}").unlink(missing_ok=True)
            shutil.copy2(pristine, state)

        def ours() -> None:
            run = read_bounces(root, ENV, [str(maildir)])
            assert run.reports == size and not run.problems, run.problems[:3]

        log(f"bounces {size}: ours and the floor, in turn")
        medians = interleaved(
            {"ours": timer(ours, before=fresh_store), "floor": timer(lambda: floor_scan(messages))},
            args.runs,
        )
        if args.profile:
            fresh_store()
            profile(ours, f"bounces {size}")
    emit(row("bounces", size, medians["ours"], medians["floor"]) | {"target": None})


if __name__ == "__main__":
    main()
