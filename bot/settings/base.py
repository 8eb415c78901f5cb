"""What every group of settings shares: where they are read from, and their common checks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[tuple[str, ...], NoDecode]


class SettingsGroup(BaseSettings):
    """A group of settings read from the environment and `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=False
    )


def split_commas(value: object) -> object:
    """'a, b,,c' as ('a', 'b', 'c'); anything else as it is."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def http_url(value: str) -> str:
    """A base URL without its trailing slash, refused unless http(s) and free of credentials."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    if "@" in urlsplit(value).netloc:  # it would be echoed in reports and logs
        raise ValueError(
            "must not carry a user name or password; keys and tokens have their own settings"
        )
    return value.rstrip("/")
