"""`imagine-bot run` as a process: nothing configured, health, metrics, logs, clean shutdown."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.models import LedgerEntry
from bot.store.open import open_store
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.runbot import (
    base_env,
    bot_process,
    free_port,
    send_imagine,
    slack_env,
    wait_ready,
)

NOT_CHARGED = "You were not charged."


async def ledger(tmp_path: Path) -> list[LedgerEntry]:
    store = await open_store(f"sqlite:///{tmp_path / 'imagine.db'}")
    try:
        now = datetime.now(UTC)
        return [e async for e in store.export(now - timedelta(days=1), now + timedelta(days=1))]
    finally:
        await store.close()


def slack_texts(slack: FakeSlack) -> list[str]:
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral")
    posted = [str(call.args.get("text", "")) for m in methods for call in slack.calls(m)]
    return posted + [str(response.get("text", "")) for response in slack.responses]


async def test_run_with_nothing_configured_explains_itself(tmp_path: Path) -> None:
    async with bot_process(tmp_path, base_env(tmp_path)) as process:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    text = err.decode()

    assert process.returncode == 2
    assert out == b""
    assert "DISCORD_TOKEN" in text and "SLACK_BOT_TOKEN" in text
    assert "SLACK_SIGNING_SECRET" in text and "SLACK_APP_TOKEN" in text
    assert "docs/discord.md" in text and "docs/slack.md" in text
    assert "Traceback" not in text


async def test_health_readiness_and_metrics_answer(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, gateway, port) | {"IMAGINE_METRICS_TOKEN": "m-token"}
        async with bot_process(tmp_path, env) as process:
            base = f"http://127.0.0.1:{port}"
            await wait_ready(http, f"{base}/readyz", process)
            health = await http.get(f"{base}/healthz")
            await send_imagine(http, port, slack, "a red balloon")
            await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"), timeout=30)
            await slack.wait_for(  # the card: the working message with its buttons
                lambda: [c for c in slack.calls("chat.update") if c.args.get("blocks")], timeout=30
            )
            refused = await http.get(f"{base}/metrics")
            auth = {"Authorization": "Bearer m-token"}
            metrics = (await http.get(f"{base}/metrics", headers=auth)).text
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)

    assert health.status_code == 200 and health.text == "ok\n"
    assert refused.status_code == 401
    lines = metrics.splitlines()
    assert 'imagine_requests_total{kind="generate",outcome="succeeded",platform="slack"} 1.0' in (
        lines
    )
    assert 'imagine_images_total{platform="slack"} 1.0' in lines
    assert "imagine_gateway_seconds_count 1.0" in lines
    assert "imagine_gateway_retries_total 0.0" in lines
    assert "imagine_in_flight 0.0" in lines and "imagine_queue_depth 0.0" in lines
    assert "imagine_ready 1.0" in lines
    assert "# TYPE imagine_gateway_seconds histogram" in lines
    assert process.returncode == 0


async def sigterm_mid_request(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway, grace: str
) -> tuple[int | None, str]:
    """Start the bot, send /imagine, SIGTERM it once the gateway holds the request."""
    port = free_port()
    env = slack_env(tmp_path, slack, gateway, port) | {"IMAGINE_SHUTDOWN_GRACE": grace}
    async with httpx.AsyncClient() as http, bot_process(tmp_path, env) as process:
        await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
        await send_imagine(http, port, slack, "a red balloon")
        await slack.wait_for(lambda: gateway.in_flight == 1, timeout=30)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, err.decode()[-2000:]


async def test_sigterm_lets_a_running_generation_finish_and_exits_0(tmp_path: Path) -> None:
    async with FakeSlack() as slack, FakeGateway(delay=1.5) as gateway:
        code, err = await sigterm_mid_request(tmp_path, slack, gateway, grace="30")

    assert code == 0, err
    assert slack.calls("files.completeUploadExternal")
    [entry] = await ledger(tmp_path)
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)


async def test_a_short_grace_settles_the_request_uncharged_and_tells_the_user(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as slack, FakeGateway() as gateway:
        gateway.fail("hang")
        code, err = await sigterm_mid_request(tmp_path, slack, gateway, grace="0.5")

    told = f"The bot restarted before your image was finished. {NOT_CHARGED} Try again in a minute."
    assert code == 0, err
    assert any(told in text for text in slack_texts(slack)), slack_texts(slack)
    assert not slack.calls("files.completeUploadExternal")
    [entry] = await ledger(tmp_path)
    assert (entry.status, entry.error_kind, entry.est_cost_usd) == ("failed", "shutdown", 0)


async def test_debug_logs_never_show_a_secret(tmp_path: Path) -> None:
    gateway_key = "sk-proj-" + secrets.token_urlsafe(36)
    bot_token = (
        f"xoxb-{secrets.randbelow(10**12)}-{secrets.randbelow(10**12)}-" + secrets.token_hex(12)
    )
    signing_secret = secrets.token_hex(16)
    port = free_port()
    async with (
        FakeSlack(token=bot_token) as slack,
        FakeGateway(key=gateway_key) as gateway,
        httpx.AsyncClient() as http,
    ):
        env = slack_env(tmp_path, slack, gateway, port) | {
            "IMAGINE_GATEWAY_KEY": gateway_key,
            "SLACK_SIGNING_SECRET": signing_secret,
            "IMAGINE_LOG_LEVEL": "DEBUG",
            "IMAGINE_LOG_FORMAT": "json",
        }
        async with bot_process(tmp_path, env, logs_to=tmp_path) as process:
            await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
            await send_imagine(http, port, slack, "a red balloon", secret=signing_secret)
            await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"), timeout=30)
            gateway.fail("unauthorized")
            await send_imagine(
                http, port, slack, "a blue balloon", trigger="t-2", secret=signing_secret
            )
            await slack.wait_for(lambda: len(gateway.image_requests) == 2, timeout=30)
            await slack.wait_for(
                lambda: any("API key" in t for t in slack_texts(slack)), timeout=30
            )
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 60)
    out, err = (tmp_path / "out.log").read_bytes(), (tmp_path / "err.log").read_bytes()

    logs = (out + err).decode()
    assert process.returncode == 0, logs[-2000:]
    assert "DEBUG" in logs and "request id=" in logs
    for secret in (gateway_key, bot_token, signing_secret):
        assert secret not in logs
        assert all(secret not in text for text in slack_texts(slack))
    for line in err.decode().splitlines():
        assert set(json.loads(line)) >= {"time", "level", "logger", "message"}


async def test_what_startup_built_is_left_out_of_garbage_collection(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, gateway, port)
        async with bot_process(tmp_path, env, logs_to=tmp_path) as process:
            await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    err = (tmp_path / "err.log").read_text()

    assert process.returncode == 0, err[-2000:]
    [frozen] = re.findall(r"started: (\d+) objects left out of garbage collection", err)
    assert int(frozen) > 10_000  # the libraries and the app, not a handful


async def test_run_offline_needs_no_key_and_calls_no_gateway(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, gateway, port)
        del env["IMAGINE_GATEWAY_KEY"]
        async with bot_process(tmp_path, env | {"IMAGINE_OFFLINE": "1"}) as process:
            await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
            await send_imagine(http, port, slack, "a red balloon")
            await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"), timeout=30)
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)

    assert process.returncode == 0
    assert gateway.requests == []
    [entry] = await ledger(tmp_path)
    assert (entry.status, entry.images_delivered, entry.est_cost_usd) == ("succeeded", 1, 0.0)
