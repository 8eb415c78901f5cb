"""Where a request is shown on Discord: a deferred interaction, or a reply to a message.

A responder does the platform's mechanics only (which call, which token, what is private);
`DiscordSurface` decides what is shown.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import discord

from adapters.discord.replies import clip, public
from bot.requests import words

log = logging.getLogger(__name__)
PARTIAL_MESSAGE_CHANNELS = (
    discord.TextChannel,
    discord.VoiceChannel,
    discord.StageChannel,
    discord.Thread,
    discord.PartialMessageable,
)


class PrivateTooLate(Exception):
    """A private result came after Discord's interaction token (15 minutes) ran out."""


class Responder(Protocol):
    """One place on Discord that shows a request from acknowledgement to result."""

    async def start(self, title: str, private: bool) -> bool:
        """Show at once that the request was taken (for the asker alone when `private`, where
        the place allows it); False when that is no longer possible."""
        ...

    async def progress(self, text: str, preview: discord.File | None) -> None:
        """Show how the request is getting on."""
        ...

    async def finish(self, text: str, files: list[discord.File], view: discord.ui.View) -> None:
        """Show the finished images with their buttons."""
        ...

    async def fail(self, text: str, view: discord.ui.View | None) -> None:
        """After `start`: show why the request failed, privately where Discord allows it."""
        ...

    async def refuse(self, text: str, view: discord.ui.View | None) -> None:
        """Instead of `start`: answer with why the request will not run."""
        ...

    async def drop(self, note: str | None) -> None:
        """After `start`: remove what was shown, telling the person `note` privately."""
        ...


def with_view(view: discord.ui.View | None) -> dict[str, Any]:
    """discord.py's keyword for buttons, or none (it refuses view=None on some calls)."""
    return {} if view is None else {"view": view}


class InteractionResponder:
    """An interaction: deferred publicly, its response edited while the token lives, then
    the bot token posts in the channel instead. A `private` one is deferred ephemerally and
    never posts in the channel: its result lives and dies with the token."""

    def __init__(
        self, interaction: discord.Interaction[Any], token_ttl_s: float, private: bool = False
    ) -> None:
        self.interaction = interaction
        self.deadline = time.monotonic() + token_ttl_s
        self.message_id: int | None = None
        self.private = private

    @property
    def expired(self) -> bool:
        """Whether the interaction token is (nearly) too old to use."""
        return time.monotonic() >= self.deadline

    async def start(self, title: str, private: bool) -> bool:
        """Defer (a public 'thinking' message, or an ephemeral one when `private`); False when
        Discord says it was answered or is too old."""
        self.private = self.private or private
        try:
            answer = await self.interaction.response.defer(thinking=True, ephemeral=self.private)
        except discord.HTTPException as exc:
            log.info("interaction %s not deferred: %s", self.interaction.id, exc)
            return False
        self.message_id = answer.message_id if answer else None
        return True

    async def progress(self, text: str, preview: discord.File | None) -> None:
        """Edit the 'thinking' response; skipped once the token is too old."""
        if self.expired:
            return
        await self.interaction.edit_original_response(
            content=clip(text), attachments=[preview] if preview else []
        )

    async def finish(self, text: str, files: list[discord.File], view: discord.ui.View) -> None:
        """Replace the response with the result, or post it with the bot token when late
        (a private result cannot be: it is a failed delivery)."""
        if self.private and self.expired:
            raise PrivateTooLate
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

    async def fail(self, text: str, view: discord.ui.View | None) -> None:
        """Swap the public 'thinking' message for a private one; in the channel when late
        (a private request's failure is edited into its private response while it can be)."""
        if self.private:
            if not self.expired:
                await self.interaction.edit_original_response(
                    content=clip(text), attachments=[], **with_view(view)
                )
            return
        if self.expired:
            await self._channel().send(
                content=public(f"<@{self.interaction.user.id}> {text}"),
                allowed_mentions=discord.AllowedMentions(users=[self.interaction.user]),
                **with_view(view),
            )
            await self._delete_thinking()
            return
        await self.drop(None)
        await self.interaction.followup.send(clip(text), ephemeral=True, **with_view(view))

    async def refuse(self, text: str, view: discord.ui.View | None) -> None:
        """Answer privately instead of deferring."""
        await refuse(self.interaction, text, view)

    async def drop(self, note: str | None) -> None:
        """Delete the response; say `note` privately."""
        if self.expired:
            await self._delete_thinking()
            return
        try:
            await self.interaction.delete_original_response()
        except discord.NotFound:
            log.debug("interaction response already gone")
        if note:
            await self.interaction.followup.send(clip(note), ephemeral=True)

    def _channel(self) -> discord.abc.Messageable:
        channel = self.interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError(f"cannot post in a {type(channel).__name__}")
        return channel

    async def _delete_thinking(self) -> None:
        """Remove the stale 'thinking' message with the bot token (its webhook expired)."""
        channel = self.interaction.channel
        if self.message_id is None or not isinstance(channel, PARTIAL_MESSAGE_CHANNELS):
            return
        try:
            await discord.PartialMessage(channel=channel, id=self.message_id).delete()
        except discord.HTTPException:
            log.info("could not delete an expired 'thinking' message", exc_info=True)


class MessageResponder:
    """A reply to a message, edited with the bot token: no time limit, nothing private."""

    def __init__(self, source: discord.Message) -> None:
        self.source = source
        self.reply: discord.Message | None = None

    async def start(self, title: str, private: bool) -> bool:
        """Reply to the message; that reply later shows progress and the result (a reply
        cannot be private)."""
        try:
            self.reply = await self.source.reply(f"{title}\nWorking on it…", mention_author=False)
        except discord.HTTPException as exc:
            log.info("could not answer message %s: %s", self.source.id, exc)
            return False
        return True

    async def progress(self, text: str, preview: discord.File | None) -> None:
        """Edit the reply."""
        await self._edit(content=clip(text), attachments=[preview] if preview else [])

    async def finish(self, text: str, files: list[discord.File], view: discord.ui.View) -> None:
        """Edit the reply into the result."""
        await self._edit(content=text, attachments=files, view=view)

    async def fail(self, text: str, view: discord.ui.View | None) -> None:
        """Edit the reply into the error (a message reply cannot be private)."""
        await self._edit(content=public(text), attachments=[], view=view)

    async def refuse(self, text: str, view: discord.ui.View | None) -> None:
        """Reply with the refusal."""
        await self.source.reply(public(text), mention_author=False, **with_view(view))

    async def drop(self, note: str | None) -> None:
        """Delete the reply (a reply cannot be private, so `note` is not shown)."""
        if self.reply is None:
            return
        try:
            await self.reply.delete()
        except discord.NotFound:
            log.debug("reply already gone")

    async def _edit(self, **changes: Any) -> None:
        if self.reply is None:
            raise RuntimeError("the reply was never posted")
        self.reply = await self.reply.edit(**changes)


async def refuse(
    interaction: discord.Interaction[Any], text: str, view: discord.ui.View | None = None
) -> None:
    """Answer privately: a refusal, with what to do next (cut to Discord's limit)."""
    if interaction.response.is_done():
        await interaction.followup.send(clip(text), ephemeral=True, **with_view(view))
    else:
        await interaction.response.send_message(clip(text), ephemeral=True, **with_view(view))


async def report_failure(interaction: discord.Interaction[Any]) -> None:
    """Tell the person privately that something failed inside the bot (already logged)."""
    try:
        await refuse(interaction, words.internal().text)
    except discord.HTTPException:
        log.warning("could not report the error to Discord", exc_info=True)
