"""Prices from the catalog: what a request reserves, and what it is charged and why."""

from __future__ import annotations

import pytest

from bot.catalog import ModelInfo, load_catalog
from bot.gateway.wire import parse_usage
from bot.models import Options, TokenUsage
from bot.pricing import actual_cost, cost_from_usage, estimate_cost

CATALOG = load_catalog()


def model(name: str) -> ModelInfo:
    found = CATALOG.find(name)
    assert found is not None, name
    return found[0]


def test_gpt_image_2_tokens_are_priced_at_its_own_rates_not_gpt_image_1s() -> None:
    usage = TokenUsage(
        input_tokens=1_000_323,
        output_tokens=1_000_000,
        input_text_tokens=1_000_000,
        input_image_tokens=323,
    )
    gpt2, gpt1 = model("openai/gpt-image-2"), model("openai/gpt-image-1")

    # $5 per M text in, $8 per M image in, $30 per M image out
    assert cost_from_usage(gpt2, usage) == pytest.approx(5 + 323 * 8 / 1e6 + 30)
    assert cost_from_usage(gpt1, usage) == pytest.approx(5 + 323 * 10 / 1e6 + 40)
    assert actual_cost(gpt2, Options(), 1, usage, None) == (cost_from_usage(gpt2, usage), "tokens")


def test_output_token_details_split_text_from_image_output() -> None:
    usage = TokenUsage(
        input_tokens=10,
        output_tokens=1_100,
        input_text_tokens=10,
        output_text_tokens=100,
        output_image_tokens=1_000,
    )

    expected = (10 * 5 + 100 * 10 + 1_000 * 30) / 1e6
    assert cost_from_usage(model("gpt-image-2"), usage) == pytest.approx(expected)


def test_the_gateways_own_figure_wins_then_tokens_then_the_table() -> None:
    gpt2 = model("gpt-image-2")
    opts = Options(size="1024x1024", quality="medium", n=2)
    usage = TokenUsage(input_tokens=7, output_tokens=2112, input_text_tokens=7)

    assert actual_cost(gpt2, opts, 2, usage, 0.0537) == (0.0537, "gateway")
    assert actual_cost(gpt2, opts, 2, usage, None)[1] == "tokens"
    assert actual_cost(gpt2, opts, 2, None, None) == (0.106, "table")
    assert actual_cost(gpt2, opts, 1, TokenUsage(), None) == (0.053, "table")


def test_a_reservation_holds_the_worst_case_of_the_chosen_model() -> None:
    gpt2 = model("gpt-image-2")

    assert estimate_cost(gpt2, Options(size="1024x1024", quality="medium")) == 0.053
    assert estimate_cost(gpt2, Options(size="1536x1024", quality="high", n=2)) == 0.634
    # free sizes cost by area, at the dearest rate per pixel of that quality (1536x1024's)
    assert estimate_cost(gpt2, Options(size="2048x1152", quality="high")) == pytest.approx(
        0.317 * 2048 * 1152 / (1536 * 1024), abs=1e-6
    )
    # 'auto' reserves the dearest: the largest listed size, the dearest quality
    assert estimate_cost(gpt2, Options(size="auto", quality="auto")) == 0.317


def test_a_model_with_one_price_per_image_charges_it_whatever_the_size() -> None:
    flux = model("bfl/flux-kontext-pro")

    assert estimate_cost(flux, Options(size="1392x752", quality=None)) == 0.04
    assert actual_cost(flux, Options(size="1248x832", quality=None), 1, None, None) == (
        0.04,
        "table",
    )


def test_output_token_details_from_a_response_are_priced_split() -> None:
    usage = parse_usage(
        {
            "input_tokens": 50,
            "output_tokens": 4260,
            "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
            "output_tokens_details": {"text_tokens": 100, "image_tokens": 4160},
        }
    )

    assert usage == TokenUsage(50, 4260, 50, 0, 100, 4160)
    cost = (50 * 5 + 100 * 10 + 4160 * 30) / 1e6
    assert actual_cost(model("gpt-image-2"), Options(), 1, usage, None) == (
        round(cost, 6),
        "tokens",
    )
