"""/blend, the typed options avoid and private, on Discord against the fakes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.discordfixtures import refused
from tests.fakes.discord import CHANNEL_ID
from tests.fakes.discord_bot import DiscordBot, custom_ids, opt, png
from tests.fakes.discord_objects import Json
from tests.fakes.gateway import FakeGateway


async def test_blend_sends_every_image_in_one_edit_charged_once(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    images = [bot.fake.attachment(png(64, 64, colour), f"p{i}.png") for i, colour in
              enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)])]  # fmt: skip
    options = [opt(f"image{i + 1}", a["id"], 11) for i, a in enumerate(images)]
    ix = await bot.slash("blend", [*options, opt("prompt", "as one poster")], attachments=images)
    final = await bot.final(ix)
    seen = gateway.image_requests[-1]
    assert seen.path == "/v1/images/edits"
    sent = [Image.open(io.BytesIO(p.data)).convert("RGB") for p in seen.files("image[]")]
    assert [img.getpixel((5, 5)) for img in sent] == [(200, 0, 0), (0, 200, 0), (0, 0, 200)]
    assert seen.fields["prompt"] == "Blend these images into one picture: as one poster"
    [entry] = await bot.entries()
    assert (entry.kind, entry.status, entry.options.control) == ("blend", "succeeded", "blend")
    assert final.body["content"].startswith("**Blend** — <@")
    assert f"imagine:ctl:zoom-2:{entry.id}" in custom_ids(final.body)


async def test_blend_of_one_image_is_refused_by_discord_itself(bot: DiscordBot) -> None:
    [command] = [c for c in bot.fake.commands["global"] if c["name"] == "blend"]
    required = [o["name"] for o in command["options"] if o.get("required")]
    assert required == ["image1", "image2"]


async def test_blend_of_a_file_that_is_no_image_says_so_and_charges_nothing(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    one = bot.fake.attachment(png(), "a.png")
    text = bot.fake.attachment(b"hello", "notes.txt")
    ix = await bot.slash(
        "blend", [opt("image1", one["id"], 11), opt("image2", text["id"], 11)],
        attachments=[one, text],
    )  # fmt: skip
    assert await refused(bot, ix) == (
        "That attachment is not an image. You were not charged. "
        "Attach a PNG, JPEG or WebP picture to edit."
    )
    assert await bot.entries() == [] and gateway.image_requests == []


async def test_avoid_becomes_the_instruction_to_leave_things_out(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    ix = await bot.slash("imagine", [opt("prompt", "a beach"), opt("avoid", "people")])
    await bot.final(ix)
    prompt = gateway.image_requests[-1].fields["prompt"]
    assert prompt.startswith("a beach") and "people" in prompt and prompt != "a beach"


@pytest.mark.parametrize(
    "options",
    [[opt("prompt", "a secret"), opt("private", True, 5)], [opt("prompt", "a secret --private")]],
    ids=["typed option", "prompt flag"],
)
async def test_a_private_result_is_ephemeral_and_its_buttons_stay_private(
    bot: DiscordBot, gateway: FakeGateway, options: list[Json]
) -> None:
    ix = await bot.slash("imagine", options)
    assert (await bot.callback(ix)).body == {"type": 5, "data": {"flags": 64}}
    final = await bot.final(ix)
    result = bot.message_of(ix)
    assert result["flags"] & 64
    assert not bot.fake.find("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    [entry] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:ctl:zoom-2:{entry.id}"))
    assert (await bot.callback(click)).body == {"type": 5, "data": {"flags": 64}}
    await bot.final(click)
    assert bot.message_of(click)["flags"] & 64
    assert len(gateway.image_requests) == 2 and final.body["components"]
    assert not bot.fake.find("POST", rf"^/channels/{CHANNEL_ID}/messages$")
