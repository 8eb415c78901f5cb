"""The edit modal: opened by the Edit button and the Edit image menu, submitted into an edit.

A modal must be the first answer to an interaction, so the cheap checks come before it:
the message has images, generation is on here, and the person has something left today.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from adapters.discord import flows
from adapters.discord.permissions import interaction_actor
from adapters.discord.respond import refuse
from adapters.discord.services import services_of
from adapters.discord.sources import NO_IMAGES, image_attachments
from bot.errors import Disabled, format_duration

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
    refusal = await quota_refusal(interaction)
    if refusal is not None:
        await refuse(interaction, refusal)
        return
    await interaction.response.send_modal(EditModal(message, base))


async def quota_refusal(interaction: discord.Interaction[Any]) -> str | None:
    """Why an edit would be refused here anyway (off, or nothing left today), before asking."""
    handler = services_of(interaction).handler
    actor = interaction_actor(interaction)
    limits = await handler.limits_for(actor.scope)
    if limits.enabled is False:
        return Disabled().message
    if actor.is_admin and limits.admins_exempt:
        return None
    usage = await handler.usage(actor)
    if usage.images_remaining != 0 and usage.cost_remaining_usd != 0:
        return None
    reset = format_duration((usage.resets_at - handler.clock()).total_seconds())
    return (
        "You have reached today's limit here, so an edit would be refused. "
        f"Limits reset in {reset} (00:00 UTC). Ask a server admin if you need more."
    )
