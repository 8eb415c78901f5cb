"""One row per setting: `name: Type = setting(ENV, default, **bounds)` and its docstring.

The row names the environment variable (and any other name it answers to), the
default and pydantic's bounds (`ge=`, `gt=`, `le=`, `min_length=`); `Type` is the parser and
the check (the aliases here and beside their group); the docstring under the row is its
documentation, which `.env.example` and the README's table print (bot/settings_doc.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsGroup(BaseSettings):
    """A group of settings read from the environment and `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=False,
        use_attribute_docstrings=True,
    )


def setting(env: str, default: Any, *also: str, **bounds: Any) -> Any:
    """A setting read from `env` (or any of `also`), `default` when unset."""
    alias = AliasChoices(env, *also) if also else env
    return Field(default, validation_alias=alias, **bounds)


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


CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(split_commas)]
ServiceUrl = Annotated[str, AfterValidator(http_url)]
