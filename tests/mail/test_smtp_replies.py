"""SMTP replies and faults (451, 550, dropped, slow): each message once; a 451 waits for later."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.cli import app
from syndicate.mail.walk import RetryPolicy
from tests.mail.smtp_server import DROP, Fault, smtp_server
from tests.mail.smtp_site import (
    ENV,
    add_story,
    check_message,
    crowd,
    fast_retries,  # noqa: F401 (an autouse fixture)
    news_site,
    query,
    send_status,
    state_db,
    subscriber_ids,
    tally,
    write_subscribers,
)

# --- 2. a faulty, slow server: each message still arrives once ---------------------------


def faults(
    *,
    refuse: Sequence[str] = (),
    later: Sequence[str] = (),
    drop: Sequence[str] = (),
    seen: list[tuple[str, int]] | None = None,
) -> Fault:
    """550 for `refuse` always; 451 for `later` and a dropped connection for `drop`,
    each on the first try only."""

    def fault(recipient: str, tries: int) -> str | None:
        if seen is not None:
            seen.append((recipient, tries))
        if recipient in refuse:
            return "550 5.1.1 No such user here"
        if recipient in later and tries == 1:
            return "451 4.3.0 Mailbox busy, try again later"
        if recipient in drop and tries == 1:
            return DROP
        return None

    return fault


def test_faulty_slow_server_delivers_each_message_once_and_suppresses_550s(
    tmp_path: Path,
) -> None:
    people = crowd(80, statuses=False, suppress=False)
    recipients = [p.address for p in people if p.gets() is not None]
    later, drop, refuse = recipients[3::10], recipients[5:40:12], recipients[7::17]
    assert len(later) >= 6 and len(drop) == 3 and len(refuse) == 4
    assert not set(later) & set(refuse) and not set(drop) & set(refuse)
    seen: list[tuple[str, int]] = []
    fault = faults(refuse=refuse, later=later, drop=drop, seen=seen)
    with smtp_server(fault=fault, delay=0.05) as (port, mailbox):
        root = news_site(tmp_path / "site", port, connections=4)
        write_subscribers(root, people)
        started = time.monotonic()
        report = api.publish(root, ENV)
        elapsed = time.monotonic() - started
        first = mailbox.counts()

        # Everything deliverable arrived, once; the refused addresses got nothing.
        deliverable = [p for p in people if p.gets() is not None and p.address not in refuse]
        assert {a for a, n in first.items() if n != 1} == set()
        assert set(first) == {p.address for p in deliverable}
        by_address = {p.address: p for p in people}
        ids_of = subscriber_ids(root)
        for r in mailbox.received:
            check_message(r, by_address[r.recipient], by_address[r.recipient].gets() or (), ids_of)
        # The faults did happen: the 451s and the drops were tried again.
        tries = Counter(address for address, _ in seen)
        assert all(tries[a] >= 2 for a in [*later, *drop])

        digest = tally(report)
        assert digest["recipients"] == len(recipients)
        assert digest["sent"] == len(deliverable)
        assert digest["failed"] == len(refuse)
        assert digest["deferred"] == digest["skipped"] == 0
        assert report.delivery is not None
        failures = report.delivery.editions[0].failures
        assert sorted(f.split(":")[0] for f in failures) == sorted(refuse)
        assert all("550" in f for f in failures)
        with StateStore(state_db(root)) as store:
            book = store.subscribers
            assert book.suppressed() == set(refuse)
            status = {s.email: s.status for s in book.all()}
        assert {a for a, s in status.items() if s == "bounced"} == set(refuse)
        rows = dict(Counter(str(row[0]) for row in query(root, "SELECT status FROM send")))
        assert rows == {"sent": len(deliverable), "failed": len(refuse)}

        # Running again sends nothing more: no edition is due, nothing is queued.
        again = api.publish(root, ENV)
        assert again.digest is not None and again.digest.edition is None
        assert api.dispatch(root, ENV).editions == ()
        assert mailbox.counts() == first

        # A later edition (one World story): every World reader but the suppressed.
        add_story(root, "World", "World headline late")
        later_report = api.publish(root, ENV)
        second = tally(later_report)
        world = [p for p in deliverable if p.gets(("World",)) is not None]
        assert second["edition"] != digest["edition"]
        assert second["sent"] == second["recipients"] == len(world)
        assert second["failed"] == 0
        counts = mailbox.counts()
    for address in refuse:
        assert address not in counts
        assert send_status(root, address) == ["failed"]  # no send row in the new edition
    assert any(by_address[a].gets(("World",)) for a in refuse)  # they would have had it
    assert counts == Counter({p.address: 1 for p in deliverable}) + Counter(
        {p.address: 1 for p in world}
    )
    print(f"faulty server: {len(deliverable)} delivered in {elapsed:.2f}s")


# --- 3. a 451 that never clears waits for the next run ----------------------------------


def test_a_451_that_never_clears_stays_queued_until_a_later_dispatch(tmp_path: Path) -> None:
    people = crowd(12, statuses=False, suppress=False)
    stuck = people[0].address
    accepting = False

    def fault(recipient: str, tries: int) -> str | None:
        if recipient == stuck and not accepting:
            return "451 4.7.1 Greylisted, come back later"
        return None

    runner = CliRunner()
    with smtp_server(fault=fault) as (port, mailbox):
        root = news_site(tmp_path / "site", port)
        write_subscribers(root, people)
        report = api.publish(root, ENV)
        digest = tally(report)
        others = {p.address for p in people if p.gets() is not None} - {stuck}
        assert digest["deferred"] == 1
        assert digest["sent"] == len(others)
        assert digest["failed"] == 0
        assert report.delivery is not None and report.delivery.problems
        assert mailbox.tries[stuck] == RetryPolicy().attempts
        assert send_status(root, stuck) == ["queued"]
        assert stuck not in mailbox.counts()
        with StateStore(state_db(root)) as store:
            assert store.subscribers.suppressed() == set()

        # `syndicate dispatch` tries again, fails again: exit status 1, still queued.
        result = runner.invoke(app, ["dispatch", str(root), "--json"], env=ENV)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        printed = json.loads(result.stdout)
        assert printed["deferred"] == 1 and printed["sent"] == len(others)
        assert send_status(root, stuck) == ["queued"]

        # The server takes it now: one more dispatch delivers it, once.
        accepting = True
        delivered = api.dispatch(root, ENV)
        assert delivered.as_json()["sent"] == len(others) + 1
        assert delivered.as_json()["deferred"] == 0
        assert not delivered.problems
        result = runner.invoke(app, ["dispatch", str(root), "--json"], env=ENV)
        assert result.exit_code == 0, result.output
        counts = mailbox.counts()
    assert counts[stuck] == 1
    assert counts == Counter({a: 1 for a in [*others, stuck]})
    assert send_status(root, stuck) == ["sent"]
