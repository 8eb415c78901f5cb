"""`imagine-bot models [--json] [--check]`: the catalog for admins, checked with the gateway."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.catalog import Catalog, ModelInfo, load_catalog
from bot.config import Settings
from bot.gateway.client import build_http_client
from bot.gateway.served import Listing, Verdict, fetch_listing, verdict


async def models_command(settings: Settings, *, as_json: bool, check: bool) -> int:
    """Print every catalog model (with --check, what the gateway says of each); exit 0."""
    catalog = load_catalog(settings.models_file)
    listing: Listing | None = None
    if check:
        key = settings.gateway_key.get_secret_value() if settings.gateway_key else None
        async with build_http_client(settings) as http:
            listing = await fetch_listing(http, settings.gateway_url, key)
    today = datetime.now(UTC).date()
    form = _form(catalog, settings.model)
    rows = [
        (model, verdict(model, listing, today) if listing else None) for model in catalog.models
    ]
    if as_json:
        print(json.dumps(_as_dict(settings, catalog, rows, form, listing)))
    else:
        print(_as_text(settings, catalog, rows, form, listing))
    return 0


def _form(catalog: Catalog, name: str) -> str:
    found = catalog.find(name)
    return found[1] if found else "vercel"


def _as_text(
    settings: Settings,
    catalog: Catalog,
    rows: list[tuple[ModelInfo, Verdict | None]],
    form: str,
    listing: Listing | None,
) -> str:
    lines = []
    if listing is not None and listing.models is None:
        lines.append(f"Could not check the gateway at {settings.gateway_url}: {listing.reason}.")
    offered = {name.lower() for name in settings.offered_models()}
    for model, said in rows:
        name = model.name_in(form)
        marks = [_status(model, _replacement(catalog, model, form))]
        if name.lower() == settings.model.lower():
            marks.append("default")
        elif name.lower() in offered:
            marks.append("offered")
        head = f"{name}  {', '.join(marks)}"
        lines.append(f"{head}  {said}" if said else head)
        lines.append(f"  {_abilities(model)}")
        lines.append(f"  {_prices(model)}")
    return "\n".join(lines)


def _replacement(catalog: Catalog, model: ModelInfo, form: str) -> str | None:
    found = catalog.get(model.replacement or "")
    return found.name_in(form) if found else model.replacement


def _status(model: ModelInfo, replacement: str | None) -> str:
    if model.status == "active" and model.shutdown is None:
        return "active"
    when = model.shutdown.isoformat() if model.shutdown else "an earlier date"
    instead = f", use {replacement}" if replacement else ""
    if model.status == "shut_down":
        return f"shut down {when}{instead}"
    return f"deprecated, shuts down {when}{instead}"


def _abilities(model: ModelInfo) -> str:
    if model.size_rule is not None:
        sizes = model.size_rule.describe() + (" or auto" if "auto" in model.sizes else "")
    else:
        sizes = ", ".join(model.sizes)
    qualities = ", ".join(model.qualities) or "none"
    can = [word for word, yes in (("edits", model.edits), ("masks", model.masks)) if yes]
    can += ["transparent backgrounds"] if model.transparent_background else []
    return (
        f"sizes: {sizes}; qualities: {qualities}; n up to {model.max_n}; "
        f"formats: {', '.join(model.formats)}; {', '.join(can) or 'no edits'}"
    )


def _prices(model: ModelInfo) -> str:
    rates = model.prices
    parts = []
    if rates.image_output_per_m:
        parts.append(
            f"${rates.text_input_per_m:g} text in, ${rates.image_input_per_m:g} image in, "
            f"${rates.image_output_per_m:g} image out per M tokens"
        )
    square = [
        f"{quality if quality != '*' else 'each'} ${row['1024x1024']:g}"
        for quality, row in rates.per_image.items()
        if "1024x1024" in row
    ]
    if square:
        parts.append("per 1024x1024 image: " + ", ".join(square))
    return "prices: " + "; ".join(parts)


def _as_dict(
    settings: Settings,
    catalog: Catalog,
    rows: list[tuple[ModelInfo, Verdict | None]],
    form: str,
    listing: Listing | None,
) -> dict[str, object]:
    offered = {name.lower() for name in settings.offered_models()}
    models = []
    for model, said in rows:
        name = model.name_in(form)
        rule = model.size_rule
        models.append(
            {
                "id": model.id,
                "name": name,
                "names": dict(model.names),
                "status": model.status,
                "shutdown": model.shutdown.isoformat() if model.shutdown else None,
                "replacement": _replacement(catalog, model, form),
                "default": name.lower() == settings.model.lower(),
                "offered": name.lower() in offered,
                "sizes": list(model.sizes),
                "size_rule": rule.__dict__ if rule else None,
                "qualities": list(model.qualities),
                "max_n": model.max_n,
                "formats": list(model.formats),
                "transparent_background": model.transparent_background,
                "edits": model.edits,
                "masks": model.masks,
                "input_fidelity": model.input_fidelity,
                "streamed_previews": model.streamed_previews,
                "prices": {**model.prices.__dict__, "per_image": dict(model.prices.per_image)},
                "served": said,
            }
        )
    checked = listing is not None and listing.models is not None
    note = listing.reason if listing is not None and not checked else None
    return {"models": models, "checked": checked, "note": note}
