"""Results, progress and errors as Discord messages: text ≤ 2,000 characters, ≤ 10 files."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import discord

from bot.models import Result
from bot.reports import format_scope_usage, notes, tally
from bot.usage import ScopeUsage
from bot.wording import format_amount

MAX_CONTENT = 2000
MASKED_LINK = re.compile(r"\[(.+?)\]\(")
MAX_FILES = 10
TITLES = {
    "edit": "Edit",
    "vary": "Variation",
    "deliver": "Deliver again",
    "zoom": "Zoom Out",
    "pan": "Pan",
    "upscale": "Upscale",
    "blend": "Blend",
}
CONTROL_TITLES = {  # a control's result is named by the control, not its long instruction
    "vary subtle": "Vary (Subtle)",
    "vary strong": "Vary (Strong)",
    "zoom 1.5": "Zoom Out 1.5×",
    "zoom 2": "Zoom Out 2×",
    "pan left": "Pan ⬅️",
    "pan right": "Pan ➡️",
    "pan up": "Pan ⬆️",
    "pan down": "Pan ⬇️",
}


def clip(text: str, limit: int = MAX_CONTENT) -> str:
    """Text cut to Discord's limit, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def public(text: str) -> str:
    """An error for a message others see: cut to Discord's limit, and no masked link
    (`[words](address)`), so a person's words quoted in it cannot pose as a link of the bot's
    (the address stays visible). The escape is discord.utils.escape_markdown's."""
    return clip(MASKED_LINK.sub(r"\\[\1](", text))


def headline(kind: str, prompt: str, user_id: int, room: int = 1800) -> str:
    """'**prompt** — @user', with the prompt cut to leave `room` for the rest."""
    title = TITLES.get(kind, "")
    text = discord.utils.escape_markdown(prompt.strip())
    if title and text:
        text = f"{title}: {text}"
    return f"**{clip(text or title or 'Image', room)}** — <@{user_id}>"


def describe(result: Result) -> str:
    """'`1536x1024` · high · 2 images · $0.13'."""
    count = len(result.images)
    noun = "image" if count == 1 else "images"
    left = f" · {result.remaining}" if result.remaining else ""
    return (
        f"`{result.options.size}` · {result.options.quality} · {count} {noun} · "
        f"{format_amount(result.cost_usd, 'usd')}{left}"
    )


def result_text(result: Result, user_id: int) -> str:
    """The text posted with finished images, and the gateway's notes about them."""
    lines = [describe(result), *map(discord.utils.escape_markdown, notes(result.warnings))]
    tail = "\n" + "\n".join(lines)
    if control := result.options.control:
        title = CONTROL_TITLES.get(control) or TITLES.get(control.split()[0], control)
        return f"**{title}** — <@{user_id}>{tail}"
    return headline(result.kind, result.prompt, user_id, MAX_CONTENT - 40 - len(tail)) + tail


def result_files(result: Result) -> list[discord.File]:
    """The images as uploads; a request never has more than 10 (the options cap n at 10)."""
    return [
        discord.File(io.BytesIO(image.data), filename=image.filename)
        for image in result.images[:MAX_FILES]
    ]


def preview_file(data: bytes) -> discord.File | None:
    """A partial image as an upload named by its format, or None when it is no known image."""
    if data.startswith(b"\x89PNG"):
        extension = "png"
    elif data.startswith(b"\xff\xd8"):
        extension = "jpg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        extension = "webp"
    else:
        return None
    return discord.File(io.BytesIO(data), filename=f"preview.{extension}")


def scope_usage_text(usage: ScopeUsage, where: str) -> str:
    """An admin's usage report, top users as mentions."""
    lines = [f"**Usage in {where}**", format_scope_usage(replace(usage, top_users=()))]
    if usage.top_users:
        lines.append("Top users this month:")
        lines.extend(f"<@{u.user_id}>: {tally(u.images, u.cost_usd)}" for u in usage.top_users)
    return clip("\n".join(lines))
