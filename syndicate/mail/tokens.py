"""Signed tokens in unsubscribe links: nobody can unsubscribe someone else.

The key is SYNDICATE_SECRET_KEY. A site without one (the demo, a first try) gets a
random key kept in `.syndicate/secret-key`, readable by its owner only, with a
warning: links signed with it stop working if that file is lost.
"""

from __future__ import annotations

import email.policy
import os
import secrets
from email.parser import BytesParser

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from syndicate.config import LoadedConfig
from syndicate.errors import Problem

_SALT = "syndicate-unsubscribe"


def signing_key(config: LoadedConfig) -> tuple[str, Problem | None]:
    """The signing key, and a warning when it is not the environment's."""
    secret = config.secrets.secret_key
    if secret:
        return secret.get_secret_value(), None
    path = config.paths.secret_key
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    note = Problem(
        f"SYNDICATE_SECRET_KEY is not set: unsubscribe links are signed with the key in {path}"
    )
    return path.read_text().strip(), note


def unsubscribe_token(key: str, email: str, list_id: str) -> str:
    return str(URLSafeSerializer(key, salt=_SALT).dumps({"e": email, "l": list_id}))


def read_unsubscribe_token(key: str, token: str, list_id: str) -> str | None:
    """The address a token names, or None if it is forged, tampered or for another list."""
    try:
        value = URLSafeSerializer(key, salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("l") != list_id:
        return None
    email = value.get("e")
    return email if isinstance(email, str) else None


_CONFIRM_SALT = "syndicate-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a week to click the confirmation link


def confirm_token(key: str, email: str, list_id: str) -> str:
    serializer = URLSafeTimedSerializer(key, salt=_CONFIRM_SALT)
    return str(serializer.dumps({"e": email, "l": list_id}))


def read_confirm_token(
    key: str, token: str, list_id: str, max_age: int = CONFIRM_MAX_AGE
) -> str | None:
    """The address a sign-up confirmation names, or None if forged, foreign or expired."""
    try:
        value = URLSafeTimedSerializer(key, salt=_CONFIRM_SALT).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(value, dict) or value.get("l") != list_id:
        return None
    email = value.get("e")
    return email if isinstance(email, str) else None


def unsubscribe_mail_address(message: bytes, key: str, list_id: str) -> str | None:
    """The address that a message sent to the List-Unsubscribe mailto address asks to
    unsubscribe: its subject is "unsubscribe TOKEN". None if it names none, or a
    token that is forged or for another list."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(message, headersonly=True)
    words = str(parsed.get("Subject", "")).split()
    if len(words) < 2 or words[0].lower() != "unsubscribe":
        return None
    return read_unsubscribe_token(key, words[-1], list_id)
