"""`imagine-bot run` in HTTP mode, as a process, answers a signed /imagine with an upload."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx

from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, TOKEN, FakeSlack
from tests.fakes.slack_app import SECRET
from tests.runbot import bot_process, free_port, send_imagine, slack_env, wait_ready

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_imagine_bot_run_answers_a_signed_command(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, gateway, port) | {"IMAGINE_SHUTDOWN_GRACE": "5"}
        async with bot_process(tmp_path, env) as process:
            await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
            await send_imagine(http, port, slack, "a red balloon")
            await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"), timeout=30)
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
