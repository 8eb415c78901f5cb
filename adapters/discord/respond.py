"""Where a request's progress, result or error is shown: an interaction or a reply message."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import discord

from adapters.discord.replies import GENERIC_ERROR, clip, preview_file, progress_text, public
from bot.models import Progress

log = logging.getLogger(__name__)
PARTIAL_MESSAGE_CHANNELS = (
    discord.TextChannel,
    discord.VoiceChannel,
    discord.StageChannel,
    discord.Thread,
    discord.PartialMessageable,
)


class Responder(Protocol):
    """One place on Discord that shows a request from progress to result."""

    async def progress(self, text: str, preview: discord.File | None) -> None:
        """Show how the request is getting on."""
        ...

    async def finish(self, text: str, files: list[discord.File], view: discord.ui.View) -> None:
        """Show the finished images with their buttons."""
        ...

    async def fail(self, text: str, view: discord.ui.View | None = None) -> None:
        """Show why the request failed (with `view`'s buttons), privately where Discord
        allows it."""
        ...

    async def drop(self) -> None:
        """Remove what was shown: the request turned out to be a repeat."""
        ...


class InteractionResponder:
    """A deferred interaction: edits its response while the token lives, then posts instead."""

    def __init__(
        self, interaction: discord.Interaction[Any], token_ttl_s: float, message_id: int | None
    ) -> None:
        self.interaction = interaction
        self.deadline = time.monotonic() + token_ttl_s
        self.message_id = message_id

    @classmethod
    async def start(
        cls, interaction: discord.Interaction[Any], token_ttl_s: float
    ) -> InteractionResponder | None:
        """Defer at once (a public 'thinking' message); None if it was already answered."""
        try:
            answer = await interaction.response.defer(thinking=True)
        except discord.HTTPException as exc:
            log.info("interaction %s not deferred: %s", interaction.id, exc)
            return None
        return cls(interaction, token_ttl_s, answer.message_id if answer else None)

    @property
    def expired(self) -> bool:
        """Whether the interaction token is (nearly) too old to use."""
        return time.monotonic() >= self.deadline

    async def progress(self, text: str, preview: discord.File | None) -> None:
        """Edit the 'thinking' response; skipped once the token is too old."""
        if self.expired:
            return
        await self.interaction.edit_original_response(
            content=text, attachments=[preview] if preview else []
        )

    async def finish(self, text: str, files: list[discord.File], view: discord.ui.View) -> None:
        """Replace the response with the result, or post it with the bot token when late."""
        if not self.expired:
            await self.interaction.edit_original_response(
                content=text, attachments=files, view=view
            )
            return
        await self._channel().send(
            content=text,
            files=files,
            view=view,
            allowed_mentions=discord.AllowedMentions(users=[self.interaction.user]),
        )
        await self._delete_thinking()

    async def fail(self, text: str, view: discord.ui.View | None = None) -> None:
        """Swap the public 'thinking' message for a private one; in the channel when late."""
        buttons: dict[str, Any] = {} if view is None else {"view": view}
        if self.expired:
            await self._channel().send(
                content=public(f"<@{self.interaction.user.id}> {text}"),
                allowed_mentions=discord.AllowedMentions(users=[self.interaction.user]),
                **buttons,
            )
            await self._delete_thinking()
            return
        await self.drop()
        await self.interaction.followup.send(clip(text), ephemeral=True, **buttons)

    async def drop(self) -> None:
        """Delete the response."""
        try:
            await self.interaction.delete_original_response()
        except discord.NotFound:
            log.debug("interaction response already gone")

    def _channel(self) -> discord.abc.Messageable:
        channel = self.interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError(f"cannot post in a {type(channel).__name__}")
        return channel

    async def _delete_thinking(self) -> None:
        """Remove the stale 'Generating…' message with the bot token (its webhook expired)."""
        channel = self.interaction.channel
        if self.message_id is None or not isinstance(channel, PARTIAL_MESSAGE_CHANNELS):
            return
        try:
            await discord.PartialMessage(channel=channel, id=self.message_id).delete()
        except discord.HTTPException:
            log.info("could not delete an expired 'thinking' message", exc_info=True)


class MessageResponder:
    """A reply to a message, edited with the bot token: no time limit, nothing private."""

    def __init__(self, reply: discord.Message) -> None:
        self.reply = reply

    @classmethod
    async def start(cls, source: discord.Message, text: str) -> MessageResponder:
        """Reply to `source`; that reply later shows progress and the result."""
        return cls(await source.reply(text, mention_author=False))

    async def progress(self, text: str, preview: discord.File | None) -> None:
        """Edit the reply."""
        self.reply = await self.reply.edit(content=text, attachments=[preview] if preview else [])

    async def finish(self, text: str, files: list[discord.File], view: discord.ui.View) -> None:
        """Edit the reply into the result."""
        self.reply = await self.reply.edit(content=text, attachments=files, view=view)

    async def fail(self, text: str, view: discord.ui.View | None = None) -> None:
        """Edit the reply into the error (a message reply cannot be private)."""
        self.reply = await self.reply.edit(content=public(text), attachments=[], view=view)

    async def drop(self) -> None:
        """Delete the reply."""
        await self.reply.delete()


class ProgressBoard:
    """Shows the latest progress without holding up the request: one edit at a time."""

    def __init__(self, responder: Responder, title: str) -> None:
        self.responder = responder
        self.title = title
        self._latest: Progress | None = None
        self._task: asyncio.Task[None] | None = None

    async def report(self, progress: Progress) -> None:
        """Take a progress step (the handler's callback); shown as soon as Discord allows."""
        if progress.stage == "done":
            return
        self._latest = progress
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._show())

    async def settle(self, *, show_pending: bool) -> None:
        """Finish showing progress before the result (with the latest step not yet shown,
        so a streamed preview is always seen) or before an error (dropping it)."""
        if not show_pending:
            self._latest = None
        if self._task is not None:
            await self._task

    async def _show(self) -> None:
        while self._latest is not None:
            progress, self._latest = self._latest, None
            preview = preview_file(progress.preview) if progress.preview else None
            try:
                await self.responder.progress(progress_text(progress, self.title), preview)
            except Exception:
                log.warning("could not show progress on Discord", exc_info=True)


async def refuse(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer privately: a refusal, with what to do next (cut to Discord's limit)."""
    if interaction.response.is_done():
        await interaction.followup.send(clip(text), ephemeral=True)
    else:
        await interaction.response.send_message(clip(text), ephemeral=True)


async def report_failure(interaction: discord.Interaction[Any]) -> None:
    """Tell the person privately that something failed inside the bot (already logged)."""
    try:
        await refuse(interaction, GENERIC_ERROR)
    except discord.HTTPException:
        log.warning("could not report the error to Discord", exc_info=True)
