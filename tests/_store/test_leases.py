"""Dispatch workers sharing an edition through leases, and the limits every process of
a site shares: on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate._store.address import StoreAddress
from syndicate._store.editions import EditionRecord
from syndicate._store.lock import worker_lock
from syndicate._store.sends import Lease, Outcome
from syndicate._store.store import StateStore
from syndicate._store.subscribers import SubscriberRow
from tests.factories import NOW

Target = Path | StoreAddress
EDITION = "2026-12-07"


def queued_store(target: Target, people: int) -> StateStore:
    """A store with `people` active subscribers and one edition queued for all of them."""
    store = StateStore(target)
    store.subscribers.upsert(SubscriberRow(f"reader{n:04}@example.com") for n in range(people))
    ids = [s.id for s in store.subscribers.all()]
    store.editions.record(
        EditionRecord(EDITION, NOW, ("a",)), {"all": "rendered"}, [(i, "all") for i in ids]
    )
    return store


def test_workers_claim_disjoint_batches_until_none_is_left(store_target: Target) -> None:
    with queued_store(store_target, 25) as store:
        one, two = Lease("host-a:/site"), Lease("host-b:/site")
        first = store.ledger.claim_batch(EDITION, one, 10)
        second = store.ledger.claim_batch(EDITION, two, 10)
        third = store.ledger.claim_batch(EDITION, one, 10)
        assert [len(first), len(second), len(third)] == [10, 10, 5]
        ids = [job.subscriber_id for job in first + second + third]
        assert len(set(ids)) == 25
        # Everything is held: nobody gets anything more, not even its own run again.
        assert store.ledger.claim_batch(EDITION, one) == []
        assert store.ledger.claim_batch(EDITION, two) == []
        assert not any(job.in_doubt for job in first + second + third)


def test_a_restarted_worker_takes_its_own_sends_back_at_once(store_target: Target) -> None:
    with queued_store(store_target, 6) as store:
        killed = Lease("host-a:/site")
        held = store.ledger.claim_batch(EDITION, killed)
        claim = store.ledger.record(claim=held[:2], lease=killed)  # two handed over
        assert len(claim.sending) == 2
        # Another worker must leave them: the lease has not expired.
        assert store.ledger.claim_batch(EDITION, Lease("host-b:/site")) == []
        again = store.ledger.claim_batch(EDITION, Lease("host-a:/site"))  # a new run
        assert [job.subscriber_id for job in again] == [job.subscriber_id for job in held]
        assert [job.in_doubt for job in again] == [True, True, False, False, False, False]


def expire_leases(store: StateStore) -> None:
    """As if every hold had run out (a worker killed, or cut off, a while ago)."""
    store.db.execute("UPDATE send SET lease_until = '2000-01-01T00:00:00+00:00'")


def test_sends_under_an_expired_lease_are_any_worker_s(store_target: Target) -> None:
    with queued_store(store_target, 4) as store:
        gone = Lease("host-a:/site")
        held = store.ledger.claim_batch(EDITION, gone)
        store.ledger.record(claim=held[:1], lease=gone)
        expire_leases(store)
        taker = Lease("host-b:/site")
        taken = store.ledger.claim_batch(EDITION, taker)
        assert len(taken) == 4 and taken[0].in_doubt and not taken[1].in_doubt
        # The first worker, back from a long pause, hands over none of them.
        late = store.ledger.record(claim=held[1:], lease=gone)
        assert (late.sending, late.skipped) == ([], [])
        assert [job.subscriber_id for job in late.lost] == [j.subscriber_id for j in held[1:]]
        assert store.ledger.open_count(EDITION) == {"queued": 3, "sending": 1}


def test_renewing_keeps_a_lease_and_releasing_lets_go(store_target: Target) -> None:
    with queued_store(store_target, 3) as store:
        lease = Lease("host-a:/site")
        store.ledger.claim_batch(EDITION, lease)
        expire_leases(store)
        assert store.ledger.renew(lease) == 3
        assert store.ledger.claim_batch(EDITION, Lease("host-b:/site")) == []
        store.ledger.release(lease)
        assert len(store.ledger.claim_batch(EDITION, Lease("host-b:/site"))) == 3


def test_outcomes_are_written_whatever_the_lease(store_target: Target) -> None:
    with queued_store(store_target, 2) as store:
        lease = Lease("host-a:/site")
        jobs = store.ledger.claim_batch(EDITION, lease)
        store.ledger.record(claim=jobs, lease=lease)
        store.ledger.record([Outcome(jobs[0], "sent", "250 ok"), Outcome(jobs[1], "queued")])
        store.ledger.release(lease)
        assert store.ledger.counts(EDITION) == {"sent": 1, "queued": 1}
        [again] = store.ledger.claim_batch(EDITION, Lease("host-b:/site"))
        assert again.subscriber_id == jobs[1].subscriber_id and again.attempts == 1


def test_the_send_pace_is_shared_by_every_process(store_target: Target) -> None:
    first, second = StateStore(store_target), StateStore(store_target)
    try:
        a = first.send_pace.reserve(4, 0.5)  # two seconds' worth, from now
        b = second.send_pace.reserve(2, 0.5)
        assert a == pytest.approx(0.0, abs=0.5)
        assert b == pytest.approx(a + 2.0, abs=0.2)  # after the first's slots, not beside
    finally:
        first.close()
        second.close()


def test_rate_counts_are_shared_by_every_process(store_target: Target) -> None:
    first, second = StateStore(store_target), StateStore(store_target)
    try:
        answers = [
            store.rate_counts.allow("client:203.0.113.9", 3, 3600)
            for store in (first, second, first, second)
        ]
        assert answers == [True, True, True, False]
        assert second.rate_counts.allow("client:198.51.100.4", 3, 3600)
    finally:
        first.close()
        second.close()


def test_a_worker_whose_hold_ran_out_hands_nothing_over(store_target: Target) -> None:
    # Cut off from the store (or stalled) past its lease, nobody has taken its sends
    # yet: it still must not hand one over, since another worker may at any moment.
    with queued_store(store_target, 2) as store:
        lease = Lease("host-a:/site")
        held = store.ledger.claim_batch(EDITION, lease)
        expire_leases(store)
        late = store.ledger.record(claim=held, lease=lease)
        assert late.sending == [] and len(late.lost) == 2
        assert store.ledger.open_count(EDITION) == {"queued": 2}


def test_a_late_outcome_does_not_overwrite_the_new_holder_s(store_target: Target) -> None:
    with queued_store(store_target, 1) as store:
        first = Lease("host-a:/site")
        [job] = store.ledger.claim_batch(EDITION, first)
        store.ledger.record(claim=[job], lease=first)  # handed over; then cut off
        expire_leases(store)
        second = Lease("host-b:/site")
        [again] = store.ledger.claim_batch(EDITION, second)
        store.ledger.record(claim=[again], lease=second)
        store.ledger.record([Outcome(again, "sent", "250 ok")], lease=second)
        store.ledger.record([Outcome(job, "queued", "451 try later")], lease=first)
        assert store.ledger.counts(EDITION) == {"sent": 1}


def test_one_worker_at_a_time_under_an_id(store_target: Target, tmp_path: Path) -> None:
    # Only it may take back what its id held in a run that was killed; a second one
    # (a dispatch while a publish sends) must be a worker of its own.
    address = (
        store_target if isinstance(store_target, StoreAddress) else StoreAddress(path=store_target)
    )
    StateStore(address).close()
    with worker_lock(address, "host-a:/site", tmp_path) as first:
        with worker_lock(address, "host-a:/site", tmp_path) as second:
            assert (first, second) == (True, False)
        with worker_lock(address, "host-b:/site", tmp_path) as other:
            assert other
    with worker_lock(address, "host-a:/site", tmp_path) as again:
        assert again
