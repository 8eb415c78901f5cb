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

from adapters.discord.buttons import (
    Button,
    DeleteButton,
    DeliverAgainButton,
    EditButton,
    PickButton,
    RerollButton,
    VaryButton,
)
from adapters.discord.controls import CONTROLS, ChooseButton, ControlButton, RegionButton
from adapters.discord.services import Origin
from bot.models import Result

PER_ROW = 5
LAST_ROW = 3  # of a single image's buttons


def result_view(result: Result, origin: Origin) -> discord.ui.View:
    """Every control under one image; Vary and Pick per image under several. Re-roll shows
    when the result's sources can be found again."""
    rerollable = result.kind == "generate" or origin.message_id is not None
    reroll = RerollButton(result.request_id, origin) if rerollable else None
    count = len(result.images)
    if count == 1:
        return full_view(result.request_id, reroll)
    view = discord.ui.View(timeout=None)
    rows = math.ceil(count / PER_ROW)
    for index in range(count):
        view.add_item(VaryButton(result.request_id, index, f"V{index + 1}"))
    for index in range(count):
        view.add_item(ChooseButton(result.request_id, index, rows + index // PER_ROW))
    tail: list[discord.ui.DynamicItem[Button]] = [
        EditButton(result.request_id),
        DeleteButton(result.request_id),
    ]
    for item in ([reroll] if reroll else []) + tail:
        item.row = 2 * rows
        view.add_item(item)
    return view


def full_view(entry_id: str, reroll: RerollButton | None) -> discord.ui.View:
    """Vary, the creative controls, Vary Region, Re-roll, Edit and Delete for one image."""
    view = discord.ui.View(timeout=None)
    view.add_item(VaryButton(entry_id, 0))
    for control, *_ in CONTROLS:
        view.add_item(ControlButton(control, entry_id))
    view.add_item(RegionButton(entry_id))
    tail: list[discord.ui.DynamicItem[Button]] = [EditButton(entry_id), DeleteButton(entry_id)]
    for item in ([reroll] if reroll else []) + tail:
        item.row = LAST_ROW
        view.add_item(item)
    return view


def picked_view(entry_id: str, rerollable: bool) -> discord.ui.View:
    """The full set under an image picked from several (Re-roll remakes the whole request)."""
    return full_view(entry_id, RerollButton(entry_id, Origin()) if rerollable else None)


def deliver_again_view(entry_id: str) -> discord.ui.View:
    """The Deliver again button under a result that could not be delivered."""
    view = discord.ui.View(timeout=None)
    view.add_item(DeliverAgainButton(entry_id))
    return view


def pick_view(message: discord.Message, count: int) -> discord.ui.View:
    """One button per image of a message, for Vary image."""
    view = discord.ui.View(timeout=None)
    for index in range(count):
        view.add_item(PickButton(message.id, index))
    return view
