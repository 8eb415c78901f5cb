"""The edit modal: opened by the Edit button and the Edit image menu, submitted into an edit.

A modal must be the first answer to an interaction, so the cheap checks come before it:
the message has images, and the runner would not refuse the person here anyway
(generation off, nothing left today).
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord import flows
from adapters.discord.permissions import interaction_actor
from adapters.discord.respond import refuse
from adapters.discord.services import services_of
from adapters.discord.sources import NO_IMAGES, image_attachments
from bot.errors import BadRequest

MODAL_TTL_S = 15 * 60


class EditModal(discord.ui.Modal, title="Edit image"):
    """Asks how the image should change; the edit runs on submit."""

    instruction: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
        label="How should the image change?",
        style=discord.TextStyle.paragraph,
        placeholder="make the balloon blue   (--quality high, --format webp work too)",
        max_length=4000,
    )

    def __init__(self, message: discord.Message, parent_id: str | None) -> None:
        super().__init__(timeout=MODAL_TTL_S)
        self.message = message
        self.parent_id = parent_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Run the edit."""
        text = self.instruction.value
        await flows.edit_message(interaction, self.message, text, self.parent_id)


async def open_edit_modal(
    interaction: discord.Interaction[Any], message: discord.Message, parent_id: str | None
) -> None:
    """Open the edit modal (it must be the first response), after the cheap checks;
    `parent_id` is the result whose Edit button was pressed."""
    if not image_attachments(message):
        await refuse(interaction, BadRequest(NO_IMAGES).message)
        return
    runner = services_of(interaction).runner
    refusal = await runner.would_refuse(interaction_actor(interaction))
    if refusal is not None:
        await refuse(interaction, refusal)
        return
    await interaction.response.send_modal(EditModal(message, parent_id))
