"""Reports that come back, as the MTAs and providers shape them, written for these tests
(fictional addresses and hosts): each builder gives the bytes of one message."""

from __future__ import annotations

import json

RETURNED = (
    "Return-Path: <digest@news.example.com>\r\n"
    "From: Harbour Courier <digest@news.example.com>\r\n"
    "To: {to}\r\n"
    "Subject: Harbour Courier digest: Sunday 6 December 2026\r\n"
    "Message-ID: <2026-12-06.0123456789abcdef01234567@news.example.com>\r\n"
    "\r\n"
    "The stories of the day.\r\n"
)


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def postfix_dsn(
    recipient: str = "ana.rocha@example.net",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <ana.rocha@example.net>: Recipient address rejected: "
    "User unknown in virtual mailbox table",
    action: str = "failed",
) -> bytes:
    return _crlf(
        f"""From: MAILER-DAEMON@relay.news.example.com (Mail Delivery System)
To: bounces@news.example.com
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <20261206081502.4F1C2@relay.news.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.news.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.net[192.0.2.10] said: {diagnostic.split("; ", 1)[-1]}

--B1
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.news.example.com
X-Postfix-Queue-ID: 4F1C2

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.net
Diagnostic-Code: {diagnostic}

--B1
Content-Description: Undelivered Message
Content-Type: message/rfc822

{RETURNED.format(to=recipient)}
--B1--
"""
    )


def exim_text(
    recipient: str = "bo.lindqvist@example.org", reply: str = "550 5.1.1 No such user"
) -> bytes:
    return _crlf(
        f"""From: Mail Delivery System <Mailer-Daemon@mx.news.example.com>
To: bounces@news.example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {recipient}
Auto-Submitted: auto-replied
Message-ID: <E1q2r3s-0004Xy-AB@mx.news.example.com>

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    host mx.example.org [192.0.2.20]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    {reply}

------ This is a copy of the message, including all the headers. ------

{RETURNED.format(to=recipient)}"""
    )


def qmail_text(recipient: str = "cy.okafor@example.com", reply: str = "552 mailbox full") -> bytes:
    return _crlf(
        f"""From: MAILER-DAEMON@mail.news.example.com
To: bounces@news.example.com
Subject: failure notice
Message-ID: <20261206081503.77@mail.news.example.com>

Hi. This is the qmail-send program at mail.news.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{recipient}>:
192.0.2.30 does not like recipient.
Remote host said: {reply}
Giving up on 192.0.2.30.

--- Below this line is a copy of the message.

{RETURNED.format(to=recipient)}"""
    )


def sendmail_at_data(recipient: str = "dee.marsh@example.com") -> bytes:
    """Sendmail's report of a refusal after DATA: the message refused, not the address."""
    return _crlf(
        f"""From: Mail Delivery Subsystem <MAILER-DAEMON@gw.news.example.com>
To: bounces@news.example.com
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)
Message-ID: <202612060815.ab12@gw.news.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S2"

--S2

   ----- The following addresses had permanent fatal errors -----
<{recipient}>
    (reason: 550 5.1.1 <{recipient}>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> DATA
<<< 550 5.1.1 <{recipient}>... User unknown

--S2
Content-Type: message/delivery-status

Reporting-MTA: dns; gw.news.example.com

Final-Recipient: RFC822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: SMTP; 550 5.1.1 <{recipient}>... User unknown

--S2--
"""
    )


def exchange_ndr(recipient: str = "kit.moreau@example.com") -> bytes:
    """Exchange (2013 and later): a multipart report whose human part lists the
    recipient with a RESOLVER code, and a delivery-status part."""
    resolver = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP lookup"
    return _crlf(
        f"""From: postmaster@corp.example.com
To: bounces@news.example.com
Subject: Undeliverable: Harbour Courier digest: Sunday 6 December 2026
Message-ID: <9a3e6d1b-4c2f-4e8a-b7d5-2f1a0c9e8b7d@EXCH01.corp.example.com>
Content-Language: en-US
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="X1"

--X1
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

{recipient}
The email address you entered couldn't be found. Please check the recipient's
email address and try to resend the message.

Diagnostic information for administrators:

Generating server: EXCH01.corp.example.com

{recipient}
Remote Server returned '{resolver}'

--X1
Content-Type: message/delivery-status

Reporting-MTA: dns;EXCH01.corp.example.com
Received-From-MTA: dns;mx1.news.example.com
Arrival-Date: Sun, 6 Dec 2026 08:15:02 +0000

Final-recipient: RFC822;{recipient}
Action: failed
Status: 5.1.10
Diagnostic-code: smtp;{resolver}

--X1
Content-Type: text/rfc822-headers

{RETURNED.format(to=recipient).split(chr(13) + chr(10) + chr(13) + chr(10))[0]}

--X1--
"""
    )


def exchange_2003_text(recipient: str = "lou.brandt@example.org") -> bytes:
    """Older Exchange: plain text, the recipient and its code in angle brackets."""
    return _crlf(
        f"""From: System Administrator <postmaster@legacy.example.org>
To: bounces@news.example.com
Subject: Undeliverable: Harbour Courier digest
Message-ID: <0C0E1B3A9F2D4B1E8C7A@legacy.example.org>
Content-Type: text/plain; charset="us-ascii"

Your message did not reach some or all of the intended recipients.

      Subject:	Harbour Courier digest
      Sent:	12/6/2026 8:15 AM

The following recipient(s) cannot be reached:

      {recipient} on 12/6/2026 8:15 AM
            The e-mail account does not exist at the organization this message was sent to.
            <mail.legacy.example.org #5.1.1 smtp;550 5.1.1 User unknown>
"""
    )


def gmail_text(recipient: str = "eli.stone@example.com") -> bytes:
    return _crlf(
        f"""From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: bounces@news.example.com
Subject: Delivery Status Notification (Failure)
Message-ID: <047d7b33d6decd251304c7c1b77b@google.com>

Delivery to the following recipient failed permanently:

     {recipient}

Technical details of permanent failure:
Google tried to deliver your message, but it was rejected by the server for the
recipient domain example.com by mx.example.com. [192.0.2.40].

The error that the other server returned was:
550 5.1.1 The email account that you tried to reach does not exist.

----- Original message -----

{RETURNED.format(to=recipient)}"""
    )


def outlook_blocked(recipient: str = "fay.quinn@example.net") -> bytes:
    """A 5xx that says the sender was blocked: the address is alive."""
    return postfix_dsn(
        recipient,
        "5.7.1",
        f"smtp; 550 5.7.1 Service unavailable, Client host [192.0.2.5] blocked using "
        f"Spamhaus <{recipient}>",
    )


def ses_notification(recipient: str = "gus.ford@example.org", kind: str = "Bounce") -> bytes:
    document: dict[str, object] = {
        "notificationType": kind,
        "mail": {
            "messageId": "0100018c-aaaa-bbbb",
            "headers": [
                {
                    "name": "Message-ID",
                    "value": "<2026-12-06.0123456789abcdef01234567@news.example.com>",
                }
            ],
        },
    }
    if kind == "Bounce":
        document["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "reportingMTA": "dsn; a1-2.smtp-out.eu-west-1.amazonses.com",
        }
    else:
        document["complaint"] = {
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
        }
    return _crlf(
        f"""From: no-reply@sns.amazonaws.com
To: bounces@news.example.com
Subject: AWS Notification Message
Message-ID: <0100018c.ses@email.amazonses.com>
Content-Type: text/plain; charset=UTF-8

{json.dumps(document)}
"""
    )


def arf_complaint(recipient: str = "hal.ng@example.com") -> bytes:
    return _crlf(
        f"""From: Mail Provider Feedback Loop <fbl@mail.example.com>
To: fbl@news.example.com
Subject: Abuse report
Message-ID: <fbl.12345@mail.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F3"

--F3
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message received from IP 192.0.2.5.

--F3
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Rcpt-To: {recipient}
Arrival-Date: Sun, 06 Dec 2026 08:20:00 +0000

--F3
Content-Type: message/rfc822

{RETURNED.format(to=recipient)}
--F3--
"""
    )


def vacation_reply(sender: str = "ida.park@example.com") -> bytes:
    return _crlf(
        f"""From: Ida Park <{sender}>
To: digest@news.example.com
Subject: Out of Office: Harbour Courier digest
Auto-Submitted: auto-replied
Message-ID: <ooo.77@example.com>

I am away until 14 December, without e-mail. In urgent cases write to
desk@example.com.
"""
    )


def personal_reply(sender: str = "jo.west@example.com") -> bytes:
    return _crlf(
        f"""From: Jo West <{sender}>
To: digest@news.example.com
Subject: Re: Harbour Courier digest
Message-ID: <reply.88@example.com>

Thanks for the piece on the harbour. Could you cover the ferry timetable too?
My neighbour (kim.lee@example.com) asked the same.
"""
    )


def eight_bit_subject(recipient: str = "mo.tanaka@example.jp") -> bytes:
    """A report whose Subject is raw UTF-8 (no encoded words), from no mail daemon."""
    head = "From: notice@mail.example.jp\r\nTo: bounces@news.example.com\r\n"
    return (
        head.encode()
        + "Subject: メール配送エラー\r\n".encode()
        + _crlf(
            f"""Message-ID: <n1@mail.example.jp>
Content-Type: text/plain; charset=utf-8

Your mail sent on: Sun, 6 Dec 2026 08:15:02 +0900
     Could not be delivered to: <{recipient}>
     As their mailbox is full.
"""
        )
    )


def boundary_never_comes(recipient: str = "ned.ross@example.org") -> bytes:
    """multipart/report, but the body never uses the boundary its header names: the
    parser finds no parts, and the delivery-status fields are in the text."""
    return _crlf(
        f"""From: Mail Delivery System <MAILER-DAEMON@relay.example.org>
To: bounces@news.example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <b2@relay.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="ONE"

--TWO
Content-Type: text/plain

Your message could not be delivered.

--TWO
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.org

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 no such user

--TWO--
"""
    )


def unfolded_boundary(recipient: str = "oz.brand@example.net") -> bytes:
    """A nested multipart whose boundary parameter came on a line of its own (not
    folded): its text is left unsplit. It names the sender too (MAIL FROM): only the
    RCPT TO address is the recipient, and the reason comes before it."""
    return _crlf(
        f"""From: post_master@sms.example.net
To: bounces@news.example.com
Subject: Re: Harbour Courier digest
Message-ID: <u3@sms.example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUTER"

--OUTER
Content-Type: multipart/alternative;
boundary="INNER"

--INNER
Content-Type: text/plain; charset=us-ascii

Error: Invalid user address
Error message below:
550 - Requested action not taken: no such user here
Message details:
  Subject: Harbour Courier digest
  MAIL FROM: bounces@news.example.com
  RCPT TO: {recipient}
  Size (in bytes): 222
--INNER--
--OUTER--
"""
    )


def sendmail_pipelined(recipient: str = "pia.lund@example.com") -> bytes:
    """Sendmail with PIPELINING: the RCPT reply is read after DATA is sent, and the DATA
    reply ("Need RCPT") shows that no recipient was taken: the address is dead."""
    return sendmail_at_data(recipient).replace(
        f"<<< 550 5.1.1 <{recipient}>... User unknown\r\n".encode(),
        f"<<< 550 5.1.1 <{recipient}>... User unknown\r\n"
        "<<< 503 5.0.0 Need RCPT (recipient)\r\n".encode(),
    )
