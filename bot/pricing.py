"""What images cost: the configured price table and token prices."""

from __future__ import annotations

from decimal import Decimal

from bot.config import Settings
from bot.models import SIZES, Options, TokenUsage


def price_per_image(settings: Settings, quality: str, size: str) -> float:
    """The table price of one image; 'auto', and what the table lacks, as the dearest choice."""
    rows = settings.prices
    dearest = max((price for row in rows.values() for price in row.values()), default=0.0)
    qualities = [quality] if quality in rows else list(rows)
    sizes = [size] if size != "auto" else [s for s in SIZES if s != "auto"]
    prices = [rows[q].get(s, dearest) for q in qualities for s in sizes]
    return max(prices, default=0.0)


def estimate_cost(settings: Settings, options: Options) -> float:
    """The most a request may cost, reserved against cost limits before it runs."""
    return round(price_per_image(settings, options.quality, options.size) * options.n, 6)


def cost_from_usage(settings: Settings, usage: TokenUsage) -> float:
    """The cost of a request from the token counts the gateway reported."""
    text_in = usage.input_text_tokens
    image_in = usage.input_image_tokens
    if text_in + image_in == 0:
        text_in = usage.input_tokens
    dollars = (
        text_in * settings.price_text_input_per_m
        + image_in * settings.price_image_input_per_m
        + usage.output_tokens * settings.price_image_output_per_m
    ) / 1_000_000
    return round(dollars, 6)


def actual_cost(
    settings: Settings,
    options: Options,
    delivered: int,
    usage: TokenUsage | None,
    reported_usd: Decimal | None,
) -> float:
    """The gateway's own figure, else tokens, else the table price of what was delivered."""
    if reported_usd is not None:
        return round(float(reported_usd), 6)
    if usage is not None and usage.output_tokens:
        return cost_from_usage(settings, usage)
    return round(price_per_image(settings, options.quality, options.size) * delivered, 6)
