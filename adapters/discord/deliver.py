"""Why a result could not be posted on Discord, in words its requester can act on.

discord.py already waits out rate limits and retries 5xx answers itself; what reaches here
is what it gave up on. A server error or a dropped connection may pass (the handler tries
again for a while); a missing permission, a file too large or a vanished message will not.
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from adapters.discord.respond import PrivateTooLate
from bot.delivery import DeliveryFailed

log = logging.getLogger(__name__)

DELIVER_AGAIN = "Press Deliver again to get them."
MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001
TOO_LARGE = 40005


def delivery_failure(exc: Exception) -> DeliveryFailed:
    """The cause of a failed post (discord.py's, the network's, or a bug, already logged)."""
    if isinstance(exc, PrivateTooLate):
        return DeliveryFailed(
            "a private result can only be shown within 15 minutes of asking", transient=False
        )
    if isinstance(exc, discord.Forbidden) or (
        isinstance(exc, discord.HTTPException) and exc.code in (MISSING_PERMISSIONS, MISSING_ACCESS)
    ):
        return DeliveryFailed(
            f"Discord did not let the bot post them here ({exc.text or 'HTTP 403'})",
            transient=False,
            fix="Ask a server admin to let the bot Send Messages and Attach Files in this channel.",
        )
    if isinstance(exc, discord.HTTPException) and (exc.status == 413 or exc.code == TOO_LARGE):
        return DeliveryFailed("they are larger than Discord takes in this channel", transient=False)
    if isinstance(exc, discord.NotFound):
        return DeliveryFailed("the message they were to be posted in is gone", transient=False)
    if isinstance(exc, discord.DiscordServerError):
        return DeliveryFailed(
            f"Discord answered the upload with a server error (HTTP {exc.status})", transient=True
        )
    if isinstance(exc, discord.HTTPException):
        return DeliveryFailed(f"Discord refused the upload (HTTP {exc.status})", transient=False)
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return DeliveryFailed("Discord could not be reached", transient=True)
    log.error("posting a result failed inside the bot", exc_info=exc)
    return DeliveryFailed.internal("posting them")
