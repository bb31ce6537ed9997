"""`/webhooks/<provider>`: what SES (through SNS), SendGrid, Mailgun and Postmark report,
in their documented shapes and signed with keys made in the test; and every forged,
replayed, stale or malformed request refused with a 4xx, changing nothing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from syndicate._store.store import StateStore
from syndicate.config import load_config
from syndicate.serve import create_app
from syndicate.serve.webhooks import HttpsFetch
from tests.commands import invoke
from tests.serve.sns_server import SnsStandIn, sns_stand_in
from tests.serve.webhook_requests import (
    CERT_URL,
    MAILGUN_KEY,
    POSTMARK_SECRET,
    TOPIC,
    SendGridSigner,
    SnsSigner,
    basic,
    iso,
    mailgun_failure,
    mailgun_request,
    postmark_bounce,
    postmark_complaint,
    sendgrid_event,
    ses_bounce,
    ses_complaint,
)
from tests.sites import CONFIG, HEADER, site

PEOPLE = ("ana@example.net", "bo@example.org", "cy@example.com", "di@example.com")
CERT_PATH = CERT_URL.split(".com", 1)[1]


def subscribed(root: Path) -> Path:
    site(root, config=CONFIG + f'\n[bounces]\nsns_topics = ["{TOPIC}"]\n')
    (root / "people.csv").write_text(
        HEADER + "".join(f"{email},,,active\n" for email in PEOPLE), "utf-8"
    )
    code, _, err = invoke("subscribers", "import", str(root / "people.csv"), "--dir", str(root))
    assert code == 0, err
    return root


def environment(sendgrid: SendGridSigner | None = None) -> dict[str, str]:
    env = {
        "SYNDICATE_SECRET_KEY": "webhook-tests-secret-key-0123456789",
        "SYNDICATE_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
        "SYNDICATE_POSTMARK_WEBHOOK_SECRET": POSTMARK_SECRET,
    }
    if sendgrid is not None:
        env["SYNDICATE_SENDGRID_WEBHOOK_KEY"] = sendgrid.public
    return env


@contextmanager
def client_for(
    root: Path, env: dict[str, str], fetch: HttpsFetch | None = None
) -> Iterator[TestClient]:
    with TestClient(create_app(load_config(root, env), fetch)) as client:
        yield client


def statuses(root: Path) -> dict[str, str]:
    with StateStore(root / ".syndicate" / "state.db") as store:
        return {s.email: s.status for s in store.subscribers.all()}


def stored(root: Path) -> list[tuple[Any, ...]]:
    """Every row a webhook could change: to prove that a refused one changed none."""
    with StateStore(root / ".syndicate" / "state.db") as store:
        return [
            tuple(row)
            for table in ("subscriber", "suppression", "bounce_event", "report_seen")
            for row in store.db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        ]


def events_of(root: Path, email: str) -> list[dict[str, object]]:
    code, out, err = invoke("subscribers", "show", email, "--dir", str(root), "--json")
    assert code == 0, err
    return list(json.loads(out)["events"])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return subscribed(tmp_path / "site")


@pytest.fixture
def sns() -> Iterator[tuple[SnsSigner, SnsStandIn, HttpsFetch]]:
    signer, stand_in = SnsSigner(), SnsStandIn()
    stand_in.files[CERT_PATH] = signer.certificate
    with sns_stand_in(stand_in) as fetch:
        yield signer, stand_in, fetch


Sns = tuple[SnsSigner, SnsStandIn, HttpsFetch]


# --- Amazon SES through SNS ------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_bounces_and_complaints_verified_by_the_sns_certificate(
    root: Path, sns: Sns, version: str
) -> None:
    signer, stand_in, fetch = sns
    with client_for(root, environment(), fetch) as client:
        bounce = signer.notification(ses_bounce(PEOPLE[0]), SignatureVersion=version)
        assert client.post("/webhooks/ses", json=bounce).status_code == 200
        complaint = signer.notification(
            ses_complaint(PEOPLE[1]), MessageId=str(uuid.uuid4()), SignatureVersion=version
        )
        assert client.post("/webhooks/ses", json=complaint).status_code == 200
    assert statuses(root) == {
        PEOPLE[0]: "bounced", PEOPLE[1]: "unsubscribed", PEOPLE[2]: "active", PEOPLE[3]: "active",
    }  # fmt: skip
    (event,) = events_of(root, PEOPLE[0])
    assert (event["kind"], event["status"], event["edition"]) == ("hard", "5.1.1", "2026-12-01")
    assert event["source"] == f"sns:{bounce['MessageId']}"
    assert stand_in.asked == [CERT_PATH]  # the certificate is fetched once, then kept


def test_a_replayed_or_tampered_sns_message_changes_nothing(root: Path, sns: Sns) -> None:
    signer, _, fetch = sns
    with client_for(root, environment(), fetch) as client:
        bounce = signer.notification(ses_bounce(PEOPLE[0]))
        assert client.post("/webhooks/ses", json=bounce).status_code == 200
        before = stored(root)
        assert client.post("/webhooks/ses", json=bounce).status_code == 409
        other = signer.notification(ses_bounce(PEOPLE[1]), MessageId=str(uuid.uuid4()))
        tampered = {**other, "Message": json.dumps(ses_bounce(PEOPLE[2]))}
        assert client.post("/webhooks/ses", json=tampered).status_code == 403
        forged = SnsSigner().notification(ses_bounce(PEOPLE[2]), MessageId=str(uuid.uuid4()))
        assert client.post("/webhooks/ses", json=forged).status_code == 403
        stale = signer.notification(
            ses_bounce(PEOPLE[3]), MessageId=str(uuid.uuid4()), Timestamp=iso_hours_ago(2)
        )
        assert client.post("/webhooks/ses", json=stale).status_code == 400
        elsewhere = signer.notification(ses_bounce(PEOPLE[3]), topic=TOPIC + "-other")
        assert client.post("/webhooks/ses", json=elsewhere).status_code == 403
        assert stored(root) == before


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.eu-west-1.amazonaws.com.attacker.example/cert.pem",
        "https://attacker.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com/not-a-certificate.txt",
        "https://sns.eu-west-1.amazonaws.com:abc/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://attacker.example:443@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://attacker%00@sns.eu-west-1.amazonaws.com/cert.pem",
    ],
)
def test_a_certificate_from_anywhere_but_sns_is_never_fetched(
    root: Path, sns: Sns, cert_url: str
) -> None:
    signer, stand_in, fetch = sns
    with client_for(root, environment(), fetch) as client:
        message = signer.notification(ses_bounce(PEOPLE[0]), SigningCertURL=cert_url)
        assert client.post("/webhooks/ses", json=message).status_code == 403
    assert stand_in.asked == []
    assert statuses(root)[PEOPLE[0]] == "active"


def test_a_redirect_from_the_certificate_url_is_not_followed(root: Path, sns: Sns) -> None:
    signer, stand_in, fetch = sns
    stand_in.files[CERT_PATH] = "https://attacker.example/cert.pem"
    with client_for(root, environment(), fetch) as client:
        message = signer.notification(ses_bounce(PEOPLE[0]))
        assert client.post("/webhooks/ses", json=message).status_code == 403
    assert stand_in.asked == [CERT_PATH]
    assert statuses(root)[PEOPLE[0]] == "active"


def test_an_sns_subscription_is_confirmed_at_its_subscribe_url(root: Path, sns: Sns) -> None:
    signer, stand_in, fetch = sns
    confirm = "/?Action=ConfirmSubscription&TopicArn=x&Token=2336412f37fb"
    stand_in.files["/"] = b"<ConfirmSubscriptionResponse/>"
    with client_for(root, environment(), fetch) as client:
        foreign = signer.confirmation("https://attacker.example" + confirm)
        assert client.post("/webhooks/ses", json=foreign).status_code == 400
        assert stand_in.asked == [CERT_PATH]
        request = signer.confirmation("https://sns.eu-west-1.amazonaws.com" + confirm)
        assert client.post("/webhooks/ses", json=request).status_code == 200
    assert stand_in.asked == [CERT_PATH, confirm]


def test_an_unconfirmed_subscription_asks_sns_to_send_it_again(root: Path, sns: Sns) -> None:
    signer, stand_in, fetch = sns  # the stand-in has no page at "/": a 404
    with client_for(root, environment(), fetch) as client:
        request = signer.confirmation("https://sns.eu-west-1.amazonaws.com/?Token=1")
        assert client.post("/webhooks/ses", json=request).status_code == 502
        before = stored(root)
        stand_in.files["/"] = b"<ConfirmSubscriptionResponse/>"
        assert client.post("/webhooks/ses", json=request).status_code == 200
    assert stored(root) != before  # the retry was not taken for a replay


# --- SendGrid ----------------------------------------------------------------------------


def test_sendgrid_events_each_do_what_they_say(root: Path) -> None:
    signer = SendGridSigner()
    events = [
        sendgrid_event(PEOPLE[0], "bounce", type="bounce", status="5.1.1", reason="550 5.1.1 no"),
        sendgrid_event(PEOPLE[1], "spamreport"),
        sendgrid_event(PEOPLE[2], "bounce", type="blocked", status="5.7.1", reason="550 spam"),
        sendgrid_event(PEOPLE[3], "delivered", response="250 OK"),
        sendgrid_event("someone@example.net", "dropped", reason="Bounced Address"),
    ]
    with client_for(root, environment(signer)) as client:
        body, headers = signer.request(events)
        assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 200
        before = stored(root)
        # SendGrid's retry of the same batch, signed again at a later time: one request.
        body, headers = signer.request(events, stamp=int(time.time()) + 5)
        assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 409
        assert stored(root) == before
    assert statuses(root) == {
        PEOPLE[0]: "bounced", PEOPLE[1]: "unsubscribed", PEOPLE[2]: "active", PEOPLE[3]: "active",
    }  # fmt: skip
    (blocked,) = events_of(root, PEOPLE[2])
    assert (blocked["kind"], blocked["edition"]) == ("soft", "2026-12-01")


def test_a_forged_or_stale_sendgrid_request_changes_nothing(root: Path) -> None:
    signer = SendGridSigner()
    events = [sendgrid_event(PEOPLE[0], "bounce", type="bounce", status="5.1.1")]
    with client_for(root, environment(signer)) as client:
        before = stored(root)
        body, headers = SendGridSigner().request(events)  # another key
        assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 403
        body, headers = signer.request(events)
        changed = body.replace(PEOPLE[0].encode(), PEOPLE[1].encode())
        assert (
            client.post("/webhooks/sendgrid", content=changed, headers=headers).status_code == 403
        )
        body, headers = signer.request(events, stamp=int(time.time()) - 3600)
        assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 400
        unsigned = {"Content-Type": "application/json"}
        assert client.post("/webhooks/sendgrid", content=body, headers=unsigned).status_code == 403
        assert stored(root) == before


# --- Mailgun -----------------------------------------------------------------------------


def test_mailgun_failures_and_complaints(root: Path) -> None:
    complained = {"event": "complained", "recipient": PEOPLE[1], "timestamp": time.time()}
    requests = [
        mailgun_request(mailgun_failure(PEOPLE[0]), token="t" * 50),
        mailgun_request(complained, token="u" * 50),
        mailgun_request(mailgun_failure(PEOPLE[2], severity="temporary"), token="v" * 50),
    ]
    with client_for(root, environment()) as client:
        for body in requests:
            assert client.post("/webhooks/mailgun", content=body).status_code == 200
        before = stored(root)
        # A replay: 406, the one answer after which Mailgun does not try again.
        assert client.post("/webhooks/mailgun", content=requests[0]).status_code == 406
        assert stored(root) == before
    assert statuses(root) == {
        PEOPLE[0]: "bounced", PEOPLE[1]: "unsubscribed", PEOPLE[2]: "active", PEOPLE[3]: "active",
    }  # fmt: skip
    (failure,) = events_of(root, PEOPLE[0])
    assert (failure["kind"], failure["status"], failure["edition"]) == (
        "hard",
        "5.1.1",
        "2026-12-01",
    )
    assert [e["kind"] for e in events_of(root, PEOPLE[2])] == ["soft"]


def test_a_forged_or_stale_mailgun_request_changes_nothing(root: Path) -> None:
    with client_for(root, environment()) as client:
        before = stored(root)
        forged = mailgun_request(mailgun_failure(PEOPLE[0]), key="not-the-key")
        assert client.post("/webhooks/mailgun", content=forged).status_code == 403
        stale = mailgun_request(mailgun_failure(PEOPLE[0]), stamp=int(time.time()) - 3600)
        assert client.post("/webhooks/mailgun", content=stale).status_code == 400
        unsigned = json.dumps({"event-data": mailgun_failure(PEOPLE[0])}).encode()
        assert client.post("/webhooks/mailgun", content=unsigned).status_code == 400
        assert stored(root) == before


# --- Postmark ----------------------------------------------------------------------------


def test_postmark_bounces_and_complaints_behind_basic_auth(root: Path) -> None:
    auth = basic(POSTMARK_SECRET)
    with client_for(root, environment()) as client:
        before = stored(root)
        for headers in ({}, basic("wrong"), {"Authorization": "Bearer " + POSTMARK_SECRET}):
            answer = client.post(
                "/webhooks/postmark", content=postmark_bounce(PEOPLE[0]), headers=headers
            )
            assert answer.status_code == 401
        assert stored(root) == before
        hard = postmark_bounce(PEOPLE[0])
        assert client.post("/webhooks/postmark", content=hard, headers=auth).status_code == 200
        assert client.post("/webhooks/postmark", content=hard, headers=auth).status_code == 409
        soft = postmark_bounce(PEOPLE[2], "SoftBounce", record_id=7)
        assert client.post("/webhooks/postmark", content=soft, headers=auth).status_code == 200
        spam = postmark_complaint(PEOPLE[1])
        assert client.post("/webhooks/postmark", content=spam, headers=auth).status_code == 200
    assert statuses(root) == {
        PEOPLE[0]: "bounced", PEOPLE[1]: "unsubscribed", PEOPLE[2]: "active", PEOPLE[3]: "active",
    }  # fmt: skip


# --- Every route -------------------------------------------------------------------------


def test_a_provider_whose_secret_is_not_set_has_no_route(root: Path) -> None:
    site(root, config=CONFIG)  # no [bounces] sns_topics
    with client_for(root, {"SYNDICATE_SECRET_KEY": "x" * 32}) as client:
        for provider in ("ses", "sendgrid", "mailgun", "postmark"):
            assert client.post(f"/webhooks/{provider}", content=b"{}").status_code == 404
        assert client.post("/webhooks/other", content=b"{}").status_code == 404
        assert client.get("/webhooks/mailgun").status_code == 405


def test_a_body_past_the_limit_is_not_read(root: Path) -> None:
    with client_for(root, environment()) as client:
        huge = b"{" + b" " * (2 * 1024 * 1024) + b"}"
        assert client.post("/webhooks/mailgun", content=huge).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: read no further than the limit
            for _ in range(40):
                yield b" " * 65536

        assert client.post("/webhooks/mailgun", content=chunks()).status_code == 413


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return subscribed(tmp_path_factory.mktemp("fuzzed") / "site")


@settings(max_examples=60, deadline=None)
@given(
    provider=st.sampled_from(["ses", "sendgrid", "mailgun", "postmark"]),
    body=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "Type",
                            "Message",
                            "signature",
                            "event-data",
                            "RecordType",
                            "ID",
                            "Email",
                            "event",
                            "email",
                            "TopicArn",
                            "MessageId",
                            "Timestamp",
                            "SigningCertURL",
                        ]
                    ),
                    inner,
                    max_size=6,
                )
            ),
            max_leaves=12,
        ).map(lambda value: json.dumps(value).encode()),
    ),
)
def test_whatever_is_posted_without_a_valid_signature_is_a_4xx_and_changes_nothing(
    fuzzed: Path, provider: str, body: bytes
) -> None:
    root = fuzzed
    before = stored(root)
    # The SNS fetcher points nowhere: a certificate URL that passed the checks would fail.
    fetch = HttpsFetch(route=lambda url: "https://127.0.0.1:9/")
    signer = SendGridSigner()
    with client_for(root, environment(signer), fetch) as client:
        answer = client.post(f"/webhooks/{provider}", content=body, headers=basic("wrong"))
    assert 400 <= answer.status_code < 500, answer.text
    assert stored(root) == before


def iso_hours_ago(hours: int) -> str:
    return iso(datetime.now(UTC) - timedelta(hours=hours))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["event", "email", "recipient", "reason", "status", "type", "severity", "smtp-id",
             "delivery-status", "message", "headers", "message-id", "code", "enhanced-code",
             "sg_event_id"]
        ),
        inner,
        max_size=6,
    ),
    max_leaves=15,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(provider=st.sampled_from(["sendgrid", "mailgun"]), payload=_JSON)
def test_a_signed_request_in_any_shape_is_read_or_refused_never_an_error(
    fuzzed: Path, provider: str, payload: Any
) -> None:
    signer = SendGridSigner()
    if provider == "sendgrid":
        body, headers = signer.request(payload if isinstance(payload, list) else [payload])
    else:
        body, headers = mailgun_request(payload, token=f"fuzz-{time.time_ns()}"), {}
    with client_for(fuzzed, environment(signer)) as client:
        answer = client.post(f"/webhooks/{provider}", content=body, headers=headers)
    assert answer.status_code in (200, 400, 409), answer.text


# --- What a review found ---------------------------------------------------------------


def test_a_newline_cannot_move_a_signed_field_into_the_message_id(root: Path, sns: Sns) -> None:
    # The string signed is "name\nvalue\n" in turn: a Subject folded into the MessageId
    # would sign the same bytes under a new id, and replay the notification.
    signer, _, fetch = sns
    with client_for(root, environment(), fetch) as client:
        bounce = signer.notification(ses_bounce(PEOPLE[0]), Subject="Bounce")
        assert client.post("/webhooks/ses", json=bounce).status_code == 200
        before = stored(root)
        folded = {**bounce, "MessageId": bounce["MessageId"] + "\nSubject\nBounce"}
        del folded["Subject"]
        assert client.post("/webhooks/ses", json=folded).status_code == 400
        assert stored(root) == before


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("mailgun", b'{"signature": {"timestamp": "1", "token": "\\ud800", "signature": "x"}}'),
        ("mailgun", '{"signature": {"timestamp": "1", "token": "t", "signature": "é"}}'.encode()),
        ("mailgun", b"[" * 200_000 + b"]" * 200_000),
        ("ses", b"[" * 200_000 + b"]" * 200_000),
        ("sendgrid", b"[" * 200_000 + b"]" * 200_000),
    ],
)
def test_text_json_can_carry_but_nothing_can_read_is_a_4xx(
    root: Path, provider: str, body: bytes
) -> None:
    with client_for(root, environment(SendGridSigner())) as client:
        answer = client.post(f"/webhooks/{provider}", content=body)
    assert 400 <= answer.status_code < 500


def test_a_lone_surrogate_in_a_signed_sns_field_is_a_4xx(root: Path, sns: Sns) -> None:
    signer, _, fetch = sns
    with client_for(root, environment(), fetch) as client:
        document = {**signer.notification(ses_bounce(PEOPLE[0])), "Subject": "\ud800"}
        body = json.dumps(document).encode()  # ASCII: the surrogate as \ud800
        assert client.post("/webhooks/ses", content=body).status_code == 400


def test_an_event_that_comes_again_in_another_request_is_applied_once(root: Path) -> None:
    signer = SendGridSigner()
    blocked = sendgrid_event(PEOPLE[2], "bounce", type="blocked", reason="550 spam")
    failure = mailgun_failure(PEOPLE[3], severity="temporary")
    with client_for(root, environment(signer)) as client:
        for batch in ([blocked], [blocked, sendgrid_event(PEOPLE[3], "delivered")]):
            body, headers = signer.request(batch)
            assert (
                client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 200
            )
        # Mailgun's retry of the same event, signed anew (another token).
        for token in ("r" * 50, "s" * 50):
            body = mailgun_request(failure, token=token)
            assert client.post("/webhooks/mailgun", content=body).status_code == 200
    assert [e["kind"] for e in events_of(root, PEOPLE[2])] == ["soft"]
    assert [e["kind"] for e in events_of(root, PEOPLE[3])] == ["soft"]


def test_what_each_provider_says_it_did_not_send_or_could_not_judge(root: Path, sns: Sns) -> None:
    signer, _, fetch = sns
    undetermined = ses_bounce(PEOPLE[0])
    undetermined["bounce"]["bounceType"] = "Undetermined"
    suppressed = {**mailgun_failure(PEOPLE[1]), "reason": "suppress-bounce", "id": "sup-1"}
    with client_for(root, environment(), fetch) as client:
        assert (
            client.post("/webhooks/ses", json=signer.notification(undetermined)).status_code == 200
        )
        body = mailgun_request(suppressed, token="w" * 50)
        assert client.post("/webhooks/mailgun", content=body).status_code == 200
        challenge = postmark_bounce(PEOPLE[2], "ChallengeVerification", record_id=99)
        answer = client.post(
            "/webhooks/postmark", content=challenge, headers=basic(POSTMARK_SECRET)
        )
        assert answer.status_code == 200
    assert [e["kind"] for e in events_of(root, PEOPLE[0])] == ["unknown"]
    assert [e["kind"] for e in events_of(root, PEOPLE[2])] == ["auto-reply"]
    assert statuses(root) == {
        PEOPLE[0]: "active", PEOPLE[1]: "bounced", PEOPLE[2]: "active", PEOPLE[3]: "active",
    }  # fmt: skip
