"""The price table: what a request reserves and what it is charged without token counts."""

from __future__ import annotations

from pathlib import Path

from bot.models import Options
from bot.pricing import actual_cost, estimate_cost
from tests.support import make_settings


def test_a_size_missing_from_the_price_table_is_priced_as_the_dearest_entry(
    tmp_path: Path,
) -> None:
    table = {"low": {"1024x1024": 0.011, "1536x1024": 0.016}, "high": {"1024x1024": 0.167}}
    settings = make_settings(tmp_path, IMAGINE_PRICES=table)
    wide = Options(size="1536x1024", quality="high", n=2)

    assert estimate_cost(settings, wide) == 0.334
    assert actual_cost(settings, wide, 2, None, None) == 0.334
    assert estimate_cost(settings, Options(size="1536x1024", quality="low")) == 0.016
    assert estimate_cost(settings, Options(size="1024x1024", quality="medium")) == 0.167
