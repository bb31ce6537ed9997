"""The send ledger: one row per (edition, subscriber), queued in the transaction that
records the edition, each sent exactly once by `publish` or a later `dispatch`.

A row left 'sending' by a killed run goes out once more at most (the outbox knows
it by name); an edition is never recorded without its sends; who gets an edition is
settled when it is queued; MJML is compiled once per variant, never per subscriber.
Sends are read a page at a time; the marks of several connections share a transaction,
and over SMTP no connection ever has more than one message `sending`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from syndicate import api
from syndicate._store import sends
from syndicate._store.store import StateStore
from syndicate.digests import DigestRenderer
from syndicate.digests import plan as digest_plan
from syndicate.errors import StateError
from syndicate.mail.outbox import Outbox
from syndicate.mail.smtp_run import GroupCommit
from syndicate.mail.subscribers import check_row
from tests.factories import markdown_record
from tests.mail.outbox_site import (
    GETS,
    digest_site,
    files_of,
    new_files,
    outbox,
    publish_without_sending,
    recipient,
    sections_in,
    sql,
    state_db,
    subscriber_ids,
)
from tests.mail.smtp_server import smtp_server
from tests.mail.smtp_site import ENV as SMTP_ENV
from tests.mail.smtp_site import crowd, news_site, write_subscribers


def only_edition(root: Path) -> str:
    [(edition,)] = sql(root, "SELECT edition_id FROM edition")
    return str(edition)


def set_status(root: Path, edition: str, address: str, status: str) -> None:
    sql(
        root,
        "UPDATE send SET status = ? WHERE edition_id = ?"
        " AND subscriber_id = (SELECT id FROM subscriber WHERE email = ?)",
        status,
        edition,
        address,
    )


def add_story(root: Path, section: str, title: str) -> None:
    path = root / "articles" / section.lower() / f"{title.lower().replace(' ', '-')}.md"
    path.write_text(markdown_record({"title": title, "section": section}), "utf-8")


# -- a killed run -----------------------------------------------------------------------


def test_a_send_left_sending_before_it_was_handed_over_goes_out_once(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    publish_without_sending(root)
    edition = only_edition(root)
    assert sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status") == [("queued", 5)]
    set_status(root, edition, "worldbiz@example.com", "sending")  # killed mid-send
    delivery = api.dispatch(root, {})
    [tally] = delivery.editions
    assert (tally.edition, tally.sent, tally.deferred, tally.in_doubt) == (edition, 5, 0, 1)
    assert delivery.as_json()["editions"][0]["resent_in_doubt"] == 1  # type: ignore[index]
    ids, names = subscriber_ids(root), new_files(root)
    assert len(names) == 5
    for address in GETS:
        assert len(files_of(names, edition, ids[address])) == 1, address
    assert {recipient(m): sections_in(m) for _, m in outbox(root)} == GETS
    assert sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status") == [("sent", 5)]
    # And nothing the next time.
    assert api.dispatch(root, {}).editions == ()
    assert len(new_files(root)) == 5


def test_a_send_left_sending_after_it_was_written_is_not_written_twice(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    api.publish(root, {})
    edition = only_edition(root)
    who = subscriber_ids(root)["culture@example.com"]
    [name] = files_of(new_files(root), edition, who)
    written = (root / "outbox" / "new" / name).stat()
    # Killed after the message was linked into new/ but before 'sent' was recorded.
    set_status(root, edition, "culture@example.com", "sending")
    delivery = api.dispatch(root, {})
    [tally] = delivery.editions
    assert (tally.sent, tally.in_doubt, tally.recipients) == (5, 1, 5)
    assert files_of(new_files(root), edition, who) == [name]
    again = (root / "outbox" / "new" / name).stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert len(new_files(root)) == 5
    assert sql(root, "SELECT status, detail FROM send WHERE subscriber_id = ?", who) == [
        ("sent", "already in the outbox")
    ]


# -- one transaction ---------------------------------------------------------------------


def test_an_edition_is_never_recorded_without_its_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = digest_site(tmp_path)

    def disk_full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        # Inside the transaction that records the edition.
        patch.setattr("syndicate._store.editions.queue_sends", disk_full)
        with pytest.raises(StateError, match="disk is full"):
            api.publish(root, {})
    for table in ("edition", "edition_variant", "send"):
        assert sql(root, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert new_files(root) == []
    # Run again: the edition is made, recorded and sent, each message once.
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.edition is not None
    assert only_edition(root) == report.digest.edition.edition_id
    assert sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status") == [("sent", 5)]
    assert len(new_files(root)) == 5
    assert {recipient(m) for _, m in outbox(root)} == set(GETS)


# -- who gets an edition is settled when it is queued -------------------------------------


def test_a_subscriber_added_after_the_edition_was_queued_does_not_get_it(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    publish_without_sending(root)
    with StateStore(state_db(root)) as store:
        store.subscribers.upsert([check_row("late@example.com", "Late Comer")])
    delivery = api.dispatch(root, {})
    [tally] = delivery.editions
    assert (tally.recipients, tally.sent) == (5, 5)
    assert "late@example.com" not in {recipient(m) for _, m in outbox(root)}
    # Nor later: the edition is done, and nothing new is due.
    api.publish(root, {})
    assert "late@example.com" not in {recipient(m) for _, m in outbox(root)}
    assert len(new_files(root)) == 5


def test_someone_who_left_after_the_edition_was_queued_is_skipped(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    publish_without_sending(root)
    with StateStore(state_db(root)) as store:
        book = store.subscribers
        assert book.set_status("world@example.com", "unsubscribed")
        book.suppress("all@example.com", "550 mailbox gone")
    delivery = api.dispatch(root, {})
    [tally] = delivery.editions
    assert (tally.recipients, tally.sent, tally.skipped) == (5, 3, 2)
    got = {recipient(m) for _, m in outbox(root)}
    assert got == set(GETS) - {"world@example.com", "all@example.com"}
    skipped = sql(
        root,
        "SELECT b.email, s.detail FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
        " WHERE s.status = 'skipped'",
    )
    assert dict(skipped) == {"world@example.com": "unsubscribed", "all@example.com": "suppressed"}


def test_an_edition_in_sections_nobody_chose_queues_nothing_for_them(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    api.publish(root, {})
    add_story(root, "Culture", "Late Culture Story")
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.edition is not None
    second = report.digest.edition.edition_id
    assert [s.section for s in report.digest.edition.stories] == ["Culture"]
    queued = {
        email
        for (email,) in sql(
            root,
            "SELECT b.email FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
            " WHERE s.edition_id = ?",
            second,
        )
    }
    # Those who chose World or World;Business get nothing: no row, no message.
    assert queued == {"all@example.com", "culture@example.com", "every@example.com"}
    ids, names = subscriber_ids(root), new_files(root)
    for address in ("world@example.com", "worldbiz@example.com"):
        assert files_of(names, second, ids[address]) == []
    assert len(names) == 5 + 3
    digest = report.as_json()["digest"]
    assert isinstance(digest, dict)
    assert (digest["recipients"], digest["sent"]) == (3, 3)


def test_an_edition_nobody_chose_is_recorded_and_sent_to_no_one(tmp_path: Path) -> None:
    root = digest_site(
        tmp_path, "email,name,sections,status\nw@example.com,W,World,\nb@example.com,B,Business,\n"
    )
    api.publish(root, {})
    add_story(root, "Culture", "Only Culture")
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.edition is not None
    second = report.digest.edition.edition_id
    assert sql(root, "SELECT COUNT(*) FROM send WHERE edition_id = ?", second) == [(0,)]
    assert second in {e for (e,) in sql(root, "SELECT edition_id FROM edition")}
    assert report.delivery is not None and report.delivery.tally(second) is None
    assert len(new_files(root)) == 2  # the first edition's, one each


# -- variants ----------------------------------------------------------------------------


def send_variants(root: Path, edition: str) -> set[str]:
    return {v for (v,) in sql(root, "SELECT variant FROM send WHERE edition_id = ?", edition)}


def test_variants_are_the_distinct_section_sets(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    report = api.publish(root, {})
    edition = only_edition(root)
    digest = report.as_json()["digest"]
    assert isinstance(digest, dict)
    # all (and every, who chose all three), World, World+Business, Culture.
    assert len(set(GETS.values())) == 4
    assert len(send_variants(root, edition)) == 4
    assert digest["variants"] == 4
    assert sql(root, "SELECT COUNT(*) FROM edition_variant") == [(4,)]


def test_variants_count_only_what_subscribers_get(tmp_path: Path) -> None:
    root = digest_site(
        tmp_path, "email,name,sections,status\nw@example.com,W,World,\nb@example.com,B,Business,\n"
    )
    report = api.publish(root, {})
    digest = report.as_json()["digest"]
    assert isinstance(digest, dict)
    assert len(send_variants(root, only_edition(root))) == 2
    assert digest["variants"] == 2


def subscribers_csv(count: int) -> str:
    choices = ("", "World", "World;Business")  # three choices: three variants at most
    rows = [f"reader{n}@example.com,Reader {n},{choices[n % 3]},\n" for n in range(count)]
    return "email,name,sections,status\n" + "".join(rows)


def compiles_of_publish(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, Any]:
    renderers: list[DigestRenderer] = []
    real = digest_plan.renderer_for

    def counted(config: Any, language: str | None = None) -> DigestRenderer:
        renderers.append(real(config, language))
        return renderers[-1]

    with monkeypatch.context() as patch:
        patch.setattr(digest_plan, "renderer_for", counted)
        report = api.publish(root, {})
    return sum(r.compiles for r in renderers), report


def test_mjml_is_compiled_per_variant_never_per_subscriber(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = digest_site(tmp_path / "many", subscribers_csv(200))
    few = digest_site(tmp_path / "few", subscribers_csv(3))
    compiles, report = compiles_of_publish(many, monkeypatch)
    digest = report.as_json()["digest"]
    assert (digest["recipients"], digest["sent"]) == (200, 200)
    assert digest["variants"] <= 4
    assert digest["variants"] == len(send_variants(many, only_edition(many))) == 3
    assert sql(many, "SELECT COUNT(*) FROM edition_variant") == [(digest["variants"],)]
    assert compiles == digest["variants"] + 1  # and the web copy of the edition
    assert compiles_of_publish(few, monkeypatch)[0] == compiles
    assert len(new_files(many)) == 200


def test_dispatch_sends_from_the_stored_variants_without_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = digest_site(tmp_path)
    publish_without_sending(root)

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("MJML compiled while sending")

    monkeypatch.setattr("syndicate.digests.render.mjml2html", no_compiling)
    [tally] = api.dispatch(root, {}).editions
    assert tally.sent == 5
    assert {recipient(m): sections_in(m) for _, m in outbox(root)} == GETS
    stored = {
        key: json.loads(rendered)["variant"]["sections"]
        for key, rendered in sql(root, "SELECT variant, rendered FROM edition_variant")
    }
    assert stored == {
        "*": None,
        '["World"]': ["World"],
        '["Business", "World"]': ["Business", "World"],
        '["Culture"]': ["Culture"],
    }


# -- a page at a time, a transaction for many ---------------------------------------------


def test_sends_are_claimed_a_batch_at_a_time_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sends, "BATCH", 2)  # 5 sends: batches of 2, 2 and 1
    monkeypatch.setattr(Outbox, "batch", 2)
    root = digest_site(tmp_path)
    publish_without_sending(root)
    with StateStore(state_db(root)) as store:
        assert store.subscribers.set_status("every@example.com", "unsubscribed")
    [tally] = api.dispatch(root, {}).editions
    assert (tally.recipients, tally.sent, tally.skipped) == (5, 4, 1)
    got = sorted(recipient(m) for _, m in outbox(root))
    assert got == sorted(set(GETS) - {"every@example.com"})


def test_what_every_connection_has_ready_goes_in_one_transaction(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    publish_without_sending(root)
    edition = only_edition(root)
    commits: list[str] = []
    with StateStore(state_db(root)) as store:
        book = store.ledger
        lease = sends.Lease("test")
        first, second, third = book.claim_batch(edition, lease)[:3]
        store.db.raw.set_trace_callback(  # type: ignore[attr-defined]
            lambda sql: commits.append(sql) if sql == "COMMIT" else None
        )
        writer = GroupCommit(book, lease)

        async def two_connections() -> list[str | None]:
            sent = sends.Outcome(first, "sent", "250 ok")
            return list(await asyncio.gather(writer.write([sent], second), writer.write([], third)))

        assert asyncio.run(two_connections()) == [None, None]
        assert len(commits) == 1
        statuses = dict(
            store.db.execute(
                "SELECT subscriber_id, status FROM send WHERE edition_id = ?", (edition,)
            )
        )
        assert [statuses[j.subscriber_id] for j in (first, second, third)] == [
            "sent", "sending", "sending",
        ]  # fmt: skip

        def full(*args: Any) -> None:
            raise StateError("the state store failed (database or disk is full)")

        book.record = full  # type: ignore[method-assign]

        async def refused() -> list[BaseException | str | None]:
            return list(
                await asyncio.gather(
                    writer.write([], first), writer.write([], third), return_exceptions=True
                )
            )

        assert [type(e) for e in asyncio.run(refused())] == [StateError, StateError]


def test_over_smtp_each_connection_has_one_message_in_doubt_at_most(tmp_path: Path) -> None:
    """A message's `sent` is written with the claim of its connection's next one: at
    any moment a connection has at most one message marked `sending`, and each message
    is marked so before the server sees it."""
    people = crowd(120, statuses=False, suppress=False)
    root = tmp_path / "site"
    seen: list[tuple[str, int]] = []  # (its row's status, rows `sending`) at each RCPT

    def look(address: str, tries: int) -> str | None:
        db = sqlite3.connect(f"file:{state_db(root)}?mode=ro", uri=True, timeout=5)
        try:
            rows = dict(
                db.execute(
                    "SELECT b.email, s.status FROM send s JOIN subscriber b"
                    " ON b.id = s.subscriber_id WHERE s.status = 'sending' OR b.email = ?",
                    (address,),
                ).fetchall()
            )
        finally:
            db.close()
        seen.append((rows[address], sum(status == "sending" for status in rows.values())))
        return None

    with smtp_server(fault=look, delay=0.002) as (port, mailbox):
        news_site(root, port, connections=3)
        write_subscribers(root, people)
        api.publish(root, SMTP_ENV)
        counts = mailbox.counts()
    assert counts == Counter({p.address: 1 for p in people if p.gets() is not None})
    assert len(seen) == sum(counts.values())
    assert {status for status, _ in seen} == {"sending"}
    assert max(sending for _, sending in seen) <= 3
