"""User group tiers and person overrides through Slack's `/imagine limits` (issue 14, items 3
and 7): membership read with usergroups.list, the tier modals, the tiers in the workspace
modal, and alert and log channels the bot is not in refused with the reason."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.slack.limits_modal import TIER_NOT_ALLOWED
from bot.models import Scope
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import SCOPES, TEAM, TOKEN, FakeSlack
from tests.fakes.slack_app import SlackBot
from tests.test_slack_commands import cards
from tests.test_slack_limits import open_modal, submit

WORKSPACE = Scope("slack", TEAM, "*")
DESIGNERS = Scope.role("slack", TEAM, "S0DESIGN")
OFF = (
    "Image generation is turned off in this channel. "
    "Ask an admin to enable it, or try another channel. You were not charged."
)


@pytest.fixture
def slack(slack: FakeSlack) -> FakeSlack:
    """The shared fake Slack, with a workspace admin and the user group @designers (U2)."""
    slack.users["UADMIN"] = {"is_admin": True}
    slack.add_usergroup("S0DESIGN", "designers", ["U2", "U3"])
    slack.add_usergroup("S0OTHER", "others", ["U1"])
    return slack


def header(view: dict[str, Any]) -> str:
    """The text of a modal's first section."""
    return str(view["blocks"][0]["text"]["text"])


def limit_fields(view: dict[str, Any]) -> list[str]:
    """The limit keys a modal asks for."""
    ids = [str(b.get("block_id", "")) for b in view["blocks"]]
    return [i.removeprefix("limit_") for i in ids if i.startswith("limit_")]


async def refusal_of(bot: SlackBot, slack: FakeSlack, user: str) -> str:
    """What one person is told when their /imagine is refused."""
    told = len(slack.responses)
    await bot.command("a red balloon", user=user)
    return str((await slack.wait_for(lambda: slack.responses[told:]))[0]["text"])


async def test_a_user_group_tier_lets_its_members_through_and_nobody_else(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.handler.set_limits(WORKSPACE, {"enabled": "false"}, "UADMIN")
    view = await open_modal(slack_bot, slack, "UADMIN", "limits @designers")
    assert header(view).startswith("Limits for <!subteam^S0DESIGN>. Leave a field empty")
    assert "user_daily_images" in limit_fields(view)
    assert "alert_channel" not in limit_fields(view)  # not a person's limit
    await slack_bot.interactive(submit(view, "UADMIN", {"enabled": "yes"}))
    [change] = await slack_bot.store.limit_changes(DESIGNERS)
    assert (change.key, change.new_value, change.changed_by) == ("enabled", "true", "UADMIN")

    await slack_bot.command("a red balloon", user="U2")
    await slack.wait_for(lambda: cards(slack))
    assert await refusal_of(slack_bot, slack, "U1") == OFF
    assert [e.user_id for e in await slack_bot.entries()] == ["U2"]
    assert len(gateway.image_requests) == 1
    [listed] = slack.calls("usergroups.list")  # once: kept a minute per workspace
    assert listed.args["include_users"] in ("1", "true")


async def test_a_person_override_stops_one_person_and_the_workspace_modal_lists_it(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    await slack_bot.handler.set_limits(DESIGNERS, {"user_daily_images": "10"}, "UADMIN")
    view = await open_modal(slack_bot, slack, "UADMIN", "limits <@U2|dana>")
    assert header(view).startswith("Limits for <@U2>.")
    await slack_bot.interactive(submit(view, "UADMIN", {"enabled": "no"}))
    told = await slack.wait_for(lambda: slack.calls("chat.postEphemeral"))
    assert told[-1].args["text"] == "Limits for <@U2> saved.\n• enabled = no"

    assert await refusal_of(slack_bot, slack, "U2") == OFF
    await slack_bot.command("a blue balloon", user="U3")
    await slack.wait_for(lambda: cards(slack))
    assert [e.user_id for e in await slack_bot.entries()] == ["U3"]

    workspace = await open_modal(slack_bot, slack, "UADMIN", "limits workspace")
    assert header(workspace).endswith(
        "\nRole tiers (a person gets the most generous of their roles):\n"
        "  <!subteam^S0DESIGN>: user_daily_images = 10\n"
        "Person overrides (over any role):\n"
        "  <@U2>: enabled = no"
    )


async def test_tiers_are_for_workspace_admins_and_an_unknown_handle_is_explained(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    await slack_bot.command("limits @designers", user="U1")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"] == TIER_NOT_ALLOWED
    await slack_bot.command("limits @dana", user="UADMIN")
    replies = await slack.wait_for(lambda: slack.responses[1:])
    assert replies[0]["text"] == (
        "No user group of this workspace is called @dana. To set one person's limits, use "
        "their member ID (their profile → ⋮ → Copy member ID): `/imagine limits U0123ABCD`."
    )
    assert slack.views == [] and await slack_bot.store.limit_changes() == []


@pytest.fixture
def no_groups_scope(slack: FakeSlack) -> FakeSlack:
    """An app installed before usergroups:read was asked for."""
    slack.scopes = tuple(scope for scope in SCOPES if scope != "usergroups:read")
    return slack


async def test_without_usergroups_read_a_member_gets_no_tier_and_a_warning(
    no_groups_scope: FakeSlack, slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    slack = no_groups_scope
    await slack_bot.handler.set_limits(WORKSPACE, {"enabled": "false"}, "UADMIN")
    await slack_bot.handler.set_limits(DESIGNERS, {"enabled": "true"}, "UADMIN")
    with caplog.at_level(logging.WARNING):
        assert await refusal_of(slack_bot, slack, "U2") == OFF
    [warning] = [r for r in caplog.records if "usergroups.list" in r.getMessage()]
    assert warning.getMessage() == (
        "usergroups.list failed (missing_scope); treating everyone as in no user group"
    )
    assert TOKEN not in caplog.text
    assert await slack_bot.entries() == []


async def test_an_alert_channel_the_bot_is_not_in_keeps_the_modal_open(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    slack.add_channel("C5", "alerts")
    slack.not_in_channel.add("C5")
    slack.add_channel("C6", "secret", private=True)
    slack.not_in_channel.add("C6")
    slack.add_channel("C7", "moderators")
    view = await open_modal(slack_bot, slack, "UADMIN", "limits workspace")
    response = await slack_bot.interactive(
        submit(view, "UADMIN", {"alert_channel": "C5", "log_channel": "<#C6|secret>"})
    )
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "limit_alert_channel": (
                "I am not in #alerts: invite me there (/invite @Imagine), then save again."
            ),
            "limit_log_channel": (
                "I cannot see channel C6: it does not exist, or it is private and I am not in "
                "it. Invite me there (/invite @Imagine), then save again."
            ),
        },
    }
    assert await slack_bot.store.limit_changes() == []

    response = await slack_bot.interactive(submit(view, "UADMIN", {"alert_channel": "C7"}))
    assert (response.status_code, response.text) == (200, "")
    assert (await slack_bot.store.get_limits(WORKSPACE)).alert_channel == "C7"
