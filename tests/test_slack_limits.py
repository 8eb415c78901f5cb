"""`/imagine limits`: workspace admins, channel managers and everyone else; audited changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.slack.limits_modal import NOT_ALLOWED
from bot.models import LIMIT_KEYS, Scope
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot

CHANNEL = Scope("slack", TEAM, "C1")
WORKSPACE = Scope("slack", TEAM, "*")


@pytest.fixture
def slack(slack: FakeSlack) -> FakeSlack:
    """The shared fake Slack, with a workspace admin and a workspace owner."""
    slack.users["UADMIN"] = {"is_admin": True}
    slack.users["UOWNER"] = {"is_owner": True}
    return slack


def submit(
    view: dict[str, Any], user: str, limits: dict[str, str], managers: list[str] | None = None
) -> dict[str, Any]:
    """A view_submission of the limits modal with some fields typed in (others as opened)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("block_id", "").startswith("limit_"):
            key = block["block_id"].removeprefix("limit_")
            text = limits.get(key, block["element"].get("initial_value"))
            values[block["block_id"]] = {"value": {"type": "plain_text_input", "value": text}}
    if managers is not None:
        values["managers"] = {"value": {"type": "multi_users_select", "selected_users": managers}}
    return {
        "type": "view_submission",
        "user": {"id": user},
        "view": {**view, "state": {"values": values}},
    }


async def open_modal(
    bot: SlackBot, slack: FakeSlack, user: str, text: str = "limits"
) -> dict[str, Any]:
    """Run /imagine limits and return the modal it opened."""
    opened = len(slack.views)
    await bot.command(text, user=user)
    return (await slack.wait_for(lambda: slack.views[opened:]))[0]


async def test_everyone_else_sees_the_limits_but_no_modal(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    await slack_bot.handler.set_limits(CHANNEL, {"user_daily_images": "5"}, "UADMIN")
    await slack_bot.command("limits", user="U1")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"].startswith("*Limits in this channel*\n```enabled = yes\n")
    assert "user_daily_images = 5  (set here)" in reply["text"]
    assert reply["text"].endswith(NOT_ALLOWED)
    assert slack.views == []


async def test_an_admin_sets_channel_limits_and_managers_audited(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    view = await open_modal(slack_bot, slack, "UADMIN")
    assert view["callback_id"] == "imagine_limits_modal"
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids[-1] == "managers" and "limit_user_daily_images" in ids
    placeholder = view["blocks"][ids.index("limit_max_n")]["element"]["placeholder"]["text"]
    assert placeholder == "inherits: 4"

    response = await slack_bot.interactive(
        submit(view, "UADMIN", {"user_daily_images": "3", "max_quality": "low"}, ["U7"])
    )
    assert (response.status_code, response.text) == (200, "")
    limits = await slack_bot.store.get_limits(CHANNEL)
    assert (limits.user_daily_images, limits.max_quality, limits.max_n) == (3, "low", None)
    changes = await slack_bot.store.limit_changes(CHANNEL)
    assert {(c.key, c.new_value, c.changed_by) for c in changes} == {
        ("user_daily_images", "3", "UADMIN"),
        ("max_quality", "low", "UADMIN"),
        ("channel_manager", "U7", "UADMIN"),
    }
    assert await slack_bot.store.channel_managers(CHANNEL) == ["U7"]
    [told] = await slack.wait_for(lambda: slack.calls("chat.postEphemeral"))
    assert told.args["user"] == "UADMIN"
    assert told.args["text"] == (
        "Limits for <#C1> saved.\n• user_daily_images = 3\n• max_quality = low\n"
        "Channel managers: <@U7>"
    )

    again = await open_modal(slack_bot, slack, "UOWNER")
    fields = {b["block_id"]: b["element"] for b in again["blocks"] if "element" in b}
    assert fields["limit_user_daily_images"]["initial_value"] == "3"
    assert fields["managers"]["initial_users"] == ["U7"]
    await slack_bot.interactive(submit(again, "UOWNER", {"user_daily_images": ""}, []))
    assert (await slack_bot.store.get_limits(CHANNEL)).user_daily_images is None
    assert await slack_bot.store.channel_managers(CHANNEL) == []
    removed = (await slack_bot.store.limit_changes(CHANNEL))[-1]
    assert (removed.key, removed.old_value, removed.new_value) == ("channel_manager", "U7", None)
    assert removed.changed_by == "UOWNER"


async def test_a_bad_value_keeps_the_modal_open_with_the_reason(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    view = await open_modal(slack_bot, slack, "UADMIN")
    response = await slack_bot.interactive(
        submit(view, "UADMIN", {"max_n": "zero", "cooldown_s": "30"})
    )
    assert response.json() == {
        "response_action": "errors",
        "errors": {"limit_max_n": "max_n must be a whole number, not 'zero'."},
    }
    assert await slack_bot.store.limit_changes() == []


async def test_a_channel_manager_sets_their_channel_only(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    await slack_bot.store.add_channel_manager(CHANNEL, "U7", "UADMIN", slack_bot.handler.clock())
    view = await open_modal(slack_bot, slack, "U7")
    assert "managers" not in [b.get("block_id") for b in view["blocks"]]
    await slack_bot.interactive(submit(view, "U7", {"cooldown_s": "60"}))
    assert (await slack_bot.store.get_limits(CHANNEL)).cooldown_s == 60
    changes = await slack_bot.store.limit_changes(CHANNEL)
    assert [(c.key, c.changed_by) for c in changes] == [
        ("channel_manager", "UADMIN"),
        ("cooldown_s", "U7"),
    ]

    await slack_bot.command("limits workspace", user="U7")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"].endswith(NOT_ALLOWED)
    assert len(slack.views) == 1

    forged = {**view, "private_metadata": json.dumps({"w": TEAM, "c": "*", "o": "C1"})}
    refused = await slack_bot.interactive(submit(forged, "U7", {"enabled": "false"}))
    assert refused.json() == {"response_action": "errors", "errors": {"limit_enabled": NOT_ALLOWED}}
    assert (await slack_bot.store.get_limits(WORKSPACE)).enabled is None


async def test_an_admin_sets_workspace_limits(slack_bot: SlackBot, slack: FakeSlack) -> None:
    view = await open_modal(slack_bot, slack, "UADMIN", "limits workspace")
    assert json.loads(view["private_metadata"])["c"] == "*"
    assert "the whole workspace" in view["blocks"][0]["text"]["text"]
    assert view["blocks"][0]["text"]["text"].endswith(
        "Days start at 00:00 UTC, weeks on Monday, months on the 1st."
    )
    await slack_bot.handler.set_limits(WORKSPACE, {"timezone": "Pacific/Auckland"}, "UADMIN")
    in_auckland = await open_modal(slack_bot, slack, "UADMIN")
    assert in_auckland["blocks"][0]["text"]["text"].endswith(
        "Days start at 00:00 Pacific/Auckland, weeks on Monday, months on the 1st."
    )
    await slack_bot.interactive(submit(view, "UADMIN", {"channel_daily_images": "20"}))
    assert (await slack_bot.store.get_limits(WORKSPACE)).channel_daily_images == 20
    assert (await slack_bot.handler.limits_for(CHANNEL)).channel_daily_images == 20


async def test_every_limit_has_words_in_the_modal_and_the_new_ones_save(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    view = await open_modal(slack_bot, slack, "UADMIN")
    labels = {
        b["block_id"].removeprefix("limit_"): b["label"]["text"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith("limit_")
    }
    assert set(labels) == set(LIMIT_KEYS)
    assert [key for key, label in labels.items() if label == key] == []
    assert labels["max_quality"] == "Highest quality (low, medium, high, xhigh, max, auto)"
    assert labels["max_pixels"] == "Largest image area in pixels (width x height)"
    assert labels["allowed_models"] == "Models people may choose, comma-separated"

    changes = {"max_pixels": "2359296", "allowed_models": "openai/gpt-image-2"}
    response = await slack_bot.interactive(submit(view, "UADMIN", changes))
    assert (response.status_code, response.text) == (200, "")
    limits = await slack_bot.store.get_limits(CHANNEL)
    assert (limits.max_pixels, limits.allowed_models) == (2359296, ("openai/gpt-image-2",))
