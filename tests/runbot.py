"""Start `imagine-bot run` as a real process for tests, and wait for it to be ready."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SECRET, signed_headers

IMAGINE_BOT = str(Path(sys.executable).with_name("imagine-bot"))


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


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: PATH, a database in tmp_path, and `extra`."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "IMAGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'imagine.db'}",
        **extra,
    }


@asynccontextmanager
async def bot_process(
    tmp_path: Path, env: Mapping[str, str], *args: str, logs_to: Path | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`imagine-bot run ARGS` in tmp_path; killed on exit if still running. With `logs_to`,
    stdout and stderr go to out.log and err.log there instead of pipes (a chatty DEBUG run
    would fill a pipe nobody reads until the end, and stall the bot)."""
    if logs_to is None:
        out: Any = asyncio.subprocess.PIPE
        err: Any = asyncio.subprocess.PIPE
    else:
        out, err = (logs_to / "out.log").open("wb"), (logs_to / "err.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        IMAGINE_BOT,
        "run",
        *args,
        cwd=tmp_path,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=out,
        stderr=err,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if logs_to is not None:
            out.close()
            err.close()


def slack_env(tmp_path: Path, slack: FakeSlack, gateway: FakeGateway, port: int) -> dict[str, str]:
    """Slack in HTTP mode on `port`, against the fake Slack and the fake gateway."""
    return base_env(
        tmp_path,
        SLACK_BOT_TOKEN=slack.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        IMAGINE_GATEWAY_URL=gateway.url,
        IMAGINE_GATEWAY_KEY="gateway-key",
        IMAGINE_HTTP_HOST="127.0.0.1",
        IMAGINE_HTTP_PORT=str(port),
    )


async def send_imagine(
    http: httpx.AsyncClient,
    port: int,
    slack: FakeSlack,
    text: str,
    *,
    trigger: str = "t-1",
    secret: str = SECRET,
) -> None:
    """POST a signed `/imagine TEXT` to the running bot, as Slack would."""
    form = {
        "team_id": TEAM,
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/imagine",
        "text": text,
        "response_url": slack.response_url(),
        "trigger_id": trigger,
    }
    body = urlencode(form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **signed_headers(body, secret=secret),
    }
    answer = await http.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers)
    assert answer.status_code == 200
