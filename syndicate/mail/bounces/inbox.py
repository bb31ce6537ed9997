"""Reading the mail that came back into the state store: each message once, each of its
events applied to its subscriber, and a problem line for each message that cannot be
read (the others are still read)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.parser import BytesParser

from syndicate._store.bounces import BounceEvent, SoftRule
from syndicate._store.store import StateStore
from syndicate.config import LoadedConfig
from syndicate.errors import SyndicateError
from syndicate.mail.bounces import (
    MAX_MESSAGE_BYTES,
    Reading,
    ReportError,
    VerpReader,
    read_report,
)
from syndicate.mail.bounces.sources import Incoming, Unreadable
from syndicate.mail.tokens import unsubscribe_subject_token

_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass
class BounceRun:
    """What `syndicate bounces --json` prints (the issue's interface)."""

    messages: int = 0
    reports: int = 0
    not_reports: int = 0
    already_seen: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)
    unsubscribes: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def unreadable(self) -> bool:
        return any(not p["message"].startswith("ignored:") for p in self.problems)

    def as_json(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "reports": self.reports,
            "not_reports": self.not_reports,
            "problems": self.problems,
            "events": self.events,
            "unsubscribes": self.unsubscribes,
            "already_seen": self.already_seen,
        }


def soft_rule(config: LoadedConfig) -> SoftRule:
    settings = config.settings.bounces
    number, unit = int(settings.soft_window[:-1]), settings.soft_window[-1]
    return SoftRule(settings.soft_limit, timedelta(**{_UNITS[unit]: number}))


# Whom an unsubscribe token names (mail.tokens.read_unsubscribe_token, with the site's
# key and list); None: forged, or another list's.
UnsubscribeReader = Callable[[str], int | str | None]


def read_bounces(
    config: LoadedConfig,
    incoming: Iterable[Incoming | Unreadable],
    verp: VerpReader | None = None,
    done: Callable[[str], None] | None = None,
    unsubscribe: UnsubscribeReader | None = None,
) -> BounceRun:
    """Read each message, and apply what it reports, one transaction a message; then
    `done(source)`, once it is stored (a mailbox then moves or deletes it). With
    `unsubscribe`, a request sent to the List-Unsubscribe mailto address is applied
    too: all the mail that comes back to a site can go through one command."""
    run, rule = BounceRun(), soft_rule(config)
    with StateStore(config.store) as store:
        for item in incoming:
            if isinstance(item, Unreadable):
                run.problems.append({"source": item.source, "message": item.message})
                continue
            run.messages += 1
            try:
                raw = item.read()
                who = _unsubscribe_request(raw, unsubscribe, item.source, run)
                reading = read_report(raw, verp) if who is None else Reading()
            except Exception as exc:  # from outside and hostile: one line, the rest go on
                run.problems.append({"source": item.source, "message": _why(exc)})
                continue
            if who is not None:
                _unsubscribe(store, item.source, raw, who, run)
                _done(done, item.source, run)
                continue
            if reading.forged is not None:
                note = f"ignored: a VERP address whose token does not verify ({reading.forged})"
                run.problems.append({"source": item.source, "message": note})
            seen = (reading.message_id, hashlib.sha256(raw).hexdigest())
            events = _about_token(store, reading)
            statuses = store.bounces.record(item.source, events, seen=seen, rule=rule)
            _done(done, item.source, run)
            if statuses is None:
                run.already_seen += 1
                continue
            if not reading.report:
                run.not_reports += 1
                continue
            run.reports += 1
            for event, status in zip(events, statuses, strict=True):
                run.events.append(
                    {
                        "source": item.source,
                        "recipient": event.recipient,
                        "kind": event.kind,
                        "status": event.status,
                        "subscriber": status,
                    }
                )
    return run


def _done(done: Callable[[str], None] | None, source: str, run: BounceRun) -> None:
    if done is not None:
        try:
            done(source)
        except SyndicateError as exc:  # read again next time: then already seen
            run.problems.append({"source": source, "message": exc.message})


def _unsubscribe_request(
    raw: bytes, unsubscribe: UnsubscribeReader | None, source: str, run: BounceRun
) -> int | str | None:
    """Whom a message asks to unsubscribe, when it is a request whose token verifies;
    a request with a forged token is reported and read as any other message."""
    if unsubscribe is None or len(raw) > MAX_MESSAGE_BYTES:
        return None
    token = unsubscribe_subject_token(raw)
    if token is None:
        return None
    who = unsubscribe(token)
    if who is None:
        note = "ignored: an unsubscribe request whose token does not verify"
        run.problems.append({"source": source, "message": note})
    return who


def _unsubscribe(
    store: StateStore, source: str, raw: bytes, who: int | str, run: BounceRun
) -> None:
    headers = BytesParser().parsebytes(raw, headersonly=True)
    message_id = " ".join(str(headers.get("Message-ID", "")).split())
    seen = (message_id[:500], hashlib.sha256(raw).hexdigest())
    request = store.bounces.unsubscribe(who, seen=seen)
    if request is None:
        run.already_seen += 1
        return
    run.unsubscribes.append(
        {"source": source, "recipient": request.email, "subscriber": request.status}
    )


def _about_token(store: StateStore, reading: Reading) -> list[BounceEvent]:
    """The events of a report, where a VERP token names whom it is about for certain:
    a report about one recipient is about the token's subscriber (a forwarding address
    may have reported another name), and in the token's edition."""
    events = list(reading.events)
    if reading.token is None:
        return [event for event in events if event.recipient]
    subscriber_id, edition = reading.token
    subscriber = store.subscribers.get(subscriber_id)
    if subscriber is not None and len(events) == 1:
        events = [replace(events[0], recipient=subscriber.email, edition=edition)]
    return [event for event in events if event.recipient]


def _why(exc: Exception) -> str:
    if isinstance(exc, ReportError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot read ({exc.strerror or exc})"
    if isinstance(exc, KeyError):
        return "gone from its mailbox while it was read"
    return f"cannot be read as mail ({type(exc).__name__}: {exc})"[:300]
