"""The creative controls under a single image: Vary (Subtle/Strong), Zoom Out, Pan, Upscale,
Vary Region; and Pick, which posts one image of several with the whole set under it.

Each custom_id is `imagine:ctl:<control>:<ledger id>` (the control as bot/controls.py writes
it, a dash for the space: `imagine:ctl:zoom-1.5:<id>`), so a button keeps working after a
restart. Each control is one row of `CONTROLS`; the three kinds of button here are rows of
`CONTROL_KINDS`, read by `ControlButton` as buttons.py's `ResultButton` reads its own. The
image is the one on the message the button sits under, fetched again when pressed; the press
is an Ask of kind 'control' named `<control>:<ledger id>`, so the runner drops a second press
by the same person while the first runs.
"""

from __future__ import annotations

import re

from adapters.discord import flows
from adapters.discord.buttons import (
    PARTS,
    PRIMARY,
    SECONDARY,
    Interaction,
    Kind,
    Look,
    ResultButton,
    template,
)
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


async def control(interaction: Interaction, parts: re.Match[str]) -> None:
    """Run the control on the message's image."""
    if (message := interaction.message) is not None:
        name = parts["control"].replace("-", " ")
        await flows.control_message(interaction, message, name, parts["entry"])


async def region(interaction: Interaction, parts: re.Match[str]) -> None:
    """Vary Region: answer privately with a link to the web editor, bound to the presser and
    the result, or with the web face's OFF words."""
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
    link = web_.editor_link(origin, parts["entry"], actor.user_id, image)
    minutes = services.settings.link_ttl_minutes
    await refuse(interaction, EDITOR_NOTE.format(link=link, minutes=minutes))


async def choose(interaction: Interaction, parts: re.Match[str]) -> None:
    """Pick one image of several: it is posted on its own with every control under it (nothing
    is charged)."""
    if (message := interaction.message) is not None:
        await flows.pick_image(interaction, message, int(parts["index"]), parts["entry"])


CONTROL_KINDS = (
    Kind(
        "ctl", "{control}:{entry}", Look(None, None, PRIMARY), control, PARTS | {"control": NAMES}
    ),
    Kind("region", "{entry}", Look("Vary Region", "🖌️", SECONDARY, REGION_ROW), region),
    Kind("choose", "{entry}:{index}", Look(None, None, SECONDARY), choose),
)


class ControlButton(ResultButton, template=template(CONTROL_KINDS)):
    """Any button of `CONTROL_KINDS`."""

    KINDS = CONTROL_KINDS


def control_button(name: str, entry_id: str) -> ControlButton:
    """The button of one creative control (`name` as bot/controls.py writes it)."""
    label, emoji, row = LOOKS[name]
    return ControlButton.of(
        "ctl", name.replace(" ", "-"), entry_id, label=label, emoji=emoji, row=row
    )


CONTROL_ITEMS = (ControlButton,)
