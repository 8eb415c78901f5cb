"""Role tiers and person overrides through Discord's /limits (issue 14, items 3 and 7): the
role and user options, the member's roles read from the interaction, the tiers in
/limits show, and alert and log channels the bot cannot post in refused with the reason."""

from __future__ import annotations

from bot.models import Scope
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    Call,
    FakeDiscord,
    Json,
    member,
    user,
)
from tests.fakes.discord_bot import DiscordBot, opt
from tests.fakes.discord_objects import CATEGORY_ID, QUIET_CHANNEL_ID, resolved, role
from tests.fakes.gateway import FakeGateway
from tests.test_discord_admin import ADMIN, MEMBER, private_answer, refusal, sub
from tests.test_discord_edit import MESSAGES, photo_message

ROLE = 600000000000000001
OTHER_ROLE = 600000000000000002
SUPPORTERS = role(ROLE, "supporters")
SUPPORTER = member(700000000000000020, "supporter", roles=[OTHER_ROLE, ROLE])
ROLE_OPTION, USER_OPTION = 8, 6  # Discord's application command option types
OFF = (
    "Image generation is turned off in this channel. "
    "Ask an admin to enable it, or try another channel. You were not charged."
)


async def set_(
    bot: DiscordBot, *options: Json, who: Json = ADMIN, picked: Json | None = None
) -> str:
    """The private answer to /limits set with these options."""
    ix = await bot.slash("limits", [sub("set", *options)], who=who, picked=picked)
    return await private_answer(bot, ix)


async def set_for_role(bot: DiscordBot, key: str, value: str) -> str:
    """The private answer to /limits set KEY VALUE role:@supporters."""
    tier = opt("role", str(ROLE), ROLE_OPTION)
    return await set_(bot, opt("key", key), opt("value", value), tier, picked=resolved(SUPPORTERS))


async def test_a_role_tier_lets_its_members_through_and_nobody_else(bot: DiscordBot) -> None:
    assert await set_(bot, opt("key", "enabled"), opt("value", "false")) == (
        "`enabled` is now **no** for this server. The change is logged."
    )
    said = await set_for_role(bot, "enabled", "true")
    assert said == f"`enabled` is now **yes** for <@&{ROLE}>. The change is logged."
    assert (await bot.store.get_limits(Scope.role("discord", str(GUILD_ID), str(ROLE)))).enabled

    await bot.final(await bot.slash("imagine", [opt("prompt", "a cat")], who=SUPPORTER))
    assert (
        await bot.private_error(await bot.slash("imagine", [opt("prompt", "a dog")], who=MEMBER))
        == OFF
    )
    entries = await bot.entries()
    assert [(e.user_id, e.status) for e in entries] == [(SUPPORTER["user"]["id"], "succeeded")]


async def test_a_person_override_stops_one_person_whatever_their_roles(bot: DiscordBot) -> None:
    await set_for_role(bot, "user_daily_images", "10")
    said = await set_(
        bot,
        opt("key", "enabled"),
        opt("value", "false"),
        opt("user", SUPPORTER["user"]["id"], USER_OPTION),
        picked=resolved(SUPPORTER),
    )
    supporter = SUPPORTER["user"]["id"]
    assert said == f"`enabled` is now **no** for <@{supporter}>. The change is logged."

    ix = await bot.slash("imagine", [opt("prompt", "a cat")], who=SUPPORTER)
    assert await bot.private_error(ix) == OFF
    await bot.final(await bot.slash("imagine", [opt("prompt", "a dog")], who=MEMBER))
    assert [e.user_id for e in await bot.entries()] == [MEMBER["user"]["id"]]

    shown = await private_answer(bot, await bot.slash("limits", [sub("show")], who=ADMIN))
    assert (
        "Role tiers (a person gets the most generous of their roles):\n"
        f"  <@&{ROLE}>: user_daily_images = 10\n"
        "Person overrides (over any role):\n"
        f"  <@{supporter}>: enabled = no\n"
    ) in shown


async def test_tiers_need_manage_server_one_target_and_a_real_role(bot: DiscordBot) -> None:
    tier = [opt("key", "enabled"), opt("value", "false"), opt("role", str(ROLE), ROLE_OPTION)]
    ix = await bot.slash("limits", [sub("set", *tier)], who=MEMBER, picked=resolved(SUPPORTERS))
    assert await refusal(bot, ix) == (
        "Server-wide settings need the **Manage Server** permission. Ask a server admin, "
        "or use `scope: channel` if you can manage this channel."
    )
    both = [*tier, opt("user", SUPPORTER["user"]["id"], USER_OPTION)]
    ix = await bot.slash(
        "limits", [sub("set", *both)], who=ADMIN, picked=resolved(SUPPORTERS, SUPPORTER)
    )
    assert await refusal(bot, ix) == (
        "Choose a `role` or a `user`, not both: a person's own limits come before any role's."
    )
    everyone = role(GUILD_ID, "@everyone", position=0)
    ix = await bot.slash(
        "limits",
        [sub("set", opt("key", "enabled"), opt("value", "false"), opt("role", str(GUILD_ID), 8))],
        who=ADMIN,
        picked=resolved(everyone),
    )
    assert await refusal(bot, ix) == (
        "@everyone is the whole server: leave out `role` to set the server's limits."
    )
    assert await bot.store.limit_changes() == []


async def test_reset_clears_a_role_tier(bot: DiscordBot) -> None:
    tier = opt("role", str(ROLE), ROLE_OPTION)
    await set_(bot, opt("key", "max_n"), opt("value", "4"), tier, picked=resolved(SUPPORTERS))
    ix = await bot.slash("limits", [sub("show", tier)], who=ADMIN, picked=resolved(SUPPORTERS))
    shown = await private_answer(bot, ix)
    assert shown.startswith(f"**Limits for <@&{ROLE}>** (values not set here are inherited)")
    assert "max_n = 4  (set here)" in shown and "Role tiers" not in shown
    ix = await bot.slash("limits", [sub("reset", tier)], who=ADMIN, picked=resolved(SUPPORTERS))
    assert await private_answer(bot, ix) == (
        f"Cleared `max_n` for <@&{ROLE}>; the wider setting applies now. The change is logged."
    )
    assert await bot.handler.tiers(Scope("discord", str(GUILD_ID))) == []


async def test_an_alert_channel_the_bot_cannot_post_in_is_refused(bot: DiscordBot) -> None:
    said = await set_(bot, opt("key", "alert_channel"), opt("value", str(QUIET_CHANNEL_ID)))
    assert said == (
        f"`alert_channel` was not changed: I cannot post in <#{QUIET_CHANNEL_ID}>: I need the "
        "**View Channel** and **Send Messages** permissions there."
    )
    said = await set_(bot, opt("key", "log_channel"), opt("value", "123456789"))
    assert said == (
        "`log_channel` was not changed: there is no channel 123456789 in this server that I "
        "can see."
    )
    said = await set_(bot, opt("key", "alert_channel"), opt("value", str(CATEGORY_ID)))
    assert said == (
        f"`alert_channel` was not changed: <#{CATEGORY_ID}> is a category or a forum: choose "
        "a channel messages go in."
    )
    assert await bot.store.limit_changes() == []

    said = await set_(bot, opt("key", "log_channel"), opt("value", f"<#{CHANNEL_ID}>"))
    assert said == f"`log_channel` is now **{CHANNEL_ID}** for this server. The change is logged."


async def test_a_reply_mention_counts_the_authors_roles(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    await bot.handler.set_limits(Scope("discord", str(GUILD_ID)), {"enabled": "off"}, "admin")
    tier = Scope.role("discord", str(GUILD_ID), str(ROLE))
    await bot.handler.set_limits(tier, {"enabled": "on"}, "admin")
    bot_user = user(BOT_ID, "imagine", bot=True)
    for who, outcome in ((MEMBER, refused), (SUPPORTER, delivered)):
        source = photo_message(fake, (200, 300))
        reply = fake.message(
            f"<@{BOT_ID}> make it blue", reference=source, mentions=[bot_user], member=who
        )
        await fake.dispatch("MESSAGE_CREATE", reply)
        await fake.wait_for(outcome)
    assert [e.user_id for e in await bot.entries()] == [SUPPORTER["user"]["id"]]
    assert len(gateway.image_requests) == 1


def refused(call: Call) -> bool:
    """The member's working message turned into the refusal."""
    return call.path.startswith(MESSAGES) and call.body.get("content") == OFF


def delivered(call: Call) -> bool:
    """A result: a message with buttons."""
    return call.path.startswith(MESSAGES) and bool(call.body.get("components"))


async def test_with_a_role_the_keys_offered_and_taken_are_a_persons_own(bot: DiscordBot) -> None:
    typed = {"name": "key", "type": 3, "value": "daily_images", "focused": True}
    for extra, offered in (
        (
            [],
            [
                "user_daily_images",
                "channel_daily_images",
                "workspace_daily_images",
                "bot_daily_images",
            ],
        ),
        ([opt("role", str(ROLE), ROLE_OPTION)], ["user_daily_images"]),
    ):
        data = {"id": "1", "name": "limits", "type": 1, "options": [sub("set", typed, *extra)]}
        ix = await bot.send(bot.fake.interaction(4, data, who=ADMIN))
        answer = (await bot.callback(ix)).body
        assert answer["type"] == 8
        assert [c["value"] for c in answer["data"]["choices"]] == offered

    said = await set_for_role(bot, "channel_daily_images", "5")
    assert said == (
        "`channel_daily_images` is not a person's limit, so a role or a person cannot have "
        "their own: set it for the server or a channel, without `role` or `user`."
    )
    assert await bot.store.limit_changes() == []


async def test_where_only_the_app_is_installed_an_alert_channel_is_refused(
    bot: DiscordBot,
) -> None:
    other = "800000000000000099"  # a server that added the app for one person, not the bot
    ix = bot.fake.slash(
        "limits",
        [sub("set", opt("key", "alert_channel"), opt("value", str(CHANNEL_ID)))],
        who=ADMIN,
    )
    ix |= {"guild_id": other, "guild": {"id": other, "locale": "en-US", "features": []}}
    ix["channel"] = ix["channel"] | {"guild_id": other}
    ix["authorizing_integration_owners"] = {"1": ADMIN["user"]["id"]}
    assert await private_answer(bot, await bot.send(ix)) == (
        "`alert_channel` was not changed: I am not a member of this server, so I cannot post "
        "in any of its channels. Add me to the server with the invite link first."
    )
    assert await bot.store.limit_changes() == []
