"""Which models a gateway serves: `GET {base}/models`, as Vercel's gateway and OpenAI answer.

Vercel lists its models without a key; OpenAI wants the key and may give a model's
`shutdown_date`. A gateway with no such list (404, HTML, no `data`) is not an error: the
check then says it could not tell.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import httpx

from bot.catalog import Catalog, ModelInfo
from bot.fetch import TooLarge, host_of, read_capped
from bot.gateway.wire import json_or_none, offered_models

log = logging.getLogger(__name__)

Verdict = Literal["served", "not served", "retired"]
LIST_TIMEOUT_S = 15.0
MAX_LIST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Listing:
    """The gateway's models (lower-case id -> shutdown date), or None with the reason why not.

    `images` are the listed ids, as the gateway spells them, that name image models.
    """

    models: Mapping[str, date | None] | None
    reason: str = ""
    images: tuple[str, ...] = ()


async def fetch_listing(http: httpx.AsyncClient, base_url: str, api_key: str | None) -> Listing:
    """Ask the gateway for its models; the key goes only to the gateway's own URL."""
    url = f"{base_url.rstrip('/')}/models"
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    try:
        async with http.stream("GET", url, headers=headers, timeout=LIST_TIMEOUT_S) as response:
            status = response.status_code
            body = await read_capped(response, MAX_LIST_BYTES) if status == 200 else b""
    except TooLarge:
        return Listing(None, f"the gateway's models list is larger than {MAX_LIST_BYTES >> 20} MB")
    except httpx.HTTPError as exc:
        log.info("gateway %s: no models list could be read (%s)", host_of(url), type(exc).__name__)
        return Listing(None, f"the gateway could not be reached ({type(exc).__name__})")
    if status in (401, 403):
        return Listing(
            None, "the gateway wants a valid key to list its models (IMAGINE_GATEWAY_KEY)"
        )
    if status != 200:
        return Listing(None, f"the gateway publishes no models list (HTTP {status})")
    payload = json_or_none(body)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        return Listing(None, "the gateway publishes no models list (no JSON data)")
    models = {
        str(item["id"]).lower(): _date(item.get("shutdown_date"))
        for item in data
        if isinstance(item, dict) and item.get("id")
    }
    return Listing(models, images=offered_models(payload))


def verdict(model: ModelInfo, listing: Listing, today: date) -> Verdict | None:
    """served, not served or retired; None when the gateway gave no list to check against."""
    if model.retired(today):
        return "retired"
    if listing.models is None:
        return None
    listed = [name.lower() for name in model.names.values() if name.lower() in listing.models]
    if not listed:
        return "not served"
    shutdown = _listed_shutdown(model, listing)
    return "retired" if shutdown is not None and shutdown <= today else "served"


def _listed_shutdown(model: ModelInfo, listing: Listing) -> date | None:
    dates = (
        [listing.models.get(name.lower()) for name in model.names.values()]
        if listing.models
        else []
    )
    return min((d for d in dates if d is not None), default=None)


def configured_problem(
    catalog: Catalog, name: str, listing: Listing, today: date, setting: str = "IMAGINE_MODEL"
) -> str | None:
    """One line saying why the configured model cannot work, or None when it can (or unknown)."""
    model, form = catalog.require(name)
    said = verdict(model, listing, today)
    if said == "retired":
        when = model.shutdown if model.retired(today) else _listed_shutdown(model, listing)
        replacement = catalog.get(model.replacement or "")
        instead = f"; its replacement is {replacement.name_in(form)}" if replacement else ""
        return f"the model {name} ({setting}) was shut down on {when}{instead}"
    if said == "not served":
        return (
            f"the gateway does not serve the model {name} ({setting}); "
            "see imagine-bot models --check"
        )
    return None


def _date(value: object) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
