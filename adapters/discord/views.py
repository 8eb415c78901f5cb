"""The buttons under a result, laid out within Discord's five rows of five.

One image (or one picked image of several):

    [🎲 Vary] [Vary (Subtle)] [Vary (Strong)] [⏫ Upscale]
    [🔍 Zoom Out 1.5×] [🔍 Zoom Out 2×] [🖌️ Vary Region]
    [⬅️] [➡️] [⬆️] [⬇️]
    [🔄 Re-roll] [✏️ Edit] [🗑️ Delete]

Several images: one Vary and one Pick per image, then Re-roll, Edit, Delete.
"""

from __future__ import annotations

import math

import discord

from adapters.discord.buttons import PER_ROW, ResultButton, image_row
from adapters.discord.controls import CONTROLS, ControlButton, control_button
from adapters.discord.services import Origin
from bot.models import Result

LAST_ROW = 3  # of a single image's buttons


def reroll_button(entry_id: str, origin: Origin) -> ResultButton:
    """Re-roll; under an edit or a variation it points at the source message (and image)."""
    return ResultButton.of("reroll", entry_id, origin.message_id, origin.index)


def result_view(result: Result, origin: Origin) -> discord.ui.View:
    """Every control under one image; Vary and Pick per image under several. Re-roll shows
    when the result's sources can be found again."""
    entry_id = result.request_id
    rerollable = result.kind == "generate" or origin.message_id is not None
    reroll = reroll_button(entry_id, origin) if rerollable else None
    count = len(result.images)
    if count == 1:
        return full_view(entry_id, reroll)
    view = discord.ui.View(timeout=None)
    rows = math.ceil(count / PER_ROW)
    for index in range(count):
        label = f"V{index + 1}"
        view.add_item(ResultButton.of("vary", entry_id, index, label=label, row=image_row(index)))
    for index in range(count):
        row = rows + image_row(index)
        view.add_item(
            ControlButton.of("choose", entry_id, index, label=f"Pick {index + 1}", row=row)
        )
    return with_tail(view, entry_id, reroll, 2 * rows)


def full_view(entry_id: str, reroll: ResultButton | None) -> discord.ui.View:
    """Vary, the creative controls, Vary Region, Re-roll, Edit and Delete for one image."""
    view = discord.ui.View(timeout=None)
    view.add_item(ResultButton.of("vary", entry_id, 0, row=0))
    for control, *_ in CONTROLS:
        view.add_item(control_button(control, entry_id))
    view.add_item(ControlButton.of("region", entry_id))
    return with_tail(view, entry_id, reroll, LAST_ROW)


def with_tail(
    view: discord.ui.View, entry_id: str, reroll: ResultButton | None, row: int
) -> discord.ui.View:
    """`view` with Re-roll (if any), Edit and Delete in `row`."""
    tail = [ResultButton.of("edit", entry_id), ResultButton.of("delete", entry_id)]
    for item in ([reroll] if reroll else []) + tail:
        item.row = row
        view.add_item(item)
    return view


def picked_view(entry_id: str, rerollable: bool) -> discord.ui.View:
    """The full set under an image picked from several (Re-roll remakes the whole request)."""
    return full_view(entry_id, reroll_button(entry_id, Origin()) if rerollable else None)


def deliver_again_view(entry_id: str) -> discord.ui.View:
    """The Deliver again button under a result that could not be delivered."""
    view = discord.ui.View(timeout=None)
    view.add_item(ResultButton.of("deliver", entry_id))
    return view


def pick_view(message: discord.Message, count: int) -> discord.ui.View:
    """One button per image of a message, for Vary image."""
    view = discord.ui.View(timeout=None)
    for index in range(count):
        label = f"Image {index + 1}"
        view.add_item(ResultButton.of("pick", message.id, index, label=label, row=image_row(index)))
    return view
