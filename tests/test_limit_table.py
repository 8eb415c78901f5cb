"""The one table of limits (issue 13, item 5): every reader of a limit follows its row."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, env_name, load_settings
from bot.errors import BadRequest, ConfigError
from bot.limit_table import LIMIT_KEYS, LIMITS, Limits
from bot.limits import format_limit, parse_limit_value
from bot.store.common import checked_limit_changes, limit_text, limits_from_columns
from tests.support import cli_env, run_cli

# a value of every row, as a person types it, and as it is typed and shown back
TYPED = {
    "enabled": ("off", False, "no"),
    "user_daily_images": ("20", 20, "20"),
    "channel_daily_images": ("0", 0, "0"),
    "user_daily_cost_usd": ("$1.50", 1.5, "1.5"),
    "channel_daily_cost_usd": ("2", 2.0, "2.0"),
    "max_n": ("3", 3, "3"),
    "max_quality": ("Medium", "medium", "medium"),
    "allowed_sizes": ("1024x1024,1536x1024", ("1024x1024", "1536x1024"), "1024x1024, 1536x1024"),
    "cooldown_s": ("60", 60, "60"),
    "admins_exempt": ("yes", True, "yes"),
    "others_can_vary": ("false", False, "no"),
    "allowed_models": ("openai/gpt-image-2", ("openai/gpt-image-2",), "openai/gpt-image-2"),
    "max_pixels": ("2359296", 2359296, "2359296"),
    "timezone": ("Europe/Paris", "Europe/Paris", "Europe/Paris"),
    "allow_low_moderation": ("yes", True, "yes"),
    "allow_private": ("off", False, "no"),
    "alert_channel": ("C0123ABC", "C0123ABC", "C0123ABC"),
    "alert_at": ("100, 50%,80", (50, 80, 100), "50 %, 80 %, 100 %"),
    "log_channel": ("<#1234567890>", "1234567890", "1234567890"),
} | {
    f"{holder}_{period}_{unit}": ("3", 3, "3") if unit == "images" else ("$1.5", 1.5, "1.5")
    for holder in ("user", "channel", "workspace", "bot")
    for period in ("daily", "weekly", "monthly")
    for unit in ("images", "cost_usd")
    if period != "daily" or holder in ("workspace", "bot")
}


def test_every_row_is_typed_shown_checked_and_stored_by_its_type() -> None:
    assert set(TYPED) == set(LIMIT_KEYS)
    for key, (typed, value, shown) in TYPED.items():
        assert parse_limit_value(key, typed) == value, key
        assert format_limit(key, value) == shown, key
        text = limit_text(key, value)
        assert text is not None and parse_limit_value(key, text) == value, key
        assert checked_limit_changes({key: value}) == {key: value}, key
        column = int(value) if isinstance(value, bool) else value  # as the databases hold it
        column = text if isinstance(value, tuple) else column
        assert getattr(limits_from_columns({key: column}), key) == value, key
        assert parse_limit_value(key, "") is None


def test_every_row_with_a_default_is_a_documented_setting_read_by_its_parser() -> None:
    with_setting = [key for key, spec in LIMITS.items() if spec.env]
    no_setting = ("allowed_models", "alert_channel", "log_channel")
    assert with_setting == [key for key in LIMIT_KEYS if key not in no_setting]
    for key in with_setting:
        assert env_name(key) == f"IMAGINE_{key.upper()}"
        description = Settings.model_fields[key].description or ""
        assert description.startswith(f"Default limit: {LIMITS[key].doc}"), key
    env = {env_name(key): typed for key, (typed, _, _) in TYPED.items() if key in with_setting}
    defaults = load_settings(None, **env).default_limits()
    assert defaults == Limits(**{k: v for k, (_, v, _) in TYPED.items() if k in with_setting})


@pytest.mark.parametrize(
    ("assignment", "reason"),
    [
        ("max_n=11", "max_n is out of range: 11."),
        (
            "timezone=Mars/Olympus",
            "timezone: 'Mars/Olympus' is not an IANA timezone; use a name such as Europe/Paris "
            "or UTC.",
        ),
        ("enabled=maybe", "enabled must be true or false, not 'maybe'."),
        (
            "max_quality=ultra",
            "max_quality must be one of low, medium, high, xhigh, max, auto, not 'ultra'.",
        ),
        (
            "allowed_sizes=1024x1024,big",
            "allowed_sizes: 'big' is not a size; write WxH, e.g. 1024x1024,2048x1152.",
        ),
    ],
)
async def test_a_bad_default_is_refused_with_the_words_of_limits_set(
    tmp_path: Path, assignment: str, reason: str
) -> None:
    key, text = assignment.split("=", 1)
    with pytest.raises(ConfigError) as refused:
        load_settings(None, **{env_name(key): text})
    assert refused.value.message == f"Invalid setting {env_name(key)}: {reason}"
    with pytest.raises(BadRequest) as typed:
        parse_limit_value(key, text)
    assert typed.value.message == reason

    env = cli_env(tmp_path) | {env_name(key): text}
    ran = await run_cli("limits", "show", env=env, cwd=tmp_path)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == f"imagine-bot: Invalid setting {env_name(key)}: {reason}\n"
    ran = await run_cli("limits", "set", assignment, env=cli_env(tmp_path), cwd=tmp_path)
    assert (ran.code, ran.out, ran.err) == (2, "", f"imagine-bot: {reason}\n")


def test_a_role_tier_takes_the_more_generous_value_of_each_key() -> None:
    assert LIMITS["user_daily_images"].more_generous(5, 20) == 20
    assert LIMITS["user_daily_images"].more_generous(None, 5) == 5
    assert LIMITS["cooldown_s"].more_generous(60, 10) == 10
    assert LIMITS["max_quality"].more_generous("high", "low") == "high"
    assert LIMITS["enabled"].more_generous(False, True) is True
