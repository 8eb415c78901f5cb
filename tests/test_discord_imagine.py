"""/imagine end to end: the real discord.py client against the fake Discord and gateway."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.discord.permissions import INVITE_PERMISSIONS
from bot.gateway.errors import ContentBlocked, GatewayError, GatewayMisconfigured
from bot.models import Actor, Scope
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import APP_ID, CHANNEL_ID, GUILD_ID, OWNER_ID, FakeDiscord, member
from tests.fakes.discord_bot import DiscordBot, custom_ids, image_size, opt, running_bot
from tests.fakes.gateway import FakeGateway

OWNER = Actor("discord", str(GUILD_ID), str(CHANNEL_ID), str(OWNER_ID))


async def test_imagine_defers_shows_progress_and_uploads_the_images(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    gateway.fail("slow_stream", seconds=1.5)  # previews a while before each image
    ix = await bot.slash(
        "imagine",
        [opt("prompt", "a red balloon on a wooden table"), opt("size", "1536x1024"),
         opt("count", 2, 4)],
    )  # fmt: skip
    assert (await bot.callback(ix)).body == {"type": 5}  # deferred at once, public
    final = await bot.final(ix)

    progress = fake.find("PATCH", rf"/webhooks/{APP_ID}/{ix['token']}/messages/@original")
    progress = progress[: progress.index(final)]
    assert any("Generating…" in call.body["content"] for call in progress)
    previews = [f for call in progress for f in call.files]
    assert previews and all(f.filename.startswith("preview.") for f in previews)

    assert [f.filename.endswith(".png") for f in final.files] == [True, True]
    assert [image_size(f.data) for f in final.files] == [(1536, 1024), (1536, 1024)]
    content = final.body["content"]
    assert "**a red balloon on a wooden table** — <@700000000000000001>" in content
    assert "`1536x1024` · medium · 2 images · $" in content

    [entry] = await bot.entries()
    assert (entry.status, entry.images_delivered, entry.user_id) == ("succeeded", 2, str(OWNER_ID))
    assert custom_ids(final.body) == [
        f"imagine:vary:{entry.id}:0",
        f"imagine:vary:{entry.id}:1",
        f"imagine:choose:{entry.id}:0",
        f"imagine:choose:{entry.id}:1",
        f"imagine:reroll:{entry.id}",
        f"imagine:edit:{entry.id}",
        f"imagine:delete:{entry.id}",
    ]
    [sent] = gateway.image_requests
    assert sent.fields["prompt"] == "a red balloon on a wooden table"
    assert (sent.fields["size"], sent.fields["n"]) == ("1536x1024", 2)


async def test_prompt_flags_set_the_options(bot: DiscordBot, gateway: FakeGateway) -> None:
    ix = await bot.slash("imagine", [opt("prompt", "a cat --ar 3:2 --quality low")])
    final = await bot.final(ix)
    assert final.body["content"].startswith("**a cat** —")
    [sent] = gateway.image_requests
    assert (sent.fields["size"], sent.fields["quality"]) == ("1248x832", "low")


async def test_a_bad_option_is_refused_privately_before_deferring(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    ix = await bot.slash("imagine", [opt("prompt", "a cat --size 999x999")])
    answer = await bot.callback(ix)
    assert answer.body == {
        "type": 4,
        "data": {
            "content": "openai/gpt-image-2 cannot make 999x999: both sides must be multiples "
            "of 16. Nearest: 992x992 or 1008x1008. You were not charged.",
            "flags": 64,
            "tts": False,
            "allowed_mentions": {"parse": []},
        },
    }
    assert gateway.image_requests == [] and await bot.entries() == []


async def test_a_refusal_that_quotes_a_long_value_is_cut_to_discords_limit(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    ix = await bot.slash("imagine", [opt("prompt", "a cat --size " + "9" * 2500)])
    answer = (await bot.callback(ix)).body["data"]
    assert answer["flags"] == 64 and len(answer["content"]) == 2000
    assert answer["content"].startswith('Unknown size "999') and answer["content"].endswith("…")
    assert gateway.image_requests == [] and await bot.entries() == []


async def test_a_limit_refusal_is_private_exact_and_charges_nothing(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    await bot.handler.set_limits(
        Scope("discord", str(GUILD_ID), "*"), {"user_daily_images": "1"}, "1"
    )
    await bot.final(await bot.slash("imagine", [opt("prompt", "first")]))

    ix = await bot.slash("imagine", [opt("prompt", "second")])
    assert await bot.private_error(ix) == (
        "You have used 1 of your 1 image today (user_daily_images); it resets at 00:00 UTC, "
        "in 12 h. You were not charged."
    )
    assert [e.prompt for e in await bot.entries()] == ["first"]
    assert len(gateway.image_requests) == 1
    assert (await bot.handler.usage(OWNER)).images_today == 1


@pytest.mark.parametrize(
    ("failure", "error", "said"),
    [
        (
            "moderation_blocked",
            ContentBlocked(),
            "Your request was blocked by the image service's safety system. You were not "
            "charged. Try rewording the prompt.",
        ),
        (
            # the fake echoes the key it was sent, as some providers do
            "unauthorized",
            GatewayMisconfigured("the image service rejected the API key"),
            "The bot is misconfigured: the image service rejected the API key. You were not "
            "charged. Tell the bot's admin.",
        ),
    ],
)
async def test_a_gateway_failure_is_shown_exactly_never_leaks_the_key_and_is_not_charged(
    bot: DiscordBot, gateway: FakeGateway, failure: str, error: GatewayError, said: str
) -> None:
    gateway.fail(failure)
    ix = await bot.slash("imagine", [opt("prompt", "something the image service refuses")])
    text = await bot.private_error(ix)
    [entry] = await bot.entries()
    assert text == f"{said} (request {entry.id[:8]})" == f"{error.message} (request {entry.id[:8]})"
    assert (entry.status, entry.error_kind) == ("failed", error.kind)
    usage = await bot.handler.usage(OWNER)
    assert (usage.images_today, usage.cost_today_usd) == (0, 0.0)
    assert not any("gateway-key" in str(call.body) for call in bot.fake.calls)


async def test_a_result_that_outlives_the_token_is_posted_with_the_bot_token(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway, token_ttl_s=0) as bot:
        ix = await bot.slash("imagine", [opt("prompt", "a slow painting")])
        posted = await fake.wait_for(
            lambda c: c.method == "POST" and c.path == f"/channels/{CHANNEL_ID}/messages"
        )
        thinking = fake.originals[ix["token"]]  # removed with the bot token once the result is up
        await fake.wait_for(
            lambda c: (
                c.method == "DELETE" and c.path == f"/channels/{CHANNEL_ID}/messages/{thinking}"
            )
        )
    assert posted.body["content"].startswith("**a slow painting** — <@700000000000000001>")
    assert posted.body["allowed_mentions"]["users"] == [OWNER_ID]
    assert len(posted.files) == 1 and posted.body["components"]
    assert not fake.find("PATCH", rf"/webhooks/{APP_ID}/{ix['token']}/messages/@original")


async def test_images_are_fitted_to_the_guild_upload_limit(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with (
        FakeDiscord(attachment_size_limit=4096) as fake,
        running_bot(tmp_path / "imagine.db", fake, gateway) as bot,
    ):
        final = await bot.final(await bot.slash("imagine", [opt("prompt", "a big sky")]))
    [image] = final.files
    assert len(image.data) <= 4096 and image_size(image.data) > (0, 0)


async def test_start_syncs_commands_and_logs_the_invite(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(tmp_path / "imagine.db", fake, gateway, DISCORD_GUILD_IDS="42"):
        pass
    names = {c["name"] for c in fake.commands["42"]}
    assert names == {"imagine", "edit", "blend", "usage", "limits", "Edit image", "Vary image"}
    assert "global" not in fake.commands
    invite = (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
        f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS.value}"
    )
    assert invite in caplog.text and INVITE_PERMISSIONS.value == 274878008320
    [identify] = fake.identified
    assert identify["intents"] == 1 | 512  # GUILDS | GUILD_MESSAGES: nothing privileged
    assert "fake-discord-bot-token" not in caplog.text


async def test_a_queued_request_shows_its_position(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway, IMAGINE_MAX_CONCURRENT=1) as bot:
        gateway.fail("delay", seconds=3.5)  # the first holds the only slot past a progress edit
        first = await bot.slash("imagine", [opt("prompt", "first")])
        await fake.wait_for(
            lambda c: f"/{first['token']}/" in c.path and "Generating" in str(c.body)
        )
        second = await bot.slash("imagine", [opt("prompt", "second")], who=member(7, "other"))
        queued = await fake.wait_for(
            lambda c: f"/{second['token']}/" in c.path and c.method == "PATCH"
        )
        assert queued.body["content"] == "**second** — <@7>\nQueued — position 1"
        await bot.final(first)
        await bot.final(second)


async def test_the_model_option_offers_imagine_models_and_the_choice_is_sent(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    offered = "openai/gpt-image-2.5-flare,bfl/flux-kontext-pro"
    async with running_bot(
        tmp_path / "imagine.db", fake, gateway, DISCORD_GUILD_IDS="42", IMAGINE_MODELS=offered
    ) as bot:
        final = await bot.final(
            await bot.slash(
                "imagine", [opt("prompt", "a red balloon"), opt("model", "bfl/flux-kontext-pro")]
            )
        )
        refused = await bot.callback(
            await bot.slash("imagine", [opt("prompt", "a fox --model openai/gpt-image-1")])
        )
        [entry] = await bot.entries()
    commands = {c["name"]: c for c in fake.commands["42"]}
    for name in ("imagine", "edit"):
        [model] = [o for o in commands[name]["options"] if o["name"] == "model"]
        assert [c["value"] for c in model["choices"]] == [
            "openai/gpt-image-2",
            "openai/gpt-image-2.5-flare",
            "bfl/flux-kontext-pro",
        ]
    assert final.body["content"].startswith("**a red balloon** —")
    [sent] = gateway.image_requests
    assert (sent.fields["model"], "quality" in sent.fields) == ("bfl/flux-kontext-pro", False)
    assert "stream" not in sent.fields  # the catalog says it streams no previews
    assert refused.body["data"]["content"] == (
        'The model "openai/gpt-image-1" is not offered here. Choose one of: openai/gpt-image-2, '
        "openai/gpt-image-2.5-flare, bfl/flux-kontext-pro. You were not charged."
    )
    assert (entry.model, entry.status, entry.cost_source) == (
        "bfl/flux-kontext-pro",
        "succeeded",
        "table",
    )
