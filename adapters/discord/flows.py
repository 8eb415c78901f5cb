"""Every entry point as one `Ask` for the runner: slash commands, menus, buttons, the modal.

Each turns its interaction into what was asked (the key is the interaction id, which
Discord never reuses; a button names itself in `press`) and hands it, with a Discord
surface, to `runner.submit`. What happens next is the runner's.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from adapters.discord.permissions import interaction_actor
from adapters.discord.respond import InteractionResponder, refuse
from adapters.discord.services import Origin, Services, services_of
from adapters.discord.sources import (
    MESSAGE_GONE,
    NO_IMAGES,
    fresh_message,
    image_attachments,
    is_image,
    load_sources,
)
from adapters.discord.surface import DiscordSurface
from bot.errors import BadRequest, ImageRejected, UserFacingError
from bot.models import SourceImage
from bot.requests import Ask, AskKind
from bot.requests.ask import Sources, Typed, no_sources

Attachments = Callable[[], Awaitable[Sequence[discord.Attachment]]]
NOT_AN_IMAGE = ImageRejected(
    "That attachment is not an image.", then="Attach a PNG, JPEG or WebP picture to edit."
)
IMAGE_GONE = BadRequest("That image is no longer on the message.", then="Pick another one.")


def request_key(interaction: discord.Interaction[Any]) -> str:
    """The idempotency key of an interaction: Discord never reuses its id."""
    return f"discord:ix:{interaction.id}"


def ask_of(
    interaction: discord.Interaction[Any],
    kind: AskKind,
    *,
    text: str = "",
    typed: Typed | None = None,
    sources: Sources | None = None,
    parent_id: str | None = None,
    press: str | None = None,
    control: str = "",
) -> Ask:
    """What an interaction asks for, charged to the person behind it."""
    return Ask(
        kind=kind,
        actor=interaction_actor(interaction),
        key=request_key(interaction),
        text=text,
        typed=dict(typed or {}),
        sources=sources or no_sources,
        parent_id=parent_id,
        press=press,
        upload_cap_bytes=interaction.filesize_limit,
        control=control,
    )


def downloaded(services: Services, attachments: Attachments) -> Sources:
    """The images of `attachments`, fetched and checked when the runner asks for them."""

    async def load() -> tuple[SourceImage, ...]:
        return await load_sources(services, await attachments())

    return load


def attached(interaction: discord.Interaction[Any], found: Sequence[discord.Attachment]) -> Sources:
    """The images of attachments already at hand, fetched and checked when the runner asks."""

    async def given() -> Sequence[discord.Attachment]:
        return found

    return downloaded(services_of(interaction), given)


def under_private(interaction: discord.Interaction[Any], ask: Ask) -> bool:
    """Whether the interaction was pressed under a private (ephemeral) result, so that its
    result is private too (Deliver again sits under a private error, and posts as the request
    was asked). A request asked as private says so in its headline (`Headline.private`)."""
    message = interaction.message
    return message is not None and message.flags.ephemeral and ask.kind != "deliver"


async def submit(interaction: discord.Interaction[Any], ask: Ask, origin: Origin) -> None:
    """Run `ask` on the interaction's response (an ephemeral one for a private result)."""
    services = services_of(interaction)
    private = under_private(interaction, ask)
    responder = InteractionResponder(interaction, services.token_ttl_s, private)
    surface = DiscordSurface(responder, services, interaction.user.id, origin)
    await services.runner.submit(ask, surface)


async def imagine(interaction: discord.Interaction[Any], text: str, typed: Typed) -> None:
    """/imagine: images from a prompt."""
    await submit(interaction, ask_of(interaction, "generate", text=text, typed=typed), Origin())


async def edit_attachment(
    interaction: discord.Interaction[Any], image: discord.Attachment, text: str, typed: Typed
) -> None:
    """/edit: the attached image changed as the prompt says."""
    if not is_image(image):
        await refuse(interaction, NOT_AN_IMAGE.message)
        return
    ask = ask_of(
        interaction, "edit", text=text, typed=typed, sources=attached(interaction, [image])
    )
    await submit(interaction, ask, Origin())


async def edit_message(
    interaction: discord.Interaction[Any],
    message: discord.Message,
    text: str,
    parent_id: str | None,
) -> None:
    """Edit image (the menu, or a result's Edit button, after the modal): every image of
    the message goes in; under a result, its quality and format carry over."""
    if not image_attachments(message):
        await refuse(interaction, BadRequest(NO_IMAGES).message)
        return

    async def refetched() -> list[discord.Attachment]:
        return image_attachments(await fresh_message(message))

    sources = downloaded(services_of(interaction), refetched)
    ask = ask_of(interaction, "edit", text=text, sources=sources, parent_id=parent_id)
    await submit(interaction, ask, Origin(message.id))


async def vary_message(
    interaction: discord.Interaction[Any],
    message: discord.Message,
    index: int,
    entry_id: str | None,
    press: str | None,
) -> None:
    """A variation of one image of a message; with `entry_id`, of one of the bot's results."""
    found = image_attachments(message)
    if index >= len(found):
        await refuse(interaction, IMAGE_GONE.message)
        return
    sources = attached(interaction, found[index : index + 1])
    ask = ask_of(interaction, "vary", sources=sources, parent_id=entry_id, press=press)
    await submit(interaction, ask, Origin(message.id, index))


async def control_message(
    interaction: discord.Interaction[Any], message: discord.Message, control: str, entry_id: str
) -> None:
    """A creative control ('zoom 2', 'pan left', ...) on the image of a result's message."""
    if not image_attachments(message):
        await refuse(interaction, BadRequest(NO_IMAGES).message)
        return

    async def first() -> list[discord.Attachment]:
        return image_attachments(await fresh_message(message))[:1]

    sources = downloaded(services_of(interaction), first)
    press = f"{control}:{entry_id}"
    ask = ask_of(
        interaction, "control", sources=sources, parent_id=entry_id, press=press, control=control
    )
    await submit(interaction, ask, Origin(message.id, 0))


async def pick_image(
    interaction: discord.Interaction[Any], message: discord.Message, index: int, entry_id: str
) -> None:
    """Pick: post one image of a result on its own, with every control under it (free)."""
    if index >= len(image_attachments(message)):
        await refuse(interaction, IMAGE_GONE.message)
        return
    services = services_of(interaction)
    await interaction.response.defer()
    try:
        entry = await services.handler.entry(entry_id)
        found = image_attachments(await fresh_message(message))[index : index + 1]
        if not found:
            raise IMAGE_GONE
        [image] = await load_sources(services, found)
    except UserFacingError as exc:
        await refuse(interaction, exc.message)
        return
    await interaction.followup.send(
        f"**Image {index + 1}** of {message.jump_url} — <@{interaction.user.id}>",
        file=discord.File(io.BytesIO(image.data), image.filename),
        view=services.picked_view(entry_id, entry.kind == "generate"),
    )


async def blend(
    interaction: discord.Interaction[Any],
    attachments: Sequence[discord.Attachment],
    text: str,
    typed: Typed,
) -> None:
    """/blend: two to five attached images into one picture, as the prompt says."""
    if not all(is_image(a) for a in attachments):
        await refuse(interaction, NOT_AN_IMAGE.message)
        return
    sources = attached(interaction, attachments)
    ask = ask_of(interaction, "control", text=text, typed=typed, sources=sources, control="blend")
    await submit(interaction, ask, Origin())


async def reroll(interaction: discord.Interaction[Any], entry_id: str, origin: Origin) -> None:
    """Re-roll: run a result's request again, charged to whoever pressed it."""
    sources = None
    if origin.message_id is not None:
        images = origin_images(interaction, origin.message_id, origin.index)
        sources = downloaded(services_of(interaction), images)
    ask = ask_of(
        interaction, "reroll", sources=sources, parent_id=entry_id, press=f"reroll:{entry_id}"
    )
    await submit(interaction, ask, origin)


async def deliver_again(interaction: discord.Interaction[Any], entry_id: str) -> None:
    """Deliver again: post the kept images of a result that could not be delivered."""
    ask = ask_of(interaction, "deliver", parent_id=entry_id, press=f"deliver:{entry_id}")
    await submit(interaction, ask, Origin())


def origin_images(
    interaction: discord.Interaction[Any], message_id: int, index: int | None
) -> Attachments:
    """The images a result was made from (`index`: the one it varied), fetched again."""

    async def found() -> list[discord.Attachment]:
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise BadRequest(MESSAGE_GONE)
        try:
            message = await channel.fetch_message(message_id)
        except discord.NotFound:
            raise BadRequest(MESSAGE_GONE) from None
        images = image_attachments(message)
        if index is not None:
            images = images[index : index + 1]
        return images

    return found
