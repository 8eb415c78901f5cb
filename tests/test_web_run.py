"""`imagine-bot run` serves the web face under IMAGINE_PUBLIC_URL, and a link printed by
another process (`imagine-bot dashboard-link`) opens it: both read the key from the database."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx

from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.runbot import bot_process, free_port, slack_env, wait_ready
from tests.support import cli_env, run_cli


async def test_run_serves_the_links_another_process_prints(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, gateway, port) | {"IMAGINE_PUBLIC_URL": base}
        async with bot_process(tmp_path, env) as process:
            await wait_ready(http, f"{base}/readyz", process)
            ran = await run_cli(
                "dashboard-link", env=cli_env(tmp_path, IMAGINE_PUBLIC_URL=base), cwd=tmp_path
            )
            assert ran.code == 0, ran.err
            opened = await http.get(ran.out.strip())
            dashboard = await http.get(f"{base}/web/")  # with the cookie the link set
            async with httpx.AsyncClient() as other:
                stranger = await other.get(f"{base}/web/")
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    assert opened.status_code == 200 and "imagine_admin" in opened.cookies
    assert opened.headers["content-security-policy"].startswith("default-src 'none'")
    assert dashboard.status_code == 200 and "<h1>Workspaces</h1>" in dashboard.text
    assert stranger.status_code == 401 and "You are not signed in" in stranger.text


async def test_without_a_public_url_run_serves_no_web_face(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, gateway, port)
        async with bot_process(tmp_path, env) as process:
            await wait_ready(http, f"{base}/readyz", process)
            answer = await http.get(f"{base}/web/")
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    assert answer.status_code == 404
