"""The creative controls under a single image: Vary (Subtle/Strong), Zoom Out, Pan, Upscale,
Vary Region; and Pick, which posts one image of several with the whole set under it.

Each custom_id is `imagine:ctl:<control>:<ledger id>` (the control as bot/controls.py writes
it, a dash for the space: `imagine:ctl:zoom-1.5:<id>`), so a button keeps working after a
restart. The image is the one on the message the button sits under, fetched again when
pressed; the press is an Ask of kind 'control' named `<control>:<ledger id>`, so the runner
drops a second press by the same person while the first runs.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord import flows
from adapters.discord.buttons import ENTRY, Button, answering
from adapters.discord.editor import linked_image
from adapters.discord.permissions import interaction_actor
from adapters.discord.respond import refuse
from adapters.discord.services import services_of
from adapters.discord.sources import image_attachments
from bot.web.app import OFF
from bot.web.platforms import Origin as WebOrigin

# (control, label, emoji, row) in the order they are shown
CONTROLS: tuple[tuple[str, str, str | None, int], ...] = (
    ("vary subtle", "Vary (Subtle)", None, 0),
    ("vary strong", "Vary (Strong)", None, 0),
    ("upscale", "Upscale", "⏫", 0),
    ("zoom 1.5", "Zoom Out 1.5×", "🔍", 1),
    ("zoom 2", "Zoom Out 2×", "🔍", 1),
    ("pan left", "", "⬅️", 2),
    ("pan right", "", "➡️", 2),
    ("pan up", "", "⬆️", 2),
    ("pan down", "", "⬇️", 2),
)
LOOKS = {control: (label, emoji, row) for control, label, emoji, row in CONTROLS}
NAMES = "|".join(re.escape(c.replace(" ", "-")) for c in LOOKS)
REGION_ROW = 1
EDITOR_NOTE = (
    "Paint the part to change and say what goes there: {link}\n"
    "The link is yours alone and works for {minutes} minutes."
)


class ControlButton(
    discord.ui.DynamicItem[Button], template=rf"imagine:ctl:(?P<control>{NAMES}):{ENTRY}"
):
    """One creative control on the image of a result's message."""

    def __init__(self, control: str, entry_id: str) -> None:
        label, emoji, row = LOOKS[control]
        custom_id = f"imagine:ctl:{control.replace(' ', '-')}:{entry_id}"
        super().__init__(
            discord.ui.Button(
                label=label or None,
                emoji=emoji,
                style=discord.ButtonStyle.primary,
                custom_id=custom_id,
                row=row,
            )
        )
        self.control = control
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ControlButton:
        """Rebuild the button from its custom_id."""
        return cls(match["control"].replace("-", " "), match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the control on the message's image."""
        message = interaction.message
        if message is None:
            return
        await answering(
            interaction,
            self.control,
            lambda: flows.control_message(interaction, message, self.control, self.entry_id),
        )


class RegionButton(discord.ui.DynamicItem[Button], template=rf"imagine:region:{ENTRY}"):
    """Vary Region: a private link to the web editor for this person and this result."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Vary Region",
                emoji="🖌️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"imagine:region:{entry_id}",
                row=REGION_ROW,
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RegionButton:
        """Rebuild the button from its custom_id."""
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer privately with the editor's link, or why there is none."""
        await answering(interaction, "region", lambda: self.answer(interaction))

    async def answer(self, interaction: discord.Interaction[Any]) -> None:
        """The link (bound to the presser and the result), or the web face's OFF words."""
        services = services_of(interaction)
        web_ = services.web
        if web_ is None:
            await refuse(interaction, OFF)
            return
        message = interaction.message
        found = image_attachments(message) if message is not None else []
        image = linked_image(found[0], message.id) if message is not None and found else ""
        actor = interaction_actor(interaction)
        origin = WebOrigin("discord", actor.workspace_id, str(interaction.channel_id or ""))
        link = web_.editor_link(origin, self.entry_id, actor.user_id, image)
        minutes = services.settings.link_ttl_minutes
        await refuse(interaction, EDITOR_NOTE.format(link=link, minutes=minutes))


class ChooseButton(
    discord.ui.DynamicItem[Button], template=rf"imagine:choose:{ENTRY}:(?P<index>\d+)"
):
    """Pick one image of several: it is posted on its own with every control under it."""

    def __init__(self, entry_id: str, index: int, row: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Pick {index + 1}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"imagine:choose:{entry_id}:{index}",
                row=row,
            )
        )
        self.entry_id = entry_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChooseButton:
        """Rebuild the button from its custom_id."""
        return cls(match["entry"], int(match["index"]), 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Post the chosen image with the full set (nothing is charged)."""
        message = interaction.message
        if message is None:
            return
        await answering(
            interaction,
            "choose",
            lambda: flows.pick_image(interaction, message, self.index, self.entry_id),
        )


CONTROL_ITEMS = (ControlButton, RegionButton, ChooseButton)
