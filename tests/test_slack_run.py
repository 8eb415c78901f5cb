"""`imagine-bot run` in HTTP mode, as a process, answers a signed /imagine with an upload."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, TOKEN, FakeSlack
from tests.fakes.slack_app import SECRET, signed_headers

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_ready(
    http: httpx.AsyncClient, url: str, process: asyncio.subprocess.Process
) -> None:
    """Poll /readyz until it answers 200 (or the process dies, or 30 s pass)."""
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError(f"imagine-bot exited with {process.returncode}")
        try:
            if (await http.get(url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("imagine-bot never became ready")


async def test_imagine_bot_run_answers_a_signed_command(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "IMAGINE_GATEWAY_URL": gateway.url,
            "IMAGINE_GATEWAY_KEY": "gateway-key",
            "IMAGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'imagine.db'}",
            "IMAGINE_HTTP_HOST": "127.0.0.1",
            "IMAGINE_HTTP_PORT": str(port),
            "IMAGINE_SHUTDOWN_GRACE": "5",
        }
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("imagine-bot")),
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
            form = {
                "team_id": TEAM,
                "channel_id": "C1",
                "user_id": "U1",
                "command": "/imagine",
                "text": "a red balloon",
                "response_url": slack.response_url(),
                "trigger_id": "trigger-run-1",
            }
            body = urlencode(form)
            headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
            answer = await http.post(
                f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers
            )
            assert answer.status_code == 200
            await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"), timeout=30)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    [upload] = slack.uploads.values()
    assert upload.data.startswith(PNG_MAGIC)
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C1"
    assert gateway.image_requests[0].fields["prompt"] == "a red balloon"
    assert TOKEN not in stderr.decode() and SECRET not in stderr.decode()


async def test_the_fake_slack_runs_as_a_process() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.slack",
        "--port",
        "0",
        cwd=Path(__file__).parent.parent,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        api_url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        async with httpx.AsyncClient() as http:
            auth = await http.post(
                f"{api_url}auth.test", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert auth.json()["team_id"] == TEAM
            assert "chat:write" in auth.headers["x-oauth-scopes"]
            calls = (await http.get(api_url.replace("/api/", "/_fake/calls"))).json()["calls"]
        assert [c["method"] for c in calls] == ["auth.test"]
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
