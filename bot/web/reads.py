"""The ledger rows the web face draws from, through the handler like every surface."""

from __future__ import annotations

from datetime import datetime

from bot.handler import ImagineHandler
from bot.models import LedgerEntry, Scope


async def rows_of(
    handler: ImagineHandler, scope: Scope, since: datetime, until: datetime
) -> list[LedgerEntry]:
    """The rows of a scope created in [since, until), oldest first."""
    return await handler.ledger_rows(scope, since, until)
