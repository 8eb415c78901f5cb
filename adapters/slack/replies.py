"""What the bot writes into Slack: progress lines, upload comments, help."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Result
from bot.reports import notes
from bot.wording import format_amount

MAX_TEXT = 4000
MAX_SECTION = 3000
PROMPT_IN_CARD = 600
VERBS = {"generate": "Imagining", "edit": "Editing", "vary": "Varying"}
STARTING = "Starting…"

HELP = """\
*/imagine* makes images from a prompt:
• `/imagine a red balloon on a wooden table`
• Options at the end of the prompt: `--size 2048x1152` (any size the model makes; or `--ar 16:9`, \
`landscape`, `portrait`), `--quality low|medium|high`, `--n 2`, `--bg transparent`, \
`--format png|jpeg|webp`, `--compression 80`, `--model M` (one of the models this bot offers)
• `/imagine usage`: what you have used today and what is left
• `/imagine limits`: this channel's limits (admins and channel managers can change them; \
`/imagine limits workspace` for the whole workspace; workspace admins: `/imagine limits @group` \
or `/imagine limits U…` for a user group's or one person's own limits)
*Editing:* on any message with an image, open its ⋮ menu and choose *Edit image* or \
*Vary image*; or reply in the image's thread with `@Imagine make the balloon blue`.
Under a result: *Vary (Subtle)*, *Vary (Strong)*, *Upscale*, *Zoom Out 1.5×* and *2×*, \
*⬅ ➡ ⬆ ⬇* (pan), *Re-roll*, *Edit*, *Vary Region* and *Delete*; under several images, *Vary* \
and *Pick* per image (Pick posts that image with every control, free).
*Blend:* the ⋮ menu's *Blend images* on a message with 2 to 5 images, or `@Imagine blend …` in \
their thread. `/imagine dashboard`: the spending dashboard (workspace admins)."""


def cap(text: str, limit: int = MAX_TEXT) -> str:
    """Text cut to Slack's limit, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def from_slack(text: str) -> str:
    """Text as the person typed it: Slack sends &, < and > in messages and commands as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def quoted(text: str, limit: int) -> str:
    """A person's text inside the bot's message: &, < and > escaped, so it never pings or links."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    broken = cut.rfind("&", len(cut) - 4)  # an entity the cut may have split
    return (cut if broken < 0 else cut[:broken]) + "…"


def progress_text(user_id: str, kind: str, prompt: str, state: str = STARTING) -> str:
    """The working message: who asked for what, and where the request stands (the runner's
    words, e.g. 'Queued — position 3')."""
    what = quoted(prompt or "a variation", PROMPT_IN_CARD)
    head = f"{VERBS.get(kind, 'Working on')} for <@{user_id}>: {what}"
    return cap(f":hourglass_flowing_sand: {head}\n_{state}_")


def details(result: Result) -> str:
    """'2 images · 1536x1024 · high · $0.50 · request 1a2b3c4d'."""
    count = len(result.images)
    noun = "image" if count == 1 else "images"
    opts = result.options
    left = f" · {result.remaining}" if result.remaining else ""
    return (
        f"{count} {noun} · {opts.size} · {opts.quality} · "
        f"{format_amount(result.cost_usd, 'usd')} · request `{result.request_id[:8]}`{left}"
    )


def upload_comment(user_id: str, result: Result) -> str:
    """The comment shown with the uploaded images: who, what, what it cost, the gateway's notes."""
    remarks = "".join(f"\n{quoted(line, 300)}" for line in notes(result.warnings))
    what = quoted(result.prompt or "a variation", MAX_TEXT - 300 - len(remarks))
    return f"<@{user_id}>: {what}\n{details(result)}{remarks}"


def user_list(user_ids: Sequence[str]) -> str:
    """'<@U1>, <@U2>' or 'nobody'."""
    return ", ".join(f"<@{u}>" for u in user_ids) or "nobody"
