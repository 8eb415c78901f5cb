"""The reads the web face makes of the ledger beyond the handler's usage and limits methods:
every store call of the web face is here."""

from __future__ import annotations

from datetime import datetime

from bot.handler import ImagineHandler
from bot.models import GeneratedImage, LedgerEntry, Limits, Scope


async def ledger_rows(
    handler: ImagineHandler, scope: Scope, since: datetime, until: datetime
) -> list[LedgerEntry]:
    """The rows of a scope created in [since, until), oldest first."""
    return [entry async for entry in handler.store.export(since, until, scope)]


async def limits_here(handler: ImagineHandler, scope: Scope) -> Limits:
    """The limits set at exactly this scope (unset keys inherit)."""
    return await handler.store.get_limits(scope)


async def kept_images(handler: ImagineHandler, entry_id: str) -> tuple[GeneratedImage, ...]:
    """A result's images while the bot keeps them (until they are delivered)."""
    return await handler.store.kept_results(entry_id)
