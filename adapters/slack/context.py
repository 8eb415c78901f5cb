"""What every Slack listener shares: the runner, clients, roles, and where to answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.admins import SLACK_ERRORS, Admins, slack_error
from adapters.slack.replies import cap
from bot.config import Settings
from bot.errors import Refused
from bot.handler import ImagineHandler
from bot.models import Actor, Scope
from bot.requests import Runner
from bot.web.context import Web

log = logging.getLogger(__name__)

PLATFORM = "slack"
RESPONSE_TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class Place:
    """Who asked, in which workspace and channel (and thread), and their response_url if any."""

    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None = None
    response_url: str | None = None

    @property
    def scope(self) -> Scope:
        """The channel, as the handler's limit scope."""
        return Scope(PLATFORM, self.team_id, self.channel_id)


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace of an interactive payload (org-wide installs may leave `team` empty)."""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team or body.get("team_id") or "")


def interactive_place(body: Mapping[str, Any]) -> Place:
    """The Place of a button click or a message shortcut."""
    message = body.get("message") or {}
    return Place(
        team_id=team_of(body),
        channel_id=str((body.get("channel") or {}).get("id") or ""),
        user_id=str((body.get("user") or {}).get("id") or ""),
        thread_ts=message.get("thread_ts"),
        response_url=body.get("response_url"),
    )


@dataclass
class Services:
    """The objects listeners need, and the listener tasks held until they end."""

    settings: Settings
    runner: Runner
    http: httpx.AsyncClient
    client: AsyncWebClient
    token: str
    admins: Admins
    web: Web | None = None  # the web face, for Vary Region and dashboard links
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def handler(self) -> ImagineHandler:
        """The core's door for admin queries (limits, usage, channel managers)."""
        return self.runner.handler

    async def actor(self, place: Place, *, admin: bool | None = None) -> Actor:
        """The Actor of a request. Being an admin only matters where admins are exempt from
        the limits, so only there is Slack asked (users.info) and the channel managers read,
        unless `admin` is known; user groups only where the workspace has role tiers."""
        if admin is None:
            limits = await self.handler.limits_for(place.scope)
            admin = (
                bool(limits.admins_exempt)
                and (await self.admins.role(place.scope, place.user_id)).is_admin
            )
        return Actor(
            PLATFORM,
            place.team_id,
            place.channel_id,
            place.user_id,
            admin,
            roles=await self.groups_of(place),
        )

    async def groups_of(self, place: Place) -> tuple[str, ...]:
        """The user groups of the person asking, where any has a tier (else Slack is spared)."""
        tiers = await self.handler.tiers(Scope(PLATFORM, place.team_id))
        if not any(scope.role_id for scope, _ in tiers):
            return ()
        return await self.admins.groups_of(place.team_id, place.user_id)

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, holding its task until it ends (a request's task is
        also the runner's, which drains it on shutdown)."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("Slack listener failed", exc_info=error)


Work = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
Listener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]


def acknowledged(svc: Services, work: Work) -> Listener:
    """A bolt listener that answers Slack at once, then runs `work(body)` in the background.

    The task starts only after bolt has sent the answer (bolt runs listeners inline, see
    SlackAdapter), and needs no copy of the request, as bolt's lazy listeners do.
    """

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        svc.start(work(body))

    return listener


async def notify(
    svc: Services, place: Place, text: str, *, blocks: list[dict[str, Any]] | None = None
) -> None:
    """Tell only the person who asked (with `blocks`, e.g. a button): through response_url
    when there is one, else ephemeral."""
    text = cap(text)
    extra: dict[str, Any] = {} if blocks is None else {"blocks": blocks}
    if place.response_url and await _respond(svc.http, place.response_url, text, extra):
        return
    try:
        await svc.client.chat_postEphemeral(
            channel=place.channel_id,
            user=place.user_id,
            text=text,
            thread_ts=place.thread_ts,
            **extra,
        )
    except SLACK_ERRORS as exc:
        log.warning("could not tell the user (%s)", slack_error(exc))


async def _respond(http: httpx.AsyncClient, url: str, text: str, extra: Mapping[str, Any]) -> bool:
    body = {"response_type": "ephemeral", "replace_original": False, "text": text, **extra}
    try:
        response = await http.post(url, json=body, timeout=RESPONSE_TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("response_url failed: %s", type(exc).__name__)
        return False
    return response.status_code == 200


async def open_view(svc: Services, place: Place, trigger_id: str, view: dict[str, Any]) -> None:
    """Open a modal; if Slack refuses (the trigger expired after 3 s), say so."""
    try:
        await svc.client.views_open(trigger_id=trigger_id, view=view)
    except SLACK_ERRORS as exc:
        error = slack_error(exc)
        log.warning("views.open failed (%s)", error)
        refused = Refused(f"Slack did not open the form ({error}).", then="Please try again.")
        await notify(svc, place, refused.message)


async def open_request_view(
    svc: Services, place: Place, trigger_id: str, view: dict[str, Any]
) -> None:
    """Open the modal of a request, unless the request would be refused anyway (image
    generation off here, or nothing left today): then say so instead."""
    refusal = await svc.runner.would_refuse(await svc.actor(place))
    if refusal is not None:
        await notify(svc, place, refusal)
        return
    await open_view(svc, place, trigger_id, view)
