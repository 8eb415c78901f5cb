"""Pick and open the store a database URL names, migrating it on the way."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from pathlib import Path

from bot.errors import ConfigError
from bot.store.sqlite import SqliteDatabase
from bot.store.store import Store

_SETTING = "IMAGINE_DATABASE_URL"
POSTGRES_EXTRA = f"{_SETTING}: PostgreSQL needs the extra: pip install 'imagine-bot[postgres]'"


async def open_store(url: str) -> Store:
    """Open and migrate the store a URL names: `sqlite:///path` or `postgresql://...`."""
    if url.startswith("sqlite:"):
        return await _open_sqlite(sqlite_path(url))
    if is_postgres_url(url):
        return await _open_postgres(url)
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ConfigError(
        f"{_SETTING}: unknown database {scheme!r}; use sqlite:///path/to/imagine.db "
        "or postgresql://user@host/dbname"
    )


def is_postgres_url(url: str) -> bool:
    """Whether a database URL names PostgreSQL (`postgresql://` or `postgres://`)."""
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str) -> str:
    """The file of `sqlite:///relative.db`, `sqlite:////absolute.db` or `sqlite:///:memory:`."""
    if not url.startswith("sqlite:///") or url == "sqlite:///":
        raise ConfigError(
            f"{_SETTING}: write sqlite:///relative/path.db, sqlite:////absolute/path.db "
            "or sqlite:///:memory:"
        )
    return url.removeprefix("sqlite:///").split("?", 1)[0]


async def _open_sqlite(path: str) -> Store:
    if path != ":memory:":
        path = await asyncio.to_thread(_with_folder, path)
    try:
        return Store(await SqliteDatabase.open(path))
    except (OSError, sqlite3.DatabaseError) as exc:
        raise ConfigError(f"{_SETTING}: cannot open {path}: {exc}") from exc


def _with_folder(path: str) -> str:
    full = Path(path).expanduser()
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{_SETTING}: cannot create the folder for {full}: {exc}") from exc
    return str(full)


async def _open_postgres(url: str) -> Store:
    try:
        module = importlib.import_module("bot.store.postgres")
    except ModuleNotFoundError as exc:
        raise ConfigError(POSTGRES_EXTRA) from exc
    return Store(await module.PostgresDatabase.open(url))
