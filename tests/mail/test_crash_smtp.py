"""SMTP sends killed with SIGKILL and resumed: everyone once, but for the messages in flight."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.mail.crash_harness import (
    CONNECTIONS,
    DELAY,
    SUBSCRIBERS,
    Kill,
    check_finished,
    crash_and_resume,
    crash_site,
)
from tests.mail.smtp_process import mail_server

# -- SMTP ---------------------------------------------------------------------------------

SMTP_KILLS = {
    # After the edition and its sends are recorded, before any is handed over.
    "queued": ([Kill("publish", ("queued", 0))], "publish"),
    # As the edition's files appear: just before its record and queued sends are
    # committed (or just after): either way the next publish sends it once.
    "commit": ([Kill("publish", ("files", 0))], "publish"),
    "first message": ([Kill("publish", ("received", 1))], "dispatch"),
    "70%": ([Kill("publish", ("received", SUBSCRIBERS * 7 // 10))], "publish"),
    # A run killed at 30%, and the run resuming it killed too.
    "30% then 60%": (
        [
            Kill("publish", ("received", SUBSCRIBERS * 3 // 10)),
            Kill("dispatch", ("received", SUBSCRIBERS * 6 // 10)),
        ],
        "dispatch",
    ),
}


@pytest.mark.parametrize("name", list(SMTP_KILLS))
def test_smtp_send_killed_and_resumed_sends_everyone_once_but_the_in_flight(
    tmp_path: Path, name: str
) -> None:
    kills, resume_with = SMTP_KILLS[name]
    with mail_server(tmp_path, DELAY) as server:
        root = crash_site(tmp_path / "site", "smtp", server.port)
        outcome = crash_and_resume(root, kills, resume_with, server.count, server.delivered)
        report = check_finished(root, outcome, f"smtp, kill at {name}", CONNECTIONS)
    duplicates = outcome.duplicates()
    in_doubt = frozenset().union(*(at.in_doubt for at in outcome.kills))
    assert set(duplicates) <= in_doubt, (
        f"{report}: duplicates that were not in flight at a kill: "
        f"{sorted(set(duplicates) - in_doubt)}"
    )
    assert sum(duplicates.values()) <= CONNECTIONS * len(kills), report
    # And never more than the rows the kills left `sending`.
    assert sum(duplicates.values()) <= sum(len(at.in_doubt) for at in outcome.kills), report
    for kill, at in zip(kills, outcome.kills, strict=True):
        assert len(at.in_doubt) <= CONNECTIONS, f"{report}: {at.describe()}"
        if kill.silent:  # nothing went out; the edition is recorded whole, or not at all
            assert at.received == 0, report
            assert at.statuses == (Counter(queued=SUBSCRIBERS) if at.editions else Counter())
        if kill.point[0] == "queued":
            assert at.editions == 1, report
