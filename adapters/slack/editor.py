"""The Vary Region editor's side of Slack (bot/web/platforms.py `EditorPlatform`): read the
image a link points at, and post an edit's result where the original was."""

from __future__ import annotations

from adapters.slack.context import Place, Services
from adapters.slack.files import SlackFile, download, file_hosts
from adapters.slack.surface import SlackSurface
from bot.delivery import DeliveryFailed
from bot.errors import UserFacingError
from bot.models import Result
from bot.web.platforms import Origin


class SlackEditor:
    """The editor's two methods, on the adapter's services."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def source_image(self, origin: Origin, url: str, max_bytes: int) -> bytes:
        """The image at a Slack file URL, read with the bot token (only from Slack's file
        hosts, as every download)."""
        svc = self.svc
        image = SlackFile("", "the image", "image/png", 0, url)
        try:
            return await download(
                svc.http, image, svc.token, file_hosts(svc.settings.slack_api_url), max_bytes
            )
        except UserFacingError as exc:
            raise DeliveryFailed(exc.message, transient=False) from None

    async def post_result(self, origin: Origin, result: Result, user_id: str) -> str:
        """Upload the result with its card into the original channel (or thread), as any
        result is delivered; raises DeliveryFailed when Slack does not take it."""
        place = Place(origin.workspace, origin.channel, user_id, origin.thread or None)
        await SlackSurface(self.svc, place).deliver(result)
        where = f"the Slack channel {origin.channel}"
        return f"a thread of {where}" if origin.thread else where
