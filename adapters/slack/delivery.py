"""Why Slack did not take a result, in words its requester can act on, and the Deliver again
button offered instead.

The Web API client waits out rate limits itself where it is set up to; what reaches here is
what it gave up on. A server error or a dropped connection may pass (the handler tries again
for a while); a missing scope, a channel the app is not in, an archived channel will not.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.delivery import DeliveryFailed

log = logging.getLogger(__name__)

ACTION_DELIVER = "imagine_deliver"
DELIVER_AGAIN = "Press Deliver again to get them."
_STATUS = re.compile(r"\(status: (\d{3})\b")  # slack_sdk's words when an upload URL refuses
_NOT_MEMBER = ("not_in_channel", "channel_not_found")


def delivery_failure(exc: Exception) -> DeliveryFailed:
    """The cause of a failed upload (Slack's, the network's, or a bug, already logged)."""
    if isinstance(exc, SlackApiError):
        return _api_failure(exc)
    if isinstance(exc, SlackRequestError) and (found := _STATUS.search(str(exc))):
        return _http_failure(int(found[1]))
    if isinstance(exc, aiohttp.ClientError | TimeoutError | SlackRequestError):
        return DeliveryFailed("Slack could not be reached", transient=True)
    log.error("uploading a result failed inside the bot", exc_info=exc)
    return DeliveryFailed.internal("uploading them")


def _api_failure(exc: SlackApiError) -> DeliveryFailed:
    error = str(exc.response.get("error") or "")
    if error == "missing_scope":
        scope = str(exc.response.get("needed") or "files:write")
        return DeliveryFailed(
            f"the Slack app lacks the {scope} scope",
            transient=False,
            fix=f"Ask a workspace admin to add {scope} to the app and reinstall it.",
        )
    if error in _NOT_MEMBER:
        return DeliveryFailed(
            "the app is not a member of this channel",
            transient=False,
            fix="Invite it with `/invite @Imagine`.",
        )
    if error == "is_archived":
        return DeliveryFailed("this channel is archived", transient=False)
    if error == "ratelimited":
        return DeliveryFailed("Slack kept rate-limiting the upload", transient=True)
    status = exc.response.status_code
    if status >= 500 or not error:
        return _http_failure(status)
    return DeliveryFailed(f"Slack refused the upload ({error})", transient=False)


def _http_failure(status: int) -> DeliveryFailed:
    if status >= 500:
        return DeliveryFailed(
            f"Slack answered the upload with a server error (HTTP {status})", transient=True
        )
    return DeliveryFailed(f"Slack refused the upload (HTTP {status})", transient=status == 429)


def deliver_again_blocks(text: str, request_id: str, thread_ts: str | None) -> list[dict[str, Any]]:
    """The message saying why a result was not delivered, with its Deliver again button."""
    value = json.dumps({"r": request_id, "t": thread_ts}, separators=(",", ":"))
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Deliver again"},
        "style": "primary",
        "action_id": ACTION_DELIVER,
        "value": value,
    }
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": "imagine_undelivered", "elements": [button]},
    ]


def thread_of(raw: str) -> str | None:
    """The thread a Deliver again button's result belongs in (None: the channel)."""
    try:
        thread = json.loads(raw).get("t")
    except (ValueError, AttributeError):
        return None
    return str(thread) if thread else None
