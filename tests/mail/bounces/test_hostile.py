"""Whatever bytes come back, reading them gives a reading or one ReportError: never
another exception (which `syndicate bounces` would turn into a line, but a line that
says less)."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.mail.bounces import ReportError, read_report
from syndicate.mail.bounces.classify import kind_of
from tests.mail.bounces import reports

HEADERS = st.sampled_from(
    [
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n",
        b"Content-Type: message/delivery-status\r\n",
        b"Content-Type: text/plain; charset=x-unknown\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Subject: =?utf-8?B?////?=\r\n",
        b"Subject: =?idna?q?Undeliverable?=\r\n",  # a codec that cannot "replace"
        b"Subject: \xe9\xff raw 8-bit\r\n",
        b"From: MAILER-DAEMON@\r\n",
        b"X-Failed-Recipients: <>\r\n",
    ]
)


def read(raw: bytes) -> None:
    with contextlib.suppress(ReportError):
        read_report(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes(raw: bytes) -> None:
    read(raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(HEADERS, max_size=6), st.binary(max_size=600), st.integers(0, 4000))
def test_reports_with_damaged_headers_and_bodies(
    headers: list[bytes], junk: bytes, cut: int
) -> None:
    real = reports.postfix_dsn()
    read(b"".join(headers) + real[:cut] + junk)
    read(b"".join(headers) + b"\r\n" + junk)


@given(st.text(max_size=300), st.text(max_size=12))
def test_every_diagnostic_has_a_kind(diagnostic: str, status: str) -> None:
    assert kind_of(status, diagnostic) in ("hard", "soft")


def test_a_subject_in_a_codec_that_cannot_replace_is_read() -> None:
    raw = reports.postfix_dsn().replace(
        b"Subject: Undelivered Mail Returned to Sender", b"Subject: =?idna?q?Undeliverable?="
    )
    [event] = read_report(raw).events
    assert event.kind == "hard"
