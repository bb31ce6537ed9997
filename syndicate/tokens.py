"""Signed tokens: an unsubscribe link names its subscriber and list, and nobody can
forge one without SYNDICATE_SECRET_KEY."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "syndicate.unsubscribe"


def unsubscribe_token(secret: str, email: str, list_id: str) -> str:
    return str(URLSafeSerializer(secret, salt=_SALT).dumps({"e": email, "l": list_id}))


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, str] | None:
    """(email, list id) of a genuine token; None for a tampered or foreign one."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        return None
    return data["e"], str(data.get("l", ""))
