"""Hard or soft: whether a failure says the address is dead, from its enhanced status
code (RFC 3463) and the words of its diagnostic.

Hard is kept for what says the mailbox or its domain does not exist (5.1.1 unknown user,
5.1.2 and 5.4.4 unknown host, 5.1.6 moved, 5.1.10 and 556 a domain that takes no mail).
A server that refused the sender, the content or the rate (blocked, spam, policy), a
full or disabled mailbox, a timeout: soft, even with a 5xx, for the address may well
be alive. Words in the diagnostic win over the code: servers put 5.1.1 on all kinds of
refusals, and many old ones give no code at all.
"""

from __future__ import annotations

import re

from syndicate._store.bounces import Kind

STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
REPLY = re.compile(r"(?<![\d.])([45])\d\d(?![\d.])")

# The address or its domain does not exist.
_DEAD = re.compile(
    "|".join(
        (
            r"user(?:name)? (?:is )?unknown",
            r"unknown (?:user|recipient|local.?part|address|mailbox)",
            r"no such (?:user|mailbox|recipient|address|account|person|local user)",
            r"(?:user|recipient|mailbox|account|address|addressee)s? "
            r"(?:does not|doesn't|did not) exist",
            r"(?:mailbox|user|recipient|account|address) (?:not found|unknown|is unknown)",
            r"recipient not found",
            r"recipnotfound",
            r"not (?:a )?(?:valid|known) (?:user|recipient|mailbox)",
            r"invalid (?:recipient|mailbox|user|address)",
            r"addressee unknown",
            r"unknown or illegal alias",
            r"(?:email|e-mail) account that you tried to reach does not exist",
            r"mailbox (?:does not exist|is not available|unavailable: user)",
            r"requested action not taken: mailbox unavailable",
            r"inactive (?:email|e-mail) address",
            r"invalid final delivery userid",
            r"recipient address rejected(?:\.?\s*$|: access denied|: user unknown)",
            r"domain (?:is )?not reachable",
            r"no mailbox (?:here|by that name)",
            r"unrout(?:e)?able address",
            r"address rejected: (?:user unknown|undeliverable address)",
            r"bad destination mailbox",
            r"has no (?:mailbox|account)",
            r"not our customer",
            r"no account by that name",
            r"user account (?:does not exist|is unavailable)",
            r"mailbox name not allowed",
            r"this user doesn't have a",
            r"user not known",
            r"deactivated mailbox",
            r"(?:host|domain) (?:name )?(?:not found|unknown|does not exist|lookup failed)",
            r"unknown (?:host|domain)",
            r"no such (?:domain|host)",
            r"nxdomain",
            r"no mx (?:record|host)",
            r"bad destination system",
            r"unrouteable mail domain",
            r"does not accept mail",
            r"indicated no smtp service",  # a null MX (RFC 7505): the domain takes no mail
            r"not listed in (?:the )?(?:public )?(?:name & address book|directory)",
            r"has moved",
            r"address (?:has )?changed",
        )
    ),
    re.IGNORECASE,
)
# What says the address may be alive: the sender, the message or the moment refused.
_ALIVE = re.compile(
    "|".join(
        (
            r"block",
            r"black ?list",
            r"deny ?list",
            r"spam",
            r"policy",
            r"reputation",
            r"quota",
            r"(?:mailbox|mail ?box|disk|storage) (?:is )?full",
            r"insufficient (?:disk|storage|space)",
            r"too (?:many|much|large|big)",
            r"size",
            r"rate",
            r"temporar",
            r"try again",
            r"grey ?list|gray ?list",
            r"suspend",
            r"disabled",
            r"inactive",
            r"expired",
            r"timed? ?out",
            r"relay(?:ing)? (?:denied|not permitted|access denied)",
            r"authentication",
            r"dmarc|spf|dkim",
            r"virus",
            r"content",
            r"couldn't create|could not create|permission denied|command output|mailbox locked",
            r"delay",
            r"connection (?:refused|reset|timed)",
            r"unexpected name server reply",  # a DNS failure, not a domain that is gone
        )
    ),
    re.IGNORECASE,
)
_DEAD_CODES = {(1, 1), (1, 2), (1, 6), (1, 10), (4, 4)}
_ALIVE_CODES = {(2, 2), (2, 3)}  # mailbox full, message too large: whatever the words say


_AT_DATA = re.compile(
    r"after end of data|in reply to end of data|after data\b|during data|end of data command",
    re.IGNORECASE,
)
_AT_RCPT = re.compile(r"(?:after|in reply to) RCPT|\[RCPT_TO\]", re.IGNORECASE)
_COMMAND = re.compile(r"^\s*>>>\s*(\w+)", re.IGNORECASE)
_ANSWER = re.compile(r"^\s*<<<\s*5\d\d")
_NO_RECIPIENTS = re.compile(
    r"^\s*<<<\s*5\d\d.*(?:no valid recipients|need rcpt|no recipients)", re.IGNORECASE
)


def refused_at_data(text: str, recipient: str) -> bool:
    """Whether the report shows `recipient` refused after DATA (the message was refused,
    not the address) rather than at RCPT TO: in a session transcript, the command that
    the refusal naming it answers; else the words beside it."""
    lines = text.splitlines()
    command = ""
    for number, line in enumerate(lines):
        found = _COMMAND.match(line)
        if found:
            command = found.group(1).upper()
        elif _ANSWER.match(line) and recipient in line.lower():
            # With PIPELINING the RCPT replies are read after DATA is sent; a DATA
            # reply of "no valid recipients" after them shows that they were those.
            pipelined = any(_NO_RECIPIENTS.search(later) for later in lines[number + 1 :])
            return command == "DATA" and not pipelined
    for number, line in enumerate(lines):
        if recipient in line.lower():
            near = " ".join(lines[number : number + 4])
            if _AT_RCPT.search(near):
                return False
            if _AT_DATA.search(near):
                return True
    return False


def status_in(text: str) -> str | None:
    """The first enhanced status code in `text`, as 5.1.1."""
    found = STATUS.search(text)
    return ".".join(found.groups()) if found else None


# Amazon SES: "5.1.0 - Unknown address error 550-'5.2.2 <a@b>... Mailbox Full'": its own
# category first, then the receiving server's reply, which is what counts.
_NESTED_REPLY = re.compile(r"^\s*[245]\.\d+\.\d+ - [^']*?\b[245]\d\d[ -]'(.*)$", re.DOTALL)


def kind_of(
    status: str | None, diagnostic: str, *, temporary: bool = False, at_data: bool = False
) -> Kind:
    """hard or soft, from what a report says of one recipient. `at_data`: the server
    refused after DATA, so it refused the message, not the address."""
    nested = _NESTED_REPLY.match(diagnostic)
    if nested:
        diagnostic = nested.group(1)
        status = status_in(diagnostic) or status
    code = STATUS.fullmatch(status or "")
    if temporary or at_data or (code and code.group(1) == "4"):
        return "soft"
    if code and (int(code.group(2)), int(code.group(3))) in _ALIVE_CODES:
        return "soft"
    reply = REPLY.search(diagnostic)
    if code is None and reply and reply.group(1) == "4":
        return "soft"
    if _ALIVE.search(diagnostic) and not _dead_by_words(diagnostic):
        return "soft"
    if _dead_by_words(diagnostic):
        return "hard"
    if code and (int(code.group(2)), int(code.group(3))) in _DEAD_CODES:
        return "hard" if not _ALIVE.search(diagnostic) else "soft"
    if reply and reply.group(0) == "556":  # RFC 7504: the domain takes no mail
        return "hard"
    return "soft"


def _dead_by_words(diagnostic: str) -> bool:
    """The words say the address is dead, and nothing alongside says otherwise first."""
    dead = _DEAD.search(diagnostic)
    if dead is None:
        return False
    alive = _ALIVE.search(diagnostic)
    return alive is None or dead.start() <= alive.start()
