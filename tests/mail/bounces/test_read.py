"""Each shape of report read into its events: the recipient, hard or soft, the code."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from syndicate.mail.bounces import read_report
from tests.mail.bounces import reports

CASES: list[tuple[str, Callable[[], bytes], str, str, str | None]] = [
    ("postfix user unknown", reports.postfix_dsn, "ana.rocha@example.net", "hard", "5.1.1"),
    (
        "postfix mailbox full",
        lambda: reports.postfix_dsn(
            "ana.rocha@example.net", "5.2.2", "smtp; 552 5.2.2 Mailbox full"
        ),
        "ana.rocha@example.net",
        "soft",
        "5.2.2",
    ),
    (
        "postfix delayed",
        lambda: reports.postfix_dsn(
            "ana.rocha@example.net", "4.4.1", "smtp; 421 try again later", action="delayed"
        ),
        "ana.rocha@example.net",
        "soft",
        "4.4.1",
    ),
    ("exim no such user", reports.exim_text, "bo.lindqvist@example.org", "hard", "5.1.1"),
    (
        "exim quota",
        lambda: reports.exim_text("bo.lindqvist@example.org", "452 4.2.2 Over quota"),
        "bo.lindqvist@example.org",
        "soft",
        "4.2.2",
    ),
    ("qmail mailbox full", reports.qmail_text, "cy.okafor@example.com", "soft", None),
    (
        "qmail no mailbox",
        lambda: reports.qmail_text("cy.okafor@example.com", "550 no mailbox by that name"),
        "cy.okafor@example.com",
        "hard",
        None,
    ),
    ("sendmail after DATA", reports.sendmail_at_data, "dee.marsh@example.com", "soft", "5.1.1"),
    ("gmail account gone", reports.gmail_text, "eli.stone@example.com", "hard", "5.1.1"),
    ("exchange ndr", reports.exchange_ndr, "kit.moreau@example.com", "hard", "5.1.10"),
    ("exchange 2003", reports.exchange_2003_text, "lou.brandt@example.org", "hard", "5.1.1"),
    ("blocked sender", reports.outlook_blocked, "fay.quinn@example.net", "soft", "5.7.1"),
    ("ses bounce", reports.ses_notification, "gus.ford@example.org", "hard", "5.1.1"),
    (
        "ses complaint",
        lambda: reports.ses_notification("gus.ford@example.org", "Complaint"),
        "gus.ford@example.org",
        "complaint",
        None,
    ),
    ("arf complaint", reports.arf_complaint, "hal.ng@example.com", "complaint", None),
    ("vacation", reports.vacation_reply, "ida.park@example.com", "auto-reply", None),
    ("raw utf-8 subject", reports.eight_bit_subject, "mo.tanaka@example.jp", "soft", None),
    ("boundary never comes", reports.boundary_never_comes, "ned.ross@example.org", "hard", "5.1.1"),
    ("unfolded boundary", reports.unfolded_boundary, "oz.brand@example.net", "hard", None),
    ("sendmail pipelined", reports.sendmail_pipelined, "pia.lund@example.com", "hard", "5.1.1"),
    (
        "full, whatever the words",
        lambda: reports.postfix_dsn(
            "ana.rocha@example.net", "5.2.2", "smtp; 550 5.2.2 Invalid Address: Mailbox Full"
        ),
        "ana.rocha@example.net",
        "soft",
        "5.2.2",
    ),
    (
        "null mx",
        lambda: reports.postfix_dsn(
            "ana.rocha@example.net",
            "5.1.10",
            "x-postfix; an MX or SRV record indicated no SMTP service",
        ),
        "ana.rocha@example.net",
        "hard",
        "5.1.10",
    ),
    (
        "dns failure",
        lambda: reports.postfix_dsn(
            "ana.rocha@example.net",
            "5.4.4",
            "x-postfix; Name service error for name=example.net type=MX: Malformed or "
            "unexpected name server reply",
        ),
        "ana.rocha@example.net",
        "soft",
        "5.4.4",
    ),
    (
        "notes directory",
        lambda: reports.exim_text(
            "ana.rocha@example.net", "User not listed in public Name & Address Book"
        ),
        "ana.rocha@example.net",
        "hard",
        None,
    ),
]


@pytest.mark.parametrize(
    ("build", "recipient", "kind", "status"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_report_gives_its_recipient_kind_and_code(
    build: Callable[[], bytes], recipient: str, kind: str, status: str | None
) -> None:
    reading = read_report(build())
    assert reading.report
    assert [(e.recipient, e.kind, e.status) for e in reading.events] == [(recipient, kind, status)]


def test_the_edition_comes_from_our_message_id_in_the_returned_message() -> None:
    [event] = read_report(reports.postfix_dsn()).events
    assert event.edition == "2026-12-06"
    [event] = read_report(reports.ses_notification()).events
    assert event.edition == "2026-12-06"


def test_a_dsn_that_reports_a_delivery_is_no_bounce() -> None:
    reading = read_report(reports.postfix_dsn(action="delivered", status="2.0.0"))
    assert reading.events == ()


def test_a_person_s_reply_is_not_a_report_even_naming_an_address() -> None:
    reading = read_report(reports.personal_reply())
    assert not reading.report and reading.events == ()


def test_an_auto_reply_is_never_a_bounce_of_the_addresses_it_names() -> None:
    # The vacation message names desk@example.com: that is no failed recipient.
    [event] = read_report(reports.vacation_reply()).events
    assert (event.recipient, event.kind) == ("ida.park@example.com", "auto-reply")
