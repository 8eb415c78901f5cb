"""/usage and /limits: private answers, rights checked when the command runs, audited changes."""

from __future__ import annotations

from bot.models import Scope
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, Json, member
from tests.fakes.discord_bot import DiscordBot, opt

MANAGE_CHANNELS, MANAGE_GUILD = 1 << 4, 1 << 5
ADMIN = member(700000000000000010, "admin", permissions=MANAGE_GUILD | MANAGE_CHANNELS)
CHANNEL_MOD = member(700000000000000011, "channel-mod", permissions=MANAGE_CHANNELS)
MEMBER = member(700000000000000012, "member")
SERVER = Scope("discord", str(GUILD_ID), "*")
CHANNEL = Scope("discord", str(GUILD_ID), str(CHANNEL_ID))
SERVER_REFUSAL = (
    "Server-wide settings need the **Manage Server** permission. Ask a server admin, "
    "or use `scope: channel` if you can manage this channel."
)


def sub(name: str, *options: Json) -> Json:
    """A subcommand option (/limits set ...)."""
    return {"name": name, "type": 1, "options": list(options)}


async def private_answer(bot: DiscordBot, ix: Json) -> str:
    """The text of a deferred private answer (deferral, then an edit of @original)."""
    assert (await bot.callback(ix)).body == {"type": 5, "data": {"flags": 64}}
    edit = await bot.fake.wait_for(
        lambda c: c.method == "PATCH" and c.path.endswith(f"/{ix['token']}/messages/@original")
    )
    return str(edit.body["content"])


async def refusal(bot: DiscordBot, ix: Json) -> str:
    """The text of a private refusal answered at once."""
    answer = (await bot.callback(ix)).body
    assert (answer["type"], answer["data"]["flags"]) == (4, 64)
    return str(answer["data"]["content"])


async def test_usage_shows_a_person_their_own_numbers(bot: DiscordBot) -> None:
    await bot.final(await bot.slash("imagine", [opt("prompt", "one"), opt("count", 2, 4)]))
    text = await private_answer(bot, await bot.slash("usage", []))
    assert text.startswith("**Your image usage**\nToday: 2 images ($")
    assert "This month: 2 images" in text and "reset in 12 h (00:00 UTC)" in text


async def test_usage_server_needs_manage_server(bot: DiscordBot) -> None:
    await bot.final(await bot.slash("imagine", [opt("prompt", "one")]))
    ix = await bot.slash("usage", [opt("scope", "server")], who=MEMBER)
    assert await refusal(bot, ix) == SERVER_REFUSAL

    text = await private_answer(bot, await bot.slash("usage", [opt("scope", "server")], who=ADMIN))
    assert text.startswith("**Usage in this server**\nToday: 1 image")
    assert "<@700000000000000001>: 1 image" in text


async def test_limits_set_is_refused_without_manage_server_and_changes_nothing(
    bot: DiscordBot,
) -> None:
    for who in (MEMBER, CHANNEL_MOD):
        ix = await bot.slash(
            "limits", [sub("set", opt("key", "user_daily_images"), opt("value", "2"))], who=who
        )
        assert await refusal(bot, ix) == SERVER_REFUSAL
    assert (await bot.store.get_limits(SERVER)).user_daily_images is None
    assert await bot.store.limit_changes() == []


async def test_limits_set_show_and_reset_are_audited(bot: DiscordBot) -> None:
    ix = await bot.slash(
        "limits", [sub("set", opt("key", "user_daily_images"), opt("value", "2"))], who=ADMIN
    )
    assert await private_answer(bot, ix) == (
        "`user_daily_images` is now **2** for this server. The change is logged."
    )
    ix = await bot.slash(
        "limits",
        [sub("set", opt("key", "max_quality"), opt("value", "low"), opt("scope", "channel"))],
        who=CHANNEL_MOD,
    )
    assert await private_answer(bot, ix) == (
        f"`max_quality` is now **low** for <#{CHANNEL_ID}>. The change is logged."
    )
    shown = await private_answer(
        bot, await bot.slash("limits", [sub("show", opt("scope", "channel"))], who=CHANNEL_MOD)
    )
    assert "max_quality = low  (set here)" in shown
    assert "user_daily_images = 2\n" in shown  # inherited from the server
    mod = CHANNEL_MOD["user"]["id"]
    assert f"`max_quality`: inherited → low, by <@{mod}>, 2030-01-02 12:00 UTC" in shown

    ix = await bot.slash("limits", [sub("reset")], who=ADMIN)
    assert await private_answer(bot, ix) == (
        "Cleared `user_daily_images` for this server; the wider setting applies now. "
        "The change is logged."
    )
    assert (await bot.store.get_limits(SERVER)).user_daily_images is None
    assert (await bot.store.get_limits(CHANNEL)).max_quality == "low"
    changes = [(c.key, c.new_value, c.changed_by) for c in await bot.store.limit_changes()]
    assert changes == [
        ("user_daily_images", "2", str(ADMIN["user"]["id"])),
        ("max_quality", "low", str(CHANNEL_MOD["user"]["id"])),
        ("user_daily_images", None, str(ADMIN["user"]["id"])),
    ]


async def test_a_bad_limit_value_says_what_would_work(bot: DiscordBot) -> None:
    ix = await bot.slash(
        "limits", [sub("set", opt("key", "max_n"), opt("value", "lots"))], who=ADMIN
    )
    assert await private_answer(bot, ix) == ("max_n must be a whole number, not 'lots'.")
    assert await bot.store.limit_changes() == []


async def test_a_channel_limit_applies_to_imagine_there(bot: DiscordBot) -> None:
    ix = await bot.slash(
        "limits",
        [sub("set", opt("key", "enabled"), opt("value", "off"), opt("scope", "channel"))],
        who=CHANNEL_MOD,
    )
    await private_answer(bot, ix)
    ix = await bot.slash("imagine", [opt("prompt", "a cat")])
    assert await bot.private_error(ix) == (
        "Image generation is turned off in this channel. "
        "Ask an admin to enable it, or try another channel. You were not charged."
    )
    assert await bot.entries() == []
