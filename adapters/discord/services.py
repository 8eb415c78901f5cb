"""What every Discord callback needs, reachable from any interaction through its client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
import httpx

from bot.config import Settings
from bot.handler import ImagineHandler
from bot.models import Result
from bot.requests import Runner
from bot.web.context import Web

TOKEN_TTL_S = 14 * 60


@dataclass(frozen=True)
class Origin:
    """Where a result's source images live, so its Re-roll button can find them again."""

    message_id: int | None = None
    index: int | None = None


ViewFactory = Callable[[Result, Origin], discord.ui.View]
AgainFactory = Callable[[str], discord.ui.View]  # the Deliver again button of a ledger id
PickedFactory = Callable[[str, bool], discord.ui.View]  # one picked image's buttons (re-roll?)


@dataclass(frozen=True)
class Services:
    """The runner (and through it the handler), settings and HTTP client, how results (a
    picked image, results that could not be delivered) get their buttons, and the web face
    (None when IMAGINE_PUBLIC_URL is unset)."""

    settings: Settings
    runner: Runner
    http: httpx.AsyncClient
    result_view: ViewFactory
    again_view: AgainFactory
    picked_view: PickedFactory
    token_ttl_s: float = TOKEN_TTL_S
    web: Web | None = None

    @property
    def handler(self) -> ImagineHandler:
        """The core handler, for ledger rows and admin queries."""
        return self.runner.handler


class ServicesClient(discord.Client):
    """A discord.py client carrying the adapter's services for commands and buttons."""

    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(**options)
        self.services = services


def services_of(interaction: discord.Interaction[Any]) -> Services:
    """The services of the client that received an interaction."""
    client = interaction.client
    if not isinstance(client, ServicesClient):
        raise TypeError("interaction did not come through the imagine adapter")
    return client.services
