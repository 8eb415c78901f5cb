"""Editing, three ways into one core call: /edit, the Edit image menu, a reply that mentions
the bot; and the Vary image menu."""

from __future__ import annotations

from adapters.discord.mentions import HOW_TO
from bot.config import DEFAULT_VARY_PROMPT
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.discordfixtures import refused
from tests.fakes.discord import BOT_ID, CHANNEL_ID, FakeDiscord, Json, user
from tests.fakes.discord_bot import DiscordBot, custom_ids, image_size, opt, png
from tests.fakes.gateway import FakeGateway

MESSAGES = f"/channels/{CHANNEL_ID}/messages"


def photo_message(fake: FakeDiscord, *sizes: tuple[int, int], text: str = "look") -> Json:
    """Someone's message with one PNG per size, served by the fake."""
    files = [fake.attachment(png(w, h), f"photo{i}.png") for i, (w, h) in enumerate(sizes)]
    return fake.message(text, author=user(600000000000000001, "painter"), attachments=files)


async def slash_edit(bot: DiscordBot, data: bytes, filename: str, *options: Json) -> Json:
    """/edit "add a hat" with one attachment (`data` named `filename`); the interaction."""
    image = bot.fake.attachment(data, filename)
    prompt = [opt("image", image["id"], 11), opt("prompt", "add a hat")]
    return await bot.slash("edit", [*prompt, *options], attachments=[image])


async def test_the_edit_image_menu_asks_in_a_modal_and_sends_every_image(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    source = photo_message(fake, (300, 200), (300, 200))
    menu = await bot.send(fake.context_menu("Edit image", source))
    modal = await bot.modal(menu)
    submit = await bot.send(fake.submit(modal, ["make the sky pink"]))
    final = await bot.final(submit)
    [edit] = gateway.image_requests
    assert edit.path == "/v1/images/edits" and edit.fields["prompt"] == "make the sky pink"
    assert [image_size(p.data) for p in edit.files("image[]")] == [(300, 200), (300, 200)]
    assert edit.fields["size"] == "1008x672"  # the sources' 3:2 shape, at least 655,360 px
    assert fake.find("GET", rf"{MESSAGES}/{source['id']}")  # fresh attachment URLs
    [entry] = await bot.entries()
    assert f"imagine:reroll:{entry.id}:{source['id']}" in custom_ids(final.body)


async def test_the_edit_image_menu_on_a_message_without_images_is_refused(
    bot: DiscordBot, fake: FakeDiscord
) -> None:
    menu = await bot.send(fake.context_menu("Edit image", fake.message("just words")))
    assert await refused(bot, menu) == (
        "That message has no images. Use this on a message with a picture attached, or use "
        "/edit and attach the image. You were not charged."
    )


async def test_a_reply_that_mentions_the_bot_edits_the_replied_image(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    source = photo_message(fake, (200, 300))
    bot_user = user(BOT_ID, "imagine", bot=True)
    reply = fake.message(f"<@{BOT_ID}> make it blue", reference=source, mentions=[bot_user])
    await fake.dispatch("MESSAGE_CREATE", reply)

    posted = await fake.wait_for(lambda c: c.method == "POST" and c.path == MESSAGES)
    assert str(posted.body["message_reference"]["message_id"]) == reply["id"]
    final = await fake.wait_for(
        lambda c: (
            c.method == "PATCH" and c.path.startswith(MESSAGES) and bool(c.body.get("components"))
        )
    )
    [edit] = gateway.image_requests
    assert edit.fields["prompt"] == "make it blue" and edit.fields["size"] == "672x1008"
    assert len(edit.files("image[]")) == 1
    assert final.body["content"].startswith("**Edit: make it blue** — <@700000000000000001>")
    [entry] = await bot.entries()
    assert entry.idempotency_key == f"discord:msg:{reply['id']}"
    assert f"imagine:reroll:{entry.id}:{source['id']}" in custom_ids(final.body)
    await bot.idle()  # the first run has ended: the ledger, not the runner, knows the repeat

    await fake.dispatch("MESSAGE_CREATE", reply)  # the gateway delivers it again
    second = await fake.wait_for(
        lambda c: c.method == "POST" and c.path == MESSAGES and c is not posted
    )
    assert second.body["content"].endswith("Working on it…")
    await fake.wait_for(lambda c: c.method == "DELETE" and c.path.startswith(MESSAGES))
    assert len(await bot.entries()) == 1 and len(gateway.image_requests) == 1


async def test_a_reply_that_only_pings_the_bot_starts_nothing(
    bot: DiscordBot, fake: FakeDiscord
) -> None:
    bot_user = user(BOT_ID, "imagine", bot=True)
    result = fake.message("", author=bot_user, attachments=[fake.attachment(png(), "a.png")])
    chat = fake.message("nice!", reference=result, mentions=[bot_user])  # a reply's own ping
    await fake.dispatch("MESSAGE_CREATE", chat)
    await bot.final(await bot.slash("imagine", [opt("prompt", "later")]))  # events run in order
    assert not fake.find("GET", rf"{MESSAGES}/{result['id']}") and not fake.find("POST", MESSAGES)
    assert [e.prompt for e in await bot.entries()] == ["later"]


async def test_a_mention_without_an_image_explains_what_to_do(
    bot: DiscordBot, fake: FakeDiscord
) -> None:
    bot_user = user(BOT_ID, "imagine", bot=True)
    await fake.dispatch("MESSAGE_CREATE", fake.message(f"<@{BOT_ID}> hello", mentions=[bot_user]))
    answer = await fake.wait_for(lambda c: c.method == "POST" and c.path == MESSAGES)
    assert answer.body["content"] == HOW_TO


async def test_a_mention_with_a_bad_long_option_gets_a_reply_within_discords_limit(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    source = photo_message(fake, (200, 300))
    bot_user = user(BOT_ID, "imagine", bot=True)
    text = f"<@{BOT_ID}> make it blue --size " + "9" * 3000  # Nitro allows 4,000 characters
    await fake.dispatch("MESSAGE_CREATE", fake.message(text, reference=source, mentions=[bot_user]))
    answer = await fake.wait_for(lambda c: c.method == "POST" and c.path == MESSAGES)
    assert len(answer.body["content"]) == 2000
    assert answer.body["content"].startswith('Unknown size "999')
    assert gateway.image_requests == [] and await bot.entries() == []


async def test_a_mention_quoting_a_masked_link_does_not_make_the_bot_post_one(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    source = photo_message(fake, (200, 300))
    bot_user = user(BOT_ID, "imagine", bot=True)
    text = f"<@{BOT_ID}> make it blue --model [FreeNitro](https://evil.example/claim)"
    await fake.dispatch("MESSAGE_CREATE", fake.message(text, reference=source, mentions=[bot_user]))
    answer = await fake.wait_for(lambda c: c.method == "POST" and c.path == MESSAGES)
    assert answer.body["content"] == (
        'The model "\\[FreeNitro](https://evil.example/claim)" is not offered here. '
        "Choose one of: openai/gpt-image-2. You were not charged."
    )
    assert gateway.image_requests == [] and await bot.entries() == []


async def test_slash_edit_takes_an_attachment(bot: DiscordBot, gateway: FakeGateway) -> None:
    ix = await slash_edit(bot, png(64, 64), "cat.png", opt("quality", "high"))
    final = await bot.final(ix)
    [edit] = gateway.image_requests
    assert (edit.fields["prompt"], edit.fields["quality"]) == ("add a hat", "high")
    assert [image_size(p.data) for p in edit.files("image[]")] == [(64, 64)]
    [entry] = await bot.entries()
    assert not any(c.startswith("imagine:reroll:") for c in custom_ids(final.body))
    assert f"imagine:vary:{entry.id}:0" in custom_ids(final.body)


async def test_vary_image_varies_one_image_or_asks_which(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    single = photo_message(fake, (300, 200))
    final = await bot.final(await bot.send(fake.context_menu("Vary image", single)))
    assert final.body["content"].startswith("**Variation** —")
    [vary] = gateway.image_requests
    assert vary.fields["prompt"] == DEFAULT_VARY_PROMPT and vary.fields["size"] == "1008x672"

    several = photo_message(fake, (300, 200), (200, 300))
    menu = await bot.send(fake.context_menu("Vary image", several))
    picker = (await bot.callback(menu)).body
    assert picker["data"]["flags"] == 64
    assert custom_ids(picker["data"]) == [
        f"imagine:pick:{several['id']}:0",
        f"imagine:pick:{several['id']}:1",
    ]
    click = await bot.send(fake.click(bot.message_of(menu), f"imagine:pick:{several['id']}:1"))
    await bot.final(click)
    assert gateway.image_requests[-1].fields["size"] == "672x1008"


async def test_slash_edit_of_a_file_that_is_not_an_image_is_refused_before_deferring(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    ix = await slash_edit(bot, b"%PDF-1.7 not an image", "report.pdf")
    assert await refused(bot, ix) == (
        "That attachment is not an image. You were not charged. "
        "Attach a PNG, JPEG or WebP picture to edit."
    )
    assert gateway.image_requests == [] and await bot.entries() == []


async def test_a_vary_of_a_message_whose_image_is_gone_says_so(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    several = photo_message(fake, (300, 200), (200, 300))
    menu = await bot.send(fake.context_menu("Vary image", several))
    await bot.callback(menu)
    picker = bot.message_of(menu)
    del fake.messages[int(several["id"])]  # deleted while the picker was open
    click = await bot.send(fake.click(picker, f"imagine:pick:{several['id']}:1"))
    assert await refused(bot, click) == (
        "The message with the image was deleted, so there is nothing to change. "
        "You were not charged."
    )
    assert gateway.image_requests == [] and await bot.entries() == []
