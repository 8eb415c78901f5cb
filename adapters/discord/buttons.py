"""Buttons under every result, as DynamicItems so they keep working after a restart.

Each custom_id is `imagine:<kind>:<parts>` and carries only a ledger id (and an image index
or a source message): the prompt and options live in the store. Every kind of button is one
row of a table (`Kind`): what follows `imagine:<kind>:`, how it looks, what a press does; one
DynamicItem class (`ResultButton`) reads any of them. A press is a request of its own, keyed by
its interaction id and named by its button (`press`): the runner drops a second press of the
same button by the same person while the first runs, and a later press makes a new result.
An error nothing else caught is logged and answered, as a failed command is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple, Self

import discord

from adapters.discord import flows
from adapters.discord.modals import open_edit_modal
from adapters.discord.permissions import delete_refusal
from adapters.discord.respond import refuse, report_failure
from adapters.discord.services import Origin, services_of
from adapters.discord.sources import MESSAGE_GONE
from bot.errors import BadRequest, UserFacingError

# the parts a custom_id may carry after `imagine:<kind>:`
PARTS = MappingProxyType({"entry": r"[0-9A-Za-z_-]{1,40}", "index": r"\d+", "message": r"\d+"})
PER_ROW = 5
PRIMARY, SECONDARY, DANGER = (
    discord.ButtonStyle.primary,
    discord.ButtonStyle.secondary,
    discord.ButtonStyle.danger,
)
Button = discord.ui.Button[discord.ui.View]
Interaction = discord.Interaction[Any]
Run = Callable[[Interaction, re.Match[str]], Awaitable[None]]
log = logging.getLogger(__name__)


class Look(NamedTuple):
    """How a button shows: its label and emoji (either may be missing), style and row."""

    label: str | None
    emoji: str | None
    style: discord.ButtonStyle
    row: int | None = None


class Kind(NamedTuple):
    """One kind of button: its custom_id after `imagine:<name>:` (`tail`, the parts in braces),
    how it looks unless told otherwise, and what a press does with the custom_id's parts."""

    name: str
    tail: str
    look: Look
    run: Run
    parts: Mapping[str, str] = PARTS

    def pattern(self, named: bool = True) -> str:
        """The regex of this kind's custom_ids (with its parts as named groups, or plain)."""
        groups = {k: f"(?P<{k}>{v})" if named else f"(?:{v})" for k, v in self.parts.items()}
        return f"imagine:{self.name}:" + self.tail.format(**groups)


def template(kinds: Sequence[Kind]) -> str:
    """The regex matching exactly the custom_ids of `kinds`."""
    return "|".join(f"(?:{kind.pattern(named=False)})" for kind in kinds)


async def vary(interaction: Interaction, parts: re.Match[str]) -> None:
    """Vary one image of a result."""
    if (message := interaction.message) is not None:
        entry, index = parts["entry"], int(parts["index"])
        await flows.vary_message(interaction, message, index, entry, f"vary:{entry}:{index}")


async def reroll(interaction: Interaction, parts: re.Match[str]) -> None:
    """Run a result's request again; edits and variations keep a pointer to their source."""
    message, index = (int(parts[k]) if parts[k] else None for k in ("message", "index"))
    await flows.reroll(interaction, parts["entry"], Origin(message, index))


async def edit(interaction: Interaction, parts: re.Match[str]) -> None:
    """Open the edit modal; the edit keeps the result's quality and format."""
    if (message := interaction.message) is not None:
        await open_edit_modal(interaction, message, parts["entry"])


async def delete(interaction: Interaction, parts: re.Match[str]) -> None:
    """Delete a result (its requester, or anyone with Manage Messages), or say privately why
    not."""
    if (message := interaction.message) is None:
        return
    try:
        entry = await services_of(interaction).handler.entry(parts["entry"])
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


async def pick(interaction: Interaction, parts: re.Match[str]) -> None:
    """Vary image on a message with several images: fetch the message again (it may be gone)
    and vary the chosen image."""
    channel = interaction.channel
    if not isinstance(channel, discord.abc.Messageable):
        return
    message_id, index = int(parts["message"]), int(parts["index"])
    try:
        message = await channel.fetch_message(message_id)
    except discord.NotFound:
        await refuse(interaction, BadRequest(MESSAGE_GONE).message)
        return
    await flows.vary_message(interaction, message, index, None, f"pick:{message_id}:{index}")


async def deliver_again(interaction: Interaction, parts: re.Match[str]) -> None:
    """Post the kept images of a result whose delivery failed (its requester only; the store
    claims them once)."""
    await flows.deliver_again(interaction, parts["entry"])


# Re-roll, Edit and Delete sit in row 2 under up to ten images (views.py moves them down)
KINDS = (
    Kind("vary", "{entry}:{index}", Look("Vary", "🎲", PRIMARY), vary),
    Kind(
        "reroll",
        "{entry}(?::{message}(?::{index})?)?",
        Look("Re-roll", "🔄", SECONDARY, 2),
        reroll,
    ),
    Kind("edit", "{entry}", Look("Edit", "✏️", SECONDARY, 2), edit),
    Kind("delete", "{entry}", Look("Delete", "🗑️", DANGER, 2), delete),
    Kind("pick", "{message}:{index}", Look(None, None, PRIMARY), pick),
    Kind("deliver", "{entry}", Look("Deliver again", "📨", PRIMARY), deliver_again),
)


class ResultButton(discord.ui.DynamicItem[Button], template=template(KINDS)):
    """Any button of `KINDS`: built with `of`, rebuilt from its custom_id when pressed."""

    KINDS: ClassVar[Sequence[Kind]] = KINDS

    def __init__(self, button: Button) -> None:
        super().__init__(button)
        name = self.custom_id.split(":")[1]  # only the kind of that name builds its regex
        [(self.kind, self.parts)] = [
            (kind, found)
            for kind in self.KINDS
            if kind.name == name and (found := re.fullmatch(kind.pattern(), self.custom_id))
        ]

    @classmethod
    def of(
        cls,
        name: str,
        *parts: str | int | None,
        label: str | None = None,
        emoji: str | None = None,
        row: int | None = None,
    ) -> Self:
        """A button of kind `name` carrying `parts` (a missing one ends the custom_id), in its
        kind's look but for the `label`, `emoji` or `row` given."""
        [kind] = [kind for kind in cls.KINDS if kind.name == name]
        custom_id = ":".join(["imagine", name, *(str(p) for p in parts if p is not None)])
        look = kind.look
        return cls(
            discord.ui.Button(
                label=label or look.label,
                emoji=emoji or look.emoji,
                style=look.style,
                custom_id=custom_id,
                row=look.row if row is None else row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the button from its custom_id (its look does not matter any more)."""
        return cls(discord.ui.Button(custom_id=match.string))

    async def callback(self, interaction: Interaction) -> None:
        """Run the press; a failure inside the bot is logged and answered, never left to time
        out."""
        try:
            await self.kind.run(interaction, self.parts)
        except Exception:
            log.exception("Discord button %s failed", self.custom_id)
            await report_failure(interaction)


def image_row(index: int) -> int:
    """The row of the button for image `index`: five to a row."""
    return index // PER_ROW


DYNAMIC_ITEMS = (ResultButton,)
