"""The edit modal: opened by the Edit button and the Edit image menu, submitted into an edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from adapters.discord import flows
from adapters.discord.permissions import interaction_actor
from adapters.discord.respond import refuse
from adapters.discord.services import services_of
from adapters.discord.sources import NO_IMAGES, image_attachments
from bot.errors import Disabled

MODAL_TTL_S = 15 * 60


class EditModal(discord.ui.Modal, title="Edit image"):
    """Asks how the image should change; the edit runs on submit."""

    instruction: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
        label="How should the image change?",
        style=discord.TextStyle.paragraph,
        placeholder="make the balloon blue   (--quality high, --format webp work too)",
        max_length=4000,
    )

    def __init__(self, message: discord.Message, base: Mapping[str, str | int | None]) -> None:
        super().__init__(timeout=MODAL_TTL_S)
        self.message = message
        self.base = dict(base)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Run the edit."""
        await flows.edit_message(interaction, self.message, self.instruction.value, self.base)


async def open_edit_modal(
    interaction: discord.Interaction[Any],
    message: discord.Message,
    base: Mapping[str, str | int | None],
) -> None:
    """Open the edit modal (it must be the first response), after the cheap checks."""
    if not image_attachments(message):
        await refuse(interaction, NO_IMAGES)
        return
    limits = await services_of(interaction).handler.limits_for(interaction_actor(interaction).scope)
    if limits.enabled is False:
        await refuse(interaction, Disabled().message)
        return
    await interaction.response.send_modal(EditModal(message, base))
