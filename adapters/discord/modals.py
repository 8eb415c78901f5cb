"""The edit form: opened by the Edit button and the Edit image menu, submitted into an edit.

A modal must be the first answer to an interaction, so the cheap checks come before it:
the message has images, and the runner would not refuse the person here anyway
(generation off, nothing left today).

The form carries what its submission needs in its custom_id (the message with the images,
and the result whose Edit button opened it), and discord.py is never asked to remember it:
a form opened before the bot restarted is still an edit when it is sent after.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord import flows
from adapters.discord.permissions import interaction_actor
from adapters.discord.respond import refuse
from adapters.discord.services import services_of
from adapters.discord.sources import MESSAGE_GONE, NO_IMAGES, image_attachments
from bot.errors import BadRequest

FORM_ID = re.compile(r"imagine:editform:(?P<message>\d+):(?P<parent>[0-9A-Za-z_-]{1,40})")
UNREADABLE = (
    "I cannot read that message any more, so there is nothing to change. "
    "Open Edit image on it again."
)


def edit_form(message_id: int, parent_id: str | None) -> discord.ui.Modal:
    """The form asking how the image should change, finished before it is sent: discord.py
    keeps no listener for it, `submitted` answers it whenever it comes."""
    form = discord.ui.Modal(
        title="Edit image", custom_id=f"imagine:editform:{message_id}:{parent_id or '-'}"
    )
    form.add_item(
        discord.ui.TextInput(
            label="How should the image change?",
            style=discord.TextStyle.paragraph,
            placeholder="make the balloon blue   (--quality high, --format webp work too)",
            max_length=4000,
        )
    )
    form.stop()
    return form


async def open_edit_modal(
    interaction: discord.Interaction[Any], message: discord.Message, parent_id: str | None
) -> None:
    """Open the edit form (it must be the first response), after the cheap checks;
    `parent_id` is the result whose Edit button was pressed."""
    if not image_attachments(message):
        await refuse(interaction, BadRequest(NO_IMAGES).message)
        return
    runner = services_of(interaction).runner
    refusal = await runner.would_refuse(interaction_actor(interaction))
    if refusal is not None:
        await refuse(interaction, refusal)
        return
    await interaction.response.send_modal(edit_form(message.id, parent_id))


async def submitted(interaction: discord.Interaction[Any]) -> None:
    """Run the edit of a sent edit form; any other modal is not ours."""
    data: dict[str, Any] = dict(interaction.data or {})
    found = FORM_ID.fullmatch(str(data.get("custom_id", "")))
    if found is None:
        return
    message = await _message(interaction, int(found["message"]))
    if message is None:
        return
    parent = None if found["parent"] == "-" else found["parent"]
    await flows.edit_message(interaction, message, _typed(data), parent)


async def _message(
    interaction: discord.Interaction[Any], message_id: int
) -> discord.Message | None:
    """The message with the images: the one the form was opened under, else fetched again."""
    if interaction.message is not None and interaction.message.id == message_id:
        return interaction.message
    channel = interaction.channel
    words = UNREADABLE
    if isinstance(channel, discord.abc.Messageable):
        try:
            return await channel.fetch_message(message_id)
        except discord.NotFound:
            words = MESSAGE_GONE
        except discord.HTTPException:
            pass
    await refuse(interaction, BadRequest(words).message)
    return None


def _typed(data: dict[str, Any]) -> str:
    """The text of the form's one text input, in a row (type 1) or a label (type 18)."""
    for row in data.get("components", []):
        for part in [*row.get("components", []), row.get("component") or {}]:
            if "value" in part:
                return str(part["value"])
    return ""
