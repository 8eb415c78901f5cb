"""/imagine, /edit, /blend and the message menus Edit image and Vary image."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import discord
from discord import app_commands

from adapters.discord import flows
from adapters.discord.modals import open_edit_modal
from adapters.discord.respond import refuse
from adapters.discord.sources import NO_IMAGES, image_attachments
from adapters.discord.views import pick_view
from bot.errors import BadRequest
from bot.models import BACKGROUNDS, FORMATS, QUALITIES

Choice = app_commands.Choice
MAX_CHOICES = 25  # Discord's limit per option
OPTION_CHOICES: dict[str, list[Choice[str]]] = {
    "quality": [Choice(name=q, value=q) for q in QUALITIES],
    "background": [Choice(name=b, value=b) for b in BACKGROUNDS],
    "format": [Choice(name=f, value=f) for f in FORMATS],
}
Prompt = app_commands.Range[str, 1, 6000]
Count = app_commands.Range[int, 1, 10]
Avoid = app_commands.Range[str, 1, 1000]
NOT_IN_BLEND = ("count", "background")  # one picture; its background comes from the images
OPTION_HELP = {
    "model": "Which image model draws it",
    "size": "WxH, e.g. 1024x1024, 1536x1024 or 2048x1152 (or add --ar 16:9 to the prompt)",
    "quality": "Higher quality costs more and takes longer",
    "count": "How many images (1-10; the server may allow fewer)",
    "background": "transparent needs png or webp",
    "format": "File format of the images",
    "avoid": "Things to leave out of the image (like --no)",
    "private": "Show the result to you only",
}


def typed(
    size: str | None,
    quality: str | None,
    count: int | None,
    background: str | None,
    fmt: str | None,
    model: str | None = None,
    avoid: str | None = None,
    private: bool | None = None,
) -> dict[str, str | int | None]:
    """Typed options as the core's option parser names them."""
    return {
        "size": size,
        "quality": quality,
        "n": count,
        "background": background,
        "format": fmt,
        "model": model,
        "avoid": avoid,
        "private": None if private is None else str(private).lower(),
    }


async def open_vary(interaction: discord.Interaction[Any], message: discord.Message) -> None:
    """Vary image: vary the only image at once, or let the person pick one of several."""
    found = image_attachments(message)
    if len(found) == 1:
        await flows.vary_message(interaction, message, 0, None, None)
    elif not found:
        await refuse(interaction, BadRequest(NO_IMAGES).message)
    else:
        await interaction.response.send_message(
            "Which image should I vary?", view=pick_view(message, len(found)), ephemeral=True
        )


Command = app_commands.Command[Any, Any, Any] | app_commands.ContextMenu
F = TypeVar("F")


def anywhere(command: F) -> F:
    """Installable to a server and to a person; usable in servers, the bot's DM and private
    channels (group DMs), as Discord's integration_types and contexts say."""
    installs = app_commands.allowed_installs(guilds=True, users=True)
    contexts = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    return installs(contexts(command))


def image_options(
    choices: dict[str, list[Choice[str]]], leave_out: Sequence[str] = (), **described: str
) -> Callable[[F], F]:
    """The options an image command shares with the others (their help and `choices`, less
    those it leaves out) after its own `described` ones, usable `anywhere`."""
    shared = {k: v for k, v in OPTION_HELP.items() if k not in leave_out}
    offered = {k: v for k, v in choices.items() if k not in leave_out}

    def apply(command: F) -> F:
        options = app_commands.describe(**described, **shared)(command)
        return anywhere(app_commands.choices(**offered)(options))

    return apply


def build_commands(models: Sequence[str]) -> list[Command]:
    """Fresh command objects for one client's command tree; `models` are the offered ones."""
    choices = OPTION_CHOICES | {
        "model": [Choice(name=name, value=name) for name in models[:MAX_CHOICES]]
    }
    return [*image_commands(choices), *message_menus()]


def image_commands(choices: dict[str, list[Choice[str]]]) -> list[Command]:
    """/imagine, /edit and /blend, their options offering `choices`."""
    return [imagine_command(choices), edit_command(choices), blend_command(choices)]


def imagine_command(choices: dict[str, list[Choice[str]]]) -> Command:
    """/imagine prompt [options]."""

    @app_commands.command(name="imagine", description="Create images from a prompt")
    @image_options(
        choices, prompt="What to draw; --ar 16:9, --quality high, --n 2, --model work too"
    )
    async def imagine(
        interaction: discord.Interaction[Any],
        prompt: Prompt,
        size: str | None = None,
        quality: str | None = None,
        count: Count | None = None,
        background: str | None = None,
        format: str | None = None,
        model: str | None = None,
        avoid: Avoid | None = None,
        private: bool | None = None,
    ) -> None:
        """/imagine prompt [size] [quality] [count] [background] [format] [model] [avoid]
        [private]."""
        options = typed(size, quality, count, background, format, model, avoid, private)
        await flows.imagine(interaction, prompt, options)

    return imagine


def edit_command(choices: dict[str, list[Choice[str]]]) -> Command:
    """/edit image prompt [options]."""

    @app_commands.command(name="edit", description="Change an image as you describe")
    @image_options(
        choices,
        image="The image to change",
        prompt="How it should change, e.g. make the balloon blue",
    )
    async def edit(
        interaction: discord.Interaction[Any],
        image: discord.Attachment,
        prompt: Prompt,
        size: str | None = None,
        quality: str | None = None,
        count: Count | None = None,
        background: str | None = None,
        format: str | None = None,
        model: str | None = None,
        avoid: Avoid | None = None,
        private: bool | None = None,
    ) -> None:
        """/edit image prompt [options]."""
        options = typed(size, quality, count, background, format, model, avoid, private)
        await flows.edit_attachment(interaction, image, prompt, options)

    return edit


def blend_command(choices: dict[str, list[Choice[str]]]) -> Command:
    """/blend image1 image2 [image3 image4 image5] [prompt] [options] (no count, no
    background: it makes one picture, whose background comes from the images)."""

    @app_commands.command(name="blend", description="Blend 2 to 5 images into one")
    @image_options(
        choices,
        NOT_IN_BLEND,
        image1="The first image",
        image2="The second image",
        image3="A third image",
        image4="A fourth image",
        image5="A fifth image",
        prompt="How to blend them (optional)",
    )
    async def blend(
        interaction: discord.Interaction[Any],
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        prompt: Prompt | None = None,
        size: str | None = None,
        quality: str | None = None,
        format: str | None = None,
        model: str | None = None,
        avoid: Avoid | None = None,
        private: bool | None = None,
    ) -> None:
        """/blend image1 image2 [image3 image4 image5] [prompt] [options]."""
        images = [a for a in (image1, image2, image3, image4, image5) if a is not None]
        options = typed(size, quality, None, None, format, model, avoid, private)
        await flows.blend(interaction, images, prompt or "", options)

    return blend


def message_menus() -> list[Command]:
    """The message menus Edit image and Vary image."""

    @app_commands.context_menu(name="Edit image")
    @anywhere
    async def edit_image(interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Edit the images of any message: asks for the instruction in a modal."""
        await open_edit_modal(interaction, message, None)

    @app_commands.context_menu(name="Vary image")
    @anywhere
    async def vary_image(interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """A variation of an image of any message."""
        await open_vary(interaction, message)

    return [edit_image, vary_image]
