"""Budget alerts and log lines in a Slack channel, through the adapter's Web API client
(the runner's `Channels` for Slack)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient


class SlackChannels:
    """Posts the runner's notices in a channel of the workspace the app is installed in."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, workspace_id: str, channel_id: str, text: str) -> None:
        """Post `text` in `channel_id` as plain text, &, < and > escaped so a person's words
        quoted in it (a prompt) can never ping or link; raises SlackApiError when Slack
        refuses (not_in_channel, channel_not_found)."""
        plain = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        await self.client.chat_postMessage(channel=channel_id, text=plain, mrkdwn=False)
