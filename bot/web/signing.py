"""Signed, expiring grants: the links the bot hands out and the session cookies they become.

A token is `payload.signature`, both URL-safe base64: the payload is the grant as compact
JSON, the signature an HMAC-SHA256 of the purpose ('link' or 'session') and the payload under
the installation's key (IMAGINE_SECRET_KEY, or one made once and kept in the database).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Literal

from bot.config import Settings
from bot.handler import ImagineHandler

Role = Literal["admin", "editor"]
ALL = "*"
SESSION_HOURS = 8


class Refusal(Exception):
    """A request the web face turns away, with a page title and words safe to show."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


EXPIRED = Refusal(
    403,
    "This link has expired",
    "Links to the dashboard and the editor work for a short while only. "
    "Ask the bot for a new one in the chat (or run imagine-bot dashboard-link).",
)
TAMPERED = Refusal(
    403,
    "This link is not valid",
    "The link was changed or cut short, or it was made by another installation of the bot. "
    "Copy the whole link again, or ask the bot for a new one.",
)


@dataclass(frozen=True)
class Grant:
    """What one link lets one person do, until `expires` (seconds since the epoch).

    An admin grant reads and changes one workspace ('*': every one, for the operator); an
    editor grant lets `user` edit the result `entry`, shown from `image`, posted to `channel`.
    """

    role: Role
    platform: str
    workspace: str
    user: str
    expires: int
    entry: str = ""
    channel: str = ""
    thread: str = ""
    image: str = ""
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(9))

    def covers(self, platform: str, workspace: str) -> bool:
        """Whether this grant reaches a workspace."""
        return self.platform in (ALL, platform) and self.workspace in (ALL, workspace)


class Signer:
    """Signs and checks grants with one key; `now` is the handler's clock."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, grant: Grant, purpose: str) -> str:
        """A token carrying `grant` for one purpose ('link' or 'session')."""
        payload = _b64(json.dumps(asdict(grant), separators=(",", ":")).encode())
        return f"{payload}.{self._mac(purpose, payload)}"

    def check(self, token: str, purpose: str, now: datetime) -> Grant:
        """The grant a token carries; raises TAMPERED or EXPIRED."""
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            raise TAMPERED
        try:
            grant = Grant(**json.loads(_unb64(payload)))
        except (ValueError, TypeError):
            raise TAMPERED from None
        if grant.expires <= now.timestamp():
            raise EXPIRED
        return grant

    def session(self, grant: Grant, now: datetime) -> str:
        """A session token for a checked link's grant, valid for SESSION_HOURS."""
        expires = int(now.timestamp()) + SESSION_HOURS * 3600
        return self.sign(replace(grant, expires=expires), "session")

    def csrf(self, session_token: str) -> str:
        """The token every change made in a session must carry."""
        return self._mac("csrf", session_token)

    def _mac(self, purpose: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{purpose}.{payload}".encode(), hashlib.sha256).digest()
        return _b64(digest)


async def signing_key(settings: Settings, handler: ImagineHandler) -> bytes:
    """IMAGINE_SECRET_KEY, or the key kept in the database (made by the first to need it)."""
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value()
    else:
        secret = await handler.web_secret(secrets.token_urlsafe(32))
    return hashlib.sha256(secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
