"""The Vary Region editor: one person paints a region of one result and says what goes there.

GET  /web/edit         the page (the image, a canvas over it, the tools, the prompt)
GET  /web/edit/image   the image, read from the kept result or the link's URL
POST /web/edit         the painting and the prompt: a masked edit through the handler,
                       charged as any edit, posted where the original was
"""

from __future__ import annotations

import logging
import re
import uuid
from functools import partial
from html import escape

from aiohttp import web

from bot.delivery import DeliveryFailed
from bot.images import load_source
from bot.models import Actor, ImageRequest, SourceImage
from bot.reports import tally
from bot.web.context import Web
from bot.web.forms import multipart_fields
from bot.web.guard import check_csrf, html
from bot.web.mask import MAX_PAINTING_BYTES, mask_from_painting
from bot.web.pages import hidden, layout
from bot.web.platforms import Origin
from bot.web.signing import Grant, Refusal

log = logging.getLogger(__name__)

ONCE = re.compile(r"[0-9a-f]{32}")
FIELD_CAPS = {"csrf": 200, "once": 64, "prompt": 32_000, "mask": MAX_PAINTING_BYTES * 2}
GONE = Refusal(
    410,
    "This image cannot be read any more",
    "The bot no longer has this image and the chat's copy cannot be fetched. "
    "Press Vary Region under the image again for a fresh link.",
)


def origin_of(grant: Grant) -> Origin:
    """Where the edited result is posted."""
    return Origin(grant.platform, grant.workspace, grant.channel, grant.thread)


async def source_of(web_: Web, grant: Grant) -> SourceImage:
    """The image being edited: the result's kept image, else the one the link points at."""
    entry = await web_.handler.entry(grant.entry)
    if (entry.platform, entry.workspace_id) != (grant.platform, grant.workspace):
        raise GONE
    kept = await web_.handler.kept_images(entry.id)
    cap = web_.settings.max_source_bytes
    if kept:
        data = kept[0].data
    elif grant.image:
        try:
            platform = web_.platforms.of(origin_of(grant))
            data = await platform.source_image(origin_of(grant), grant.image, cap)
        except DeliveryFailed as failure:
            log.info("editor image of %s not read: %s", entry.id, failure.cause)
            raise GONE from None
    else:
        raise GONE
    return await load_source(data, filename=f"region-{entry.id[:8]}", max_bytes=cap)


def editor_page(web_: Web, csrf: str) -> str:
    """The editor: the image with its painting canvas, the tools, the prompt."""
    tools = (
        '<div class="tools" role="toolbar" aria-label="Brush">'
        '<label class="brush">Brush <input type="range" id="brush" min="4" max="240" '
        'value="64"></label>'
        '<button type="button" id="mode-paint" class="mode" aria-pressed="true">Paint</button>'
        '<button type="button" id="mode-erase" class="mode" aria-pressed="false">Eraser</button>'
        '<button type="button" id="undo">Undo</button>'
        '<button type="button" id="clear">Clear</button></div>'
    )
    form = (
        f'<form id="edit-form" method="post" action="{web_.base}/edit" '
        'enctype="multipart/form-data" class="card">'
        f"{tools}"
        '<label for="prompt" class="field">What should appear in the painted region?</label>'
        '<textarea id="prompt" name="prompt" rows="3" required maxlength="4000" '
        'placeholder="a red kite in the sky"></textarea>'
        f'{hidden(csrf=csrf, once=uuid.uuid4().hex)}<input type="hidden" name="mask" id="mask">'
        '<p class="quiet">Paint over what should change; the rest of the image stays. '
        "It is charged as any edit.</p>"
        '<button type="submit" id="send" class="primary">Vary this region</button></form>'
    )
    stage = (
        '<div class="stage" id="stage">'
        f'<img id="source" src="{web_.base}/edit/image" alt="The image to edit">'
        '<canvas id="paint" aria-label="Paint the region to change"></canvas></div>'
    )
    body = f'<section class="editor">{stage}{form}</section>'
    return layout(web_.base, "Vary Region", body, script="editor.js")


def routes(web_: Web) -> list[web.RouteDef]:
    """The editor's routes."""

    async def page(request: web.Request) -> web.Response:
        grant, csrf = web_.sessions.current(request, "editor", web_.now())
        await source_of(web_, grant)  # a page for an image that is gone says so at once
        return html(editor_page(web_, csrf))

    async def image(request: web.Request) -> web.Response:
        grant, _ = web_.sessions.current(request, "editor", web_.now())
        source = await source_of(web_, grant)
        return web.Response(body=source.data, content_type=source.content_type)

    async def submit(request: web.Request) -> web.Response:
        grant, csrf = web_.sessions.current(request, "editor", web_.now())
        fields = await multipart_fields(request, FIELD_CAPS)
        check_csrf(fields, csrf)
        return html(await send_edit(web_, grant, fields))

    return [web.get("/edit", page), web.get("/edit/image", image), web.post("/edit", submit)]


async def send_edit(web_: Web, grant: Grant, fields: dict[str, str]) -> str:
    """Run the masked edit for the grant's person, post it, and say where and for what."""
    once = fields.get("once", "")
    if not ONCE.fullmatch(once):
        raise Refusal(400, "This form is incomplete", "Reload the editor and paint again.")
    handler = web_.handler
    origin = origin_of(grant)
    try:
        platform = web_.platforms.of(origin)
    except DeliveryFailed as failure:
        message = f"The result could not be posted: {failure.cause}. You were not charged."
        raise Refusal(503, "The chat is not connected", f"{message} {failure.fix}") from None
    source = await source_of(web_, grant)
    mask = await mask_from_painting(fields.get("mask", ""), source)
    prompt, options = handler.parse(fields.get("prompt", ""), source=(source.width, source.height))
    actor = Actor(grant.platform, grant.workspace, grant.channel, grant.user)
    request = ImageRequest(
        kind="edit",
        prompt=prompt,
        actor=actor,
        idempotency_key=f"web-edit:{once}",
        options=options,
        sources=(source,),
        mask=mask,
        parent_id=grant.entry,
    )
    result = await handler.edit(request)
    again = f"Request id {result.request_id}."
    post = partial(platform.post_result, origin, result, grant.user)
    where = await handler.deliver(result, post, again=again)
    made = tally(len(result.images), result.cost_usd)
    body = (
        f'<section class="card done"><p>Your new image is posted in {escape(where)}: '
        f'{escape(made)}.</p><p><a href="{web_.base}/edit">Paint another region</a></p>'
        "</section>"
    )
    return layout(web_.base, "Sent", body)
