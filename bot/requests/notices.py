"""What the runner tells others after a result is delivered: budget alerts in a workspace's
`alert_channel` (and the optional IMAGINE_ALERT_WEBHOOK), one line per result in its
`log_channel`, and the person's own remaining budget for the result's footer.

Each alert is claimed in the store first (`claim_alert`), so exactly one process sends it
per threshold and period. Nothing here reaches the person's result: every failure is
logged (without the webhook's address) and the request goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Protocol
from zoneinfo import ZoneInfo

import httpx

from bot.errors import HOLDERS, PERIODS
from bot.handler import ImagineHandler
from bot.models import Actor, Limits, Result
from bot.store.budgets import BudgetUse, split_key
from bot.wording import format_amount, plural

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_S = 5.0
ALERTED = ("workspace", "channel", "bot")  # the holders whose budgets raise alerts


class Channels(Protocol):
    """What a platform adapter offers for notices: a message in one of a workspace's
    channels (raising any error; the caller logs it)."""

    async def post(self, workspace_id: str, channel_id: str, text: str) -> None:
        """Post `text` in `channel_id` of `workspace_id`."""
        ...


@dataclass(frozen=True)
class Alert:
    """One budget threshold reached in its period, as the channel and webhook get it."""

    actor: Actor
    use: BudgetUse
    threshold: int
    text: str

    def payload(self) -> dict[str, object]:
        """The webhook's JSON body."""
        holder, period, unit = split_key(self.use.key)
        return {
            "text": self.text,
            "platform": self.actor.platform,
            "workspace_id": self.actor.workspace_id,
            "channel_id": self.actor.channel_id,
            "holder": holder,
            "period": period,
            "limit": self.use.key,
            "threshold": self.threshold,
            "used": self.use.used if unit == "cost_usd" else int(self.use.used),
            "allowed": self.use.allowed if unit == "cost_usd" else int(self.use.allowed or 0),
            "resets_at": self.use.resets_at.isoformat(),
        }


def alert_text(use: BudgetUse, threshold: int, timezone: str | None) -> str:
    """'Budget alert (80 %): This workspace has used 4 of its 5 images this month
    (workspace_monthly_images); it resets on Tue 1 Dec 00:00 UTC.'"""
    holder, period, unit = split_key(use.key)
    subject, owner = HOLDERS[holder]
    allowed = use.allowed or 0.0
    if unit == "cost_usd":
        figures = (
            f"spent {format_amount(use.used, 'usd')} of {owner} {format_amount(allowed, 'usd')}"
        )
    else:
        figures = f"used {int(use.used)} of {owner} {plural(int(allowed), 'image')}"
    local = use.resets_at.astimezone(ZoneInfo("UTC" if holder == "bot" else timezone or "UTC"))
    reset = f"{local:%a} {local.day} {local:%b} {local:%H:%M} {local.tzname()}"
    return (
        f"Budget alert ({threshold} %): {subject} {figures} {PERIODS[period]} ({use.key}); "
        f"it resets on {reset}."
    )


class Notices:
    """Alerts, the log channel and the footer, for the runner; adapters register their
    `Channels` per platform."""

    def __init__(
        self,
        handler: ImagineHandler,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.handler = handler
        self.http = http
        self.channels: dict[str, Channels] = {}

    def register(self, platform: str, channels: Channels) -> None:
        """Post this platform's notices through `channels`."""
        self.channels[platform] = channels

    async def with_remaining(self, actor: Actor, result: Result) -> Result:
        """The result with the person's own remaining budget for its footer."""
        try:
            left = await self.handler.remaining(actor)
        except Exception:
            log.warning("could not read the remaining budget of %s", actor.user_id, exc_info=True)
            return result
        return result if left is None else replace(result, remaining=left)

    async def delivered(self, actor: Actor, result: Result, link: str | None) -> None:
        """After a delivered result: its log line, then any budget alert it brought."""
        try:
            limits = await self.handler.limits_of(actor)
            await self._log_line(actor, result, link, limits)
            for alert in await self._claimed(actor, limits):
                await self._send(alert, limits)
        except Exception:
            log.warning("notices after request %s failed", result.request_id, exc_info=True)

    def _alerted(self, actor: Actor, limits: Limits) -> set[str]:
        """The holders whose alerts have somewhere to go (an alert is claimed only then, so
        one set up mid-period still comes)."""
        if self.handler.settings.alert_webhook is not None and self.http is not None:
            return set(ALERTED)
        if limits.alert_channel and actor.platform in self.channels:
            return {"workspace", "channel"}
        return set()

    async def _claimed(self, actor: Actor, limits: Limits) -> list[Alert]:
        holders = self._alerted(actor, limits)
        if not holders:
            return []
        store, now = self.handler.store, self.handler.clock()
        found = []
        for use in await store.budget_use(actor, limits, now):
            percent = use.percent
            if percent is None or use.key.split("_", 1)[0] not in holders:
                continue
            for threshold in limits.alert_at or ():
                reached = percent >= threshold - 1e-9
                if reached and await store.claim_alert(actor, use.key, threshold, limits, now):
                    text = alert_text(use, threshold, limits.timezone)
                    found.append(Alert(actor, use, threshold, text))
        return found

    async def _send(self, alert: Alert, limits: Limits) -> None:
        holder = alert.use.key.split("_", 1)[0]
        if limits.alert_channel and holder != "bot":
            await self._post(alert.actor, limits.alert_channel, alert.text)
        await self._webhook(alert)

    async def _log_line(
        self, actor: Actor, result: Result, link: str | None, limits: Limits
    ) -> None:
        if limits.log_channel:
            await self._post(actor, limits.log_channel, self.log_text(actor, result, link))

    def log_text(self, actor: Actor, result: Result, link: str | None) -> str:
        """'U1 made 2 images (generate, openai/gpt-image-2, $0.080), request abcd1234: <link>
        — "a red balloon"'; the prompt only while prompts are kept, never a private one's."""
        model = result.options.model or self.handler.settings.model
        made = plural(len(result.images), "image")
        text = (
            f"{actor.user_id} made {made} ({result.kind}, {model}, "
            f"{format_amount(result.cost_usd, 'usd')}), request {result.request_id[:8]}"
        )
        if link:
            text += f": {link}"
        shown = self.handler.settings.prompt_retention_days > 0 and not result.options.private
        if shown and result.prompt:
            text += f' — "{result.prompt}"'
        return text

    async def _post(self, actor: Actor, channel_id: str, text: str) -> None:
        channels = self.channels.get(actor.platform)
        if channels is None:
            return
        try:
            await channels.post(actor.workspace_id, channel_id, text)
        except Exception as exc:
            log.warning(
                "could not post in %s channel %s: %s",
                actor.platform,
                channel_id,
                type(exc).__name__,
            )

    async def _webhook(self, alert: Alert) -> None:
        secret = self.handler.settings.alert_webhook
        if secret is None or self.http is None:
            return
        try:
            answer = await self.http.post(
                secret.get_secret_value(), json=alert.payload(), timeout=WEBHOOK_TIMEOUT_S
            )
        except Exception as exc:  # its text may hold the address, which is a secret
            log.warning("the alert webhook failed: %s", type(exc).__name__)
            return
        if answer.is_error:
            log.warning("the alert webhook answered HTTP %d", answer.status_code)
