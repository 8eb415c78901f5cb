"""`imagine-bot migrate`: bring the configured database up to date."""

from __future__ import annotations

import sys

from bot.config import Settings
from bot.errors import ConfigError
from bot.store.open import open_store


async def migrate_command(settings: Settings, source: str | None) -> int:
    """Apply pending migrations to IMAGINE_DATABASE_URL."""
    if source is not None:
        raise ConfigError("migrate --from needs a PostgreSQL IMAGINE_DATABASE_URL to copy into.")
    store = await open_store(settings.database_url)
    await store.close()
    print("The database is up to date.", file=sys.stderr)
    return 0
