"""The usage ledger, limits and audit trail: one `Store` over SQLite or PostgreSQL.

`open_store(url)` picks the database from its URL: `sqlite:///path` (the default) or
`postgresql://...`.
"""

from __future__ import annotations

from bot.store.open import open_store
from bot.store.store import Store

__all__ = ["Store", "open_store"]
