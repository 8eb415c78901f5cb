"""Requests as the handler takes them: generate, edit, vary and re-roll from Slack input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from adapters.slack.context import Services
from adapters.slack.files import SlackFile, file_info, load_sources
from adapters.slack.work import Start, Tracker
from bot.models import Actor, ImageRequest, Result, SourceImage

FileRef = SlackFile | str


async def sources(svc: Services, refs: Sequence[FileRef]) -> tuple[SourceImage, ...]:
    """Download and validate images given as Slack files or file ids."""
    files = [
        ref if isinstance(ref, SlackFile) else await file_info(svc.client, ref) for ref in refs
    ]
    return await load_sources(svc.http, files, svc.token, svc.settings)


def _ids(refs: Sequence[FileRef]) -> tuple[str, ...]:
    return tuple(ref.id if isinstance(ref, SlackFile) else ref for ref in refs)


def _shape(source: SourceImage) -> tuple[int, int]:
    return source.width, source.height


def generate_job(svc: Services, text: str, key: str) -> Start:
    """Make images from a prompt with --flags."""

    async def start(actor: Actor, tracker: Tracker) -> Result:
        prompt, opts = svc.handler.parse(text)
        tracker.describe("generate", prompt)
        req = ImageRequest("generate", prompt, actor, key, opts)
        return await svc.handler.generate(req, tracker.progress)

    return start


def edit_job(
    svc: Services, refs: Sequence[FileRef], text: str, key: str, parent: str | None
) -> Start:
    """Change images as the text says; the size follows the first image unless a flag sets it."""

    async def start(actor: Actor, tracker: Tracker) -> Result:
        images = await sources(svc, refs)
        prompt, opts = svc.handler.parse(text, source=_shape(images[0]))
        tracker.describe("edit", prompt, _ids(refs))
        req = ImageRequest("edit", prompt, actor, key, opts, images, parent_id=parent)
        return await svc.handler.edit(req, tracker.progress)

    return start


def vary_job(svc: Services, ref: FileRef, key: str, parent: str | None) -> Start:
    """One variation of one image, with the options of the request that made it, if any."""

    async def start(actor: Actor, tracker: Tracker) -> Result:
        images = await sources(svc, [ref])
        opts = svc.handler.source_options(svc.handler.defaults, *_shape(images[0]))
        if parent is not None:
            entry = await svc.handler.entry(parent)
            opts = replace(entry.options, n=1)
        tracker.describe("vary", "a variation", _ids([ref]))
        req = ImageRequest("vary", "", actor, key, opts, images, parent_id=parent)
        return await svc.handler.vary(req, tracker.progress)

    return start


def reroll_job(svc: Services, request_id: str, refs: Sequence[FileRef], key: str) -> Start:
    """The same request again, with the same sources when it was an edit or a variation."""

    async def start(actor: Actor, tracker: Tracker) -> Result:
        entry = await svc.handler.entry(request_id)
        images = await sources(svc, refs) if entry.kind != "generate" else ()
        tracker.describe(entry.kind, entry.prompt or "a variation", _ids(refs))
        return await svc.handler.reroll(
            request_id, actor, key, sources=images, progress=tracker.progress
        )

    return start
