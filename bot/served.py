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

log = logging.getLogger(__name__)

Verdict = Literal["served", "not served", "retired"]
LIST_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Listing:
    """The gateway's models (lower-case id -> shutdown date), or None with the reason why not."""

    models: Mapping[str, date | None] | None
    reason: str = ""


async def fetch_listing(http: httpx.AsyncClient, base_url: str, api_key: str | None) -> Listing:
    """Ask the gateway for its models; the key goes only to the gateway's own URL."""
    url = f"{base_url.rstrip('/')}/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = await http.get(url, headers=headers, timeout=LIST_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return Listing(None, f"the gateway could not be reached ({type(exc).__name__})")
    if response.status_code in (401, 403):
        return Listing(
            None, "the gateway wants a valid key to list its models (IMAGINE_GATEWAY_KEY)"
        )
    if response.status_code != 200:
        return Listing(None, f"the gateway publishes no models list (HTTP {response.status_code})")
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        data = None
    if not isinstance(data, list):
        return Listing(None, "the gateway publishes no models list (no JSON data)")
    return Listing(
        {
            str(item["id"]).lower(): _date(item.get("shutdown_date"))
            for item in data
            if isinstance(item, dict) and item.get("id")
        }
    )


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
