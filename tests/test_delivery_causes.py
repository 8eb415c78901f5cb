"""The cause a person reads when a platform would not take their images, from the errors the
platform libraries raise: a server error is said to be one (and retried), a missing scope or
permission is named (and not retried). The end-to-end paths are in test_*_deliver.py; these
are the answers too slow to provoke there (discord.py itself retries a 5xx for ~25 s)."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import discord
import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.discord.deliver import delivery_failure as discord_failure
from adapters.slack.delivery import delivery_failure as slack_failure


def slack_answer(status: int, body: dict[str, object]) -> SlackApiError:
    """The error slack_sdk raises for a Web API answer."""
    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1/api/files.completeUploadExternal",
        req_args={},
        data=body,
        headers={},
        status_code=status,
    )
    return SlackApiError("The request to the Slack API failed.", response)


def discord_answer(kind: type[discord.HTTPException], status: int, body: object) -> Exception:
    """The error discord.py raises for an HTTP answer (it reads only status and reason)."""
    return kind(SimpleNamespace(status=status, reason="answer"), body)


@pytest.mark.parametrize(
    ("error", "cause", "transient", "fix"),
    [
        (
            slack_answer(200, {"ok": False, "error": "missing_scope", "needed": "files:write"}),
            "the Slack app lacks the files:write scope",
            False,
            "Ask a workspace admin to add files:write to the app and reinstall it.",
        ),
        (
            slack_answer(200, {"ok": False, "error": "not_in_channel"}),
            "the app is not a member of this channel",
            False,
            "Invite it with `/invite @Imagine`.",
        ),
        (
            slack_answer(503, {}),
            "Slack answered the upload with a server error (HTTP 503)",
            True,
            "",
        ),
        (
            SlackRequestError("Failed to upload a file (status: 500, body: x, filename: a.png)"),
            "Slack answered the upload with a server error (HTTP 500)",
            True,
            "",
        ),
        (
            SlackRequestError("Failed to upload a file (status: 413, body: x, filename: a.png)"),
            "Slack refused the upload (HTTP 413)",
            False,
            "",
        ),
        (aiohttp.ClientConnectionError(), "Slack could not be reached", True, ""),
    ],
)
def test_slack_causes(error: Exception, cause: str, transient: bool, fix: str) -> None:
    failure = slack_failure(error)
    assert (failure.cause, failure.transient, failure.fix) == (cause, transient, fix)


@pytest.mark.parametrize(
    ("error", "cause", "transient"),
    [
        (
            discord_answer(discord.DiscordServerError, 503, {"message": "Unavailable", "code": 0}),
            "Discord answered the upload with a server error (HTTP 503)",
            True,
        ),
        (
            discord_answer(discord.HTTPException, 413, "Request entity too large"),
            "they are larger than Discord takes in this channel",
            False,
        ),
        (
            discord_answer(discord.NotFound, 404, {"message": "Unknown Message", "code": 10008}),
            "the message they were to be posted in is gone",
            False,
        ),
        (aiohttp.ServerDisconnectedError(), "Discord could not be reached", True),
    ],
)
def test_discord_causes(error: Exception, cause: str, transient: bool) -> None:
    failure = discord_failure(error)
    assert (failure.cause, failure.transient) == (cause, transient)


def test_a_bug_while_posting_is_logged_and_said_plainly(caplog: pytest.LogCaptureFixture) -> None:
    for failure in (discord_failure(KeyError("x")), slack_failure(KeyError("x"))):
        assert failure.transient is False
        assert failure.fix == "The error was logged; tell the bot's admin if it keeps happening."
    assert [r.levelname for r in caplog.records] == ["ERROR", "ERROR"]
