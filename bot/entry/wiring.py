"""Wiring in one place: settings → HTTP client, store, backend, handler; closed on exit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bot.backend import ImageBackend
from bot.config import Settings
from bot.errors import ConfigError
from bot.gateway.client import GatewayClient, build_http_client
from bot.handler import ImagineHandler
from bot.metrics import Metrics
from bot.offline import OfflineBackend
from bot.requests import Runner
from bot.requests.notices import Notices
from bot.store import Store
from bot.store.open import open_store


@dataclass
class App:
    """The shared objects of one running bot."""

    settings: Settings
    http: httpx.AsyncClient
    store: Store
    handler: ImagineHandler
    runner: Runner


def require_gateway_key(settings: Settings, offline: bool) -> None:
    """Refuse to start image work with no gateway key, unless offline."""
    if not (offline or settings.offline) and settings.gateway_key is None:
        raise ConfigError(
            "Missing setting IMAGINE_GATEWAY_KEY (or AI_GATEWAY_API_KEY): the image gateway's "
            "API key. Set it in the environment or .env, or try --offline."
        )


@asynccontextmanager
async def open_app(settings: Settings, *, offline: bool = False) -> AsyncIterator[App]:
    """Build the one HTTP client, the store and the handler; migrate; close all on exit."""
    store = await open_store(settings.database_url)
    try:
        async with build_http_client(settings) as http:
            metrics = Metrics()
            backend: ImageBackend
            if offline or settings.offline:
                backend = OfflineBackend(vary_prompt=settings.vary_prompt)
            else:
                backend = GatewayClient.from_settings(
                    http, settings, on_retry=metrics.gateway_retry
                )
            handler = ImagineHandler(settings, store, backend, metrics=metrics)
            await handler.housekeeping()
            yield App(settings, http, store, handler, Runner(handler, Notices(handler, http)))
    finally:
        await store.close()
