"""Buttons under every result, as DynamicItems so they keep working after a restart.

Each custom_id carries only a ledger id (and an image index or a source message): the
prompt and options live in the store. A press is a request of its own, keyed by its
interaction id and named by its button (`press`): the runner drops a second press of the
same button by the same person while the first runs, and a later press makes a new result.
An error nothing else caught is logged and answered, as a failed command is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Self

import discord

from adapters.discord import flows
from adapters.discord.modals import open_edit_modal
from adapters.discord.permissions import delete_refusal
from adapters.discord.respond import refuse, report_failure
from adapters.discord.services import Origin, services_of
from adapters.discord.sources import MESSAGE_GONE
from bot.errors import BadRequest, UserFacingError

ENTRY = r"(?P<entry>[0-9A-Za-z_-]{1,40})"
Button = discord.ui.Button[discord.ui.View]
log = logging.getLogger(__name__)


async def answering(
    interaction: discord.Interaction[Any], action: str, run: Callable[[], Awaitable[None]]
) -> None:
    """Run a press; a failure inside the bot is logged and answered, never left to time out."""
    try:
        await run()
    except Exception:
        log.exception("Discord button %s failed", action)
        await report_failure(interaction)


def image_button(label: str, custom_id: str, index: int, emoji: str | None = None) -> Button:
    """A button for one image of several, five to a row (Re-roll, Edit, Delete go in row 2)."""
    row = index // 5
    return discord.ui.Button(
        label=label, emoji=emoji, style=discord.ButtonStyle.primary, custom_id=custom_id, row=row
    )


def row_button(label: str, emoji: str, style: discord.ButtonStyle, custom_id: str) -> Button:
    """A button in the row under the images (views.py moves it down under more rows)."""
    return discord.ui.Button(label=label, emoji=emoji, style=style, custom_id=custom_id, row=2)


class VaryButton(discord.ui.DynamicItem[Button], template=rf"imagine:vary:{ENTRY}:(?P<index>\d+)"):
    """Vary one image of a result."""

    def __init__(self, entry_id: str, index: int, label: str = "Vary") -> None:
        super().__init__(image_button(label, f"imagine:vary:{entry_id}:{index}", index, "🎲"))
        self.entry_id = entry_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VaryButton:
        """Rebuild the button from its custom_id."""
        return cls(match["entry"], int(match["index"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Vary the image."""
        message = interaction.message
        if message is None:
            return
        press = f"vary:{self.entry_id}:{self.index}"
        await answering(
            interaction,
            press,
            lambda: flows.vary_message(interaction, message, self.index, self.entry_id, press),
        )


class RerollButton(
    discord.ui.DynamicItem[Button],
    template=rf"imagine:reroll:{ENTRY}(?::(?P<message>\d+)(?::(?P<index>\d+))?)?",
):
    """Run a result's request again; edits and variations keep a pointer to their source."""

    def __init__(self, entry_id: str, origin: Origin) -> None:
        tail = "".join(f":{part}" for part in (origin.message_id, origin.index) if part is not None)
        custom_id = f"imagine:reroll:{entry_id}{tail}"
        super().__init__(row_button("Re-roll", "🔄", discord.ButtonStyle.secondary, custom_id))
        self.entry_id = entry_id
        self.origin = origin

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RerollButton:
        """Rebuild the button from its custom_id."""
        message = int(match["message"]) if match["message"] else None
        index = int(match["index"]) if match["index"] else None
        return cls(match["entry"], Origin(message, index))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Re-roll."""
        await answering(
            interaction, "reroll", lambda: flows.reroll(interaction, self.entry_id, self.origin)
        )


class EntryButton(discord.ui.DynamicItem[Button], template=rf"imagine:(?:edit|delete):{ENTRY}"):
    """A button under a result whose custom_id is `imagine:<ACTION>:<ledger id>`."""

    ACTION: ClassVar[str]
    LOOK: ClassVar[tuple[str, str, discord.ButtonStyle]]  # label, emoji, style

    def __init__(self, entry_id: str) -> None:
        label, emoji, style = self.LOOK
        super().__init__(row_button(label, emoji, style, f"imagine:{self.ACTION}:{entry_id}"))
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the button from its custom_id."""
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the press on the result's message."""
        message = interaction.message
        if message is None:
            return
        await answering(interaction, self.ACTION, lambda: self.press(interaction, message))

    async def press(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """What the button does (each kind of button says)."""
        raise NotImplementedError


class EditButton(EntryButton, template=rf"imagine:edit:{ENTRY}"):
    """Open a modal asking how to change the result's images."""

    ACTION = "edit"
    LOOK = ("Edit", "✏️", discord.ButtonStyle.secondary)

    async def press(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Open the edit modal; the edit keeps the result's quality and format."""
        await open_edit_modal(interaction, message, self.entry_id)


class DeleteButton(EntryButton, template=rf"imagine:delete:{ENTRY}"):
    """Delete a result: its requester, or anyone with Manage Messages."""

    ACTION = "delete"
    LOOK = ("Delete", "🗑️", discord.ButtonStyle.danger)

    async def press(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Delete the message, or say privately why not."""
        try:
            entry = await services_of(interaction).handler.entry(self.entry_id)
        except UserFacingError as exc:
            await refuse(interaction, exc.message)
            return
        refusal = delete_refusal(interaction.permissions, interaction.user.id, entry)
        if refusal is not None:
            await refuse(interaction, refusal)
            return
        await interaction.response.defer()
        try:
            await message.delete()
        except discord.NotFound:
            return


class PickButton(
    discord.ui.DynamicItem[Button], template=r"imagine:pick:(?P<message>\d+):(?P<index>\d+)"
):
    """Vary image on a message with several images: choose which one."""

    def __init__(self, message_id: int, index: int) -> None:
        super().__init__(
            image_button(f"Image {index + 1}", f"imagine:pick:{message_id}:{index}", index)
        )
        self.message_id = message_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PickButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["message"]), int(match["index"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Vary the chosen image of that message."""
        await answering(interaction, "pick", lambda: self.vary(interaction))

    async def vary(self, interaction: discord.Interaction[Any]) -> None:
        """Fetch the message again (it may be gone) and vary the chosen image."""
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            return
        try:
            message = await channel.fetch_message(self.message_id)
        except discord.NotFound:
            await refuse(interaction, BadRequest(MESSAGE_GONE).message)
            return
        press = f"pick:{self.message_id}:{self.index}"
        await flows.vary_message(interaction, message, self.index, None, press)


class DeliverAgainButton(discord.ui.DynamicItem[Button], template=rf"imagine:deliver:{ENTRY}"):
    """Post the kept images of a result whose delivery failed (its requester only)."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Deliver again",
                emoji="📨",
                style=discord.ButtonStyle.primary,
                custom_id=f"imagine:deliver:{entry_id}",
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeliverAgainButton:
        """Rebuild the button from its custom_id."""
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Deliver the kept images (the store claims them once)."""
        await answering(
            interaction, "deliver", lambda: flows.deliver_again(interaction, self.entry_id)
        )


DYNAMIC_ITEMS = (
    VaryButton,
    RerollButton,
    EditButton,
    DeleteButton,
    PickButton,
    DeliverAgainButton,
)
