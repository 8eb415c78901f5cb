"""What images cost, from the chosen model's prices in the catalog.

A reservation holds the worst case for the requested options; a settlement charges, in
order, the gateway's own figure, the reported tokens times the model's rates, or the
model's per-image table for what was delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.catalog import ModelInfo
from bot.models import CostSource, Options, TokenUsage
from bot.sizes import pixels


def price_per_image(model: ModelInfo, quality: str | None, size: str) -> float:
    """The table price of one image; 'auto' (size or quality) as the dearest choice."""
    table = model.prices.per_image
    rows = [table[quality]] if quality is not None and quality in table else list(table.values())
    listed = {*model.fixed_sizes, *(s for row in table.values() for s in row)}
    sizes = [size] if size != "auto" else sorted(listed)
    return max((_row_price(row, s) for row in rows for s in sizes), default=0.0)


def _row_price(row: Mapping[str, float], size: str) -> float:
    if size in row:
        return float(row[size])
    area = pixels(size)
    per_pixel = max((usd / pixels(s) for s, usd in row.items() if pixels(s)), default=0.0)
    return max(per_pixel * area, min(row.values(), default=0.0))


def estimate_cost(model: ModelInfo, options: Options) -> float:
    """The most a request may cost, reserved against cost limits before it runs."""
    return round(price_per_image(model, options.quality, options.size) * options.n, 6)


def cost_from_usage(model: ModelInfo, usage: TokenUsage) -> float:
    """The cost of a request from the token counts the gateway reported."""
    rates = model.prices
    text_in = usage.input_text_tokens
    image_in = usage.input_image_tokens
    if text_in + image_in == 0:
        text_in = usage.input_tokens
    text_out = usage.output_text_tokens
    image_out = usage.output_image_tokens
    if text_out + image_out == 0:
        image_out = usage.output_tokens
    dollars = (
        text_in * rates.text_input_per_m
        + image_in * rates.image_input_per_m
        + text_out * rates.text_output_per_m
        + image_out * rates.image_output_per_m
    ) / 1_000_000
    return round(dollars, 6)


def actual_cost(
    model: ModelInfo,
    options: Options,
    delivered: int,
    usage: TokenUsage | None,
    reported_usd: Decimal | None,
) -> tuple[float, CostSource]:
    """What a finished request cost and where that figure came from."""
    if reported_usd is not None:
        return round(float(reported_usd), 6), "gateway"
    if usage is not None and usage.output_tokens and model.prices.image_output_per_m:
        return cost_from_usage(model, usage), "tokens"
    return round(price_per_image(model, options.quality, options.size) * delivered, 6), "table"
