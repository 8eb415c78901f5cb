"""The requests behind every entry point: defer, run one core call, show the result."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import discord

from adapters.discord.deliver import DELIVER_AGAIN, STOPPED, delivery_failure
from adapters.discord.permissions import interaction_actor
from adapters.discord.replies import GENERIC_ERROR, headline, result_files, result_text
from adapters.discord.respond import InteractionResponder, ProgressBoard, Responder, refuse
from adapters.discord.services import Origin, Services, services_of
from adapters.discord.sources import (
    MESSAGE_GONE,
    NO_IMAGES,
    fresh_message,
    image_attachments,
    is_image,
    load_sources,
)
from bot.delivery import Undelivered
from bot.errors import BadRequest, Duplicate, UserFacingError
from bot.models import ImageRequest, LedgerEntry, Options, Result, SourceImage
from bot.options import parse_prompt

log = logging.getLogger(__name__)

Typed = Mapping[str, str | int | None]
Job = Callable[[ProgressBoard], Awaitable[Result]]
NOT_AN_IMAGE = "That attachment is not an image. Attach a PNG, JPEG or WebP picture to edit."
IMAGE_GONE = "That image is no longer on the message; pick another one."


def request_key(interaction: discord.Interaction[Any]) -> str:
    """The idempotency key of an interaction: Discord never reuses its id."""
    return f"discord:ix:{interaction.id}"


def entry_options(entry: LedgerEntry) -> Options:
    """The options an earlier request ran with."""
    return entry.options


def shape_of(attachment: discord.Attachment) -> tuple[int, int]:
    """An image's width and height as Discord reports them (0 when it gave none)."""
    return attachment.width or 0, attachment.height or 0


def edit_typed(text: str, typed: Typed, base: Typed) -> dict[str, Any]:
    """Options for an edit: typed ones win, then --flags, then `base`."""
    _, flags = parse_prompt(text)
    fallback: dict[str, Any] = dict(base)
    if {"size", "aspect"} & flags.keys():
        fallback.pop("size", None)
    merged = {k: v for k, v in fallback.items() if k not in flags}
    merged.update({k: v for k, v in typed.items() if v is not None})
    return merged


async def run(
    services: Services, responder: Responder, job: Job, *, title: str, user_id: int, origin: Origin
) -> None:
    """Run a job with progress, then show its images or its error; nothing else leaks."""
    task = asyncio.current_task()
    if task is not None:
        services.running.add(task)
    try:
        await _run(services, responder, job, title=title, user_id=user_id, origin=origin)
    finally:
        if task is not None:
            services.running.discard(task)


async def _run(
    services: Services, responder: Responder, job: Job, *, title: str, user_id: int, origin: Origin
) -> None:
    board = ProgressBoard(responder, title)
    try:
        result = await job(board)
    except Duplicate:
        await board.settle(show_pending=False)
        await _safely(responder.drop())
        return
    except UserFacingError as exc:
        await board.settle(show_pending=False)
        await _safely(responder.fail(exc.message))
        return
    except Exception:
        log.exception("Discord request failed")
        await board.settle(show_pending=False)
        await _safely(responder.fail(GENERIC_ERROR))
        return
    await board.settle(show_pending=True)
    await deliver(services, responder, result, user_id=user_id, origin=origin)


async def deliver(
    services: Services, responder: Responder, result: Result, *, user_id: int, origin: Origin
) -> None:
    """Post a result with its buttons, retried by the handler; when that never works, say
    why and offer Deliver again (the images stay kept)."""
    text, view = result_text(result, user_id), services.result_view(result, origin)

    async def attempt() -> None:
        try:
            await responder.finish(text, result_files(result), view)
        except Exception as exc:
            raise delivery_failure(exc) from None

    try:
        await services.handler.deliver(result, attempt, again=DELIVER_AGAIN)
    except Undelivered as exc:
        await _safely(responder.fail(exc.message, services.again_view(result.request_id)))
    except asyncio.CancelledError:  # the bot is stopping; the handler kept the images
        kept_for = services.handler.deliveries.kept_for
        stopped = Undelivered(result.request_id, STOPPED, kept_for, DELIVER_AGAIN)
        await _safely(responder.fail(stopped.message, services.again_view(result.request_id)))
        raise


async def run_deferred(
    interaction: discord.Interaction[Any], job: Job, *, title: str, origin: Origin
) -> None:
    """Defer an interaction, then run the job on its response (nothing if already answered)."""
    services = services_of(interaction)
    responder = await InteractionResponder.start(interaction, services.token_ttl_s)
    if responder is None:
        return
    await run(services, responder, job, title=title, user_id=interaction.user.id, origin=origin)


async def imagine(interaction: discord.Interaction[Any], text: str, typed: Typed) -> None:
    """/imagine: parse, defer, generate."""
    services = services_of(interaction)
    try:
        prompt, options = services.handler.parse(text, typed)
    except BadRequest as exc:
        await refuse(interaction, exc.message)
        return
    req = ImageRequest(
        kind="generate",
        prompt=prompt,
        actor=interaction_actor(interaction),
        idempotency_key=request_key(interaction),
        options=options,
        upload_cap_bytes=interaction.filesize_limit,
    )

    async def job(board: ProgressBoard) -> Result:
        return await services.handler.generate(req, board.report)

    title = headline("generate", prompt, interaction.user.id)
    await run_deferred(interaction, job, title=title, origin=Origin())


async def edit_attachments(
    interaction: discord.Interaction[Any],
    attachments: Sequence[discord.Attachment],
    text: str,
    typed: Typed,
) -> None:
    """/edit: the attached images changed as the prompt says."""
    found = [a for a in attachments if is_image(a)]
    if not found:
        await refuse(interaction, NOT_AN_IMAGE)
        return

    async def attached() -> list[discord.Attachment]:
        return found

    await _edit(interaction, found[0], text, typed, {}, attached, Origin())


async def edit_message(
    interaction: discord.Interaction[Any], message: discord.Message, text: str, base: Typed
) -> None:
    """Edit image (menu or button, after the modal): every image of a message goes in."""
    found = image_attachments(message)
    if not found:
        await refuse(interaction, NO_IMAGES)
        return

    async def refetched() -> list[discord.Attachment]:
        return image_attachments(await fresh_message(message))

    await _edit(interaction, found[0], text, {}, base, refetched, Origin(message.id))


async def _edit(
    interaction: discord.Interaction[Any],
    first: discord.Attachment,
    text: str,
    typed: Typed,
    base: Typed,
    attachments: Callable[[], Awaitable[list[discord.Attachment]]],
    origin: Origin,
) -> None:
    services = services_of(interaction)
    try:
        typed_here = edit_typed(text, typed, base)
        prompt, options = services.handler.parse(text, typed_here, source=shape_of(first))
    except BadRequest as exc:
        await refuse(interaction, exc.message)
        return
    actor = interaction_actor(interaction)

    async def job(board: ProgressBoard) -> Result:
        sources = await load_sources(services, await attachments())
        req = ImageRequest(
            kind="edit",
            prompt=prompt,
            actor=actor,
            idempotency_key=request_key(interaction),
            options=options,
            sources=sources,
            upload_cap_bytes=interaction.filesize_limit,
        )
        return await services.handler.edit(req, board.report)

    title = headline("edit", prompt, interaction.user.id)
    await run_deferred(interaction, job, title=title, origin=origin)


async def vary_message(
    interaction: discord.Interaction[Any],
    message: discord.Message,
    index: int,
    entry_id: str | None,
) -> None:
    """A variation of one image of a message; with `entry_id`, of one of the bot's results."""
    services = services_of(interaction)
    found = image_attachments(message)
    if index >= len(found):
        await refuse(interaction, IMAGE_GONE)
        return
    actor = interaction_actor(interaction)
    chosen = found[index]

    async def job(board: ProgressBoard) -> Result:
        if entry_id is None:
            options = services.handler.source_options(services.handler.defaults, *shape_of(chosen))
        else:
            options = replace(entry_options(await services.handler.entry(entry_id)), n=1)
        sources = await load_sources(services, [chosen])
        req = ImageRequest(
            kind="vary",
            prompt="",
            actor=actor,
            idempotency_key=request_key(interaction),
            options=options,
            sources=sources,
            upload_cap_bytes=interaction.filesize_limit,
            parent_id=entry_id,
        )
        return await services.handler.vary(req, board.report)

    title = headline("vary", "", interaction.user.id)
    await run_deferred(interaction, job, title=title, origin=Origin(message.id, index))


async def reroll(interaction: discord.Interaction[Any], entry_id: str, origin: Origin) -> None:
    """Run an earlier request again, charged to whoever pressed Re-roll."""
    services = services_of(interaction)
    actor = interaction_actor(interaction)
    user_id = interaction.user.id

    async def job(board: ProgressBoard) -> Result:
        entry = await services.handler.entry(entry_id)
        board.title = headline(entry.kind, entry.prompt or "", user_id)
        return await services.handler.reroll(
            entry_id,
            actor,
            request_key(interaction),
            sources=await _origin_sources(interaction, services, entry, origin),
            upload_cap_bytes=interaction.filesize_limit,
            progress=board.report,
        )

    title = headline("generate", "Re-roll", user_id)
    await run_deferred(interaction, job, title=title, origin=origin)


async def deliver_again(interaction: discord.Interaction[Any], entry_id: str) -> None:
    """Deliver again: post the kept images of a result that could not be delivered."""
    services = services_of(interaction)
    actor = interaction_actor(interaction)

    async def job(board: ProgressBoard) -> Result:
        return await services.handler.deliver_again(entry_id, actor)

    title = headline("generate", "Deliver again", interaction.user.id)
    await run_deferred(interaction, job, title=title, origin=Origin())


async def _origin_sources(
    interaction: discord.Interaction[Any], services: Services, entry: LedgerEntry, origin: Origin
) -> tuple[SourceImage, ...]:
    if entry.kind == "generate" or origin.message_id is None:
        return ()
    channel = interaction.channel
    if not isinstance(channel, discord.abc.Messageable):
        raise BadRequest(MESSAGE_GONE)
    try:
        message = await channel.fetch_message(origin.message_id)
    except discord.NotFound:
        raise BadRequest(MESSAGE_GONE) from None
    found = image_attachments(message)
    if origin.index is not None:
        found = found[origin.index : origin.index + 1]
    return await load_sources(services, found)


async def _safely(step: Awaitable[None]) -> None:
    try:
        await step
    except Exception:
        log.warning("could not update the Discord message", exc_info=True)
