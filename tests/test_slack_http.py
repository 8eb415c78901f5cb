"""HTTP mode: signatures, stale timestamps, Slack's retries, the token and scope checks."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

from adapters.slack import SlackAdapter
from adapters.slack.app import NOT_SIGNED_IN
from bot.errors import ConfigError
from bot.gateway.client import GatewayClient
from bot.handler import ImagineHandler
from bot.requests import Runner
from bot.store import open_store
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import SCOPES, FakeSlack
from tests.fakes.slack_app import SlackBot, bot_settings, png, running_bot


def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    """Whether a log record contains `text`."""
    return any(text in record.getMessage() for record in caplog.records)


async def test_a_bad_signature_is_refused_before_anything_runs(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    body = "command=%2Fimagine&text=a+red+balloon&team_id=T0FAKE&channel_id=C1&user_id=U1"
    response = await slack_bot.post(
        body, "application/x-www-form-urlencoded", secret="wrong-secret"
    )
    assert response.status_code == 401
    assert slack.calls("users.info") == [] and slack.calls("chat.postMessage") == []
    assert gateway.image_requests == []
    assert await slack_bot.entries() == []


async def test_a_stale_timestamp_is_refused(slack_bot: SlackBot, slack: FakeSlack) -> None:
    body = "command=%2Fimagine&text=a+red+balloon&team_id=T0FAKE&channel_id=C1&user_id=U1"
    old = int(time.time()) - 6 * 60
    response = await slack_bot.post(body, "application/x-www-form-urlencoded", timestamp=old)
    assert response.status_code == 401
    assert slack.calls("chat.postMessage") == []
    assert await slack_bot.entries() == []


async def test_url_verification_echoes_the_challenge(slack_bot: SlackBot) -> None:
    body = '{"type": "url_verification", "challenge": "abc123", "token": "legacy"}'
    response = await slack_bot.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "abc123"}


async def test_a_retried_event_is_charged_once(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.requests")
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> a red balloon",
        "ts": "1700000000.000100",
        "channel": "C1",
    }
    first = await slack_bot.event(event, event_id="Ev0RETRY")
    retried = await slack_bot.event(event, event_id="Ev0RETRY", retry=1)
    assert (first.status_code, retried.status_code) == (200, 200)
    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
    assert logged(caplog, "dropped a repeat of slack:event:Ev0RETRY while it runs")
    assert len(slack.calls("chat.postMessage")) == 1  # the retry showed nothing
    await slack_bot.idle()  # the first has ended
    again = await slack_bot.event(event, event_id="Ev0RETRY", retry=2)
    assert again.status_code == 200
    ledger_said = "dropped a repeat of slack:event:Ev0RETRY"  # the ledger knew the key
    await slack.wait_for(lambda: any(r.getMessage() == ledger_said for r in caplog.records))
    await slack.wait_for(lambda: len(slack.calls("chat.delete")) == 1)
    assert len(gateway.image_requests) == 1
    assert len(slack.calls("files.completeUploadExternal")) == 1
    [entry] = await slack_bot.entries()
    assert entry.idempotency_key == "slack:event:Ev0RETRY"
    assert slack.calls("chat.postEphemeral") == []


async def test_missing_files_read_scope_is_named_at_start_and_to_the_user(
    tmp_path: Path,
    slack: FakeSlack,
    gateway: FakeGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack.scopes = tuple(s for s in SCOPES if s != "files:read")
    slack.files_read = False
    parent = slack.add_message("C1", "look", files=[slack.add_file(png(), "balloon.png")])
    async with running_bot(tmp_path / "imagine.db", slack, gateway) as bot:
        assert logged(caplog, "Slack app lacks scopes files:read")
        await bot.event(
            {
                "type": "app_mention",
                "user": "U1",
                "text": "<@UBOT> make the balloon blue",
                "ts": "1900000000.000100",
                "thread_ts": parent["ts"],
                "channel": "C1",
            }
        )
        [told] = await slack.wait_for(lambda: slack.calls("chat.postEphemeral"))
        assert await bot.entries() == []
    assert told.args["text"] == (
        "I can't read files in this workspace: the Slack app lacks the files:read scope. "
        "You were not charged. Ask a workspace admin to add files:read to the app and "
        "reinstall it."
    )
    assert (told.args["user"], told.args["thread_ts"]) == ("U1", parent["ts"])
    assert slack.downloads[0]["auth"] == f"Bearer {slack.token}"
    assert gateway.image_requests == []


async def test_a_rejected_token_stops_run_with_a_config_error(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    settings = bot_settings(tmp_path / "imagine.db", slack, gateway, SLACK_BOT_TOKEN="xoxb-wrong")
    store = await open_store(settings.database_url)
    async with httpx.AsyncClient() as http:
        handler = ImagineHandler(settings, store, GatewayClient.from_settings(http, settings))
        adapter = SlackAdapter(settings, Runner(handler), http)
        with pytest.raises(ConfigError, match=r"Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)"):
            await adapter.run()
        assert not adapter.ready
        await adapter.close()
    await store.close()
    assert "xoxb-wrong" not in str(slack.calls("auth.test")[0].args)


async def test_a_command_sent_while_the_token_is_refused_is_told_so(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    db = tmp_path / "imagine.db"
    with pytest.raises(ConfigError, match="Slack rejected SLACK_BOT_TOKEN"):
        async with running_bot(
            db, slack, gateway, signed_in=False, SLACK_BOT_TOKEN="xoxb-wrong"
        ) as bot:
            answer = await bot.command("a red balloon")  # waits for the start-up auth.test
            [told] = slack.responses
            entries = await bot.entries()
    assert answer.status_code == 200
    assert told["text"] == NOT_SIGNED_IN
    assert told["text"] == (
        "I could not sign in to Slack, so I can't make images right now. You were not charged. "
        "Ask whoever runs the bot to check its Slack token."
    )
    assert [c.status for c in slack.calls("auth.test")] == [200]  # answered invalid_auth, once
    assert slack.calls("users.info") == [] and slack.calls("chat.postMessage") == []
    assert gateway.image_requests == [] and entries == []


async def test_a_listener_that_fails_is_logged_and_the_next_request_still_runs(
    slack_bot: SlackBot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await slack_bot.event({"type": "app_mention", "user": "U1", "ts": "1.0"})
    assert broken.status_code == 200  # acknowledged before the listener ran
    await slack.wait_for(lambda: logged(caplog, "Slack listener failed"))
    [record] = [r for r in caplog.records if r.getMessage() == "Slack listener failed"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError  # no channel
    await slack_bot.command("a red balloon")
    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)


def test_http_mode_needs_the_signing_secret(tmp_path: Path) -> None:
    settings = bot_settings(
        tmp_path / "imagine.db",
        FakeSlack(),
        FakeGateway(),
        SLACK_SIGNING_SECRET=None,
    )
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(settings, None, None)  # type: ignore[arg-type]


async def test_the_adapter_runs_until_closed(slack_bot: SlackBot) -> None:
    assert slack_bot.adapter.ready
    assert [route.path for route in slack_bot.adapter.routes()] == ["/slack/events"]  # type: ignore[attr-defined]


async def test_an_unreachable_slack_stops_run_with_a_config_error(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    settings = bot_settings(
        tmp_path / "imagine.db", slack, gateway, SLACK_API_URL="http://127.0.0.1:9/api"
    )
    store = await open_store(settings.database_url)
    async with httpx.AsyncClient() as http:
        handler = ImagineHandler(settings, store, GatewayClient.from_settings(http, settings))
        adapter = SlackAdapter(settings, Runner(handler), http)
        with pytest.raises(
            ConfigError, match=r"Cannot reach Slack's Web API at http://127\.0\.0\.1:9/api/"
        ):
            await adapter.run()
        await adapter.close()
    await store.close()
